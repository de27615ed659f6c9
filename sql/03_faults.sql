-- Faults: throttling and server errors are retried (honouring Retry-After); other errors
-- fail at once with the HTTP status, Socrata's message and the URL; bad bodies are reported
-- with where they went wrong. (Request 0 of each fault server is the metadata request.)
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS socrata_fdw;
RESET client_min_messages;
-- EXPLAIN ANALYZE lines about the Socrata requests, without byte counts (which depend on
-- the server's formatting) and timings.
CREATE OR REPLACE FUNCTION socrata_explain(query text) RETURNS SETOF text LANGUAGE plpgsql AS $f$
DECLARE
    line text;
BEGIN
    FOR line IN EXECUTE 'EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) ' || query LOOP
        IF line !~ 'bytes received' THEN
            RETURN NEXT line;
        END IF;
    END LOOP;
END $f$;
-- Fault counters start from zero, so the test can run again against the same server.
\! curl -s -X POST http://127.0.0.1:25480/_control/faults/reset > /dev/null
CREATE FUNCTION fault_table(name text, spec text, retries int DEFAULT 3) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('CREATE SERVER %I FOREIGN DATA WRAPPER socrata_fdw OPTIONS (base_url %L,
        max_retries %L, retry_delay ''10'', max_retry_delay ''20'', stall_timeout ''2'',
        page_size ''5000'')', name, 'http://127.0.0.1:25480/fault/' || spec, retries);
    EXECUTE format('CREATE FOREIGN TABLE %I (id bigint, year int, date timestamp,
        primary_type text) SERVER %I OPTIONS (dataset ''ijzp-q8t2'')', name, name);
END $$;

-- 429 twice with Retry-After: 1 second, then success: retried, same answer.
SELECT fault_table('throttled', 'status=429,retry_after=1,after=1,times=2');
SELECT socrata_explain('SELECT id FROM throttled WHERE year = 2015');
-- 503 and 500 are retried too.
SELECT fault_table('flaky', 'status=503,after=1,times=2');
SELECT count(*) FROM flaky WHERE year = 2015;
-- ...but not forever: after max_retries the error carries status, message and URL.
SELECT fault_table('down', 'status=500,after=1', 1);
SELECT count(*) FROM down WHERE year = 2015;
-- A bad request is not retried.
SELECT fault_table('forbidden', 'status=403,after=1');
SELECT count(*) FROM forbidden;
SELECT fault_table('missing', 'status=404,after=1');
SELECT count(*) FROM missing;
-- A body cut short is a network error, retried; a persistent one fails clearly.
SELECT fault_table('cut', 'truncate=1,after=1,times=1');
SELECT count(*) FROM cut WHERE year = 2015;
SELECT fault_table('cut_always', 'truncate=1,after=1', 1);
SELECT count(*) FROM cut_always WHERE year = 2015;
-- Malformed JSON is reported with the byte offset, not retried.
SELECT fault_table('garbled', 'malformed=1,after=1');
SELECT count(*) FROM garbled WHERE year = 2015;
-- The same on a row scan, which reads CSV (every column is a scalar field): a malformed CSV
-- body is reported with the record and field, a persistently cut one as a network error.
SELECT fault_table('garbled_csv', 'malformed=1,after=1');
SELECT count(*) FROM garbled_csv WHERE id + 0 > 0;
-- A page that a load balancer serves with status 200 while the portal is down (HTML) is no
-- answer: its first line is no CSV header of the fields asked for (read as CSV, it was rows
-- of NULLs, caught only by their missing :id), and a pushed count(*)'s JSON does not parse.
SELECT fault_table('maintenance', 'maintenance=1,after=1');
SELECT count(*) FROM maintenance WHERE id + 0 > 0;
SELECT count(*) FROM maintenance;
SELECT fault_table('cut_csv', 'truncate=1,after=1', 1);
SELECT count(*) FROM cut_csv WHERE id + 0 > 0;
-- A CSV body that nothing but a closed connection ends (no Content-Length, no chunked
-- encoding, as an HTTP/1.0 proxy sends it), cut at a line end, looks whole: its short page is
-- not taken as the last. One row asked for in JSON (whose closing bracket shows its end) finds
-- that rows follow, and the scan reads them: every row, as from the whole body.
SELECT fault_table('cut_unframed', 'unframed=1,truncate=1,after=1,times=1');
SELECT count(*) FROM cut_unframed WHERE id + 0 > 0;
SELECT fault_table('unframed', 'unframed=1,after=1');
SELECT socrata_explain('SELECT count(*) FROM unframed WHERE id + 0 > 0');
SELECT count(*) FROM unframed WHERE id + 0 > 0;
-- A server, or a cache in front of it, that answers every page with the first one (it ignores
-- the paging condition) is an error at the second page, not a scan that never ends.
SELECT fault_table('replayed', 'replay=1,after=1');
SELECT count(*) FROM replayed WHERE id + 0 > 0;
-- A page sent again later than the first page (here the second, for ever) is caught by its
-- first row, which the page before held.
SELECT fault_table('replayed_later', 'replay=1,after=2');
SET statement_timeout = '30s';
SELECT count(*) FROM replayed_later WHERE id + 0 > 0;
RESET statement_timeout;
-- Grouped rows have no :id, but their grouping keys tell them apart: checked the same way.
SELECT fault_table('replayed_groups', 'replay=1,after=1,tag=groups');
SET statement_timeout = '30s';
SELECT count(*) FROM (SELECT id, count(*) FROM replayed_groups GROUP BY id) AS g;
RESET statement_timeout;
-- The same when a pushed-down ORDER BY pages by $offset: the rows carry their :id there too.
SELECT fault_table('replayed_sorted', 'replay=1,after=1,tag=sorted');
SELECT count(DISTINCT id) FROM (SELECT id FROM replayed_sorted ORDER BY date DESC, id LIMIT 20000) AS s;
-- Offset paging reads each page from one row before, which must be the row that ended the page
-- before: rows deleted from (or added to) the dataset ahead of the position move every later
-- row, and the scan would skip (or repeat) rows.
SELECT fault_table('deleted_ahead', 'dropped=3,after=2');
SELECT count(*) FROM (SELECT id FROM deleted_ahead ORDER BY date DESC, id LIMIT 12000) AS s;
SELECT fault_table('added_ahead', 'added=3,after=2');
SELECT count(*) FROM (SELECT id FROM added_ahead ORDER BY date DESC, id LIMIT 12000) AS s;
-- The same for groups, with nothing moved: each page after the first starts on the last group
-- of the page before, and every primary type comes once.
SELECT fault_table('grouped_pages', 'tag=pages');
ALTER SERVER grouped_pages OPTIONS (SET page_size '4');
SELECT socrata_explain('SELECT primary_type, count(*) FROM grouped_pages GROUP BY 1');
SELECT count(*) > 8 AS three_pages_or_more, count(DISTINCT primary_type) = count(*) AS each_once,
       sum(n) = (SELECT count(*) FROM grouped_pages) AS all_rows
FROM (SELECT primary_type, count(*) AS n FROM grouped_pages GROUP BY 1) AS g;
-- A value of the wrong type names the column, the value and the row (a row scan: CSV).
SELECT fault_table('wrongtype', 'wrongtype=year,after=1');
SELECT sum(year + 0) FROM wrongtype WHERE primary_type = 'THEFT';
-- So does a location a point column cannot read (a LineString); as jsonb it reads as it came.
CREATE SERVER wrongpoint FOREIGN DATA WRAPPER socrata_fdw
    OPTIONS (base_url 'http://127.0.0.1:25480/fault/wrongtype=location,row=2', max_retries '0');
CREATE FOREIGN TABLE wrongpoint (district text, station_point point OPTIONS (column_name 'location'))
    SERVER wrongpoint OPTIONS (dataset 'z8bn-74gv');
CREATE FOREIGN TABLE wrongpoint_json (district text, location jsonb)
    SERVER wrongpoint OPTIONS (dataset 'z8bn-74gv');
SELECT count(station_point) FROM wrongpoint;
-- Its SQLSTATE is the one a type's input function gives a value it cannot read (22P02).
\set VERBOSITY sqlstate
SELECT count(station_point) FROM wrongpoint;
\set VERBOSITY default
SELECT location ->> 'type' AS type FROM wrongpoint_json WHERE location ? 'type';
DROP SERVER wrongpoint CASCADE;
-- A stalled body is abandoned after stall_timeout and retried.
SELECT fault_table('stalled', 'stall=30,after=1,times=1');
SELECT count(*) FROM stalled WHERE year = 2015;
SELECT fault_table('stalled_explained', 'stall=30,after=1,times=1,tag=explained');
SELECT socrata_explain('SELECT count(*) FROM stalled_explained WHERE year = 2015');
-- Without retries, the error says so. (Were stall_timeout ignored, the body would come whole
-- after its 30 s pause, and the count with it.)
SELECT fault_table('stalled_once', 'stall=30,after=1,times=1,tag=once', 0);
SELECT count(*) FROM stalled_once WHERE year = 2015;
-- Nothing listening: a clear connection error.
CREATE SERVER nowhere FOREIGN DATA WRAPPER socrata_fdw
    OPTIONS (base_url 'http://127.0.0.1:9', max_retries '0', connect_timeout '2');
CREATE FOREIGN TABLE nowhere_t (id bigint) SERVER nowhere OPTIONS (dataset 'ijzp-q8t2');
-- curl's wording includes a time in ms: keep the stable part, and keep out the warning about
-- the failed metadata request (below), whose detail has that time too.
CREATE TEMP TABLE nowhere_error (e text);
SET client_min_messages = error;
DO $$
BEGIN
    PERFORM count(*) FROM nowhere_t;
EXCEPTION WHEN OTHERS THEN
    INSERT INTO nowhere_error VALUES (SQLSTATE || ' / ' || split_part(SQLERRM, ' after ', 1));
END $$;
RESET client_min_messages;
SELECT e FROM nowhere_error;
-- When the metadata request fails, the query still runs, with nothing pushed down, and says so:
-- unfiltered, a scan of a large dataset reads all of it.
SELECT fault_table('no_metadata', 'status=503,times=1', 0);
SELECT count(*) FROM no_metadata WHERE year = 2015;
-- The next query reads the metadata, and pushes its filter again.
SELECT socrata_explain('SELECT count(*) FROM no_metadata WHERE year = 2015');
-- ANALYZE without the metadata still samples, and says what it cannot do without it. (Its first
-- request is the dataset's count, its second the metadata.)
SELECT fault_table('no_metadata_analyze', 'status=503,after=1,times=1,tag=analyze', 0);
ANALYZE no_metadata_analyze;
SELECT reltuples FROM pg_class WHERE oid = 'no_metadata_analyze'::regclass;

-- The app token is sent as a header and never appears in errors or EXPLAIN. (A server of its
-- own, whose first request, the metadata asked for with the token, succeeds.)
SELECT fault_table('down_token', 'status=500,after=1,tag=token', 1);
CREATE USER MAPPING FOR CURRENT_USER SERVER down_token OPTIONS (app_token 'TOKEN-5ecret-zz');
SELECT count(*) FROM down_token WHERE year = 2015;
EXPLAIN (VERBOSE, COSTS OFF) SELECT id FROM down_token WHERE year = 2015;
DO $$
DECLARE
    detail text;
    hint text;
BEGIN
    PERFORM count(*) FROM down_token;
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS detail = PG_EXCEPTION_DETAIL, hint = PG_EXCEPTION_HINT;
    RAISE NOTICE 'token in message: %, detail: %, hint: %', strpos(SQLERRM, '5ecret') > 0,
        strpos(detail, '5ecret') > 0, strpos(hint, '5ecret') > 0;
END $$;

DROP SERVER throttled, flaky, down, down_token, forbidden, missing, cut, cut_always, garbled, wrongtype,
    stalled, stalled_once, nowhere, no_metadata, no_metadata_analyze CASCADE;
DROP FUNCTION fault_table;
