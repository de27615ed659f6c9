-- Entry point: crime_sync() and the procedure the pg_cron job calls

CREATE FUNCTION @extschema@.crime_sync()
RETURNS crime.sync_runs
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
SET DateStyle = 'ISO, YMD'
SET IntervalStyle = 'postgres'
SET extra_float_digits = 3
SET standard_conforming_strings = on
AS $$
DECLARE
    run            crime.sync_runs;
    watermark      timestamp;
    watermark_read timestamptz;   -- when the portal was read for the watermark
    overlap        interval;
    detect_deletes boolean;
    check_interval interval;
    first_load     boolean;
    present        timestamp;
    merged         record;
    months         timestamp[];
    month          timestamp;
    compared       bigint;        -- the local crimes the full check compares
    fewer          bigint;        -- how many fewer the portal has, month by month
    undated        bigint;        -- the portal's crimes with no date
    max_delete     numeric;       -- chicago_crime.max_delete_fraction
    changed        regclass[] := '{}';
    err_state      text;
    err_message    text;
    err_detail     text;
    err_hint       text;
    err_context    text;
BEGIN
    PERFORM crime.take_sync_lock(false);
    IF EXISTS (SELECT FROM crime.backfill_state b WHERE b.status = 'running') THEN
        RAISE EXCEPTION 'crime_sync() cannot run while a backfill is unfinished'
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'Resume the backfill with CALL crime_backfill(); crime_sync() continues incrementally once it is done.';
    END IF;

    SELECT s.watermark, s.read_at INTO watermark, watermark_read FROM crime.sync_state s;
    INSERT INTO crime.sync_runs (kind, watermark_before, watermark_after)
    VALUES ('sync', watermark, watermark)
    RETURNING * INTO run;

    -- All the work happens in this block, a subtransaction: if anything fails, every change it
    -- made (rows, reference data, views, watermark) is rolled back, and the failure is recorded
    -- in crime.sync_runs by the handler, in the caller's transaction.
    BEGIN
        overlap := crime.typed_setting('sync_overlap', '1 day', NULL::interval);
        detect_deletes := crime.typed_setting('detect_deletes', 'on', NULL::boolean);
        check_interval := crime.typed_setting('full_check_interval', '1 day', NULL::interval);
        max_delete := crime.max_delete_fraction();  -- checked now, used when months are compared
        -- Checked where it is applied: an interval of mixed signs ('1 mon -29 days') compares as
        -- positive but moves some timestamps forward, which would skip the rows in between.
        present := crime.portal_time(run.started_at);
        IF overlap < interval '0' OR least(watermark, present) - overlap > least(watermark, present) THEN
            RAISE EXCEPTION 'chicago_crime.sync_overlap must not be negative, not %', overlap
                USING ERRCODE = 'invalid_parameter_value',
                      DETAIL = format('Subtracted from %s it gives %s, a later time.',
                                      least(watermark, present), least(watermark, present) - overlap);
        END IF;
        IF check_interval < interval '0' THEN
            RAISE EXCEPTION 'chicago_crime.full_check_interval must not be negative, not %', check_interval
                USING ERRCODE = 'invalid_parameter_value';
        END IF;

        -- Rows changed since the watermark; every row when there is none, or when the table is
        -- empty (the first run, or a table emptied by hand: a watermark left from before must not
        -- limit the load). The watermark never passes the present: one row the portal dated in
        -- the future would otherwise hold every later run past the updates made in between (a
        -- watermark set so before this check existed is read as the present too). Across the
        -- end of daylight-saving time the read starts an hour earlier (incremental_since).
        first_load := NOT EXISTS (SELECT FROM crime.incidents);
        merged := crime.merge_incidents(updated_since =>
            CASE WHEN NOT first_load AND watermark IS NOT NULL   -- (least() would drop a NULL)
                 THEN crime.incremental_since(watermark, watermark_read, run.started_at, overlap) END);
        changed := merged.tallies;
        run.rows_fetched := merged.fetched;
        run.inserted := merged.inserted;
        run.updated := merged.updated;
        run.unchanged := merged.fetched - merged.inserted - merged.updated;
        -- In the hour after the clocks are set back, the present is earlier than the updates
        -- written in the hour before: those are not in the future.
        IF merged.max_updated_at > present + crime.portal_clock_set_back(run.started_at - interval '1 hour', run.started_at) THEN
            RAISE WARNING 'crime_sync(): the portal has a row updated in the future (updated_on %)', merged.max_updated_at
                USING DETAIL = format('The watermark stops at the present, %s (Chicago time).', present),
                      HINT = 'The row is synced; later runs keep reading from the present minus chicago_crime.sync_overlap.';
        END IF;
        run.watermark_after := greatest(watermark, merged.max_updated_at);  -- NULL: no rows yet
        IF run.watermark_after > present THEN
            run.watermark_after := present;
        END IF;

        -- Deletions: the portal gives no tombstones, so compare the number of rows and the sum
        -- of their ids per month, and re-sync the months that differ. The month-by-month request
        -- groups the whole dataset at the portal: most runs ask for the totals only, in one small
        -- request, and compare the months when the totals differ. The totals cannot see changes
        -- that leave them as they are (a crime moved to another month without a newer
        -- updated_on, differences that cancel out: docs/warehouse.md, "Deletions"), so the
        -- months are compared anyway when no run has in chicago_crime.full_check_interval. After
        -- a load into an empty table every local row was read in this run, so there is nothing
        -- to find yet (a row deleted at the portal while the load ran is found by the next run).
        run.full_check := first_load;
        IF detect_deletes AND NOT first_load THEN
            run.full_check := NOT EXISTS (
                SELECT FROM crime.sync_runs r
                WHERE r.kind = 'sync' AND r.status = 'succeeded' AND r.full_check
                  AND r.started_at > run.started_at - check_interval);
            IF NOT run.full_check THEN
                run.full_check := NOT crime.portal_matches_warehouse();
            END IF;
        END IF;
        IF run.full_check AND NOT first_load THEN
            SELECT coalesce(array_agg(m.month ORDER BY m.month) FILTER (WHERE m.month IS NOT NULL), '{}'),
                   coalesce(sum(greatest(coalesce(m.warehouse_rows, 0) - coalesce(m.portal_rows, 0), 0)), 0),
                   coalesce(sum(m.portal_rows) FILTER (WHERE m.month IS NULL), 0)
            INTO months, fewer, undated
            FROM crime.months_out_of_sync() m;
            PERFORM crime.refuse_undated_crimes(undated);
            -- A portal that answers with far fewer crimes (empty, partial, another dataset) is
            -- refused before any month is re-synced, and, with the same ids missing but others
            -- in their place, as the re-syncs delete (crime.check_delete_limit).
            compared := (SELECT coalesce(sum(t.incidents), 0) FROM crime.tally_type_month t);
            PERFORM crime.check_delete_limit(max_delete, fewer, NULL, compared, 'in crime.incidents');
            -- Each differing month made equal to the portal's, in one request for its rows. A
            -- crime the portal moved out of the month is looked up by id and updated, not
            -- deleted (merge_incidents), whichever of its two months comes first.
            FOREACH month IN ARRAY months LOOP
                merged := crime.merge_incidents(occurred_from => month,
                                                occurred_before => month + interval '1 month',
                                                delete_missing => true);
                PERFORM crime.check_delete_limit(max_delete, fewer, run.deleted + merged.deleted, compared,
                                                 'in crime.incidents');
                run.rows_fetched := run.rows_fetched + merged.fetched;
                run.inserted := run.inserted + merged.inserted;
                run.updated := run.updated + merged.updated;
                run.deleted := run.deleted + merged.deleted;
                run.unchanged := run.unchanged + merged.fetched - merged.inserted - merged.updated;
                changed := changed || merged.tallies;
            END LOOP;
            run.months_resynced := cardinality(months);
        END IF;

        changed := changed || crime.refresh_reference_data();
        run.views_refreshed := crime.refresh_views(changed);

        IF run.watermark_after IS DISTINCT FROM watermark THEN
            INSERT INTO crime.sync_state AS s (watermark, run_id, read_at, updated_at)
            VALUES (run.watermark_after, run.id, run.started_at, now())
            ON CONFLICT (singleton) DO UPDATE
            SET watermark = EXCLUDED.watermark, run_id = EXCLUDED.run_id, read_at = EXCLUDED.read_at,
                updated_at = EXCLUDED.updated_at;
        END IF;

        UPDATE crime.sync_runs r
        SET status = 'succeeded', finished_at = clock_timestamp(),
            rows_fetched = run.rows_fetched, inserted = run.inserted, updated = run.updated,
            deleted = run.deleted, unchanged = run.unchanged, months_resynced = run.months_resynced,
            full_check = run.full_check, watermark_after = run.watermark_after,
            views_refreshed = run.views_refreshed
        WHERE r.id = run.id
        RETURNING r.* INTO run;
    EXCEPTION WHEN OTHERS THEN
        GET STACKED DIAGNOSTICS err_state = RETURNED_SQLSTATE, err_message = MESSAGE_TEXT,
                                err_detail = PG_EXCEPTION_DETAIL, err_hint = PG_EXCEPTION_HINT,
                                err_context = PG_EXCEPTION_CONTEXT;
        run := crime.record_run_error(run.id, err_state, err_message, err_detail, err_hint, err_context);
        -- The error's own hint (what to fix) comes first; then where the failure is recorded.
        err_hint := concat_ws(E'\n', nullif(err_hint, ''),
                              format('The failure is recorded in crime.sync_runs (id %s); the next run retries from the same watermark.', run.id));
        IF err_detail = '' THEN
            RAISE WARNING 'crime_sync() failed and changed nothing: %', err_message USING HINT = err_hint;
        ELSE
            RAISE WARNING 'crime_sync() failed and changed nothing: %', err_message
                USING DETAIL = err_detail, HINT = err_hint;
        END IF;
    END;
    RETURN run;
END
$$;
COMMENT ON FUNCTION @extschema@.crime_sync() IS
    'Brings the warehouse up to date with the portal and returns the run''s crime.sync_runs row. First run: full load; later runs: rows with updated_on >= watermark - chicago_crime.sync_overlap (default 1 day), upserted by id (unchanged rows are not rewritten), then deletions found by comparing the portal''s row count and id sum with the warehouse''s and, when they differ or no run has within chicago_crime.full_check_interval (default 1 day), the same per month (chicago_crime.detect_deletes, default on; a run that would delete more than chicago_crime.max_delete_fraction of the warehouse, default half, fails instead), reference tables, and the materialized views that depend on what changed (CONCURRENTLY). All or nothing: on failure it changes nothing, records the error in crime.sync_runs, raises a WARNING and returns the failed run (status = ''failed''); CALL crime.run_scheduled_sync() turns that into an error. Raises SQLSTATE 55P03 when another sync or backfill is running';

-- crime_sync(), bound when the extension is created: the job's call, resolved when it runs, could
-- otherwise find an overload another role added to the extension's schema (public) since, and
-- fail as ambiguous, or call that one.
CREATE FUNCTION crime.sync_bound()
RETURNS crime.sync_runs
LANGUAGE sql
BEGIN ATOMIC
    SELECT @extschema@.crime_sync();
END;
COMMENT ON FUNCTION crime.sync_bound() IS
    'crime_sync(), as crime.run_scheduled_sync() calls it: bound to the extension''s own function when the extension was created';

CREATE PROCEDURE crime.run_scheduled_sync()
LANGUAGE plpgsql
AS $$
DECLARE
    run crime.sync_runs;
BEGIN
    run := crime.sync_bound();
    -- Keep the run's record, failure included, before reporting the failure as an error.
    -- (A procedure that commits cannot have a SET search_path: the job's path is the user's
    -- default, so the operator and the function used after this are qualified.)
    COMMIT;
    IF run.status OPERATOR(pg_catalog.<>) 'succeeded' THEN
        RAISE EXCEPTION 'crime_sync() run % failed: %', run.id, run.error
            USING ERRCODE = coalesce(run.error_sqlstate, 'XX000'),
                  -- The recorded detail, hint and context, without the label the DETAIL line has.
                  DETAIL = coalesce(pg_catalog.regexp_replace(run.error_detail, '^DETAIL: ', ''), ''),
                  HINT = 'The warehouse is unchanged; the failure is recorded in crime.sync_runs.';
    END IF;
END
$$;
COMMENT ON PROCEDURE crime.run_scheduled_sync() IS
    'What the pg_cron job runs: crime_sync(), commit (so that the run and a failure are recorded), then raise an error if the run failed, so that cron.job_run_details shows it as failed. Call it outside a transaction block';
