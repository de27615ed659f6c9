-- Tallies: their definitions, the statement that adjusts them, pruning and recounting

CREATE FUNCTION crime.tally_definitions()
RETURNS TABLE (tally regclass, item name, counts text, add_to_existing text, total name, impossible text)
LANGUAGE sql IMMUTABLE PARALLEL SAFE
-- Each tally: a name for its WITH item, the query of its counts (a sum of "sign" per group, in
-- the tally's column order, groups whose sums are all zero left out) over a relation named
-- "changes" (sign, id, occurred_at, primary_type, arrest, block, community_area, district, ward),
-- the ON CONFLICT clause that adds such counts to the stored ones, the count that is zero when
-- a group has no incident left, and what no row t of the tally may satisfy.
BEGIN ATOMIC
VALUES
    ('crime.tally_type_month'::regclass, 'type_month'::name,
     $q$SELECT pg_catalog.date_trunc('month', c.occurred_at)::date, coalesce(c.primary_type, '(UNKNOWN)'),
               sum(c.sign), coalesce(sum(c.sign) FILTER (WHERE c.arrest), 0), sum(c.sign * c.id)
        FROM changes c
        GROUP BY 1, 2
        HAVING sum(c.sign) <> 0 OR sum(c.sign) FILTER (WHERE c.arrest) <> 0 OR sum(c.sign * c.id) <> 0$q$,
     $q$ON CONFLICT (month, primary_type) DO UPDATE
        SET incidents = t.incidents + EXCLUDED.incidents, arrests = t.arrests + EXCLUDED.arrests,
            id_sum = t.id_sum + EXCLUDED.id_sum$q$,
     'incidents', 't.incidents < 0 OR t.arrests NOT BETWEEN 0 AND t.incidents'),
    ('crime.tally_theft_block_year', 'theft_block_year',
     $q$SELECT pg_catalog.date_part('year', c.occurred_at)::integer, c.block, sum(c.sign)
        FROM changes c
        WHERE c.primary_type = 'THEFT' AND c.block IS NOT NULL
        GROUP BY 1, 2
        HAVING sum(c.sign) <> 0$q$,
     $q$ON CONFLICT (year, block) DO UPDATE SET thefts = t.thefts + EXCLUDED.thefts$q$,
     'thefts', 't.thefts < 0'),
    ('crime.tally_community_area', 'community_area',
     $q$SELECT c.community_area,
               coalesce(sum(c.sign) FILTER (WHERE c.occurred_at::time >= '22:00' OR c.occurred_at::time < '04:00'), 0),
               sum(c.sign)
        FROM changes c
        WHERE c.community_area IS NOT NULL
        GROUP BY 1
        HAVING sum(c.sign) <> 0
            OR sum(c.sign) FILTER (WHERE c.occurred_at::time >= '22:00' OR c.occurred_at::time < '04:00') <> 0$q$,
     $q$ON CONFLICT (community_area) DO UPDATE
        SET late_night_incidents = t.late_night_incidents + EXCLUDED.late_night_incidents,
            incidents = t.incidents + EXCLUDED.incidents$q$,
     'incidents', 't.incidents < 0 OR t.late_night_incidents NOT BETWEEN 0 AND t.incidents'),
    ('crime.tally_day', 'day',
     $q$SELECT c.occurred_at::date, sum(c.sign)
        FROM changes c
        GROUP BY 1
        HAVING sum(c.sign) <> 0$q$,
     $q$ON CONFLICT (day) DO UPDATE SET incidents = t.incidents + EXCLUDED.incidents$q$,
     'incidents', 't.incidents < 0'),
    ('crime.tally_district_ward', 'district_ward',
     $q$SELECT c.district, c.ward, sum(c.sign), coalesce(sum(c.sign) FILTER (WHERE c.arrest), 0)
        FROM changes c
        GROUP BY 1, 2
        HAVING sum(c.sign) <> 0 OR sum(c.sign) FILTER (WHERE c.arrest) <> 0$q$,
     $q$ON CONFLICT (district, ward) DO UPDATE
        SET incidents = t.incidents + EXCLUDED.incidents, arrests = t.arrests + EXCLUDED.arrests$q$,
     'incidents', 't.incidents < 0 OR t.arrests NOT BETWEEN 0 AND t.incidents');
END;
COMMENT ON FUNCTION crime.tally_definitions() IS
    'What each tally counts, as queries over the row versions in "changes", and what makes its rows empty or impossible; read by crime.tally_statement(), crime.prune_tallies() and crime.rebuild_tallies()';

CREATE FUNCTION crime.tally_statement(leading_items text, final_select text, add boolean)
RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
-- One statement, so that the incidents and their tallies change together: leading_items are
-- WITH items that end with one named "changes" (see crime.tally_definitions()), sign +1 for a
-- row version that comes in, -1 for one that goes, and each tally gets the sums of its groups.
-- Without add, the tallies are left alone ("changes" is then never read). final_select may read
-- changed_tallies.tallies, the tallies written.
RETURN 'WITH ' || leading_items || CASE WHEN add THEN
    (SELECT string_agg(format(', %I AS (INSERT INTO %s AS t %s %s RETURNING 1)',
                              d.item, d.tally, d.counts, d.add_to_existing), E'\n')
            || format(', changed_tallies AS (SELECT ARRAY(SELECT v.tally FROM (VALUES %s) AS v (tally, changed)
                                                         WHERE v.changed) AS tallies) ',
                      string_agg(format('(%L::regclass, EXISTS (SELECT FROM %I))', d.tally, d.item), ', '))
     FROM crime.tally_definitions() d)
ELSE ', changed_tallies AS (SELECT ''{}''::regclass[] AS tallies) ' END || final_select;
COMMENT ON FUNCTION crime.tally_statement(text, text, boolean) IS
    'Builds the statement that applies the row versions of a WITH item named "changes" to the tallies (see crime.tally_definitions()); used by the merges (crime.upsert_incidents(), crime.load_empty_range(), crime.resync_range())';

CREATE FUNCTION crime.prune_tallies()
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
SET DateStyle = 'ISO, YMD'
SET IntervalStyle = 'postgres'
SET extra_float_digits = 3
SET standard_conforming_strings = on
AS $$
DECLARE
    d          record;
    impossible boolean;
BEGIN
    FOR d IN SELECT * FROM crime.tally_definitions() LOOP
        EXECUTE format('DELETE FROM %s t WHERE t.%I = 0', d.tally, d.total);
        -- Not CHECK constraints: ON CONFLICT checks them on the proposed row, which holds a
        -- change (often negative), before it adds it to the count.
        EXECUTE format('SELECT EXISTS (SELECT FROM %s t WHERE %s)', d.tally, d.impossible) INTO impossible;
        IF impossible THEN
            RAISE EXCEPTION 'the tallies no longer match crime.incidents: a count went below zero'
                USING ERRCODE = 'data_exception',
                      DETAIL = format('%s has a row where %s.', d.tally, d.impossible),
                      HINT = 'crime.incidents was changed other than by crime_sync() or crime_backfill(). Run SELECT crime.refresh_views(crime.rebuild_tallies()); then sync again.';
        END IF;
    END LOOP;
END
$$;
COMMENT ON FUNCTION crime.prune_tallies() IS
    'Removes the tallies'' groups whose count went down to zero, so that the views list only groups with incidents, and fails if a count went below zero (the tallies then no longer match crime.incidents)';

CREATE FUNCTION crime.rebuild_tallies()
RETURNS regclass[]
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
SET DateStyle = 'ISO, YMD'
SET IntervalStyle = 'postgres'
SET extra_float_digits = 3
SET standard_conforming_strings = on
SET jit = off -- see refresh_views
-- Each tally reads the whole table: sequentially, through a 256 KB ring of buffers, never by an
-- index or bitmap scan, which would bring the table into the shared buffer cache page by page
-- (right after a first load, with no statistics yet, THEFT looks rare enough for a bitmap scan
-- of crime.incidents_primary_type_occurred_at_idx).
SET enable_indexscan = off
SET enable_bitmapscan = off
AS $$
DECLARE
    d       record;
    tallies regclass[] := '{}';
BEGIN
    FOR d IN SELECT * FROM crime.tally_definitions() LOOP
        -- DELETE, not TRUNCATE, which would block the views' readers until commit.
        EXECUTE format('DELETE FROM %s', d.tally);
        -- The counts come through crime.query_rows() so that they can be computed by parallel
        -- workers, which an INSERT ... SELECT never uses.
        EXECUTE format('INSERT INTO %s SELECT * FROM crime.query_rows(%L, NULL::%s)', d.tally,
                       'WITH changes AS (SELECT 1 AS sign, i.* FROM crime.incidents i) ' || d.counts,
                       d.tally);
        tallies := tallies || d.tally;
    END LOOP;
    RETURN tallies;
END
$$;
COMMENT ON FUNCTION crime.rebuild_tallies() IS
    'Recounts every tally from crime.incidents (the first load does; needed by hand only after changing crime.incidents other than through crime_sync() or crime_backfill()); returns the tallies, for crime.refresh_views(): SELECT crime.refresh_views(crime.rebuild_tallies()) also refreshes the views over them, which no sync would (it refreshes the views over the tallies it changes)';
