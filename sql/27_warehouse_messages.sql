-- What a failed warehouse sync tells its caller. crime_sync()'s WARNING gives the error's own
-- hint (what to fix) and then where the failure is recorded; the scheduled form (what pg_cron
-- runs) raises the error; crime.sync_runs keeps the detail, the hint and which foreign table
-- was being read.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS socrata_fdw;
CREATE EXTENSION chicago_crime;
RESET client_min_messages;
ALTER SERVER chicago_data_portal
    OPTIONS (SET base_url 'http://127.0.0.1:25480/fault/status=403', ADD max_retries '0');
SELECT status, error_sqlstate FROM crime_sync();
-- Its error's detail is the run's recorded detail, hint and context (shown below; terse here,
-- since they name PL/pgSQL line numbers).
\set VERBOSITY terse
CALL crime.run_scheduled_sync();
\set VERBOSITY default
SELECT id, kind, status, error, error_sqlstate,
       regexp_replace(error_detail, ' line \d+ at ', ' line N at ', 'g') AS error_detail
FROM crime.sync_runs ORDER BY id;
-- pg_cron lives in another database (the test cluster preloads it with cron.database_name =
-- chicago): DROP EXTENSION cannot remove a job of this database, and says what to run there.
DROP EXTENSION chicago_crime;
