-- A query cancel or statement_timeout stops a transfer within a second, even mid-body.
CREATE EXTENSION IF NOT EXISTS socrata_fdw;
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
