-- chicago_crime: CALL crime_backfill() loads in windows, one commit each; cancelled midway it
-- keeps exactly the committed windows, resumes where it stopped and ends in the same state as an
-- uninterrupted backfill; then crime_sync() continues incrementally.
--
-- Runs in a database of its own, against the local SODA server ($SODA_URL, by default
-- http://127.0.0.1:25480), on a clone of the bundled crimes dataset.
\set test_db warehouse_backfill_test
\ir warehouse/setup.psql

-- The end state of a backfill: everything but the times things were written and run ids.
CREATE FUNCTION pg_temp.end_state()
RETURNS text
LANGUAGE sql
AS $$
    SELECT pg_temp.warehouse_digest(ARRAY['incidents.synced_at', 'sync_state.updated_at', 'sync_state.run_id', 'sync_state.read_at',
                                          'backfill_state.run_id', 'backfill_state.started_at',
                                          'backfill_state.updated_at', 'views_state.present'])
$$;

CALL pg_temp.soda_control('/_control/datasets/ijzp-q8t2/clone?to=wtst-back');
-- Each request a little slow, so that the backfill is surely midway when it is cancelled.
SELECT 'delay=0.05,tag=' || md5(clock_timestamp()::text) AS slow_spec \gset
SELECT :'soda_url' || '/fault/' || :'slow_spec' AS slow_url \gset
ALTER SERVER chicago_data_portal OPTIONS (SET base_url :'slow_url');
ALTER FOREIGN TABLE crime.portal_crimes OPTIONS (SET dataset 'wtst-back');

SELECT dblink_connect('loader', :'peer') AS connected \gset
SELECT pid AS loader_pid FROM dblink('loader', 'SELECT pg_backend_pid()') AS t (pid integer) \gset

SELECT plan(88);

-------------------------------------------------------------------------------------------------
-- 1. Called where it cannot commit, it fails at once and does nothing
-------------------------------------------------------------------------------------------------
SELECT throws_ok('CALL crime_backfill()', '2D000', 'invalid transaction termination',
                 'crime_backfill() inside a function or transaction block fails at once');
-- (What it wrote would be rolled back with throws_ok's subtransaction; the portal's count is not.)
SELECT is(pg_temp.fault_requests(:'slow_spec'), 0::bigint, '... before asking the portal anything');
SELECT is((SELECT count(*) FROM crime.sync_runs), 0::bigint, '... and records nothing');

-------------------------------------------------------------------------------------------------
-- 2. A backfill by year, cancelled after 8 of its 26 windows
-------------------------------------------------------------------------------------------------
SELECT dblink_send_query('loader', $$CALL crime_backfill(window_length => '1 year')$$) AS sent \gset
SELECT ok(pg_temp.wait_until('coalesce((SELECT windows_done >= 8 FROM crime.backfill_state), false)'),
          'the backfill commits window after window');
SELECT ok(pg_cancel_backend(:loader_pid), 'cancel it');
SELECT ok(pg_temp.wait_until($$dblink_is_busy('loader') = 0$$), 'it stops');
SELECT is(count(*), 0::bigint, 'the cancelled CALL returns no result...')
FROM dblink_get_result('loader', false) AS t (status text);
SELECT matches(dblink_error_message('loader'), '^ERROR:  canceling statement due to user request', '... but the cancel');
SELECT count(*) AS drained FROM dblink_get_result('loader', false) AS t (status text) \gset

SELECT results_eq($$SELECT kind, status, error_sqlstate FROM crime.sync_runs$$,
                  $$VALUES ('backfill', 'cancelled', '57014')$$,
                  'the run is recorded as cancelled');
SELECT ok(status = 'running' AND windows_done BETWEEN 8 AND 25 AND next_start > range_start,
          'the progress shows an unfinished backfill') FROM crime.backfill_state;
SELECT is((SELECT count(*) FROM crime.incidents),
          (SELECT count(*) FROM crime.portal_crimes WHERE date < (SELECT next_start FROM crime.backfill_state)),
          'exactly the rows of the committed windows are loaded');
SELECT is((SELECT md5(string_agg(id || '/' || updated_at, ',' ORDER BY id)) FROM crime.incidents),
          (SELECT md5(string_agg(id || '/' || updated_on, ',' ORDER BY id)) FROM crime.portal_crimes
           WHERE date < (SELECT next_start FROM crime.backfill_state)),
          '... and they are those rows');
SELECT is((SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = 1919511909
                   AND database = (SELECT oid FROM pg_database WHERE datname = current_database())), 0::bigint,
          'the cancelled backfill released its lock');
SELECT is((SELECT watermark FROM crime.sync_state), NULL, 'no watermark yet');

SELECT throws_ok('SELECT crime_sync()', '55000', 'crime_sync() cannot run while a backfill is unfinished',
                 'crime_sync() refuses to run over an unfinished backfill');
SELECT is(dblink_exec('loader', $$CALL crime_backfill(start_date => '2005-01-01')$$, false), 'ERROR',
          'a backfill of another range is refused while one is unfinished');
SELECT matches(dblink_error_message('loader'), 'an unfinished backfill of \[2001-01-01 00:00:00, 2026-06-02 00:00:00\) is waiting to be resumed',
               '... naming the unfinished one');

-------------------------------------------------------------------------------------------------
-- 3. Resume: the same end state as an uninterrupted backfill
-------------------------------------------------------------------------------------------------
SELECT next_start AS cancelled_at FROM crime.backfill_state \gset
ALTER SERVER chicago_data_portal OPTIONS (SET base_url :'soda_url');
CALL crime_backfill();

SELECT ok(status = 'done' AND windows_done = 26 AND next_start = range_end, 'the resumed backfill finishes')
FROM crime.backfill_state;
SELECT is(array_agg(status || ' ' || coalesce(details ->> 'resumed_at', '-') ORDER BY id),
          ARRAY['cancelled -', 'succeeded ' || to_char(:'cancelled_at'::timestamp, 'YYYY-MM-DD"T"HH24:MI:SS')],
          'it is recorded as a second run that resumed where the first stopped')
FROM crime.sync_runs;
SELECT is((SELECT count(*) FROM crime.incidents), (SELECT count(*) FROM crime.portal_crimes),
          'every source row is loaded once');
SELECT is((SELECT md5(string_agg(id || '/' || updated_at, ',' ORDER BY id)) FROM crime.incidents),
          (SELECT md5(string_agg(id || '/' || updated_on, ',' ORDER BY id)) FROM crime.portal_crimes),
          'id/updated_at checksum equals the source''s');
SELECT is((SELECT watermark FROM crime.sync_state), (SELECT max(updated_on) FROM crime.portal_crimes),
          'the watermark is handed over to crime_sync()');
SELECT ok((SELECT read_at FROM crime.sync_state) = (SELECT started_at FROM crime.backfill_state)
          AND (SELECT started_at FROM crime.backfill_state) < (SELECT max(started_at) FROM crime.sync_runs),
          'with when the portal was read for it: when the backfill first started, not when it resumed');
SELECT is((SELECT count(*) FROM crime.monthly_trend WHERE incidents > 0), (SELECT count(*) FROM (
              SELECT DISTINCT date_trunc('month', date), primary_type FROM crime.portal_crimes
              UNION ALL SELECT DISTINCT date_trunc('month', date), NULL FROM crime.portal_crimes) AS s),
          'the views are refreshed');
SELECT pg_temp.end_state() AS resumed_state \gset

-- The same backfill, uninterrupted, from scratch.
TRUNCATE crime.incidents;
DELETE FROM crime.sync_state;
CALL crime_backfill(window_length => '1 year');
SELECT is(pg_temp.end_state(), :'resumed_state',
          'an uninterrupted backfill ends in the same state (rows, watermark, progress, reference data, views)');

-------------------------------------------------------------------------------------------------
-- 4. crime_sync() continues incrementally; a backfill of a range repairs without moving the watermark
-------------------------------------------------------------------------------------------------
CREATE TEMP TABLE run AS SELECT * FROM crime_sync();
SELECT ok(status = 'succeeded' AND inserted = 0 AND updated = 0 AND deleted = 0,
          'crime_sync() after the backfill finds nothing to do') FROM run;
SELECT ok(rows_fetched < 100, 'and reads only the rows since the watermark') FROM run;

DELETE FROM crime.incidents WHERE occurred_at >= '2014-01-10' AND occurred_at < '2014-01-20';
-- Under session settings that write dates and intervals otherwise (helper-48: German, MDY wrote
-- a window's bound 08.01.2014 and read it back as 1 August), the same windows and record.
SET DateStyle = 'German, MDY';
SET IntervalStyle = 'iso_8601';
CALL crime_backfill('2014-01-01', '2014-03-01');
RESET DateStyle;
RESET IntervalStyle;
SELECT is(details->>'window_length', '7 days', 'the run records its window length in one form, whatever IntervalStyle')
FROM crime.sync_runs ORDER BY id DESC LIMIT 1;
SELECT ok(status = 'done' AND window_length = '7 days' AND windows_done = 9,
          'by default a window is one week') FROM crime.backfill_state;
SELECT is(inserted, (SELECT count(*) FROM crime.portal_crimes WHERE date >= '2014-01-10' AND date < '2014-01-20'),
          'a backfill of a range puts back what is missing there') FROM crime.sync_runs ORDER BY id DESC LIMIT 1;
SELECT is((SELECT watermark FROM crime.sync_state), (SELECT watermark_before FROM run),
          'and leaves the sync watermark alone');
SELECT is((SELECT count(*) FROM crime.incidents), (SELECT count(*) FROM crime.portal_crimes),
          'the warehouse is complete again');
SELECT is(pg_temp.tallies_off(), '{}',
          'the backfill recounts the tallies: rows deleted by hand and put back are counted once');

-------------------------------------------------------------------------------------------------
-- 5. A window with no local rows is loaded as in a first load (crime.bulk_insert); one holding a
--    crime whose date moved into it from elsewhere falls back to the general re-sync
-------------------------------------------------------------------------------------------------
SELECT id AS moved_id FROM crime.incidents WHERE occurred_at < '2014-01-01' ORDER BY id LIMIT 1 \gset
CALL pg_temp.soda_control('/_control/datasets/wtst-back/upsert',
    format($$SELECT '[{"id": "%s", "date": "2014-01-12T10:00:00.000"}]'$$, :moved_id));
CREATE TEMP TABLE emptied AS
    SELECT id FROM crime.incidents WHERE occurred_at >= '2014-01-08' AND occurred_at < '2014-01-15';
DELETE FROM crime.incidents WHERE id IN (SELECT id FROM emptied);
CALL crime_backfill('2014-01-01', '2014-03-01');
SELECT ok(status = 'done' AND windows_done = 9, 'the backfill over an emptied window finishes') FROM crime.backfill_state;
SELECT ok(inserted = (SELECT count(*) FROM emptied) AND updated = 1,
          'it puts the window''s rows back and moves the crime whose date changed (an update, not a second row)')
FROM crime.sync_runs ORDER BY id DESC LIMIT 1;
SELECT is((SELECT occurred_at FROM crime.incidents WHERE id = :moved_id), '2014-01-12 10:00:00'::timestamp,
          'the moved crime has its new date');
SELECT is((SELECT md5(string_agg(id || '/' || occurred_at || '/' || updated_at, ',' ORDER BY id)) FROM crime.incidents),
          (SELECT md5(string_agg(id || '/' || date || '/' || updated_on, ',' ORDER BY id)) FROM crime.portal_crimes),
          'the warehouse equals the portal again');
SELECT is(pg_temp.tallies_off(), '{}', 'and its tallies are exact');

-------------------------------------------------------------------------------------------------
-- 5b. A crime the portal moved (without a newer updated_on) out of its window, to a later one or
--     out of the backfill's range, is looked up by id and updated, not deleted
-------------------------------------------------------------------------------------------------
SELECT id AS forward_id FROM crime.incidents
WHERE occurred_at >= '2014-01-01' AND occurred_at < '2014-01-08' ORDER BY id LIMIT 1 \gset
SELECT id AS away_id FROM crime.incidents
WHERE occurred_at >= '2014-01-01' AND occurred_at < '2014-01-08' ORDER BY id OFFSET 1 LIMIT 1 \gset
CALL pg_temp.soda_control('/_control/datasets/wtst-back/upsert',
    format($$SELECT '[{"id": "%s", "date": "2014-02-20T10:00:00.000"}, {"id": "%s", "date": "2016-05-05T05:00:00.000"}]'$$,
           :forward_id, :away_id));
CALL crime_backfill('2014-01-01', '2014-03-01');
SELECT ok(inserted = 0 AND updated = 2 AND deleted = 0,
          format('the two moved crimes count as updated, not as deleted (inserted %s, updated %s, deleted %s)',
                 inserted, updated, deleted))
FROM crime.sync_runs ORDER BY id DESC LIMIT 1;
SELECT is((SELECT occurred_at FROM crime.incidents WHERE id = :forward_id), '2014-02-20 10:00:00'::timestamp,
          'the crime moved to a later window has its new date');
SELECT is((SELECT occurred_at FROM crime.incidents WHERE id = :away_id), '2016-05-05 05:00:00'::timestamp,
          'the crime moved out of the range is kept, with its new date');
SELECT is(pg_temp.incidents_digest(), pg_temp.portal_digest(), 'the warehouse equals the portal');
SELECT is(pg_temp.tallies_off(), '{}', 'and its tallies are exact');
-- The lookup sends its ids to the portal: a list filtered locally would read the whole dataset.
CREATE FUNCTION pg_temp.socrata_query(query text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    line text;
BEGIN
    FOR line IN EXECUTE 'EXPLAIN (VERBOSE) ' || query LOOP
        IF line ~ 'Socrata query:' THEN
            RETURN line;
        END IF;
    END LOOP;
    RETURN NULL;
END $$;
SELECT matches(pg_temp.socrata_query(format(
                   'SELECT c.id FROM crime.portal_crimes c WHERE c.date IS NOT NULL AND c.id = ANY (%L::bigint[])',
                   (SELECT array_agg(g) FROM generate_series(9999999000, 9999999199) AS g))),
               'id IN \(9999999000,[0-9,]*,9999999199\)',
               'a lookup of 200 ten-digit ids (the most one request asks for) is pushed down whole');

-------------------------------------------------------------------------------------------------
-- 6. A row the portal dates in the future does not carry the watermark the backfill hands over
--    past the present (as in crime_sync())
-------------------------------------------------------------------------------------------------
SELECT id AS skewed_id FROM crime.incidents WHERE occurred_at >= '2014-02-01' ORDER BY id LIMIT 1 \gset
CALL pg_temp.soda_control('/_control/datasets/wtst-back/upsert',
    format($$SELECT '[{"id": "%s", "updated_on": "2099-01-01T00:00:00.000"}]'$$, :skewed_id));
-- And a crime whose date is in 2099: the default range reaches it, but the windows past the
-- present are one (they were 7 more here, and 3,900 empty weeks with the default window).
CALL pg_temp.soda_control('/_control/datasets/wtst-back/upsert', $$SELECT jsonb_build_array(jsonb_build_object(
    'id', '99999990', 'primary_type', 'THEFT', 'date', '2099-06-01T00:00:00.000', 'updated_on', '2020-01-01T00:00:00.000'))$$);
DELETE FROM crime.sync_state;
CALL crime_backfill(window_length => '10 years');
SELECT is((SELECT updated_at FROM crime.incidents WHERE id = :skewed_id), '2099-01-01'::timestamp,
          'the backfill loads the row dated in the future');
SELECT is((SELECT watermark FROM crime.sync_state),
          (SELECT crime.portal_time(read_at) FROM crime.sync_state),
          'and hands over a watermark that stops at the present: the local time it was read at');
SELECT is((SELECT occurred_at FROM crime.incidents WHERE id = 99999990), '2099-06-01'::timestamp,
          'it loads the crime dated 2099');
SELECT is(windows_done, (SELECT count(*) FROM generate_series(range_start, crime.portal_time(now()), window_length))::integer + 1,
          '... in one window from the first past the present') FROM crime.backfill_state;
CALL pg_temp.soda_control('/_control/datasets/wtst-back/delete', $$SELECT '{"ids": ["99999990"]}'$$);

-------------------------------------------------------------------------------------------------
-- 6b. A backfill of a range into a warehouse that has no watermark (a first load of a few months
--     only) hands over none: a watermark would tell crime_sync() that it had every crime, and it
--     would never read those outside the range that do not change again
-------------------------------------------------------------------------------------------------
TRUNCATE crime.incidents;
DELETE FROM crime.sync_state;
CALL crime_backfill('2014-01-01', '2014-03-01');
SELECT is((SELECT count(*) FROM crime.incidents),
          (SELECT count(*) FROM crime.portal_crimes WHERE date >= '2014-01-01' AND date < '2014-03-01'),
          'a backfill of a range into an empty warehouse loads the range');
SELECT is((SELECT watermark FROM crime.sync_state), NULL, 'and sets no watermark');
SET chicago_crime.detect_deletes = off;
SET client_min_messages = error; -- not the WARNING about the row of section 6, dated 2099
SELECT ok(status = 'succeeded' AND rows_fetched = (SELECT count(*) FROM crime.portal_crimes),
          'so the next sync reads every row, even without the deletion check')
FROM crime_sync();
RESET chicago_crime.detect_deletes;
SET client_min_messages = warning;
SELECT is(pg_temp.incidents_digest(), pg_temp.portal_digest(), 'and the warehouse equals the portal');
SELECT is(pg_temp.tallies_off(), '{}', 'with exact tallies');

-------------------------------------------------------------------------------------------------
-- 7. A second cancel that lands while the first one is being recorded: the backfill's session,
--    still open and idle, must not keep the warehouse lock (every other session's backfill and
--    sync would be refused, naming an idle backend, until it disconnects)
-------------------------------------------------------------------------------------------------
SELECT dblink_connect('blocker', :'peer') AS connected \gset
SELECT dblink_send_query('loader', $$CALL crime_backfill('2014-01-01', '2015-01-01', window_length => '1 month')$$) AS sent \gset
SELECT ok(pg_temp.wait_until($$coalesce((SELECT b.status = 'running' AND b.windows_done >= 1
                                               AND b.run_id = (SELECT max(r.id) FROM crime.sync_runs r)
                                        FROM crime.backfill_state b), false)$$),
          'a range backfill commits its first window');
SELECT run_id AS held_run FROM crime.backfill_state \gset
-- Another session locks the run's row: the backfill's next window waits for it.
SELECT dblink_exec('blocker', 'BEGIN') AS began \gset
SELECT id AS locked FROM dblink('blocker', format('SELECT id FROM crime.sync_runs WHERE id = %s FOR UPDATE', :held_run))
    AS t (id bigint) \gset
SELECT ok(pg_temp.wait_until(format($$(SELECT wait_event_type = 'Lock' FROM pg_stat_activity WHERE pid = %s)$$, :loader_pid)),
          'its next window waits for the run''s row, locked by another session');
-- The cancel stops that wait; the handler, recording the cancel in the same row, waits again.
SELECT ok(pg_cancel_backend(:loader_pid), 'cancel it');
SELECT pg_sleep(0.5) AS slept \gset
SELECT ok(pg_temp.wait_until(format($$(SELECT wait_event_type = 'Lock' FROM pg_stat_activity WHERE pid = %s)$$, :loader_pid)),
          'recording the cancel, it waits for the row again');
SELECT ok(pg_cancel_backend(:loader_pid), 'a second cancel lands there');
SELECT ok(pg_temp.wait_until($$dblink_is_busy('loader') = 0$$), 'it stops');
SELECT matches(dblink_error_message('loader'), '^ERROR:  canceling statement due to user request', 'with the cancel');
SELECT count(*) AS drained FROM dblink_get_result('loader', false) AS t (status text) \gset
SELECT dblink_exec('blocker', 'COMMIT') AS committed \gset
SELECT is(crime.sync_lock_holder(), NULL,
          'its session, still open, does not keep the warehouse lock');
CALL crime_backfill();
SELECT is((SELECT status FROM crime.sync_runs WHERE id = :held_run), 'interrupted',
          'another session resumes the backfill, and the run the cancel could not record is marked interrupted');
SELECT ok(status = 'done', 'the resumed backfill finishes') FROM crime.backfill_state;
SELECT dblink_disconnect('blocker') AS disconnected \gset

-------------------------------------------------------------------------------------------------
-- 8. Wherever a cancel lands, the backfill's session lets the lock go. PL/pgSQL checks for a
--    pending cancel before each statement, so one that arrives during a window's COMMIT is
--    raised just after it, outside any handler; crime.guard_session_lock() releases the lock on
--    any top-level abort instead. Shown here with the lock taken as the backfill takes it and an
--    error in a later transaction of the same session.
-------------------------------------------------------------------------------------------------
-- A fresh loader session (section 7's still has the cancelled CALL's result pending).
SELECT dblink_disconnect('loader') AS disconnected \gset
SELECT dblink_connect('loader', :'peer') AS connected \gset
SELECT pid AS loader_pid FROM dblink('loader', 'SELECT pg_backend_pid()') AS t (pid integer) \gset
SELECT taken FROM dblink('loader', 'SELECT crime.take_sync_lock(true)::text') AS t (taken text) \gset
SELECT is(crime.sync_lock_holder(), :loader_pid, 'the loader session holds the lock at session level');
SELECT dblink_exec('loader', $$DO 'BEGIN PERFORM 1 / 0; EXCEPTION WHEN division_by_zero THEN NULL; END'$$)
    AS caught \gset
SELECT is(crime.sync_lock_holder(), :loader_pid,
          'an error caught by a handler (a subtransaction, as a window''s) keeps it');
SELECT dblink_exec('loader', 'SELECT 1 / 0', false) AS failed \gset
SELECT is(crime.sync_lock_holder(), NULL,
          'an error that ends its transaction, outside any handler, releases it');
SELECT taken FROM dblink('loader', 'SELECT crime.take_sync_lock(true)::text') AS t (taken text) \gset
SELECT taken FROM dblink('loader', 'SELECT crime.release_sync_lock()::text') AS t (taken text) \gset
SELECT taken FROM dblink('loader', 'SELECT pg_advisory_lock(crime.sync_lock_key())::text') AS t (taken text) \gset
SELECT dblink_exec('loader', 'SELECT 1 / 0', false) AS failed \gset
SELECT is(crime.sync_lock_holder(), :loader_pid,
          'after release_sync_lock() the guard is off: a lock taken otherwise is left alone');
SELECT taken FROM dblink('loader', 'SELECT pg_advisory_unlock(crime.sync_lock_key())::text') AS t (taken text) \gset

-------------------------------------------------------------------------------------------------
-- 9. A window length that does not move a window forward is refused, at the start and when a
--    backfill is resumed, instead of committing the same window forever under the lock. '1 mon
--    -29 days' compares as one day, but 2014-01-30 plus it is 2014-01-30. (A statement_timeout
--    in the loader session bounds the loop the old code entered.)
-------------------------------------------------------------------------------------------------
SELECT dblink_exec('loader', $$SET statement_timeout = '30s'$$) AS set_timeout \gset
SELECT count(*) AS runs_before FROM crime.sync_runs \gset
SELECT is(dblink_exec('loader', $$CALL crime_backfill('2014-01-30', '2014-03-01', window_length => '1 mon -29 days')$$, false),
          'ERROR', 'a window length of mixed signs that goes nowhere from start_date is refused');
SELECT matches(dblink_error_message('loader'),
               'window_length 1 mon -29 days does not move a window forward from 2014-01-30',
               '... naming the length and the date');
SELECT ok((SELECT count(*) FROM crime.sync_runs) = :runs_before
          AND (SELECT status FROM crime.backfill_state) = 'done',
          '... before anything is recorded or started');
-- An unfinished backfill, as a session that died leaves it.
UPDATE crime.backfill_state
SET status = 'running', range_start = '2014-01-01', range_end = '2014-03-01', next_start = '2014-01-30',
    window_length = '7 days';
SELECT is(dblink_exec('loader', $$CALL crime_backfill(window_length => '0')$$, false), 'ERROR',
          'resuming it with a zero length is refused');
SELECT is(dblink_exec('loader', $$CALL crime_backfill(window_length => '1 mon -29 days')$$, false), 'ERROR',
          'resuming it with a length that goes nowhere from where it stopped is refused');
SELECT matches(dblink_error_message('loader'), 'does not move a window forward from 2014-01-30', '... naming where it stopped');
SELECT ok(window_length = '7 days' AND next_start = '2014-01-30' AND status = 'running'
          AND (SELECT count(*) FROM crime.sync_runs) = :runs_before,
          'neither is stored or recorded: the backfill can still be resumed')
FROM crime.backfill_state;
SELECT is(crime.sync_lock_holder(), NULL, 'and the lock is free');
SET statement_timeout = '60s';
CALL crime_backfill();
RESET statement_timeout;
SELECT ok(status = 'done' AND next_start = range_end, 'resumed with its own length, it finishes')
FROM crime.backfill_state;
SELECT is(pg_temp.incidents_digest(), pg_temp.portal_digest(), 'the warehouse equals the portal');

-------------------------------------------------------------------------------------------------
-- 10. The caller's search_path does not reach the backfill's code: a function placed before
--     pg_catalog that shadows a built-in one (as another role's schema could) is not called
-------------------------------------------------------------------------------------------------
CREATE SCHEMA shadow;
CREATE TABLE shadow.calls (called_at timestamptz);
CREATE FUNCTION shadow.clock_timestamp() RETURNS timestamptz LANGUAGE sql VOLATILE AS $$
    INSERT INTO shadow.calls VALUES (pg_catalog.clock_timestamp());
    SELECT pg_catalog.clock_timestamp();
$$;
SET search_path = shadow, pg_catalog, public;
SELECT clock_timestamp() AS called \gset
SELECT is((SELECT count(*) FROM shadow.calls), 1::bigint,
          'with the caller''s path, clock_timestamp() is the shadowing function');
CALL crime_backfill('2014-01-01', '2014-02-01');
RESET search_path;
SELECT is((SELECT count(*) FROM shadow.calls), 1::bigint, 'the backfill does not call it');
SELECT ok(status = 'done', 'and finishes') FROM crime.backfill_state;
-- Called from a DO block, which goes on after it in the transaction its last COMMIT began: the
-- block has the caller's search_path again, in which crime_sync() is found.
SET search_path = public, pg_catalog;
DO $$
BEGIN
    CALL crime_backfill('2014-01-01', '2014-02-01');
    PERFORM set_config('warehouse_test.path_after_backfill', current_setting('search_path'), false);
END $$;
RESET search_path;
SELECT is(current_setting('warehouse_test.path_after_backfill'), 'public, pg_catalog',
          'after the backfill, a DO block that called it has its own search_path again');

-------------------------------------------------------------------------------------------------
-- 11. A portal that answers a range with far fewer crimes than the warehouse holds there (empty,
--     partial, another dataset) is refused before any window deletes; a crime with no date fails
--     the backfill, as it fails a sync, instead of being in no window
-------------------------------------------------------------------------------------------------
CALL pg_temp.soda_control('/_control/datasets/wtst-back/clone?to=wtst-bfew');
CREATE TEMP TABLE missing_2014 AS
    SELECT id FROM crime.incidents
    WHERE occurred_at >= '2014-01-01' AND occurred_at < '2015-01-01' AND id % 3 <> 0;
CALL pg_temp.soda_control('/_control/datasets/wtst-bfew/delete', $$
    SELECT jsonb_build_object('ids', jsonb_agg(id::text)) FROM missing_2014$$);
ALTER FOREIGN TABLE crime.portal_crimes OPTIONS (SET dataset 'wtst-bfew');
SELECT pg_temp.incidents_digest() AS digest_before_few, (SELECT count(*) FROM crime.sync_runs) AS runs_before_few \gset
SELECT is(dblink_exec('loader', $$CALL crime_backfill('2014-01-01', '2015-01-01')$$, false), 'ERROR',
          'a range backfill from a portal lacking two crimes in three of the range is refused');
SELECT matches(dblink_error_message('loader'),
               format('the portal has %s crimes fewer than the %s of \[2014-01-01 00:00:00, 2015-01-01 00:00:00\) in crime\.incidents, more than chicago_crime\.max_delete_fraction \(0\.5\)',
                      (SELECT count(*) FROM missing_2014),
                      (SELECT count(*) FROM crime.incidents WHERE occurred_at >= '2014-01-01' AND occurred_at < '2015-01-01')),
               '... naming how many of how many');
SELECT is(pg_temp.incidents_digest(), :'digest_before_few', '... before any window deleted');
SELECT ok((SELECT count(*) FROM crime.sync_runs) = :runs_before_few AND crime.sync_lock_holder() IS NULL,
          '... or anything was recorded, and the lock is free');
ALTER FOREIGN TABLE crime.portal_crimes OPTIONS (SET dataset 'wtst-back');
CALL pg_temp.soda_control('/_control/datasets/wtst-back/upsert', $$SELECT jsonb_build_array(jsonb_build_object(
    'id', '99999991', 'primary_type', 'THEFT', 'updated_on', '2020-01-01T00:00:00.000'))$$);
SELECT is(dblink_exec('loader', $$CALL crime_backfill(window_length => '10 years')$$, false), 'ERROR',
          'a backfill of the whole range from a portal with a crime that has no date is refused');
SELECT matches(dblink_error_message('loader'), '^ERROR:  the portal has 1 crime with no date', '... saying so');
SELECT is(dblink_exec('loader', $$CALL crime_backfill('2014-01-01', '2014-02-01')$$, false), 'CALL',
          'a range repair goes on (the crime is in no range)');
CALL pg_temp.soda_control('/_control/datasets/wtst-back/delete', $$SELECT '{"ids": ["99999991"]}'$$);

SELECT * FROM finish();

SELECT dblink_disconnect('loader') AS disconnected \gset
CALL pg_temp.soda_control('/_control/datasets/wtst-back/drop');
CALL pg_temp.soda_control('/_control/datasets/wtst-bfew/drop');
\c :origin_db
DROP DATABASE :"test_db";
