-- Entry points: crime_schedule() and crime_unschedule(), the pg_cron job

-- The job's name, one per database. pg_cron keeps one job per name and user: scheduled again
-- under the same name, the job takes the new schedule and command (pg_cron 1.4 keeps its
-- database). With one name for every database, a second warehouse (another database, same user)
-- scheduled as crime_schedule()'s hint says would re-time the first one's job and never run.
-- Of type name, as pg_cron's cron.job.jobname: a long database name is cut to 63 bytes here as it
-- is there, so that the lookup by name finds the job.
CREATE FUNCTION crime.sync_job_name()
RETURNS name
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
RETURN ('crime_sync@' || current_database())::name;
COMMENT ON FUNCTION crime.sync_job_name() IS
    'Name of this database''s pg_cron sync job: crime_sync@<database> (cut to 63 bytes, as a name)';

-- cron.database_name, the database pg_cron lives in; NULL when pg_cron is not loaded. pg_cron
-- makes the setting superuser-only, and current_setting() then fails for any other role even
-- with missing_ok: pg_settings leaves the row out instead (NULL here too).
CREATE FUNCTION crime.cron_database()
RETURNS text
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
RETURN (SELECT s.setting FROM pg_settings s WHERE s.name = 'cron.database_name');
COMMENT ON FUNCTION crime.cron_database() IS
    'cron.database_name (the database pg_cron lives in), or NULL when pg_cron is not loaded or the setting is hidden from the current role (superuser-only)';

CREATE FUNCTION @extschema@.crime_schedule(cron text DEFAULT '*/15 * * * *')
RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
SET DateStyle = 'ISO, YMD'
SET IntervalStyle = 'postgres'
SET extra_float_digits = 3
SET standard_conforming_strings = on
AS $$
DECLARE
    cron_database text := crime.cron_database();
    job_id        bigint;
BEGIN
    IF NOT EXISTS (SELECT FROM pg_extension WHERE extname = 'pg_cron') THEN
        IF cron_database IS NULL THEN
            RAISE EXCEPTION 'crime_schedule() needs pg_cron, which is not installed'
                USING ERRCODE = 'feature_not_supported',
                      HINT = 'Add pg_cron to shared_preload_libraries, restart PostgreSQL, then CREATE EXTENSION pg_cron in the database named by cron.database_name.';
        END IF;
        RAISE EXCEPTION 'crime_schedule() needs pg_cron, which is not installed in database "%"', current_database()
            USING ERRCODE = 'feature_not_supported',
                  HINT = format('pg_cron lives in database %I (cron.database_name). Install it there with CREATE EXTENSION pg_cron if needed, then schedule this database''s sync from there: SELECT cron.schedule_in_database(%L, %L, %L, %L);',
                                cron_database, crime.sync_job_name(), crime_schedule.cron, 'CALL crime.run_scheduled_sync()', current_database());
    END IF;
    -- Dynamic SQL: pg_cron is optional, nothing here may depend on it.
    EXECUTE 'SELECT cron.schedule_in_database($1, $2, $3, $4)'
    INTO job_id
    USING crime.sync_job_name(), crime_schedule.cron, 'CALL crime.run_scheduled_sync()', current_database();
    RETURN job_id;
END
$$;
COMMENT ON FUNCTION @extschema@.crime_schedule(text) IS
    'Creates or replaces the pg_cron job "crime_sync@<database>" that runs CALL crime.run_scheduled_sync() (crime_sync(), failing the job when the sync fails) in this database on the given cron schedule (default every 15 minutes; pg_cron 1.4 reads schedules in GMT) as the current user; returns the job id. Raises a clear error when pg_cron is not installed in this database';

CREATE FUNCTION @extschema@.crime_unschedule()
RETURNS boolean
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
SET DateStyle = 'ISO, YMD'
SET IntervalStyle = 'postgres'
SET extra_float_digits = 3
SET standard_conforming_strings = on
AS $$
DECLARE
    job_id bigint;
BEGIN
    IF NOT EXISTS (SELECT FROM pg_extension WHERE extname = 'pg_cron') THEN
        RAISE EXCEPTION 'crime_unschedule() needs pg_cron, which is not installed in database "%"', current_database()
            USING ERRCODE = 'feature_not_supported',
                  HINT = format('Jobs for this database are managed from the database named by cron.database_name, with SELECT cron.unschedule(%L);',
                                crime.sync_job_name());
    END IF;
    EXECUTE 'SELECT jobid FROM cron.job WHERE jobname = $1 AND username = current_user AND database = $2'
    INTO job_id
    USING crime.sync_job_name(), current_database();
    IF job_id IS NULL THEN
        RETURN false;
    END IF;
    EXECUTE 'SELECT cron.unschedule($1)' USING job_id;
    RETURN true;
END
$$;
COMMENT ON FUNCTION @extschema@.crime_unschedule() IS
    'Removes the pg_cron job "crime_sync@<database>" of this database and the current user; returns false when there was none. Raises a clear error when pg_cron is not installed in this database';

-- The sync job lives in pg_cron's table, not in the extension: without this, DROP EXTENSION left
-- it failing on every run ("schema crime does not exist"), and a later CREATE EXTENSION made it
-- start a first load against the default portal. Called by crime.on_drop_extension() just
-- before a statement drops chicago_crime (DROP EXTENSION, DROP SCHEMA ... CASCADE, DROP OWNED),
-- in the same transaction, for a user allowed to.
-- It removes every job of this database whose command calls the warehouse's entry points,
-- whatever its name: crime_schedule()'s, one made from its hint, one made by hand (`SELECT
-- crime_sync()`), all of which would fail on every run once the extension is gone. pg_cron's
-- row-level security shows a role only its own jobs, a superuser all. It must not make the drop
-- impossible: if the removal fails (pg_cron installed but not loaded, say), it removes none and
-- says, in a WARNING, what to run. When pg_cron lives in another database, its table is out of
-- reach: a NOTICE says what to run there.
CREATE FUNCTION crime.forget_sync_job()
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
SET DateStyle = 'ISO, YMD'
SET IntervalStyle = 'postgres'
SET extra_float_digits = 3
SET standard_conforming_strings = on
AS $$
DECLARE
    -- As crime.cron_database(), inlined: the owner of socrata_fdw, dropping the warehouse with
    -- CASCADE, may not be allowed to use schema crime.
    cron_database text := (SELECT s.setting FROM pg_settings s WHERE s.name = 'cron.database_name');
    -- A call of crime_sync(), crime_backfill() or crime.run_scheduled_sync(), however qualified,
    -- quoted or cased (matched case-insensitively). It also takes a job that calls one of them
    -- among other statements, or a function of the same name in another schema: the NOTICE
    -- gives each job's command, so that such a job can be made again.
    calls_sync    constant text := '[[:<:]](crime_sync|crime_backfill|run_scheduled_sync)"?[[:space:]]*[(]';
    removal       constant text := format('SELECT cron.unschedule(jobid) FROM cron.job WHERE database = %L AND command ~* %L;',
                                          current_database(), calls_sync);
    job           record;
    removed       text[] := '{}';
    failure       text;
BEGIN
    IF NOT EXISTS (SELECT FROM pg_extension WHERE extname = 'pg_cron') THEN
        IF cron_database <> current_database() THEN
            RAISE NOTICE 'dropping chicago_crime cannot remove a pg_cron job of this database: pg_cron lives in database "%"', cron_database
                USING HINT = format('If the sync was scheduled, remove its jobs there with %s', removal);
        END IF;
        RETURN;
    END IF;
    BEGIN
        FOR job IN EXECUTE 'SELECT jobid, jobname, schedule, command FROM cron.job WHERE database = $1 AND command ~* $2 ORDER BY jobid'
                   USING current_database(), calls_sync
        LOOP
            EXECUTE 'SELECT cron.unschedule($1)' USING job.jobid;
            removed := removed || format('%s%s (%s: %s)', job.jobid,
                                         coalesce(' ' || quote_ident(job.jobname), ''),
                                         job.schedule, job.command);
        END LOOP;
    EXCEPTION WHEN OTHERS THEN
        GET STACKED DIAGNOSTICS failure = MESSAGE_TEXT;
        RAISE WARNING 'dropping chicago_crime could not remove the pg_cron jobs of this database: %', failure
            USING HINT = format('Remove them with %s', removal);
        RETURN;
    END;
    IF removed <> '{}' THEN
        RAISE NOTICE 'dropping chicago_crime unschedules pg_cron job(s) %, with the extension', array_to_string(removed, '; ');
    END IF;
END
$$;
COMMENT ON FUNCTION crime.forget_sync_job() IS
    'Removes the pg_cron jobs of this database whose command calls crime_sync(), crime_backfill() or crime.run_scheduled_sync() (those the current role may see), with a NOTICE; if that fails, none, with a WARNING saying what to run; when pg_cron lives in another database, a NOTICE saying what to run there. Called when a statement drops chicago_crime: DROP EXTENSION, DROP SCHEMA ... CASCADE, DROP OWNED (event trigger chicago_crime_forget_sync_job)';

CREATE FUNCTION crime.on_drop_extension()
RETURNS event_trigger
LANGUAGE C
AS '$libdir/socrata_fdw', 'socrata_on_drop_extension';
COMMENT ON FUNCTION crime.on_drop_extension() IS
    'Event trigger function: calls crime.forget_sync_job() when a statement is about to drop chicago_crime: DROP EXTENSION (naming it, or socrata_fdw with CASCADE), DROP SCHEMA ... CASCADE of the schema of either, DROP OWNED BY the owner of either';

-- A member of the extension, so it goes with it; ddl_command_start is the last moment it exists.
CREATE EVENT TRIGGER chicago_crime_forget_sync_job ON ddl_command_start
    WHEN TAG IN ('DROP EXTENSION', 'DROP SCHEMA', 'DROP OWNED')
    EXECUTE FUNCTION crime.on_drop_extension();
COMMENT ON EVENT TRIGGER chicago_crime_forget_sync_job IS
    'Dropping chicago_crime (DROP EXTENSION, DROP SCHEMA ... CASCADE, DROP OWNED) also removes the pg_cron jobs that run this database''s sync (crime.forget_sync_job())';
