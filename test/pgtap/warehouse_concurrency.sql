-- chicago_crime: two syncs (or a sync and a backfill, or two backfills) never run at once: the
-- second is refused with a clear "already running" error (SQLSTATE 55P03), records nothing, and
-- the first completes correctly.
--
-- Runs in a database of its own, against the local SODA server ($SODA_URL, by default
-- http://127.0.0.1:25480), on a clone of the bundled crimes dataset. The concurrent sessions are
-- dblink connections.
\set test_db warehouse_concurrency_test
\ir warehouse/setup.psql

-- The DETAIL and HINT of the error a statement raises.
CREATE FUNCTION pg_temp.error_detail(statement text, OUT detail text, OUT hint text)
LANGUAGE plpgsql
AS $$
BEGIN
    EXECUTE statement;
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS detail = PG_EXCEPTION_DETAIL, hint = PG_EXCEPTION_HINT;
END
$$;

-- Whether a backend holds the warehouse's advisory lock.
CREATE FUNCTION pg_temp.holds_sync_lock(backend integer)
RETURNS boolean
LANGUAGE sql
AS $$
    SELECT EXISTS (SELECT FROM pg_locks
                   WHERE locktype = 'advisory' AND classid = 99 AND objid = 1919511909
                     AND objsubid = 1 AND granted AND pid = backend)
$$;

CALL pg_temp.soda_control('/_control/datasets/ijzp-q8t2/clone?to=wtst-conc');
ALTER FOREIGN TABLE crime.portal_crimes OPTIONS (SET dataset 'wtst-conc');

SELECT dblink_connect('first', :'peer') AS connected \gset
SELECT dblink_connect('other', :'peer') AS connected \gset
SELECT pid AS first_pid FROM dblink('first', 'SELECT pg_backend_pid()') AS t (pid integer) \gset

SELECT plan(24);

SELECT is(status, 'succeeded', 'the first load succeeds') FROM crime_sync();

-- 10 rows change at the source; every request is then a little slow, so that the runs overlap.
CALL pg_temp.soda_control('/_control/datasets/wtst-conc/upsert', $$
    SELECT jsonb_agg(jsonb_build_object('id', id::text, 'description', 'CHANGED DURING THE RACE',
                                        'updated_on', '2026-07-01T10:00:00.000'))
    FROM (SELECT id FROM crime.incidents ORDER BY id DESC LIMIT 10) AS s$$);
SELECT :'soda_url' || '/fault/delay=0.1,tag=' || md5(clock_timestamp()::text) AS slow_url \gset
ALTER SERVER chicago_data_portal OPTIONS (SET base_url :'slow_url');

-------------------------------------------------------------------------------------------------
-- 1. A sync is running: a second sync and a backfill are refused
-------------------------------------------------------------------------------------------------
SELECT dblink_send_query('first', 'SELECT status, updated FROM crime_sync()') AS sent \gset
SELECT ok(pg_temp.wait_until(format('pg_temp.holds_sync_lock(%s)', :first_pid)), 'a sync is running');

SELECT throws_ok('SELECT crime_sync()', '55P03',
                 'a chicago_crime sync or backfill is already running in database "warehouse_concurrency_test"',
                 'a second sync is refused: already running');
-- One call for both (each call is a sync should the first one have ended).
SELECT * FROM pg_temp.error_detail('SELECT crime_sync()') \gset refused_
SELECT is(:'refused_detail',
          format('Backend PID %s holds the warehouse''s advisory lock.', :first_pid),
          '... naming the backend that runs the first');
-- The running sync's row in crime.sync_runs is not committed yet: the hint must not send the
-- user there to see it. (A guard on that premise: should crime_sync() ever record its start in
-- a transaction of its own, this fails and the hint must change.)
SELECT is((SELECT count(*) FROM crime.sync_runs WHERE status = 'running'), 0::bigint,
          'the running sync is not visible in crime.sync_runs (the premise of the hint)');
SELECT is(:'refused_hint'::text,
          'Wait for it to finish and try again. pg_stat_activity shows what that backend runs; a sync shows in crime.sync_runs once its transaction commits, a backfill once it has read the portal''s range (and its progress in crime.backfill_state).',
          '... and the hint says where a run in progress shows');
SELECT is(dblink_exec('other', 'CALL crime_backfill()', false), 'ERROR', 'a backfill is refused too');
SELECT matches(dblink_error_message('other'), 'already running', '... as already running');
SELECT ok(pg_temp.holds_sync_lock(:first_pid), 'the refusals happened while the first sync was running');

SELECT ok(pg_temp.wait_until($$dblink_is_busy('first') = 0$$), 'the first sync finishes');
SELECT results_eq($$SELECT * FROM dblink_get_result('first') AS t (status text, updated bigint)$$,
                  $$VALUES ('succeeded', 10::bigint)$$,
                  'the first sync succeeds and applies the 10 changes');
SELECT count(*) AS drained FROM dblink_get_result('first') AS t (status text, updated bigint) \gset
SELECT is((SELECT count(*) FROM crime.sync_runs), 2::bigint, 'the refused attempts recorded nothing');
SELECT is((SELECT count(*) FROM crime.incidents WHERE description = 'CHANGED DURING THE RACE'), 10::bigint,
          'the changes are in');
SELECT ok(NOT pg_temp.holds_sync_lock(:first_pid), 'the lock is released with the transaction');
SELECT ok(status = 'succeeded' AND inserted + updated + deleted = 0, 'the next sync runs normally')
FROM crime_sync();

-------------------------------------------------------------------------------------------------
-- 2. A backfill is running: a sync and a second backfill are refused
-------------------------------------------------------------------------------------------------
SELECT dblink_send_query('first', $$CALL crime_backfill(window_length => '5 years')$$) AS sent \gset
SELECT ok(pg_temp.wait_until(format('pg_temp.holds_sync_lock(%s)', :first_pid)), 'a backfill is running');
SELECT throws_ok('SELECT crime_sync()', '55P03', NULL, 'a sync is refused while a backfill runs');
SELECT is(dblink_exec('other', $$CALL crime_backfill(window_length => '1 month', restart => true)$$, false), 'ERROR',
          'a second backfill is refused');
SELECT matches(dblink_error_message('other'), 'already running', '... as already running');
SELECT ok(pg_temp.holds_sync_lock(:first_pid), 'the refusals happened while the backfill was running');

SELECT ok(pg_temp.wait_until($$dblink_is_busy('first') = 0$$), 'the backfill finishes');
SELECT results_eq($$SELECT * FROM dblink_get_result('first') AS t (status text)$$, $$VALUES ('CALL')$$,
                  'it succeeds');
SELECT count(*) AS drained FROM dblink_get_result('first') AS t (status text) \gset
SELECT ok(status = 'done' AND window_length = '5 years', 'the progress is the first backfill''s') FROM crime.backfill_state;
SELECT is((SELECT md5(string_agg(id || '/' || updated_at || '/' || description, ',' ORDER BY id)) FROM crime.incidents),
          (SELECT md5(string_agg(id || '/' || updated_on || '/' || description, ',' ORDER BY id)) FROM crime.portal_crimes),
          'the warehouse equals the source');

SELECT * FROM finish();

SELECT dblink_disconnect('first') AS disconnected \gset
SELECT dblink_disconnect('other') AS disconnected \gset
CALL pg_temp.soda_control('/_control/datasets/wtst-conc/drop');
\c :origin_db
DROP DATABASE :"test_db";
