-- Reference data: police stations, wards and holidays, rewritten only when they differ

CREATE FUNCTION crime.replace_if_changed(target regclass, source_rows jsonb)
RETURNS boolean
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
SET DateStyle = 'ISO, YMD'
SET IntervalStyle = 'postgres'
SET extra_float_digits = 3
SET standard_conforming_strings = on
AS $$
DECLARE
    columns text;
    differs boolean;
BEGIN
    -- Every stored column except generated ones, in table order.
    SELECT string_agg(pg_catalog.quote_ident(a.attname), ', ' ORDER BY a.attnum)
    INTO columns
    FROM pg_catalog.pg_attribute a
    WHERE a.attrelid = target AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = '';

    EXECUTE format($sql$
        SELECT EXISTS (
            (SELECT %1$s FROM pg_catalog.jsonb_populate_recordset(NULL::%2$s, $1)
             EXCEPT ALL
             SELECT %1$s FROM %2$s)
            UNION ALL
            (SELECT %1$s FROM %2$s
             EXCEPT ALL
             SELECT %1$s FROM pg_catalog.jsonb_populate_recordset(NULL::%2$s, $1)))
        $sql$, columns, target)
    INTO differs
    USING coalesce(source_rows, '[]');

    IF differs THEN
        EXECUTE format('DELETE FROM %s', target);
        EXECUTE format('INSERT INTO %2$s (%1$s) SELECT %1$s FROM pg_catalog.jsonb_populate_recordset(NULL::%2$s, $1)',
                       columns, target)
        USING coalesce(source_rows, '[]');
    END IF;
    RETURN differs;
END
$$;
COMMENT ON FUNCTION crime.replace_if_changed(regclass, jsonb) IS
    'Makes a small reference table hold exactly source_rows (a JSON array of objects keyed by column name): compares the two row sets and, only if they differ, replaces the table''s contents. Returns whether it changed anything';

-- A link as the portal sends it: a url field's value is an object {"url": ..., "description": ...}
-- (either part may be missing), a text field's a string. Declared jsonb, the portal's columns take
-- both, so a link column keeps working if the portal changes its type.
CREATE FUNCTION crime.link_address(link jsonb)
RETURNS text
LANGUAGE sql
IMMUTABLE PARALLEL SAFE
RETURN CASE pg_catalog.jsonb_typeof(link)
           WHEN 'object' THEN link ->> 'url'
           WHEN 'string' THEN link #>> '{}'
       END;
COMMENT ON FUNCTION crime.link_address(jsonb) IS
    'The address of a link as the portal sends it: the url of a url field''s {"url": ..., "description": ...} object, or a text field''s string; NULL otherwise';

CREATE FUNCTION crime.refresh_reference_data()
RETURNS regclass[]
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
SET DateStyle = 'ISO, YMD'
SET IntervalStyle = 'postgres'
SET extra_float_digits = 3
SET standard_conforming_strings = on
AS $$
DECLARE
    changed    regclass[] := '{}';
    rows       jsonb;
    first_year integer;
    last_year  integer;
BEGIN
    -- Police stations and ward offices: a few dozen rows each, read whole. An empty answer is not
    -- trusted to mean that every station or office is gone.
    SELECT jsonb_agg(to_jsonb(p) || jsonb_build_object('website', crime.link_address(p.website)))
    INTO rows
    FROM crime.portal_police_stations p;
    IF rows IS NULL THEN
        RAISE WARNING 'crime.portal_police_stations (dataset %) returned no rows: crime.police_stations is left as it is',
            crime.dataset_of('crime.portal_police_stations')
            USING HINT = 'Check the foreign table''s dataset option; the next sync asks again.';
    ELSIF crime.replace_if_changed('crime.police_stations', rows) THEN
        changed := changed || 'crime.police_stations'::regclass;
    END IF;

    -- The office location comes as a location object {"latitude": ..., "longitude": ...} or as a
    -- GeoJSON point {"coordinates": [lon, lat]}.
    SELECT jsonb_agg(to_jsonb(o) - 'location'
                     || jsonb_build_object(
                            'latitude', coalesce(o.location -> 'latitude', o.location -> 'coordinates' -> 1),
                            'longitude', coalesce(o.location -> 'longitude', o.location -> 'coordinates' -> 0),
                            'website', crime.link_address(o.website),
                            'photo_link', crime.link_address(o.photo_link)))
    INTO rows
    FROM crime.portal_ward_offices o;
    IF rows IS NULL THEN
        RAISE WARNING 'crime.portal_ward_offices (dataset %) returned no rows: crime.wards is left as it is',
            crime.dataset_of('crime.portal_ward_offices')
            USING HINT = 'Check the foreign table''s dataset option; the next sync asks again.';
    ELSIF crime.replace_if_changed('crime.wards', rows) THEN
        changed := changed || 'crime.wards'::regclass;
    END IF;

    -- Holidays cover the years of the data (the rules start in 1971).
    SELECT extract(year FROM min(i.occurred_at))::integer, extract(year FROM max(i.occurred_at))::integer
    INTO first_year, last_year
    FROM crime.incidents i;
    SELECT jsonb_agg(to_jsonb(h)) INTO rows
    FROM crime.us_federal_holidays(greatest(first_year, 1971), last_year) h;
    IF crime.replace_if_changed('crime.holidays', rows) THEN
        changed := changed || 'crime.holidays'::regclass;
    END IF;
    RETURN changed;
END
$$;
COMMENT ON FUNCTION crime.refresh_reference_data() IS
    'Brings crime.police_stations and crime.wards in line with the portal and crime.holidays in line with the years of crime.incidents, rewriting a table only when it differs; returns the tables it changed';
