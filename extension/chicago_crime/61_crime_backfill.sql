-- Entry point: crime_backfill(), the resumable first load in windows

-- An interval as text in PostgreSQL's own style whatever the session's IntervalStyle
-- ('1 year', not 'P1Y'): crime.sync_runs.details keeps the same form for every run.
CREATE FUNCTION crime.interval_text(value interval)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET IntervalStyle = 'postgres'
RETURN value::text;
COMMENT ON FUNCTION crime.interval_text(interval) IS
    'The interval as text in IntervalStyle postgres (''1 year''), whatever the session''s';

-- The end of the window that starts at window_start: window_length later, but not past
-- range_end. A length that does not move the window forward is an error, not a loop that
-- commits the same window forever while holding the warehouse lock: zero, negative, or of mixed
-- signs ('1 mon -29 days' compares as one day, but from 2014-01-30 it gives 2014-01-30 again).
CREATE FUNCTION crime.backfill_window_end(window_start timestamp, window_length interval,
                                          range_end timestamp)
RETURNS timestamp
LANGUAGE plpgsql
IMMUTABLE
SET search_path = pg_catalog, pg_temp
SET DateStyle = 'ISO, YMD'
SET IntervalStyle = 'postgres'
SET extra_float_digits = 3
SET standard_conforming_strings = on
AS $$
BEGIN
    IF window_length IS NULL OR window_length <= interval '0'
       OR window_start + window_length <= window_start THEN
        RAISE EXCEPTION 'crime_backfill: window_length % does not move a window forward from %',
                        coalesce(window_length::text, 'NULL'), window_start
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Use a positive length without parts of opposite signs, such as ''7 days'' or ''1 month''.';
    END IF;
    RETURN least(window_start + window_length, range_end);
END
$$;
COMMENT ON FUNCTION crime.backfill_window_end(timestamp, interval, timestamp) IS
    'crime_backfill()''s window from window_start: window_length later, at most range_end; an error if that is not later than window_start';

CREATE PROCEDURE @extschema@.crime_backfill(
    start_date    timestamp DEFAULT NULL,
    end_date      timestamp DEFAULT NULL,
    window_length interval DEFAULT NULL,
    restart       boolean DEFAULT false)
LANGUAGE plpgsql
AS $$
DECLARE
    -- Types that are not SQL keywords are qualified: these declarations are compiled under
    -- the search_path of the session's first call, the caller's.
    state        crime.backfill_state;
    run          crime.sync_runs;
    portal       record;
    watermark    timestamp;
    merged       record;
    window_start timestamp;
    window_end   timestamp;
    started      pg_catalog.timestamptz;
    seconds      numeric;
    changed      pg_catalog.regclass[];
    compared     bigint;            -- local crimes in the range still to do, at the call's start
    deleted_here bigint := 0;       -- deleted by this call's windows
    scope        pg_catalog.text;   -- that range, for crime.check_delete_limit's message
    max_delete   numeric;           -- chicago_crime.max_delete_fraction
    err_state    pg_catalog.text;
    err_message  pg_catalog.text;
    err_detail   pg_catalog.text;
    err_hint     pg_catalog.text;
    err_context  pg_catalog.text;
    caller_path  pg_catalog.text;
BEGIN
    -- Fails at once ("invalid transaction termination") when called inside a transaction block
    -- or from a function, where the per-window commits below are impossible.
    COMMIT;
    -- The search_path of crime_sync()'s SET clause, which a procedure that commits cannot have:
    -- set for each transaction (after each COMMIT), so that neither this code nor the functions
    -- it calls resolve a name through the caller's path, where another role's schema may
    -- shadow a built-in function or operator. The caller's is put back before each return: a
    -- DO block that calls this goes on in the transaction the last COMMIT began.
    caller_path := pg_catalog.current_setting('search_path');
    PERFORM pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true);
    -- A session-level lock: it must outlive the commits. Every error path below releases it.
    PERFORM crime.take_sync_lock(true);

    BEGIN
        max_delete := crime.max_delete_fraction();  -- a bad value fails now, not at a later window
        SELECT * INTO state FROM crime.backfill_state;
        SELECT s.watermark INTO watermark FROM crime.sync_state s;
        IF state.status = 'running' AND NOT restart THEN
            IF start_date <> state.range_start OR end_date <> state.range_end THEN
                RAISE EXCEPTION 'an unfinished backfill of [%, %) is waiting to be resumed',
                                state.range_start, state.range_end
                    USING ERRCODE = 'object_not_in_prerequisite_state',
                          HINT = 'Call crime_backfill() without start_date and end_date to resume it, or with restart => true to start over.';
            END IF;
            -- A new length is checked before it is stored: a bad one would fail every resume.
            PERFORM crime.backfill_window_end(state.next_start,
                                              coalesce(window_length, state.window_length),
                                              state.range_end);
            -- A previous call that is still "running" ended without recording an outcome (its
            -- session died): the lock we hold proves it is not running any more.
            UPDATE crime.sync_runs r SET status = 'interrupted', finished_at = state.updated_at
            WHERE r.id = state.run_id AND r.status = 'running';
            INSERT INTO crime.sync_runs (kind, watermark_before, watermark_after, details)
            VALUES ('backfill', watermark, watermark,
                    jsonb_build_object('range_start', state.range_start, 'range_end', state.range_end,
                                       'window_length', crime.interval_text(coalesce(window_length, state.window_length)),
                                       'resumed_at', state.next_start))
            RETURNING * INTO run;
            UPDATE crime.backfill_state b
            SET run_id = run.id, window_length = coalesce(crime_backfill.window_length, b.window_length)
            RETURNING * INTO state;
            RAISE NOTICE 'crime_backfill: resuming the backfill of [%, %) at %',
                         state.range_start, state.range_end, state.next_start;
        ELSE
            window_length := coalesce(window_length, interval '7 days');
            -- Checked at once where it can be (a given start), before the portal is asked.
            PERFORM crime.backfill_window_end(start_date, window_length, 'infinity')
            WHERE start_date IS NOT NULL;
            IF state.status = 'running' THEN
                UPDATE crime.sync_runs r SET status = 'interrupted', finished_at = state.updated_at
                WHERE r.id = state.run_id AND r.status = 'running';
            END IF;
            -- The portal's range and current watermark, in one aggregate query (pushed down).
            SELECT min(c.date) AS first_date, max(c.date) AS last_date, max(c.updated_on) AS watermark,
                   count(*) - count(c.date) AS undated
            INTO portal
            FROM crime.portal_crimes c;
            start_date := coalesce(start_date, date_trunc('week', portal.first_date));
            end_date := coalesce(end_date, date_trunc('day', portal.last_date) + interval '1 day');
            -- A crime with no date is in no window: a backfill of the portal's whole range fails
            -- on it, as a sync does, rather than hand over a watermark as if it had every crime.
            -- A range repair goes on (crime_sync() fails on it).
            IF coalesce(start_date <= portal.first_date AND end_date > portal.last_date, true) THEN
                PERFORM crime.refuse_undated_crimes(portal.undated);
            END IF;
            IF start_date IS NULL OR end_date IS NULL THEN
                RAISE NOTICE 'crime_backfill: the portal has no crimes, nothing to do';
                PERFORM crime.release_sync_lock();
                PERFORM pg_catalog.set_config('search_path', caller_path, true);
                RETURN;
            END IF;
            IF start_date >= end_date THEN
                RAISE EXCEPTION 'crime_backfill: start_date (%) must be before end_date (%)', start_date, end_date
                    USING ERRCODE = 'invalid_parameter_value';
            END IF;
            PERFORM crime.backfill_window_end(start_date, window_length, end_date);
            INSERT INTO crime.sync_runs (kind, watermark_before, watermark_after, details)
            VALUES ('backfill', watermark, watermark,
                    jsonb_build_object('range_start', start_date, 'range_end', end_date,
                                       'window_length', crime.interval_text(window_length)))
            RETURNING * INTO run;
            INSERT INTO crime.backfill_state AS b
                   (status, run_id, range_start, range_end, window_length, next_start, source_watermark)
            -- Not past the present (as in crime_sync(): a row dated in the future would hold the
            -- sync watermark there). None when the range leaves out crimes the portal has: a
            -- watermark would tell crime_sync() that it had them all, and it would never read
            -- those that do not change again.
            VALUES ('running', run.id, start_date, end_date, window_length, start_date,
                    CASE WHEN start_date <= portal.first_date AND end_date > portal.last_date
                         -- at most the local time of backfill_state.started_at, now(), which
                         -- the sync watermark's read_at will be
                         THEN least(portal.watermark, crime.portal_time(now())) END)
            ON CONFLICT (singleton) DO UPDATE
            SET status = EXCLUDED.status, run_id = EXCLUDED.run_id, range_start = EXCLUDED.range_start,
                range_end = EXCLUDED.range_end, window_length = EXCLUDED.window_length,
                next_start = EXCLUDED.next_start, source_watermark = EXCLUDED.source_watermark,
                windows_done = 0, rows_fetched = 0, started_at = now(), updated_at = now()
            RETURNING * INTO state;
        END IF;
        -- A portal that answers the range with far fewer crimes than the warehouse holds (empty,
        -- partial, another dataset) is refused before any window deletes; with the same ids
        -- missing but others in their place, as the windows delete.
        scope := format('of [%s, %s) in crime.incidents', state.next_start, state.range_end);
        compared := (SELECT count(*) FROM crime.incidents i
                     WHERE i.occurred_at >= state.next_start AND i.occurred_at < state.range_end);
        IF compared > 0 THEN
            PERFORM crime.check_delete_limit(
                max_delete,
                compared - (SELECT count(*) FROM crime.portal_crimes c
                            WHERE c.date >= state.next_start AND c.date < state.range_end),
                NULL, compared, scope);
        END IF;
    EXCEPTION WHEN OTHERS OR query_canceled THEN
        PERFORM crime.release_sync_lock();
        RAISE;
    END;
    COMMIT;
    PERFORM pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true);

    -- One transaction per step: each window, then the hand-over to crime_sync(). A window's rows
    -- and the progress that skips it commit together, so a resumed backfill neither repeats nor
    -- misses a window.
    LOOP
        BEGIN
            IF state.next_start < state.range_end THEN
                window_start := state.next_start;
                window_end := crime.backfill_window_end(window_start, state.window_length, state.range_end);
                -- Past the present, the rest of the range is one window: a crime dated in the
                -- far future (2099) would otherwise cost a request per empty week until then.
                IF window_start > crime.portal_time(now()) THEN
                    window_end := state.range_end;
                END IF;
                started := clock_timestamp();
                -- The tallies are recounted once, at the end (a backfill is also the way to
                -- repair crime.incidents after changes by hand, which the tallies do not know of).
                merged := crime.merge_incidents(occurred_from => window_start,
                                                occurred_before => window_end,
                                                delete_missing => true,
                                                keep_tallies => false);
                deleted_here := deleted_here + merged.deleted;
                PERFORM crime.check_delete_limit(max_delete, NULL, deleted_here, compared, scope);
                UPDATE crime.backfill_state b
                SET next_start = window_end, windows_done = b.windows_done + 1,
                    rows_fetched = b.rows_fetched + merged.fetched, updated_at = clock_timestamp()
                RETURNING * INTO state;
                UPDATE crime.sync_runs r
                SET rows_fetched = r.rows_fetched + merged.fetched, inserted = r.inserted + merged.inserted,
                    updated = r.updated + merged.updated, deleted = r.deleted + merged.deleted,
                    unchanged = r.unchanged + merged.fetched - merged.inserted - merged.updated,
                    details = r.details || jsonb_build_object('windows_done', state.windows_done,
                                                              'next_start', state.next_start)
                WHERE r.id = run.id;
            ELSE
                -- The hand-over. The watermark is the portal's greatest updated_on from before the
                -- first window, so the next sync re-reads everything changed during the backfill.
                -- An existing watermark (a backfill of a range into a warehouse that already
                -- syncs) is kept; a range that left out some of the portal's crimes sets none, so
                -- the next sync reads every row.
                IF NOT EXISTS (SELECT FROM crime.sync_state s WHERE s.watermark IS NOT NULL)
                   AND state.source_watermark IS NOT NULL THEN
                    -- Read when the backfill first started, which a resumed one is not.
                    INSERT INTO crime.sync_state AS s (watermark, run_id, read_at, updated_at)
                    VALUES (state.source_watermark, run.id, state.started_at, now())
                    ON CONFLICT (singleton) DO UPDATE
                    SET watermark = EXCLUDED.watermark, run_id = EXCLUDED.run_id,
                        read_at = EXCLUDED.read_at, updated_at = EXCLUDED.updated_at;
                END IF;
                changed := crime.rebuild_tallies() || crime.refresh_reference_data();
                run.views_refreshed := crime.refresh_views(changed);
                UPDATE crime.backfill_state SET status = 'done', updated_at = clock_timestamp();
                UPDATE crime.sync_runs r
                SET status = 'succeeded', finished_at = clock_timestamp(),
                    watermark_after = (SELECT s.watermark FROM crime.sync_state s),
                    views_refreshed = run.views_refreshed
                WHERE r.id = run.id
                RETURNING r.* INTO run;
            END IF;
        EXCEPTION WHEN OTHERS OR query_canceled THEN
            -- Record the failure (or cancel) for good, release the lock, then let it propagate.
            GET STACKED DIAGNOSTICS err_state = RETURNED_SQLSTATE, err_message = MESSAGE_TEXT,
                                    err_detail = PG_EXCEPTION_DETAIL, err_hint = PG_EXCEPTION_HINT,
                                    err_context = PG_EXCEPTION_CONTEXT;
            -- A second cancel (or an error) while the first is recorded leaves this handler
            -- with the lock held; crime.guard_session_lock() (armed by take_sync_lock) releases
            -- it when the transaction aborts. The run then stays 'running', which a resumed
            -- backfill marks 'interrupted'.
            PERFORM crime.record_run_error(run.id, err_state, err_message, err_detail, err_hint, err_context);
            COMMIT;
            PERFORM pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true);
            PERFORM crime.release_sync_lock();
            RAISE;
        END;
        COMMIT;
        PERFORM pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true);
        EXIT WHEN run.status = 'succeeded';
        seconds := extract(epoch FROM clock_timestamp() - started);
        RAISE NOTICE 'crime_backfill: [%, %): % rows (% new, % updated, % deleted) in % s, % rows/s',
                     window_start, window_end, merged.fetched, merged.inserted,
                     merged.updated, merged.deleted, round(seconds, 2),
                     CASE WHEN seconds > 0 THEN round(merged.fetched / seconds) END;
    END LOOP;
    PERFORM crime.release_sync_lock();
    RAISE NOTICE 'crime_backfill: done, [%, %) in % windows; crime_sync() continues from watermark %',
                 state.range_start, state.range_end, state.windows_done, run.watermark_after;
    PERFORM pg_catalog.set_config('search_path', caller_path, true);
END
$$;
COMMENT ON PROCEDURE @extschema@.crime_backfill(timestamp, timestamp, interval, boolean) IS
    'First load of crime.incidents in windows of occurrence date [start_date, end_date) (default: the portal''s whole range, from the Monday of its first week), window_length each (default 1 week), committing after each window with a NOTICE (window, rows, rows/s). Resumable: after a crash, cancel or timeout, CALL crime_backfill() again (without start_date/end_date) continues with the first uncommitted window; restart => true starts over. Each window is made equal to the portal (upsert by id, delete what the portal no longer has), so windows are never duplicated nor skipped; windows past the present are one. A backfill of the portal''s whole range is refused when the portal has a crime with no date; any backfill when the portal''s answer would delete more than chicago_crime.max_delete_fraction (default half) of the range''s local crimes. At the end, when the range covered all of the portal''s crimes and no watermark is set yet, it sets the sync watermark to the portal''s greatest updated_on from before the first window (at most the present; after a partial range none is set, and the next crime_sync() reads every row), recounts the tallies and refreshes reference data and views; crime_sync() then continues incrementally. Call it outside a transaction block';
