-- A query cancel or statement_timeout stops a transfer within a second, even mid-body.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS socrata_fdw;
RESET client_min_messages;
-- Fault counters start from zero, so the test can run again against the same server.
\! curl -s -X POST http://127.0.0.1:25480/_control/faults/reset > /dev/null
CREATE SERVER stalling FOREIGN DATA WRAPPER socrata_fdw
    OPTIONS (base_url 'http://127.0.0.1:25480/fault/stall=60,after=1,tag=cancel',
             stall_timeout '120', max_retries '0');
CREATE FOREIGN TABLE stalling_crimes (id bigint) SERVER stalling OPTIONS (dataset 'ijzp-q8t2');
SELECT clock_timestamp() AS started \gset
SET statement_timeout = '500ms';
SELECT count(*) FROM stalling_crimes;
RESET statement_timeout;
SELECT clock_timestamp() - :'started'::timestamptz < interval '1.5 seconds'
    AS stopped_within_a_second_of_the_timeout;
-- The backend is fine afterwards.
SELECT 1 AS still_alive;
DROP SERVER stalling CASCADE;
-- A client that goes away while its query waits on the portal ends its backend within
-- client_connection_check_interval, as it would in any other query (helper-49: the backend
-- waited for the stalled response, up to a minute here).
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS dblink;
RESET client_min_messages;
CREATE SERVER stalling_leave FOREIGN DATA WRAPPER socrata_fdw
    OPTIONS (base_url 'http://127.0.0.1:25480/fault/stall=60,after=1,tag=leave',
             stall_timeout '120', max_retries '0');
CREATE FOREIGN TABLE stalling_leave_crimes (id bigint) SERVER stalling_leave
    OPTIONS (dataset 'ijzp-q8t2');
SELECT dblink_connect('leaver', 'dbname=' || current_database()) AS connected;
SELECT dblink_exec('leaver', 'SET client_connection_check_interval = ''100ms''') AS set;
SELECT pid AS leaver_pid FROM dblink('leaver', 'SELECT pg_backend_pid()') AS t(pid integer) \gset
SELECT dblink_send_query('leaver', 'SELECT count(*) FROM stalling_leave_crimes') AS sent;
SELECT pg_sleep(1);  -- its first page has stalled
SELECT dblink_disconnect('leaver') AS disconnected;
SET leave.pid = :'leaver_pid';
DO $$
BEGIN
    FOR i IN 1..50 LOOP
        PERFORM pg_stat_clear_snapshot();
        EXIT WHEN NOT EXISTS (SELECT FROM pg_stat_activity WHERE pid = current_setting('leave.pid')::integer);
        PERFORM pg_sleep(0.1);
    END LOOP;
END $$;
SELECT NOT EXISTS (SELECT FROM pg_stat_activity WHERE pid = :leaver_pid) AS backend_gone_within_5_seconds;
RESET leave.pid;
DROP SERVER stalling_leave CASCADE;
-- A cancel that arrives while a value is being converted (here: a slow domain CHECK) is still
-- a cancel, not relabelled "invalid value for column"; a value the CHECK rejects is.
CREATE FUNCTION slow_beat_check(b text) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('slow_beat.sleep', true) = 'on' THEN
        PERFORM pg_sleep(0.2);
    END IF;
    RETURN b <> '1834';
END $$;
CREATE DOMAIN slow_beat AS text CHECK (slow_beat_check(VALUE));
CREATE SERVER local_soda FOREIGN DATA WRAPPER socrata_fdw
    OPTIONS (base_url 'http://127.0.0.1:25480');
CREATE FOREIGN TABLE slow_beats (id bigint, beat slow_beat) SERVER local_soda
    OPTIONS (dataset 'ijzp-q8t2');
SET slow_beat.sleep = on;
SET statement_timeout = '500ms';
SELECT count(beat) FROM (SELECT beat FROM slow_beats ORDER BY id LIMIT 20) s;
RESET statement_timeout;
RESET slow_beat.sleep;
\set VERBOSITY terse
SELECT beat FROM slow_beats WHERE beat = '1834' LIMIT 1;
\set VERBOSITY default
DROP SERVER local_soda CASCADE;
DROP DOMAIN slow_beat;
DROP FUNCTION slow_beat_check(text);
