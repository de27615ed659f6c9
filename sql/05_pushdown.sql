-- WHERE and ORDER BY pushdown: what reaches Socrata, and identical results with and without it.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS socrata_fdw;
RESET client_min_messages;
-- The test server compares and sorts text by code point: text_code_point_order says so.
CREATE SERVER push FOREIGN DATA WRAPPER socrata_fdw
  OPTIONS (base_url 'http://127.0.0.1:25480', text_code_point_order 'true');
CREATE FOREIGN TABLE pcrimes (
    id bigint, case_number text, date timestamp, block text, iucr text, primary_type text,
    description text, arrest boolean, domestic boolean, beat text, district text, ward int,
    community_area int, x_coordinate numeric, year int, updated_on timestamp, latitude float8
) SERVER push OPTIONS (dataset 'ijzp-q8t2');
-- The request log of the local server, read through the wrapper itself.
CREATE FOREIGN TABLE request_log (seq bigint, dataset text, "select" text, "where" text,
    "order" text, "limit" text, status int, token_present boolean)
    SERVER push OPTIONS (dataset 'reqs-logs');
-- A local copy: the same queries over it are the reference answers.
CREATE TEMP TABLE lcrimes AS SELECT * FROM pcrimes;

CREATE FUNCTION same_result(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    differences bigint;
    remote_rows bigint;
BEGIN
    EXECUTE format('SELECT count(*) FROM (((%s) EXCEPT ALL (%s)) UNION ALL ((%s) EXCEPT ALL (%s))) d',
        q, replace(q, 'pcrimes', 'lcrimes'), replace(q, 'pcrimes', 'lcrimes'), q)
        INTO differences;
    EXECUTE format('SELECT count(*) FROM (%s) r', q) INTO remote_rows;
    RETURN format('%s rows, %s differences', remote_rows, differences);
END $$;

-- Each construct: EXPLAIN shows the SoQL; the results equal the local copy's.
EXPLAIN (COSTS OFF) SELECT id FROM pcrimes WHERE primary_type = 'THEFT' AND year >= 2020;
SELECT same_result($q$SELECT id FROM pcrimes WHERE primary_type = 'THEFT' AND year >= 2020$q$);
EXPLAIN (COSTS OFF) SELECT id FROM pcrimes WHERE ward IN (1, 2, 42) OR district = '011';
SELECT same_result($q$SELECT id FROM pcrimes WHERE ward IN (1, 2, 42) OR district = '011'$q$);
EXPLAIN (COSTS OFF) SELECT id FROM pcrimes WHERE ward <> ALL (ARRAY[1, 2]) AND NOT arrest;
SELECT same_result($q$SELECT id FROM pcrimes WHERE ward <> ALL (ARRAY[1, 2]) AND NOT arrest$q$);
-- Array comparisons other than = ANY and <> ALL (IN and NOT IN) have no SoQL form: they stay
-- local, and only the conditions beside them are sent.
EXPLAIN (COSTS OFF) SELECT id FROM pcrimes WHERE ward = ALL (ARRAY[3, 4]) AND arrest;
SELECT same_result($q$SELECT id FROM pcrimes WHERE ward = ALL (ARRAY[3, 4]) AND arrest$q$);
SELECT same_result($q$SELECT id FROM pcrimes WHERE ward <> ANY (ARRAY[3, 4])$q$);
SELECT same_result($q$SELECT id FROM pcrimes WHERE ward < ANY (ARRAY[3, 5])$q$);
SELECT same_result($q$SELECT id FROM pcrimes WHERE ward >= ALL (ARRAY[40, 45])$q$);
-- A cast that costs nothing (text to bpchar, int to oid) leaves the column, but the operator
-- is the cast type's: bpchar's = ignores trailing spaces, oid's < compares unsigned. Local.
EXPLAIN (COSTS OFF) SELECT id FROM pcrimes WHERE beat::bpchar = district::bpchar AND arrest;
SELECT same_result($q$SELECT id FROM pcrimes WHERE beat::bpchar = district::bpchar AND arrest$q$);
EXPLAIN (COSTS OFF) SELECT id FROM pcrimes WHERE ward::oid < year::oid AND arrest;
SELECT same_result($q$SELECT id FROM pcrimes WHERE ward::oid < year::oid AND arrest$q$);
EXPLAIN (COSTS OFF) SELECT id FROM pcrimes WHERE case_number IS NULL AND latitude IS NOT NULL;
SELECT same_result($q$SELECT id FROM pcrimes WHERE case_number IS NULL AND latitude IS NOT NULL$q$);
EXPLAIN (COSTS OFF) SELECT id FROM pcrimes WHERE date BETWEEN '2015-01-01' AND '2015-03-31 23:59:59';
SELECT same_result($q$SELECT id FROM pcrimes WHERE date BETWEEN '2015-01-01' AND '2015-03-31 23:59:59'$q$);
EXPLAIN (COSTS OFF) SELECT id FROM pcrimes WHERE description LIKE '%RETAIL%' AND arrest AND x_coordinate > 1170000.5;
SELECT same_result($q$SELECT id FROM pcrimes WHERE description LIKE '%RETAIL%' AND arrest AND x_coordinate > 1170000.5$q$);
-- Not pushed (evaluated locally): text ranges under a non-C collation, ILIKE, functions.
EXPLAIN (COSTS OFF) SELECT id FROM pcrimes WHERE block > 'Z' AND description ILIKE '%retail%' AND lower(primary_type) = 'theft';
SELECT same_result($q$SELECT id FROM pcrimes WHERE block > 'Z' AND description ILIKE '%retail%' AND lower(primary_type) = 'theft'$q$);
-- ...but a text range under the C collation is.
EXPLAIN (COSTS OFF) SELECT id FROM pcrimes WHERE block COLLATE "C" >= '100XX W' AND block COLLATE "C" < '101';
SELECT same_result($q$SELECT id FROM pcrimes WHERE block COLLATE "C" >= '100XX W' AND block COLLATE "C" < '101'$q$);
-- Only where the server (or table) says that the portal orders text by code point: by default
-- (the real portal's order is not known) text ranges and sorts stay local, under C too.
ALTER SERVER push OPTIONS (DROP text_code_point_order);
EXPLAIN (COSTS OFF) SELECT id FROM pcrimes WHERE block COLLATE "C" >= '100XX W' AND block COLLATE "C" < '101';
EXPLAIN (COSTS OFF) SELECT id FROM pcrimes WHERE year = 2019 ORDER BY block COLLATE "C" LIMIT 3;
-- (min/max of text, and a grouped text key's order, too; sql/20_aggregates has them pushed.)
EXPLAIN (COSTS OFF) SELECT min(block COLLATE "C") FROM pcrimes WHERE year = 2019;
EXPLAIN (COSTS OFF) SELECT block COLLATE "C" AS b, count(*) FROM pcrimes WHERE year = 2019
GROUP BY 1 ORDER BY 1 LIMIT 3;
ALTER FOREIGN TABLE pcrimes OPTIONS (ADD text_code_point_order 'true');
EXPLAIN (COSTS OFF) SELECT id FROM pcrimes WHERE year = 2019 ORDER BY block COLLATE "C" LIMIT 3;
ALTER FOREIGN TABLE pcrimes OPTIONS (DROP text_code_point_order);
ALTER SERVER push OPTIONS (ADD text_code_point_order 'true');
-- A local column type that differs from the remote type (community_area is text remotely).
EXPLAIN (COSTS OFF) SELECT id FROM pcrimes WHERE community_area = 25;
SELECT same_result($q$SELECT id FROM pcrimes WHERE community_area = 25$q$);
-- ORDER BY is pushed when every key can be.
EXPLAIN (COSTS OFF) SELECT id, date FROM pcrimes WHERE year = 2019 ORDER BY date DESC, id;
SELECT same_result($q$SELECT id, date FROM pcrimes WHERE year = 2019 ORDER BY date DESC, id$q$);
SELECT (SELECT array_agg(id) FROM (SELECT id FROM pcrimes WHERE year = 2019 ORDER BY date DESC, id) a)
     = (SELECT array_agg(id) FROM (SELECT id FROM lcrimes WHERE year = 2019 ORDER BY date DESC, id) b)
    AS same_order;

-- Stable expressions and parameters are evaluated once at scan start and sent as literals.
SELECT max(seq) AS mark FROM request_log \gset
PREPARE by_type(text, int) AS SELECT count(*) FROM pcrimes WHERE primary_type = $1 AND year = $2;
EXECUTE by_type('BATTERY', 2014);
SELECT count(*) FROM pcrimes WHERE date > '2026-01-01'::timestamp - interval '1 year';
DO $$
DECLARE
    t text := 'ROBBERY';
    n bigint;
BEGIN
    SELECT count(*) INTO n FROM pcrimes WHERE primary_type = t;
    RAISE NOTICE 'robberies: %', n;
END $$;
SELECT "where" FROM request_log WHERE seq > :mark AND dataset = 'ijzp-q8t2' ORDER BY seq;

-- Hostile literals arrive as literals: quotes, %, &, #, +, unicode, SoQL keywords.
SELECT max(seq) AS mark FROM request_log \gset
SELECT count(*) FROM pcrimes
WHERE primary_type IN ('O''Brien', '50% & more', 'a#b', 'x+y=z', 'Łódź ☃', ''' OR 1=1 --',
                       'THEFT'' OR primary_type != ''', '$where=true', 'ORDER BY id');
SELECT "where" FROM request_log WHERE seq > :mark AND dataset = 'ijzp-q8t2' ORDER BY seq;

-- A condition too long for the URL (over 4,096 bytes of $where) is evaluated locally and the
-- others are still sent: 1,500 ids would make a 19 kB request, which nginx (8 kB) refuses.
SELECT format('SELECT id FROM pcrimes WHERE year >= 2010 AND id IN (%s) AND NOT domestic',
              string_agg(id::text, ',')) AS long_in
FROM (SELECT id FROM lcrimes ORDER BY id LIMIT 1500) s \gset
CREATE FUNCTION plan_lines(q text) RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE
    line text;
BEGIN
    FOR line IN EXECUTE 'EXPLAIN (COSTS OFF) ' || q LOOP
        RETURN NEXT regexp_replace(line, '\{[^}]*\}', '{...}'); -- the 1,500 ids
    END LOOP;
END $$;
SELECT plan_lines(:'long_in');
SELECT same_result(:'long_in');
-- A parameter is known only when the query runs, too late to keep it local: a generic plan
-- sends it, and the server's 414 comes back with the URL's length and what to do.
PREPARE long_type(text) AS SELECT count(*) FROM pcrimes WHERE primary_type = $1;
SET plan_cache_mode = force_generic_plan;
DO $$
DECLARE
    hint text;
BEGIN
    EXECUTE 'EXECUTE long_type(repeat(''x'', 9000))';
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS hint = PG_EXCEPTION_HINT;
    RAISE NOTICE '% (%): %', SQLERRM, SQLSTATE, hint;
END $$;
RESET plan_cache_mode;
EXECUTE long_type(repeat('x', 9000)); -- a custom plan: the condition stays local
-- So is a stable function's value, computed when the scan starts.
SELECT set_config('pushdown.long_type', repeat('x', 9000), false) IS NOT NULL AS long_type_set;
DO $$
BEGIN
    PERFORM count(*) FROM pcrimes WHERE primary_type = current_setting('pushdown.long_type');
EXCEPTION WHEN OTHERS THEN
    RAISE NOTICE '% (%)', SQLERRM, SQLSTATE;
END $$;

-- With a user mapping, the app token travels as the X-App-Token header (never in the URL); the
-- metadata is asked for again with it (it is cached per token).
SELECT max(seq) AS mark FROM request_log \gset
CREATE USER MAPPING FOR CURRENT_USER SERVER push OPTIONS (app_token 'tok-123');
SELECT count(*) FROM pcrimes WHERE id = 983;
SELECT token_present, "where" FROM request_log
WHERE seq > :mark AND dataset = 'ijzp-q8t2' ORDER BY seq;
DROP USER MAPPING FOR CURRENT_USER SERVER push;

-- A date past timestamp's range (294277 AD on) is later than every timestamp, as Postgres
-- compares them: a constant, an IN list and a runtime value (a generic plan's parameter).
EXPLAIN (COSTS OFF) SELECT id FROM pcrimes WHERE date < '300000-01-01'::date;
SELECT same_result($q$SELECT id FROM pcrimes WHERE date < '300000-01-01'::date$q$);
SELECT same_result($q$SELECT id FROM pcrimes WHERE date >= '300000-01-01'::date$q$);
SELECT same_result($q$SELECT id FROM pcrimes WHERE date = ANY ('{300000-01-01,2015-06-01}'::date[])$q$);
PREPARE late_date(date) AS SELECT count(*) FROM pcrimes WHERE date < $1;
SET plan_cache_mode = force_generic_plan;
EXECUTE late_date('300000-01-01');
RESET plan_cache_mode;
DEALLOCATE late_date;

-- `:id` reads as text, but the portal keeps a number behind it (the text is an obfuscated form
-- of it) and orders by that number: equality and IN are pushed; ranges, LIKE, sorts and min/max
-- are not, even under the C collation (this server's ids happen to sort as their text).
CREATE FOREIGN TABLE prows (id bigint, row_id text OPTIONS (column_name ':id') COLLATE "C")
    SERVER push OPTIONS (dataset 'ijzp-q8t2');
SELECT row_id AS some_row FROM prows WHERE id = 983 \gset
SELECT id FROM prows WHERE row_id = :'some_row';
EXPLAIN (COSTS OFF) SELECT id FROM prows WHERE row_id = :'some_row';
EXPLAIN (COSTS OFF) SELECT id FROM prows WHERE row_id IN (:'some_row', 'row-aaaa.bbbb');
EXPLAIN (COSTS OFF) SELECT id FROM prows WHERE row_id > :'some_row';
EXPLAIN (COSTS OFF) SELECT id FROM prows WHERE row_id LIKE 'row-%';
EXPLAIN (COSTS OFF) SELECT id FROM prows ORDER BY row_id LIMIT 3;
EXPLAIN (COSTS OFF) SELECT min(row_id) FROM prows;
EXPLAIN (COSTS OFF) SELECT row_id, count(*) FROM prows GROUP BY row_id ORDER BY row_id LIMIT 3;
-- A text that is no row id ('row-' and three groups of four letters) equals no row, but the
-- portal refuses it with HTTP 400: it is sent as a comparison that holds for no row (for <>,
-- every row), and left out of an IN list; a join's keys are rendered the same way.
SELECT count(*) FROM prows WHERE row_id = 'JA123456';
EXPLAIN (COSTS OFF) SELECT id FROM prows WHERE row_id = 'JA123456';
SELECT count(*) FROM prows WHERE row_id <> 'JA123456';
SELECT id FROM prows WHERE row_id IN (:'some_row', 'JA123456');
EXPLAIN (COSTS OFF) SELECT id FROM prows WHERE row_id NOT IN ('JA123456', 'row-x');
CREATE TEMP TABLE wanted_rows (row_id text);
INSERT INTO wanted_rows VALUES (:'some_row'), ('JA123456');
SET enable_hashjoin = off; SET enable_mergejoin = off;
SELECT p.id FROM wanted_rows w JOIN prows p ON p.row_id = w.row_id;
RESET enable_hashjoin; RESET enable_mergejoin;
-- Nor is :id compared with a text field: SoQL compares two fields of the same type only.
CREATE FOREIGN TABLE prows_cases (row_id text OPTIONS (column_name ':id'), case_number text)
    SERVER push OPTIONS (dataset 'ijzp-q8t2');
SELECT count(*) FROM prows_cases WHERE row_id = case_number;
EXPLAIN (COSTS OFF) SELECT case_number FROM prows_cases WHERE row_id = case_number;

-- A url field's value is an object ({"url": ...}): declared text, the column holds that JSON,
-- while SoQL would compare the url part and has no LIKE for it. Nothing on it is pushed.
CREATE FOREIGN TABLE pstations (district text COLLATE "C", website text COLLATE "C")
    SERVER push OPTIONS (dataset 'z8bn-74gv');
SELECT district, website FROM pstations WHERE district = '1';
SELECT district FROM pstations
 WHERE website = '{"url":"http://home.chicagopolice.org/community/districts/1st-district-central/"}';
EXPLAIN (COSTS OFF) SELECT district FROM pstations WHERE website = 'http://home.chicagopolice.org';
EXPLAIN (COSTS OFF) SELECT district FROM pstations WHERE website LIKE '%central%';
EXPLAIN (COSTS OFF) SELECT district FROM pstations WHERE website > 'http' ORDER BY website LIMIT 3;
EXPLAIN (COSTS OFF) SELECT max(website) FROM pstations;

-- A double field is binary floating point on the portal, which sums it so (0.1 + 0.2 gives
-- 0.30000000000000004): its sum stays local, even into numeric, where a number field's is
-- pushed. Comparisons with constants are pushed; a double compared with a number field is
-- not (SoQL refuses fields of two types).
CREATE FOREIGN TABLE pdoubles (label text, amount float8, amount_exact numeric
    OPTIONS (column_name 'amount'), exact numeric) SERVER push OPTIONS (dataset 'dbls-test');
SELECT sum(amount_exact) AS sum_of_double, sum(exact) AS sum_of_number
FROM pdoubles WHERE amount < 1;
EXPLAIN (COSTS OFF) SELECT sum(amount_exact) FROM pdoubles;
EXPLAIN (COSTS OFF) SELECT sum(exact) FROM pdoubles;
SELECT label FROM pdoubles WHERE amount > 0.15 ORDER BY label;
EXPLAIN (COSTS OFF) SELECT label FROM pdoubles WHERE amount > 0.15;
SELECT label FROM pdoubles WHERE amount_exact = exact ORDER BY label;
EXPLAIN (COSTS OFF) SELECT label FROM pdoubles WHERE amount_exact = exact;
-- The portal reads a number compared with a double field as a double: a constant that is no
-- double's shortest decimal stays local (0.10000000000000000001 is the double 0.1 there, and
-- more than 0.1 here).
SELECT label FROM pdoubles WHERE amount_exact < 0.10000000000000000001;
EXPLAIN (COSTS OFF) SELECT label FROM pdoubles WHERE amount_exact < 0.10000000000000000001;
EXPLAIN (COSTS OFF) SELECT label FROM pdoubles WHERE amount_exact IN (0.1, 2.5);
EXPLAIN (COSTS OFF) SELECT label FROM pdoubles WHERE amount_exact IN (0.1, 0.10000000000000000001);

DROP SERVER push CASCADE;
DROP FUNCTION same_result;
DROP FUNCTION plan_lines;
