-- View refresh: only the materialized views over what changed

CREATE FUNCTION crime.refresh_views(changed regclass[])
RETURNS text[]
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
SET DateStyle = 'ISO, YMD'
SET IntervalStyle = 'postgres'
SET extra_float_digits = 3
SET standard_conforming_strings = on
-- No JIT: compiling the views' aggregations saves little here, and loading LLVM maps some
-- 50 MB of libraries into the backend.
SET jit = off
-- The views summarise the whole table or large parts of it: they read it sequentially, through
-- a 256 KB ring of buffers, never by index or bitmap scan, which use the shared buffer cache
-- page by page. So a refresh neither evicts the analysts' cache nor maps it all into the
-- backend, whatever the statistics say (right after a first load there are none yet, and a
-- common crime type looks rare).
SET enable_indexscan = off
SET enable_bitmapscan = off
AS $$
DECLARE
    v         record;
    refreshed text[] := '{}';
    present   timestamp := crime.portal_time(now());   -- what the views compare dates with
    last      timestamp;
BEGIN
    -- monthly_trend, crime_rate_trend and holiday_crime leave out the months and days after the
    -- present (an incident the portal dates in the future is a data error). Once the present
    -- passes such a date they change, though no count has: refresh them as if their tallies had.
    -- (No row, as after a restore: refresh them too.) One call at a time: a call that read the
    -- present before another committed could record a later present than its views show.
    LOCK TABLE crime.views_state IN SHARE ROW EXCLUSIVE MODE;
    SELECT s.present INTO last FROM crime.views_state s;
    IF last IS NULL
       OR EXISTS (SELECT FROM crime.tally_day d WHERE d.day > last AND d.day <= present)
       OR EXISTS (SELECT FROM crime.tally_type_month m WHERE m.month > last AND m.month <= present) THEN
        changed := changed || ARRAY['crime.tally_day'::regclass, 'crime.tally_type_month'::regclass];
    END IF;

    -- The extension's materialized views that read one of the changed tables, or a view refreshed
    -- here, or were never populated, found through the dependencies of their rewrite rules. A view
    -- comes after the views it reads (depth: the longest chain of the extension's views below it).
    FOR v IN
        WITH RECURSIVE views AS (
            SELECT c.oid, c.relname, c.relispopulated
            FROM pg_catalog.pg_class c
            JOIN pg_catalog.pg_depend e
              ON e.classid = 'pg_catalog.pg_class'::regclass AND e.objid = c.oid AND e.deptype = 'e'
             AND e.refclassid = 'pg_catalog.pg_extension'::regclass
             AND e.refobjid = (SELECT x.oid FROM pg_catalog.pg_extension x WHERE x.extname = 'chicago_crime')
            WHERE c.relkind = 'm'
        ),
        reads AS (
            SELECT DISTINCT w.oid AS view, d.refobjid AS source
            FROM views w
            JOIN pg_catalog.pg_rewrite r ON r.ev_class = w.oid
            JOIN pg_catalog.pg_depend d
              ON d.classid = 'pg_catalog.pg_rewrite'::regclass AND d.objid = r.oid
             AND d.refclassid = 'pg_catalog.pg_class'::regclass
            WHERE d.refobjid <> w.oid
        ),
        stale AS (
            SELECT w.oid
            FROM views w
            WHERE NOT w.relispopulated
               OR EXISTS (SELECT FROM reads r WHERE r.view = w.oid AND r.source = ANY (changed))
            UNION
            SELECT r.view FROM reads r JOIN stale s ON s.oid = r.source
        ),
        depth AS (
            SELECT w.oid, 0 AS depth FROM views w
            UNION ALL
            SELECT r.view, d.depth + 1 FROM depth d JOIN reads r ON r.source = d.oid
        )
        SELECT w.oid::regclass AS view, w.relispopulated AS populated
        FROM views w
        WHERE w.oid IN (SELECT s.oid FROM stale s)
        ORDER BY (SELECT max(d.depth) FROM depth d WHERE d.oid = w.oid), w.relname
    LOOP
        -- CONCURRENTLY keeps the view readable during the refresh; it needs a populated view.
        EXECUTE format('REFRESH MATERIALIZED VIEW %s %s',
                       CASE WHEN v.populated THEN 'CONCURRENTLY' ELSE '' END, v.view);
        refreshed := refreshed || v.view::text;
    END LOOP;
    -- The views now show the data as of this present, whether refreshed or not: nothing that
    -- compares with the present changed since the last time.
    INSERT INTO crime.views_state AS s (present) VALUES (present)
    ON CONFLICT (singleton) DO UPDATE SET present = EXCLUDED.present;
    RETURN refreshed;
END
$$;
COMMENT ON FUNCTION crime.refresh_views(regclass[]) IS
    'Refreshes (CONCURRENTLY when populated) the extension''s materialized views that depend on any of the given tables or on a view it refreshes, any that were never populated, and those that leave out dates after the present when the present has passed a date of the data since the last call (crime.views_state), each once and after the views it reads; returns their names in the order refreshed';
