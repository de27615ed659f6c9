-- chicago_crime: a sync that fails midway (the portal fails on page N, a reference dataset is
-- gone, a bad setting) leaves every table, view and the watermark exactly as they were, records the
-- failure in crime.sync_runs, and the scheduled form fails the job; the next good run catches up.
-- A first load that fails or is cancelled leaves crime.incidents empty, its indexes as declared.
--
-- Runs in a database of its own, against the local SODA server ($SODA_URL, by default
-- http://127.0.0.1:25480), on a clone of the bundled crimes dataset.
\set test_db warehouse_failure_test
\ir warehouse/setup.psql
-- crime_sync() reports each failure with a WARNING too: expected here, not shown
SET client_min_messages = error;

CALL pg_temp.soda_control('/_control/datasets/ijzp-q8t2/clone?to=wtst-fail');
ALTER SERVER chicago_data_portal OPTIONS (ADD max_retries '0');
ALTER FOREIGN TABLE crime.portal_crimes OPTIONS (SET dataset 'wtst-fail');

SELECT plan(77);

-------------------------------------------------------------------------------------------------
-- 0. A first load that fails or is cancelled midway. It writes through crime.bulk_insert into
--    the table whose indexes and primary key it dropped: all of that is rolled back.
-------------------------------------------------------------------------------------------------
CREATE TEMP TABLE declared_indexes AS
    SELECT pg_get_indexdef(indexrelid) AS def FROM pg_index WHERE indrelid = 'crime.incidents'::regclass;
-- Requests: the metadata, the row count, then the pages: the 5th request is the 3rd page.
SELECT 'status=500,after=4,tag=' || md5(clock_timestamp()::text) AS first_fault \gset
SELECT :'soda_url' || '/fault/' || :'first_fault' AS first_fault_url \gset
ALTER SERVER chicago_data_portal OPTIONS (SET base_url :'first_fault_url');
ALTER FOREIGN TABLE crime.portal_crimes OPTIONS (ADD page_size '100');
CREATE TEMP TABLE run_0 AS SELECT * FROM crime_sync();
SELECT is(status, 'failed', 'a first load that fails on its 3rd page returns status failed') FROM run_0;
SELECT is(pg_temp.fault_requests(:'first_fault'), 5::bigint, '... after two pages were loaded');
SELECT is((SELECT count(*) FROM crime.incidents), 0::bigint, '... and leaves crime.incidents empty');
SELECT set_eq($$SELECT pg_get_indexdef(indexrelid) FROM pg_index WHERE indrelid = 'crime.incidents'::regclass$$,
              $$SELECT def FROM declared_indexes$$, '... with its indexes and primary key, as declared');

-- Cancelled by statement_timeout in another session, the portal answering each page in 50 ms.
SELECT :'soda_url' || '/fault/delay=0.05,tag=' || md5(clock_timestamp()::text) AS slow_url \gset
ALTER SERVER chicago_data_portal OPTIONS (SET base_url :'slow_url');
SELECT dblink_connect('canceller', :'peer') AS connected \gset
SELECT clock_timestamp() AS cancel_started \gset
SELECT is(dblink_exec('canceller', $$SET statement_timeout = '1s'; SELECT crime_sync()$$, false), 'ERROR',
          'a first load past statement_timeout is stopped');
SELECT cmp_ok(clock_timestamp() - :'cancel_started'::timestamptz, '<', interval '5 seconds',
              'promptly (under 5 s from the start; the whole load would take over 30 s)');
SELECT matches(dblink_error_message('canceller'), 'statement timeout', '... by the timeout, in Postgres''s own words');
SELECT is((SELECT count(*) FROM crime.incidents), 0::bigint, '... leaving crime.incidents empty');
SELECT set_eq($$SELECT pg_get_indexdef(indexrelid) FROM pg_index WHERE indrelid = 'crime.incidents'::regclass$$,
              $$SELECT def FROM declared_indexes$$, '... with its indexes and primary key');
SELECT dblink_disconnect('canceller') AS disconnected \gset

-- A portal, or a cache in front of it, that answers every page with the first one (requests 0 and
-- 1 are the metadata and the pushed-down count): the load fails at the second page, instead of
-- filling the table, and the disk, until someone notices.
SELECT 'replay=1,after=2,tag=' || md5(clock_timestamp()::text) AS replay_fault \gset
SELECT :'soda_url' || '/fault/' || :'replay_fault' AS replay_url \gset
ALTER SERVER chicago_data_portal OPTIONS (SET base_url :'replay_url');
CREATE TEMP TABLE run_0r AS SELECT * FROM crime_sync();
SELECT is(status || ': ' || error, 'failed: the portal sent its first page again',
          'a first load from a portal that sends its first page again fails, saying so') FROM run_0r;
SELECT is(pg_temp.fault_requests(:'replay_fault'), 4::bigint, '... at the second page');
SELECT is((SELECT count(*) FROM crime.incidents), 0::bigint, '... leaving crime.incidents empty');
ALTER SERVER chicago_data_portal OPTIONS (SET base_url :'soda_url');
ALTER FOREIGN TABLE crime.portal_crimes OPTIONS (DROP page_size);

-- An index_build_memory that maintenance_work_mem would refuse fails the first load before it
-- fetches anything, naming the setting (not maintenance_work_mem, which the user never set).
SET chicago_crime.index_build_memory = '512kB';
CREATE TEMP TABLE run_0m AS SELECT * FROM crime_sync();
RESET chicago_crime.index_build_memory;
SELECT is(status || ': ' || error,
          'failed: chicago_crime.index_build_memory must be -1 or a value maintenance_work_mem accepts, not "512kB"',
          'a first load with chicago_crime.index_build_memory below 1MB fails, naming the setting') FROM run_0m;
SELECT is((SELECT count(*) FROM crime.incidents), 0::bigint, '... leaving crime.incidents empty');
SELECT cmp_ok(pg_relation_size('crime.incidents'), '>', 0::bigint,
              'the aborted loads left their pages in the file (dead rows)');

SELECT is(status, 'succeeded', 'the first load succeeds') FROM crime_sync();
SELECT is(pg_relation_size('crime.incidents') / current_setting('block_size')::bigint,
          (SELECT count(DISTINCT (ctid::text::point)[0])::bigint FROM crime.incidents),
          '... into a new file: every page holds loaded rows, none is left from the aborted loads');

-- The portal changes: 250 rows updated, 10 deleted.
CREATE TEMP TABLE changes AS
SELECT id, CASE WHEN n <= 250 THEN 'update' ELSE 'delete' END AS kind
FROM (SELECT id, row_number() OVER (ORDER BY id) AS n FROM crime.incidents) AS s
WHERE n <= 260;
CALL pg_temp.soda_control('/_control/datasets/wtst-fail/upsert', $$
    SELECT jsonb_agg(jsonb_build_object('id', id::text, 'description', 'CHANGED AT THE SOURCE',
                                        'updated_on', '2026-07-01T10:00:00.000'))
    FROM changes WHERE kind = 'update'$$);
CALL pg_temp.soda_control('/_control/datasets/wtst-fail/delete', $$
    SELECT jsonb_build_object('ids', jsonb_agg(id::text)) FROM changes WHERE kind = 'delete'$$);

SELECT pg_temp.warehouse_digest() AS digest_before,
       (SELECT watermark FROM crime.sync_state) AS watermark_before \gset

-------------------------------------------------------------------------------------------------
-- A. The portal fails on the 3rd page of the changed rows, after two good ones were merged
-------------------------------------------------------------------------------------------------
-- Requests: the metadata, the summary, then the pages: the 5th request is the 3rd page.
SELECT 'status=500,after=4,tag=' || md5(clock_timestamp()::text) AS fault_spec \gset
SELECT :'soda_url' || '/fault/' || :'fault_spec' AS fault_url \gset
ALTER SERVER chicago_data_portal OPTIONS (SET base_url :'fault_url');
-- 100 rows a page: the 250 changed rows take 3 pages
ALTER FOREIGN TABLE crime.portal_crimes OPTIONS (ADD page_size '100');

CREATE TEMP TABLE run_a AS SELECT * FROM crime_sync();
SELECT is(status, 'failed', 'a sync that fails midway returns status failed') FROM run_a;
SELECT is(pg_temp.fault_requests(:'fault_spec'), 5::bigint, 'it failed on the 5th request, the 3rd page, after 2 pages were merged');
SELECT matches(error, 'HTTP 500', 'the error text is recorded') FROM run_a;
SELECT is(error_sqlstate, 'HV000', 'its SQLSTATE is recorded') FROM run_a;
SELECT matches(error_detail, 'crime\.merge_incidents', 'so is where it happened') FROM run_a;
SELECT matches(error_detail, E'\nCONTEXT: reading foreign table crime\\.portal_crimes \\(dataset wtst-fail\\)\n',
               'and which foreign table was being read') FROM run_a;
SELECT ok(inserted = 0 AND updated = 0 AND deleted = 0 AND views_refreshed = '{}',
          'a failed run reports nothing applied') FROM run_a;
SELECT is(watermark_after, watermark_before, 'a failed run reports the watermark unchanged') FROM run_a;
SELECT is(pg_temp.warehouse_digest(), :'digest_before', 'rows, reference tables, views and watermark are unchanged');
SELECT results_eq($$SELECT status, error FROM crime.sync_runs ORDER BY id DESC LIMIT 1$$,
                  $$SELECT status, error FROM run_a$$,
                  'the failure is recorded in crime.sync_runs');

-------------------------------------------------------------------------------------------------
-- B. A late failure: the changed rows were already merged (inside the run) when the ward offices
--    dataset turns out to be gone
-------------------------------------------------------------------------------------------------
ALTER SERVER chicago_data_portal OPTIONS (SET base_url :'soda_url');
ALTER FOREIGN TABLE crime.portal_crimes OPTIONS (DROP page_size);
ALTER FOREIGN TABLE crime.portal_ward_offices OPTIONS (SET dataset 'gone-0000');

CREATE TEMP TABLE run_b AS SELECT * FROM crime_sync();
SELECT is(status, 'failed', 'a sync that fails late returns status failed') FROM run_b;
SELECT matches(error, 'HTTP 404', 'with the portal''s error') FROM run_b;
SELECT matches(error_detail, 'crime\.refresh_reference_data', 'after the incidents were merged') FROM run_b;
SELECT matches(error_detail, 'reading foreign table crime\.portal_ward_offices \(dataset gone-0000\)',
               'in reading the ward offices') FROM run_b;
SELECT is(pg_temp.warehouse_digest(), :'digest_before', 'the merged rows are rolled back: nothing changed');
SELECT is((SELECT watermark FROM crime.sync_state), :'watermark_before'::timestamp, 'the watermark did not move');

-------------------------------------------------------------------------------------------------
-- C. The scheduled form (what pg_cron runs) records the failure and fails the job
-------------------------------------------------------------------------------------------------
SELECT dblink_connect('peer', :'peer') AS connected \gset
SELECT count(*) AS failed_before FROM crime.sync_runs WHERE status = 'failed' \gset

SELECT is(dblink_exec('peer', 'CALL crime.run_scheduled_sync()', false), 'ERROR',
          'CALL crime.run_scheduled_sync() raises an error when the sync fails');
SELECT matches(dblink_error_message('peer'), 'crime_sync\(\) run \d+ failed: .*HTTP 404',
               'the error names the run and the cause');
SELECT is((SELECT count(*) FROM crime.sync_runs WHERE status = 'failed'), :failed_before + 1::bigint,
          'the failed run is committed to crime.sync_runs all the same');
SELECT is(pg_temp.warehouse_digest(), :'digest_before', 'and nothing changed');

-------------------------------------------------------------------------------------------------
-- D. A bad setting is a failure like any other
-------------------------------------------------------------------------------------------------
ALTER FOREIGN TABLE crime.portal_ward_offices OPTIONS (SET dataset 'htai-wnw4');
SET chicago_crime.sync_overlap = '-1 hour';
CREATE TEMP TABLE run_d AS SELECT * FROM crime_sync();
RESET chicago_crime.sync_overlap;
SELECT is(status, 'failed', 'a negative chicago_crime.sync_overlap fails the run') FROM run_d;
SELECT is(error, 'chicago_crime.sync_overlap must not be negative, not -01:00:00', 'with a clear error') FROM run_d;
SELECT is(pg_temp.warehouse_digest(), :'digest_before', 'and nothing changed');
-- Mixed signs: the interval compares as +1 day, but taken from a watermark in March it gives a
-- later time (a month back is 28 days, then 29 forward), which would skip a day of updates.
BEGIN;
UPDATE crime.sync_state SET watermark = '2026-03-10 12:00';
SET LOCAL chicago_crime.sync_overlap = '1 mon -29 days';
SELECT status AS mixed_status, error AS mixed_error, error_detail AS mixed_detail FROM crime_sync() \gset
ROLLBACK;
SELECT is(:'mixed_status'::text, 'failed', 'a sync_overlap that moves the watermark forward fails the run');
SELECT is(:'mixed_error'::text, 'chicago_crime.sync_overlap must not be negative, not 1 mon -29 days', 'as negative');
SELECT matches(:'mixed_detail'::text, '^DETAIL: Subtracted from 2026-03-10 12:00:00 it gives 2026-03-11 12:00:00, a later time\.',
               'the detail shows where it leads');
SET chicago_crime.full_check_interval = '-1 day';
CREATE TEMP TABLE run_d3 AS SELECT * FROM crime_sync();
RESET chicago_crime.full_check_interval;
SELECT is(error, 'chicago_crime.full_check_interval must not be negative, not -1 days',
          'a negative chicago_crime.full_check_interval fails the run with a clear error') FROM run_d3;
SELECT is(pg_temp.warehouse_digest(), :'digest_before', 'and nothing changed');
-- A value its type cannot read names the setting (it once failed with the cast's bare words).
SET chicago_crime.sync_overlap = 'a day';
SET chicago_crime.detect_deletes = 'sometimes';
CREATE TEMP TABLE run_d_overlap AS SELECT * FROM crime_sync();
RESET chicago_crime.sync_overlap;
SELECT is(error, 'chicago_crime.sync_overlap must be of type interval, not "a day"',
          'an unreadable chicago_crime.sync_overlap fails the run, naming the setting') FROM run_d_overlap;
CREATE TEMP TABLE run_d_deletes AS SELECT * FROM crime_sync();
RESET chicago_crime.detect_deletes;
SELECT is(error, 'chicago_crime.detect_deletes must be of type boolean, not "sometimes"',
          'so does an unreadable chicago_crime.detect_deletes') FROM run_d_deletes;
SELECT is(pg_temp.warehouse_digest(), :'digest_before', 'and nothing changed');

-------------------------------------------------------------------------------------------------
-- D2. Tallies that no longer match crime.incidents (changed by hand) fail the run, with the way out
-------------------------------------------------------------------------------------------------
UPDATE crime.tally_day SET incidents = 0
WHERE day = (SELECT occurred_at::date FROM crime.incidents
             WHERE id = (SELECT min(id) FROM changes WHERE kind = 'delete'));
SELECT pg_temp.warehouse_digest() AS digest_broken \gset
CREATE TEMP TABLE run_d2 AS SELECT * FROM crime_sync();
SELECT is(status, 'failed', 'a sync that would take a tally below zero fails') FROM run_d2;
SELECT is(error, 'the tallies no longer match crime.incidents: a count went below zero',
          'saying that the tallies are off') FROM run_d2;
SELECT matches(error_detail, 'SELECT crime\.refresh_views\(crime\.rebuild_tallies\(\)\)', 'and how to recount them') FROM run_d2;
SELECT is(pg_temp.warehouse_digest(), :'digest_broken', 'and nothing changed');
SELECT crime.rebuild_tallies() AS recounted \gset
SELECT is(pg_temp.warehouse_digest(), :'digest_before', 'crime.rebuild_tallies() puts the counts right');

-------------------------------------------------------------------------------------------------
-- D3. A portal row the warehouse cannot hold (no date: it belongs to no day or month) fails the
--     run, naming the row, rather than being skipped and lost without a trace
-------------------------------------------------------------------------------------------------
CALL pg_temp.soda_control('/_control/datasets/wtst-fail/upsert', $$
    SELECT jsonb_build_array(jsonb_build_object('id', '99999999', 'primary_type', 'THEFT',
                                                'updated_on', '2026-07-01T11:00:00.000'))$$);
CREATE TEMP TABLE run_d4 AS SELECT * FROM crime_sync();
SELECT is(error, 'null value in column "occurred_at" of relation "incidents" violates not-null constraint',
          'a portal row with no date fails the run') FROM run_d4;
SELECT matches(error_detail, '^DETAIL: Failing row contains \(99999999, ', 'the detail names the row') FROM run_d4;
SELECT is(pg_temp.warehouse_digest(), :'digest_before', 'and nothing changed');
CALL pg_temp.soda_control('/_control/datasets/wtst-fail/delete', $$SELECT '{"ids": ["99999999"]}'$$);

-------------------------------------------------------------------------------------------------
-- D4. A crime with no date that the incremental pass does not read (its updated_on is older than
--     the watermark) fails the run too: the totals differ, and the months name no month for it
-------------------------------------------------------------------------------------------------
CALL pg_temp.soda_control('/_control/datasets/wtst-fail/upsert', $$
    SELECT jsonb_build_array(jsonb_build_object('id', '99999998', 'primary_type', 'THEFT',
                                                'updated_on', '2001-01-01T00:00:00.000'))$$);
CREATE TEMP TABLE run_d5 AS SELECT * FROM crime_sync();
SELECT is(status || ': ' || error || ' (' || error_sqlstate || ')',
          'failed: the portal has 1 crime with no date (23502)',
          'an old crime with no date fails the run, found by the deletion check') FROM run_d5;
SELECT matches(error_detail, 'HINT: SELECT id FROM crime\.portal_crimes WHERE date IS NULL lists them',
               'the hint says how to find it') FROM run_d5;
SELECT is(pg_temp.warehouse_digest(), :'digest_before', 'and nothing changed');
CALL pg_temp.soda_control('/_control/datasets/wtst-fail/delete', $$SELECT '{"ids": ["99999998"]}'$$);

-------------------------------------------------------------------------------------------------
-- D5. A portal that answers with far fewer crimes (empty, partial, another dataset) is not taken
--     for a mass deletion: past chicago_crime.max_delete_fraction the run fails, deleting nothing
-------------------------------------------------------------------------------------------------
CALL pg_temp.soda_control('/_control/datasets/wtst-fail/clone?to=wtst-most');
CALL pg_temp.soda_control('/_control/datasets/wtst-most/delete', $$
    SELECT jsonb_build_object('ids', jsonb_agg(id::text)) FROM crime.incidents WHERE id % 3 <> 0$$);
ALTER FOREIGN TABLE crime.portal_crimes OPTIONS (SET dataset 'wtst-most');
CREATE TEMP TABLE run_d6 AS SELECT * FROM crime_sync();
SELECT is(status || ': ' || error || ' (' || error_sqlstate || ')',
          format('failed: the portal has %s crimes fewer than the %s in crime.incidents, more than chicago_crime.max_delete_fraction (0.5) of them (22000)',
                 (SELECT count(*) FROM crime.incidents
                  WHERE id % 3 <> 0 OR id IN (SELECT id FROM changes WHERE kind = 'delete')),
                 (SELECT count(*) FROM crime.incidents)),
          'a portal that lacks two crimes in three fails the run') FROM run_d6;
SELECT matches(error_detail, 'HINT: If the portal really deleted them, run again after SET chicago_crime\.max_delete_fraction = 1',
               'the hint gives the way through') FROM run_d6;
SELECT is(pg_temp.warehouse_digest(), :'digest_before', 'and nothing changed');
SET chicago_crime.max_delete_fraction = '1.5';
SET chicago_crime.detect_deletes = off;
CREATE TEMP TABLE run_d7 AS SELECT * FROM crime_sync();
RESET chicago_crime.detect_deletes;
RESET chicago_crime.max_delete_fraction;
SELECT is(error, 'chicago_crime.max_delete_fraction must be between 0 and 1, not 1.5',
          'a chicago_crime.max_delete_fraction above 1 fails the run, naming it, even one that compares no month') FROM run_d7;
-- The same number of crimes in each month but other ids in place of five of them: the months'
-- counts show no shortfall, so the limit is met as the re-syncs delete.
ALTER FOREIGN TABLE crime.portal_crimes OPTIONS (SET dataset 'wtst-fail');
CALL pg_temp.soda_control('/_control/datasets/wtst-fail/clone?to=wtst-swap');
CREATE TEMP TABLE swapped AS
    SELECT id, occurred_at FROM crime.incidents
    WHERE id NOT IN (SELECT id FROM changes) AND occurred_at >= '2015-03-01' ORDER BY id LIMIT 5;
CALL pg_temp.soda_control('/_control/datasets/wtst-swap/delete', $$
    SELECT jsonb_build_object('ids', jsonb_agg(id::text)) FROM swapped$$);
CALL pg_temp.soda_control('/_control/datasets/wtst-swap/upsert', $$
    SELECT jsonb_agg(jsonb_build_object('id', (id + 900000000)::text, 'primary_type', 'THEFT',
                                        'date', to_char(occurred_at, 'YYYY-MM-DD"T"HH24:MI:SS.MS'),
                                        'updated_on', '2001-01-01T00:00:00.000'))
    FROM swapped$$);
ALTER FOREIGN TABLE crime.portal_crimes OPTIONS (SET dataset 'wtst-swap');
-- 10 crimes fewer by the months (the deletions of section A), 15 deleted: a limit of 12.5.
SELECT (12.5 / count(*))::text AS limit_12 FROM crime.incidents \gset
SET chicago_crime.max_delete_fraction = :'limit_12';
CREATE TEMP TABLE run_d8 AS SELECT * FROM crime_sync();
RESET chicago_crime.max_delete_fraction;
SELECT matches(error, '^the run would delete 1[1-5] of the \d+ crimes in crime\.incidents, more than chicago_crime\.max_delete_fraction',
               'crimes swapped for others are refused as the re-syncs delete them') FROM run_d8;
SELECT is(pg_temp.warehouse_digest(), :'digest_before', 'and nothing changed');
BEGIN;
SET LOCAL chicago_crime.max_delete_fraction = 1;
SELECT status || ' ' || deleted || ' ' || inserted AS allowed_run FROM crime_sync() \gset
ROLLBACK;
SELECT is(:'allowed_run'::text, 'succeeded 15 5', 'allowed, the same run deletes the 15 and inserts the 5 others');
SELECT is(pg_temp.warehouse_digest(), :'digest_before', '(rolled back)');
ALTER FOREIGN TABLE crime.portal_crimes OPTIONS (SET dataset 'wtst-fail');

-------------------------------------------------------------------------------------------------
-- D6. An id the portal sends twice fails a month's re-sync, even when both copies equal the row
--     held (one of them picked, the month's count would differ from the portal's on every run)
-------------------------------------------------------------------------------------------------
SELECT id AS dup_id, date_trunc('month', occurred_at) AS dup_month
FROM crime.incidents WHERE id NOT IN (SELECT id FROM changes) ORDER BY id LIMIT 1 \gset
SELECT format('SELECT crime.resync_range(%L, %L, %L, true)',
              format('%1$s WHERE c.id = %2$s UNION ALL %1$s WHERE c.id = %2$s',
                     (crime.merge_sql()).portal_rows, :dup_id),
              :'dup_month'::timestamp, :'dup_month'::timestamp + interval '1 month') AS resync_twice \gset
SELECT throws_ok(:'resync_twice', '23505', 'the portal sent the same crime id more than once in one pass',
                 'a month re-sync given an id twice fails, though both copies equal the row held');
-- An id the warehouse does not hold: the second copy would meet the first one's insert.
BEGIN;
DELETE FROM crime.incidents WHERE id = :dup_id;
SELECT throws_ok(:'resync_twice', '23505', 'the portal sent the same crime id more than once in one pass',
                 '... and so does one given twice an id the warehouse does not hold, with the same error');
ROLLBACK;

-------------------------------------------------------------------------------------------------
-- E. The next good run catches up from the unchanged watermark
-------------------------------------------------------------------------------------------------
CREATE TEMP TABLE run_e AS SELECT * FROM crime_sync();
SELECT is(status, 'succeeded', 'the next good sync succeeds') FROM run_e;
SELECT is(updated, 250::bigint, 'it applies the 250 updates') FROM run_e;
SELECT is(deleted, 10::bigint, 'and the 10 deletions') FROM run_e;
SELECT is(inserted, 0::bigint, 'and inserts nothing') FROM run_e;
SELECT is(watermark_after, timestamp '2026-07-01 10:00:00', 'the watermark advances now') FROM run_e;
SELECT is((SELECT count(*) FROM crime.incidents WHERE description = 'CHANGED AT THE SOURCE'), 250::bigint,
          'the warehouse has the changes');
SELECT isnt(pg_temp.warehouse_digest(), :'digest_before', '(and the digest that showed "nothing changed" sees them)');
SELECT is((SELECT count(*) FROM crime.sync_runs WHERE status = 'failed' AND finished_at IS NOT NULL
                                                  AND error IS NOT NULL AND inserted + updated + deleted = 0),
          16::bigint, 'crime.sync_runs keeps the sixteen failed runs (the three failed first loads included), finished, with their errors');

SELECT * FROM finish();

SELECT dblink_disconnect('peer') AS disconnected \gset
CALL pg_temp.soda_control('/_control/datasets/wtst-fail/drop');
CALL pg_temp.soda_control('/_control/datasets/wtst-most/drop');
CALL pg_temp.soda_control('/_control/datasets/wtst-swap/drop');
\c :origin_db
DROP DATABASE :"test_db";
