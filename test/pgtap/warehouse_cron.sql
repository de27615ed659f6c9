-- chicago_crime: crime_schedule() creates (and replaces) a pg_cron job that really runs the sync,
-- crime_unschedule() removes it, and so does DROP EXTENSION.
--
-- pg_cron lives in one database (cron.database_name, "chicago" in the test cluster): this test runs
-- in the database pg_prove connects to, which must be that one, and leaves it as it found it. It
-- waits for the job's first run, at the next minute boundary (up to about 70 s).
\set ON_ERROR_STOP 1
\getenv soda_url SODA_URL
\if :{?soda_url}
\else
\set soda_url http://127.0.0.1:25480
\endif
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pgtap;

SELECT EXISTS (SELECT FROM pg_extension WHERE extname = 'pg_cron') AS had_pg_cron,
       EXISTS (SELECT FROM pg_extension WHERE extname = 'dblink') AS had_dblink,
       EXISTS (SELECT FROM pg_extension WHERE extname = 'socrata_fdw') AS had_socrata_fdw,
       EXISTS (SELECT FROM pg_extension WHERE extname = 'chicago_crime') AS had_chicago_crime \gset
CREATE EXTENSION IF NOT EXISTS pg_cron;
CREATE EXTENSION IF NOT EXISTS dblink;
CREATE EXTENSION IF NOT EXISTS chicago_crime CASCADE;
SELECT coalesce((SELECT option_value FROM pg_options_to_table(
                     (SELECT srvoptions FROM pg_foreign_server WHERE srvname = 'chicago_data_portal'))
                 WHERE option_name = 'base_url'), '') AS old_base_url \gset
ALTER SERVER chicago_data_portal OPTIONS (SET base_url :'soda_url');

-- Waits for the job's first run to end; returns its status.
CREATE FUNCTION pg_temp.wait_for_run(job bigint, timeout interval)
RETURNS text
LANGUAGE plpgsql
AS $$
DECLARE
    deadline constant timestamptz := clock_timestamp() + timeout;
    outcome  text;
BEGIN
    LOOP
        SELECT d.status INTO outcome
        FROM cron.job_run_details d
        WHERE d.jobid = job AND d.status IN ('succeeded', 'failed')
        ORDER BY d.runid LIMIT 1;
        IF outcome IS NOT NULL OR clock_timestamp() > deadline THEN
            RETURN coalesce(outcome, 'no run within ' || timeout);
        END IF;
        PERFORM pg_sleep(0.5);
    END LOOP;
END
$$;

SELECT plan(35);

SELECT crime_schedule('*/5 * * * *') AS job_id \gset
SELECT is(concat_ws(' | ', jobname, schedule, command, database, username),
          concat_ws(' | ', 'crime_sync@' || current_database(), '*/5 * * * *', 'CALL crime.run_scheduled_sync()', current_database(), current_user),
          'crime_schedule() creates the pg_cron job crime_sync@<database>, in this database')
FROM cron.job WHERE jobid = :job_id;
SELECT is(crime_schedule('* * * * *'), :job_id::bigint, 'calling it again replaces the job...');
SELECT results_eq($$SELECT schedule FROM cron.job WHERE jobname = 'crime_sync@' || current_database()$$, $$VALUES ('* * * * *'::text)$$,
                  '... with the new schedule');

SELECT count(*) AS runs_before FROM crime.sync_runs \gset
SELECT is(pg_temp.wait_for_run(:job_id, '100 seconds'), 'succeeded', 'pg_cron runs the job, and it succeeds');
SELECT results_eq(format($$SELECT return_message FROM cron.job_run_details WHERE jobid = %s ORDER BY runid LIMIT 1$$, :job_id),
                  $$VALUES ('CALL'::text)$$, 'the job ran CALL crime.run_scheduled_sync()');
SELECT ok(count(*) > :runs_before, 'the run is recorded in crime.sync_runs') FROM crime.sync_runs;
SELECT results_eq($$SELECT kind, status FROM crime.sync_runs ORDER BY id LIMIT 1 OFFSET $$ || :runs_before,
                  $$VALUES ('sync', 'succeeded')$$, 'as a successful sync');
SELECT is((SELECT count(*) FROM crime.incidents), (SELECT count(*) FROM crime.portal_crimes),
          'after the scheduled sync the warehouse holds every crime the portal has');

-- A second warehouse, in another database, scheduled by the same user as crime_schedule()'s hint
-- says there (pg_cron lives in this database only): a job of its own, which leaves this
-- database's job alone. The database's name is as long as a name can be (63 bytes): the job's
-- name, cut to fit pg_cron's jobname column, is still the one crime.sync_job_name() gives.
\set second_db second_warehouse_database_whose_name_is_as_long_as_any_name_can
DROP DATABASE IF EXISTS :"second_db" WITH (FORCE);
CREATE DATABASE :"second_db";
\ir warehouse/conninfo.psql
SELECT dblink_connect('second', pg_temp.conninfo(:'second_db')) AS connected \gset
SELECT dblink_exec('second', 'SET client_min_messages = warning') AS set \gset
SELECT dblink_exec('second', 'CREATE EXTENSION chicago_crime CASCADE') AS created \gset
SELECT dblink_exec('second', $q$
    CREATE FUNCTION pg_temp.schedule_hint() RETURNS text LANGUAGE plpgsql AS $f$
    DECLARE
        hint text;
    BEGIN
        PERFORM crime_schedule('0 0 1 1 *');
        RETURN 'no error';
    EXCEPTION WHEN feature_not_supported THEN
        GET STACKED DIAGNOSTICS hint = PG_EXCEPTION_HINT;
        RETURN hint;
    END $f$$q$) AS created \gset
SELECT coalesce(substring(hint FROM 'SELECT cron\.schedule_in_database\([^;]*\)'), '') AS second_command
FROM dblink('second', 'SELECT pg_temp.schedule_hint()') AS t (hint text) \gset
SELECT isnt(:'second_command'::text, '', 'in another database, crime_schedule()''s hint gives the command to run here');
SET warehouse_test.second_command = :'second_command';
DO $$ BEGIN EXECUTE current_setting('warehouse_test.second_command'); END $$;
SELECT is((SELECT concat_ws(' | ', jobname, database, schedule, command) FROM cron.job WHERE jobid = :job_id),
          concat_ws(' | ', 'crime_sync@' || current_database(), current_database(), '* * * * *',
                    'CALL crime.run_scheduled_sync()'),
          'run here, it leaves this database''s job as it was');
SELECT is((SELECT concat_ws(' | ', jobname, schedule) FROM cron.job WHERE database = :'second_db'),
          (SELECT concat_ws(' | ', name, '0 0 1 1 *')
           FROM dblink('second', 'SELECT crime.sync_job_name()::text') AS t (name text)),
          'and adds the other database''s job, named as crime.sync_job_name() there says');

SELECT ok(crime_unschedule(), 'crime_unschedule() removes the job');
SELECT is((SELECT count(*) FROM cron.job WHERE jobname = 'crime_sync@' || current_database()), 0::bigint, '... which is gone');
SELECT is((SELECT count(*) FROM cron.job WHERE database = :'second_db'), 1::bigint,
          '... and only this database''s');
SELECT ok(NOT crime_unschedule(), 'without a job, crime_unschedule() returns false');

-- DROP EXTENSION takes this database's sync jobs with it (event trigger
-- chicago_crime_forget_sync_job), whatever their names; not other databases' jobs nor other
-- commands; not when the drop fails or is rolled back, nor when another extension is dropped.
-- Only where the warehouse was made by this test: one that was here before must not be dropped.
\if :had_chicago_crime
SELECT skip('chicago_crime was installed before this test: DROP EXTENSION not tried', 20);
\else
SELECT crime_schedule('0 0 1 1 *') AS job_id \gset
SELECT cron.schedule('sync_scheduled_by_hand', '0 0 1 1 *', 'CALL crime.run_scheduled_sync()') AS hand_job_id \gset
SELECT cron.schedule('old_style_sync', '0 0 1 1 *', 'SELECT Public."crime_sync" ()') AS old_job_id \gset
SELECT cron.schedule('upper_case_sync', '0 0 1 1 *', 'CALL CRIME.RUN_SCHEDULED_SYNC()') AS upper_job_id \gset
SELECT cron.schedule('another_command', '0 0 1 1 *', 'SELECT my_crime_sync_report()') AS other_job_id \gset
\set sync_jobs 'SELECT count(*) FROM cron.job WHERE jobid IN (' :job_id ', ' :hand_job_id ', ' :old_job_id ', ' :upper_job_id ')'

DROP EXTENSION IF EXISTS no_such_extension;
SELECT is((:sync_jobs), 4::bigint, 'dropping another extension keeps the sync jobs');
SELECT throws_ok('DROP EXTENSION socrata_fdw', '2BP01', NULL,
                 'DROP EXTENSION socrata_fdw without CASCADE fails (chicago_crime requires it)...');
SELECT is((:sync_jobs), 4::bigint, '... and keeps the sync jobs');
SELECT throws_ok('DROP EXTENSION chicago_crime, no_such_extension', '42704', NULL,
                 'a DROP EXTENSION of chicago_crime that fails...');
SELECT is((:sync_jobs), 4::bigint, '... keeps the sync jobs');

-- Before Postgres checks ownership: someone else's drop fails as it would have.
CREATE ROLE warehouse_cron_stranger;
CREATE FUNCTION pg_temp.drop_as_stranger()
RETURNS text
LANGUAGE plpgsql
AS $$
BEGIN
    SET LOCAL ROLE warehouse_cron_stranger;
    DROP EXTENSION chicago_crime;
    RETURN 'dropped';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE || ': ' || SQLERRM;
END
$$;
SELECT is(pg_temp.drop_as_stranger(), '42501: must be owner of extension chicago_crime',
          'a role that does not own the extension gets Postgres''s own refusal...');
DROP ROLE warehouse_cron_stranger;
SELECT is((:sync_jobs), 4::bigint, '... and the sync jobs stay');

BEGIN;
DROP EXTENSION chicago_crime;
ROLLBACK;
SELECT is((:sync_jobs), 4::bigint, 'a DROP EXTENSION chicago_crime that is rolled back keeps the sync jobs');

-- A removal that fails (here pg_cron's function is out of the way) must not block the drop.
BEGIN;
ALTER FUNCTION cron.unschedule(bigint) RENAME TO unschedule_out_of_the_way;
SET LOCAL client_min_messages = error;
DROP EXTENSION chicago_crime;
SELECT NOT EXISTS (SELECT FROM pg_extension WHERE extname = 'chicago_crime') AS dropped_anyway,
       (:sync_jobs) AS jobs_left \gset
ROLLBACK;
SELECT ok(:'dropped_anyway'::boolean, 'when the jobs cannot be removed, DROP EXTENSION still drops the extension...');
SELECT is(:jobs_left::bigint, 4::bigint, '... and removes no job (a WARNING says what to run)');

DROP EXTENSION IF EXISTS chicago_crime;
SELECT is((:sync_jobs), 0::bigint,
          'DROP EXTENSION chicago_crime removes this database''s jobs that call the sync, whatever their names');
SELECT is((SELECT count(*) FROM cron.job WHERE database = :'second_db'), 1::bigint,
          '... not the sync job of another database');
SELECT is((SELECT count(*) FROM cron.job WHERE jobid = :other_job_id), 1::bigint,
          '... nor a job with another command (that names no entry point)');
SELECT cron.unschedule(:other_job_id) AS unscheduled \gset
\if :had_socrata_fdw
SELECT skip('socrata_fdw was installed before this test: DROP EXTENSION socrata_fdw not tried', 7);
\else
CREATE EXTENSION chicago_crime;
SELECT crime_schedule('0 0 1 1 *') AS job_id \gset
DROP EXTENSION socrata_fdw CASCADE;
SELECT is((SELECT count(*) FROM cron.job WHERE jobid = :job_id), 0::bigint,
          'DROP EXTENSION socrata_fdw CASCADE, which drops chicago_crime, removes it too');
-- CASCADE drops chicago_crime for the owner of socrata_fdw, whoever owns chicago_crime. Such an
-- owner that is not a superuser may not read the warehouse's schema nor pg_cron's: the drop
-- must still go through.
CREATE ROLE warehouse_cron_fdw_owner SUPERUSER;
SET ROLE warehouse_cron_fdw_owner;
CREATE EXTENSION socrata_fdw;
RESET ROLE;
ALTER ROLE warehouse_cron_fdw_owner NOSUPERUSER;
CREATE EXTENSION chicago_crime;
SELECT crime_schedule('0 0 1 1 *') AS job_id \gset
SET ROLE warehouse_cron_fdw_owner;
SET client_min_messages = error;
DROP EXTENSION socrata_fdw CASCADE;
SET client_min_messages = warning;
RESET ROLE;
SELECT ok(NOT EXISTS (SELECT FROM pg_extension WHERE extname IN ('chicago_crime', 'socrata_fdw')),
          'the owner of socrata_fdw, not a superuser, drops chicago_crime with CASCADE...');
SELECT is((SELECT count(*) FROM cron.job WHERE jobid = :job_id), 1::bigint,
          '... and the job, which that role may not see, stays (a WARNING says what to run)');
SELECT cron.unschedule(:job_id) AS unscheduled \gset
DROP ROLE warehouse_cron_fdw_owner;
-- DROP SCHEMA ... CASCADE of socrata_fdw's schema drops chicago_crime, and DROP OWNED BY the
-- owner of the extensions drops both: each takes the job along. (chicago_crime's own schema is
-- public, which this database's other extensions share.)
CREATE SCHEMA warehouse_cron_fdw_home;
CREATE EXTENSION socrata_fdw SCHEMA warehouse_cron_fdw_home;
CREATE EXTENSION chicago_crime;
SELECT crime_schedule('0 0 1 1 *') AS job_id \gset
SET client_min_messages = error;
DROP SCHEMA warehouse_cron_fdw_home CASCADE;
SET client_min_messages = warning;
SELECT ok(NOT EXISTS (SELECT FROM pg_extension WHERE extname = 'chicago_crime')
          AND NOT EXISTS (SELECT FROM cron.job WHERE jobid = :job_id),
          'DROP SCHEMA ... CASCADE of socrata_fdw''s schema drops chicago_crime and removes its job');
CREATE ROLE warehouse_cron_ext_owner SUPERUSER;
SET ROLE warehouse_cron_ext_owner;
CREATE EXTENSION chicago_crime CASCADE;
SELECT crime_schedule('0 0 1 1 *') AS job_id \gset
RESET ROLE;
BEGIN;
DROP OWNED BY warehouse_cron_ext_owner;
SELECT NOT EXISTS (SELECT FROM pg_extension WHERE extname = 'chicago_crime') AS owned_dropped,
       NOT EXISTS (SELECT FROM cron.job WHERE jobid = :job_id) AS owned_job_gone \gset
ROLLBACK;
SELECT ok(:'owned_dropped'::boolean AND :'owned_job_gone'::boolean,
          'DROP OWNED BY the extensions'' owner drops chicago_crime and removes its job...');
SELECT is((SELECT count(*) FROM cron.job WHERE jobid = :job_id), 1::bigint, '... which a rollback keeps');
SET client_min_messages = error;
DROP OWNED BY warehouse_cron_ext_owner;
SET client_min_messages = warning;
DROP ROLE warehouse_cron_ext_owner;
-- DROP OWNED BY ... CASCADE of the role that owns socrata_fdw's schema (not the extensions).
CREATE ROLE warehouse_cron_schema_owner;
CREATE SCHEMA warehouse_cron_fdw_home AUTHORIZATION warehouse_cron_schema_owner;
CREATE EXTENSION socrata_fdw SCHEMA warehouse_cron_fdw_home;
CREATE EXTENSION chicago_crime;
SELECT crime_schedule('0 0 1 1 *') AS job_id \gset
SET client_min_messages = error;
DROP OWNED BY warehouse_cron_schema_owner CASCADE;
SET client_min_messages = warning;
SELECT ok(NOT EXISTS (SELECT FROM pg_extension WHERE extname = 'chicago_crime')
          AND NOT EXISTS (SELECT FROM cron.job WHERE jobid = :job_id),
          'DROP OWNED BY ... CASCADE of the owner of socrata_fdw''s schema drops chicago_crime and removes its job');
DROP ROLE warehouse_cron_schema_owner;
\endif
\endif
-- A count, so that \gset has a row even when the job was never made.
SELECT count(cron.unschedule(jobid)) AS unscheduled FROM cron.job WHERE database = :'second_db' \gset
SELECT dblink_disconnect('second') AS disconnected \gset
DROP DATABASE :"second_db";

SELECT * FROM finish();

-- Leave the database as it was found.
\if :had_chicago_crime
ALTER SERVER chicago_data_portal OPTIONS (SET base_url :'old_base_url');
\else
DROP EXTENSION IF EXISTS chicago_crime;
\if :had_socrata_fdw
\else
DROP EXTENSION IF EXISTS socrata_fdw;
\endif
\endif
\if :had_dblink
\else
DROP EXTENSION dblink;
\endif
\if :had_pg_cron
\else
DROP EXTENSION pg_cron;
\endif
