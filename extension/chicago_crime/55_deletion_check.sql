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
    WHERE (p.n, p.id_sum) IS DISTINCT FROM (w.n, w.id_sum)
    ORDER BY 1;  -- NULLS LAST: the portal's crimes with no date, which the warehouse cannot hold
END;
COMMENT ON FUNCTION crime.months_out_of_sync() IS
    'Months (of occurrence) whose number of crimes or sum of their ids differs between the portal and crime.incidents: one aggregate query to the portal (pushed down by socrata_fdw), and crime.tally_type_month locally; crime_sync() re-syncs these months to find deletions. A last row with month NULL counts the portal''s crimes with no date (crime_sync() fails on them: crime.refuse_undated_crimes())';

-- A crime with no date belongs to no day, month or view, and crime.incidents.occurred_at is NOT
-- NULL. The incremental pass fails on one with a NOT NULL violation naming the row; one it does
-- not read (its updated_on older than the watermark), or one a backfill's windows (of date)
-- never see, must fail the run as well, not go missing without a trace: the totals would then
-- differ on every run, and the months would never show why.
CREATE FUNCTION crime.refuse_undated_crimes(undated bigint)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
SET DateStyle = 'ISO, YMD'
SET IntervalStyle = 'postgres'
SET extra_float_digits = 3
SET standard_conforming_strings = on
AS $$
BEGIN
    IF undated > 0 THEN
        RAISE EXCEPTION 'the portal has % % with no date', undated,
                        CASE WHEN undated = 1 THEN 'crime' ELSE 'crimes' END
            USING ERRCODE = 'not_null_violation',
                  DETAIL = 'crime.incidents.occurred_at is NOT NULL: a crime with no date belongs to no day, month or view. It is not skipped, so that it cannot go missing unnoticed.',
                  HINT = 'SELECT id FROM crime.portal_crimes WHERE date IS NULL lists them; every run fails this way until the portal dates them.';
    END IF;
END
$$;
COMMENT ON FUNCTION crime.refuse_undated_crimes(bigint) IS
    'Raises not_null_violation when undated (the number of the portal''s crimes with no date) is above 0. Internal: called by crime_sync() and crime_backfill()';

-- chicago_crime.max_delete_fraction (default 0.5), checked: read by every run at its start, so
-- that a bad value fails at once, not on the first day a run compares the months.
CREATE FUNCTION crime.max_delete_fraction()
RETURNS numeric
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
SET DateStyle = 'ISO, YMD'
SET IntervalStyle = 'postgres'
SET extra_float_digits = 3
SET standard_conforming_strings = on
AS $$
DECLARE
    fraction constant numeric := crime.typed_setting('max_delete_fraction', '0.5', NULL::numeric);
BEGIN
    IF fraction IS NULL OR NOT (fraction BETWEEN 0 AND 1) THEN
        RAISE EXCEPTION 'chicago_crime.max_delete_fraction must be between 0 and 1, not %',
                        coalesce(fraction::text, 'NULL')
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Set it to a fraction such as 0.5, to 1 for no limit, or RESET it.';
    END IF;
    RETURN fraction;
END
$$;
COMMENT ON FUNCTION crime.max_delete_fraction() IS
    'chicago_crime.max_delete_fraction (default 0.5), an error naming it unless between 0 and 1. Internal: read by crime_sync() and crime_backfill() at their start, for crime.check_delete_limit()';

-- A run that would delete a large share of what it compares has far more likely read a wrong
-- answer (an empty or partial one, or another dataset behind crime.portal_crimes) than a
-- portal that really deleted that much: it fails instead, unless chicago_crime.max_delete_fraction
-- allows it. Checked twice: before any row is deleted, on how many crimes fewer the portal
-- has (`fewer`: a crime it only moved to another month counts there too), and as the run
-- deletes (`deleting`, the running total; NULL before). `fraction` is the run's
-- crime.max_delete_fraction(), read once at its start.
CREATE FUNCTION crime.check_delete_limit(fraction numeric, fewer bigint, deleting bigint,
                                         compared bigint, scope text)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
SET DateStyle = 'ISO, YMD'
SET IntervalStyle = 'postgres'
SET extra_float_digits = 3
SET standard_conforming_strings = on
AS $$
DECLARE
    amount constant bigint := coalesce(deleting, fewer);
BEGIN
    IF amount > 0 AND amount > fraction * compared THEN
        RAISE EXCEPTION '%', CASE WHEN deleting IS NULL
                    THEN format('the portal has %s crimes fewer than the %s %s, more than chicago_crime.max_delete_fraction (%s) of them',
                                fewer, compared, scope, fraction)
                    ELSE format('the run would delete %s of the %s crimes %s, more than chicago_crime.max_delete_fraction (%s) of them',
                                deleting, compared, scope, fraction) END
            USING ERRCODE = 'data_exception',
                  DETAIL = 'An empty or partial answer from the portal, or another dataset behind crime.portal_crimes, looks the same as a mass deletion.',
                  HINT = 'If the portal really deleted them, run again after SET chicago_crime.max_delete_fraction = 1; otherwise check the dataset option of crime.portal_crimes and the server''s base_url.';
    END IF;
END
$$;
COMMENT ON FUNCTION crime.check_delete_limit(numeric, bigint, bigint, bigint, text) IS
    'Raises data_exception when the portal has more than fraction (the run''s chicago_crime.max_delete_fraction) of compared crimes fewer (fewer, when deleting is NULL), or when deleting (the crimes a run has deleted so far) is more than that, of compared, the local crimes the run compares with the portal (scope says which). Internal: called by crime_sync() and crime_backfill()';
