-- Deletion check: per-month counts and id sums of the portal against the warehouse

CREATE FUNCTION crime.portal_matches_warehouse()
RETURNS boolean
LANGUAGE sql
SET jit = off -- see refresh_views
BEGIN ATOMIC
    -- One aggregate request to the portal (socrata_fdw pushes it down as
    -- $select=count(*),sum(id)), and crime.tally_type_month locally.
    SELECT p.n = w.n AND p.id_sum IS NOT DISTINCT FROM w.id_sum
    FROM (SELECT count(*) AS n, sum(c.id) AS id_sum FROM crime.portal_crimes c) AS p,
         (SELECT coalesce(sum(t.incidents), 0) AS n, sum(t.id_sum) AS id_sum
          FROM crime.tally_type_month t) AS w;
END;
COMMENT ON FUNCTION crime.portal_matches_warehouse() IS
    'Whether the portal has as many crimes as crime.incidents, with the same sum of ids: one aggregate request to the portal, and the tally locally. crime_sync() calls it after its incremental pass and compares month by month (crime.months_out_of_sync()) when it is false, or without calling it once chicago_crime.full_check_interval has passed since the last full check';

CREATE FUNCTION crime.months_out_of_sync()
RETURNS TABLE (month timestamp, portal_rows bigint, warehouse_rows bigint,
               portal_id_sum numeric, warehouse_id_sum numeric)
LANGUAGE sql
SET jit = off -- see refresh_views
BEGIN ATOMIC
    WITH portal AS (
        -- socrata_fdw pushes this aggregate down as $group=date_trunc_ym(date)
        SELECT pg_catalog.date_trunc('month', c.date) AS month, count(*) AS n, sum(c.id) AS id_sum
        FROM crime.portal_crimes c
        GROUP BY 1
    ),
    warehouse AS (
        -- The tally has crime.incidents' counts and id sums per month, without reading the table.
        SELECT t.month::timestamp AS month, sum(t.incidents) AS n, sum(t.id_sum) AS id_sum
        FROM crime.tally_type_month t
        GROUP BY 1
    )
    SELECT coalesce(p.month, w.month), p.n, w.n, p.id_sum, w.id_sum
    FROM portal p
    FULL JOIN warehouse w ON w.month = p.month
    WHERE (p.n, p.id_sum) IS DISTINCT FROM (w.n, w.id_sum) AND coalesce(p.month, w.month) IS NOT NULL
    ORDER BY 1;
END;
COMMENT ON FUNCTION crime.months_out_of_sync() IS
    'Months (of occurrence) whose number of crimes or sum of their ids differs between the portal and crime.incidents: one aggregate query to the portal (pushed down by socrata_fdw), and crime.tally_type_month locally; crime_sync() re-syncs these months to find deletions';
