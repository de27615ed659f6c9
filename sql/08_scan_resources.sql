-- A scan holds its HTTP client (a socket pair, and the connection it keeps alive), its worker
-- thread and its pages only while it has rows to read, then gives the client back to the
-- backend's pool (found by a review, helper-49: a UNION ALL of 350 scans ran out of file
-- descriptors, a cursor over 40 finished scans held 40 connections and their pages).
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS socrata_fdw;
RESET client_min_messages;
CREATE SERVER resources_portal FOREIGN DATA WRAPPER socrata_fdw
    OPTIONS (base_url 'http://127.0.0.1:25480');
CREATE FOREIGN TABLE iucr_codes (iucr text, primary_description text)
    SERVER resources_portal OPTIONS (dataset 'c7ck-438e');
-- This backend's open file descriptors.
CREATE FUNCTION open_fds() RETURNS integer LANGUAGE sql
RETURN (SELECT count(*) FROM pg_ls_dir('/proc/' || pg_backend_pid() || '/fd'));

SELECT count(*) FROM iucr_codes;  -- the pool now has a client with its connection
SELECT open_fds() AS fds_before \gset
BEGIN;
-- DECLARE forty CURSOR FOR SELECT iucr FROM iucr_codes UNION ALL ... (40 scans)
\set ECHO none
SELECT 'DECLARE forty CURSOR FOR ' || string_agg('SELECT iucr FROM iucr_codes', ' UNION ALL ')
FROM generate_series(1, 40) \gexec
\set ECHO all
MOVE ALL IN forty;  -- every scan has run out; the cursor stays open
SELECT open_fds() - :fds_before AS more_fds_than_before;
COMMIT;
-- A nested loop rescans its inner foreign scan for every outer row: each rescan takes the
-- client the one before gave back (test/unit/http_client_pool_test.cpp shows its connection
-- is reused), and the answer is right.
SET enable_hashjoin = off;
SET enable_mergejoin = off;
SET enable_material = off;
SELECT count(*) FROM (VALUES ('0110'), ('0820'), ('0486'), ('9999')) AS v(code)
JOIN iucr_codes c ON c.iucr = v.code;
RESET enable_hashjoin;
RESET enable_mergejoin;
RESET enable_material;
SELECT open_fds() - :fds_before AS more_fds_than_before;
-- EXPLAIN ANALYZE of a scan that has run out shows the query it sent, its runtime value in (not
-- $1, which plain EXPLAIN shows).
CREATE FUNCTION socrata_query_lines(query text) RETURNS SETOF text LANGUAGE plpgsql AS $f$
DECLARE
    line text;
BEGIN
    FOR line IN EXECUTE 'EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) ' || query LOOP
        IF line ~ 'Socrata (query|pages)' THEN
            RETURN NEXT line;
        END IF;
    END LOOP;
END $f$;
SELECT socrata_query_lines($$SELECT * FROM iucr_codes WHERE iucr = (SELECT '0110')$$);
DROP FUNCTION socrata_query_lines(text);
DROP SERVER resources_portal CASCADE;

-- A cursor opened outside a savepoint whose query fails inside it stays, failed, until the
-- transaction ends: its scan's worker (here fetching the page after the one that failed) and
-- transfer stop when the savepoint's work is undone, not then (helper-49: 50 such cursors kept
-- 50 threads and connections).
CREATE SERVER damaged_portal FOREIGN DATA WRAPPER socrata_fdw
    OPTIONS (base_url 'http://127.0.0.1:25480/fault/wrongtype=ward,row=500,after=1,tag=resources',
             page_size '1000');
CREATE FOREIGN TABLE damaged_crimes (id bigint, ward integer) SERVER damaged_portal
    OPTIONS (dataset 'ijzp-q8t2');
CREATE FUNCTION backend_threads() RETURNS integer LANGUAGE sql
RETURN (SELECT count(*) FROM pg_ls_dir('/proc/' || pg_backend_pid() || '/task'));
BEGIN;
DECLARE damaged CURSOR FOR SELECT id, ward FROM damaged_crimes;
SAVEPOINT before_fetch;
\set VERBOSITY terse
FETCH ALL FROM damaged;
\set VERBOSITY default
ROLLBACK TO before_fetch;
SELECT pg_sleep(0.5);  -- time for a worker that was not stopped to fetch on
SELECT backend_threads() AS threads_while_the_failed_cursor_stays;
FETCH 1 FROM damaged;
ROLLBACK;
DROP FUNCTION backend_threads();
DROP SERVER damaged_portal CASCADE;
