-- ANALYZE of foreign tables: remote count(*) for the row count, then a sample of rows.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS socrata_fdw;
RESET client_min_messages;
CREATE SERVER ana23_srv FOREIGN DATA WRAPPER socrata_fdw
  OPTIONS (base_url 'http://127.0.0.1:25480');
CREATE FOREIGN TABLE ana23_crimes (id bigint, date timestamp, primary_type text,
  arrest boolean, ward int, location jsonb)
  SERVER ana23_srv OPTIONS (dataset 'ijzp-q8t2');
CREATE FOREIGN TABLE ana23_stations (district text, district_name text, latitude numeric,
  location jsonb, station_point point OPTIONS (column_name 'location'))
  SERVER ana23_srv OPTIONS (dataset 'z8bn-74gv');
CREATE FOREIGN TABLE ana23_log (seq bigint, dataset text, path text, "select" text, "order" text,
  "limit" text, "offset" text, status int)
  SERVER ana23_srv OPTIONS (dataset 'reqs-logs');
SELECT coalesce(max(seq), 0) AS before FROM ana23_log \gset

-- 60,000 rows, 3,000 wanted (statistics target 10): 30 runs (analyze_sample_runs) of 100 rows
-- at distinct random offsets (offset 0, sent without $offset, is one of the 600 possible).
SET default_statistics_target = 10;
ANALYZE ana23_crimes;
RESET default_statistics_target;
SELECT reltuples FROM pg_class WHERE oid = 'ana23_crimes'::regclass;
SELECT attname, null_frac = 0 AS no_nulls, n_distinct
FROM pg_stats WHERE tablename = 'ana23_crimes' AND attname IN ('arrest', 'id')
ORDER BY attname;
SELECT count(*) AS columns_with_stats FROM pg_stats
WHERE tablename = 'ana23_crimes' AND attname IN ('date', 'primary_type', 'ward', 'location');
SELECT "select", "order", "limit", status, count(*),
       count(DISTINCT coalesce("offset", '0')) AS offsets
FROM ana23_log WHERE seq > :before AND dataset = 'ijzp-q8t2'
  AND "select" IN ('count(*) AS row_count', 'id,date,primary_type,arrest,ward,location,:id')
GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3;
-- The table's option says how many runs: 4 runs of 750 rows.
ALTER FOREIGN TABLE ana23_crimes OPTIONS (ADD analyze_sample_runs '4');
SELECT coalesce(max(seq), 0) AS before FROM ana23_log \gset
SET default_statistics_target = 10;
ANALYZE ana23_crimes;
RESET default_statistics_target;
SELECT "limit", count(*) FROM ana23_log
WHERE seq > :before AND dataset = 'ijzp-q8t2'
  AND "select" = 'id,date,primary_type,arrest,ward,location,:id'
GROUP BY 1;

-- A small dataset is read whole; point and jsonb columns convert as in scans.
ANALYZE ana23_stations;
SELECT reltuples FROM pg_class WHERE oid = 'ana23_stations'::regclass;
SELECT attname, null_frac, n_distinct FROM pg_stats WHERE tablename = 'ana23_stations'
ORDER BY attname;

-- The planner uses the statistics.
EXPLAIN (COSTS ON) SELECT * FROM ana23_stations;

-- A dropped column leaves a gap in the attribute numbers: scans, pushdown and ANALYZE must
-- skip it and still put every value in its own column (compared with a table without the gap).
CREATE FOREIGN TABLE ana23_gap (id bigint, junk int, ward int)
  SERVER ana23_srv OPTIONS (dataset 'ijzp-q8t2');
ALTER FOREIGN TABLE ana23_gap DROP COLUMN junk;
ALTER FOREIGN TABLE ana23_gap ADD COLUMN arrest boolean;
CREATE FOREIGN TABLE ana23_nogap (id bigint, ward int, arrest boolean)
  SERVER ana23_srv OPTIONS (dataset 'ijzp-q8t2');
SELECT count(*) AS rows_differing FROM (
  (SELECT id, ward, arrest FROM ana23_gap EXCEPT ALL SELECT id, ward, arrest FROM ana23_nogap)
  UNION ALL
  (SELECT id, ward, arrest FROM ana23_nogap EXCEPT ALL SELECT id, ward, arrest FROM ana23_gap)) d;
SELECT count(*) FROM ana23_gap WHERE ward = 3 AND arrest;
SELECT count(*) FROM ana23_nogap WHERE ward = 3 AND arrest;
EXPLAIN (VERBOSE, COSTS OFF) SELECT * FROM ana23_gap WHERE ward = 3 AND arrest;
SELECT coalesce(max(seq), 0) AS before FROM ana23_log \gset
ANALYZE ana23_gap;
SELECT attname, null_frac = 0 AS no_nulls, n_distinct FROM pg_stats
WHERE tablename = 'ana23_gap' ORDER BY attname;
-- Its columns read the same in CSV, which is cheaper to decode: the sample's 30 runs are read
-- as a scan would read them. (ana23_crimes's location reads as JSON only: its runs were JSON.)
SELECT path, count(*) FROM ana23_log
WHERE seq > :before AND dataset = 'ijzp-q8t2' AND "select" = 'id,ward,arrest,:id'
GROUP BY path ORDER BY path;

-- ANALYZE of several tables stops at the first that fails: the error says which one it was.
CREATE SERVER ana23_down FOREIGN DATA WRAPPER socrata_fdw
  OPTIONS (base_url 'http://127.0.0.1:25480/fault/status=500', max_retries '0');
CREATE FOREIGN TABLE ana23_down_crimes (id bigint) SERVER ana23_down
  OPTIONS (dataset 'ijzp-q8t2');
ANALYZE ana23_stations, ana23_down_crimes;
DROP SERVER ana23_down CASCADE;
-- Without metadata (its request, the second, fails) the sample is read in JSON, unless the
-- table forces CSV.
CREATE SERVER ana23_nometa FOREIGN DATA WRAPPER socrata_fdw OPTIONS (base_url
  'http://127.0.0.1:25480/fault/status=500,after=1,times=1,tag=ana23', max_retries '0');
CREATE FOREIGN TABLE ana23_nometa_crimes (id bigint) SERVER ana23_nometa
  OPTIONS (dataset 'ijzp-q8t2');
-- (Fault counters from zero, so that the test can run again against the same server.)
\! curl -s -X POST http://127.0.0.1:25480/_control/faults/reset > /dev/null
ANALYZE ana23_nometa_crimes;
ALTER FOREIGN TABLE ana23_nometa_crimes OPTIONS (ADD response_format 'csv');
ALTER SERVER ana23_nometa OPTIONS (SET base_url
  'http://127.0.0.1:25480/fault/status=500,after=1,times=1,tag=ana23csv');
ANALYZE ana23_nometa_crimes;
DROP SERVER ana23_nometa CASCADE;

-- A dataset ANALYZE found empty is planned as empty (reltuples 0), not as the 100,000 rows
-- assumed of a table never analyzed (reltuples -1), which it was taken for.
\! curl -s -X POST 'http://127.0.0.1:25480/_control/datasets/z8bn-74gv/clone?to=empt-y023' > /dev/null
\! curl -s 'http://127.0.0.1:25480/resource/empt-y023.json?$select=district' | python3 -c 'import json,sys; print(json.dumps({"ids":[r["district"] for r in json.load(sys.stdin)]}))' | curl -s -X POST -H 'Content-Type: application/json' --data-binary @- http://127.0.0.1:25480/_control/datasets/empt-y023/delete > /dev/null
CREATE FOREIGN TABLE ana23_empty (district text, district_name text) SERVER ana23_srv
  OPTIONS (dataset 'empt-y023');
EXPLAIN SELECT * FROM ana23_empty;
ANALYZE ana23_empty;
SELECT reltuples FROM pg_class WHERE oid = 'ana23_empty'::regclass;
EXPLAIN SELECT * FROM ana23_empty;
\! curl -s -X POST http://127.0.0.1:25480/_control/datasets/empt-y023/drop > /dev/null

-- A table never analyzed counts its conditions once in a parameterized scan's estimate:
-- 100,000 rows x 0.005 (primary_type =) x 0.005 (id = $1). They were applied to the rows left
-- after the conditions (500), which gave 1 row.
CREATE FOREIGN TABLE ana23_never (id bigint, primary_type text) SERVER ana23_srv
  OPTIONS (dataset 'ijzp-q8t2');
CREATE TEMP TABLE ana23_picks AS SELECT g::bigint AS id FROM generate_series(879, 881) g;
ANALYZE ana23_picks;
SET enable_hashjoin = off;
SET enable_mergejoin = off;
SET enable_material = off;
EXPLAIN SELECT * FROM ana23_picks p JOIN ana23_never c ON c.id = p.id
WHERE c.primary_type = 'THEFT';
RESET enable_hashjoin;
RESET enable_mergejoin;
RESET enable_material;

-- ANALYZE reads a table through its owner's user mapping, the count as well as the sample
-- (PostgreSQL switches to the owner only after asking for the pages: the count went out with
-- the caller's mapping, here none).
CREATE ROLE ana23_owner;
GRANT USAGE ON FOREIGN SERVER ana23_srv TO ana23_owner;
CREATE USER MAPPING FOR ana23_owner SERVER ana23_srv OPTIONS (app_token 'ana23-owner-token');
CREATE FOREIGN TABLE ana23_owned (district text) SERVER ana23_srv OPTIONS (dataset 'z8bn-74gv');
ALTER FOREIGN TABLE ana23_owned OWNER TO ana23_owner;
CREATE FOREIGN TABLE ana23_token_log (seq bigint, dataset text, "select" text,
  token_present boolean) SERVER ana23_srv OPTIONS (dataset 'reqs-logs');
SELECT coalesce(max(seq), 0) AS before FROM ana23_token_log \gset
ANALYZE ana23_owned;
SELECT "select", token_present, count(*) FROM ana23_token_log
WHERE seq > :before AND dataset = 'z8bn-74gv' GROUP BY 1, 2 ORDER BY 1;
DROP FOREIGN TABLE ana23_owned, ana23_token_log;
DROP USER MAPPING FOR ana23_owner SERVER ana23_srv;
REVOKE USAGE ON FOREIGN SERVER ana23_srv FROM ana23_owner;
DROP ROLE ana23_owner;

-- An inheritance parent's sample is shared among its children by their pages: a dataset's are
-- its rows in pages of its row width (each had one page, so 60,000 crimes got half the sample,
-- as much as 23 stations).
CREATE TABLE ana23_parent (district text);
CREATE FOREIGN TABLE ana23_kid_crimes () INHERITS (ana23_parent) SERVER ana23_srv
  OPTIONS (dataset 'ijzp-q8t2');
CREATE FOREIGN TABLE ana23_kid_stations () INHERITS (ana23_parent) SERVER ana23_srv
  OPTIONS (dataset 'z8bn-74gv');
ANALYZE VERBOSE ana23_parent;
DROP TABLE ana23_parent CASCADE;

DROP SERVER ana23_srv CASCADE;
