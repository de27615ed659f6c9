-- LIMIT/OFFSET pushdown: constant limits over a scan whose WHERE and ORDER BY were pushed.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS socrata_fdw;
RESET client_min_messages;
CREATE SERVER lim21_srv FOREIGN DATA WRAPPER socrata_fdw
  OPTIONS (base_url 'http://127.0.0.1:25480');
CREATE FOREIGN TABLE lim21_crimes (id bigint, case_number text, date timestamp, block text,
  iucr text, primary_type text, description text, location_description text, arrest boolean,
  domestic boolean, beat text, district text, ward int, community_area int, fbi_code text,
  x_coordinate numeric, y_coordinate numeric, year int, updated_on timestamp,
  latitude float8, longitude float8, location jsonb)
  SERVER lim21_srv OPTIONS (dataset 'ijzp-q8t2');
CREATE FOREIGN TABLE lim21_log (seq bigint, dataset text, "select" text, "where" text,
  "order" text, "limit" text, "offset" text, status int)
  SERVER lim21_srv OPTIONS (dataset 'reqs-logs');
CREATE TABLE lim21_local AS SELECT * FROM lim21_crimes;
SELECT coalesce(max(seq), 0) AS before FROM lim21_log \gset

EXPLAIN (VERBOSE, COSTS OFF) SELECT * FROM lim21_crimes ORDER BY date DESC, id LIMIT 5;
SELECT id, date, primary_type FROM lim21_crimes ORDER BY date DESC, id LIMIT 5;
SELECT id, date, primary_type FROM lim21_local ORDER BY date DESC, id LIMIT 5;

EXPLAIN (VERBOSE, COSTS OFF)
SELECT id, upper(primary_type) FROM lim21_crimes WHERE ward = 3 ORDER BY id LIMIT 4 OFFSET 10;
SELECT id, upper(primary_type) FROM lim21_crimes WHERE ward = 3 ORDER BY id LIMIT 4 OFFSET 10;
SELECT id, upper(primary_type) FROM lim21_local WHERE ward = 3 ORDER BY id LIMIT 4 OFFSET 10;

-- Without ORDER BY any rows will do: the count is what matters.
EXPLAIN (VERBOSE, COSTS OFF) SELECT id FROM lim21_crimes LIMIT 3;
SELECT count(*) FROM (SELECT id FROM lim21_crimes LIMIT 3) s;

-- Not pushed: a condition evaluated locally. A prepared LIMIT $1 is pushed in custom plans.
EXPLAIN (COSTS OFF) SELECT id FROM lim21_crimes WHERE lower(block) = 'x' LIMIT 3;
PREPARE lim21_q(bigint) AS SELECT id FROM lim21_crimes ORDER BY id LIMIT $1;
EXPLAIN (COSTS OFF) EXECUTE lim21_q(2);
EXECUTE lim21_q(2);
DEALLOCATE lim21_q;
-- A NULL parameter compared by a whole condition matches no row: under a pushed LIMIT too, the
-- scan sends no request (Socrata pages: 0; the request log below has no "ward = null").
PREPARE lim21_ward(int) AS SELECT id FROM lim21_crimes WHERE ward = $1 LIMIT 3;
SET plan_cache_mode = force_generic_plan;
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) EXECUTE lim21_ward(NULL);
RESET plan_cache_mode;
DEALLOCATE lim21_ward;

-- Over a pushed aggregate: top N by count, and groups by a key with OFFSET.
EXPLAIN (VERBOSE, COSTS OFF)
SELECT primary_type, count(*) FROM lim21_crimes GROUP BY 1 ORDER BY 2 DESC LIMIT 3;
SELECT primary_type, count(*) FROM lim21_crimes GROUP BY 1 ORDER BY 2 DESC LIMIT 3;
SELECT primary_type, count(*) FROM lim21_local GROUP BY 1 ORDER BY 2 DESC LIMIT 3;
EXPLAIN (VERBOSE, COSTS OFF)
SELECT date_trunc('year', date), sum(ward) FROM lim21_crimes GROUP BY 1 ORDER BY 1 LIMIT 3 OFFSET 4;
SELECT date_trunc('year', date), sum(ward) FROM lim21_crimes GROUP BY 1 ORDER BY 1 LIMIT 3 OFFSET 4;
SELECT date_trunc('year', date), sum(ward) FROM lim21_local GROUP BY 1 ORDER BY 1 LIMIT 3 OFFSET 4;
EXPLAIN (VERBOSE, COSTS OFF) SELECT ward, count(*) FROM lim21_crimes GROUP BY 1 LIMIT 5;
SELECT count(*) FROM (SELECT ward, count(*) FROM lim21_crimes GROUP BY 1 LIMIT 5) s;

-- In a correlated subquery: the outer value is a runtime value, evaluated at each rescan.
EXPLAIN (COSTS OFF)
SELECT l.ward, (SELECT id FROM lim21_crimes c WHERE c.ward = l.ward ORDER BY id LIMIT 1)
FROM (SELECT DISTINCT ward FROM lim21_local WHERE ward < 4) l ORDER BY 1;
SELECT l.ward, (SELECT id FROM lim21_crimes c WHERE c.ward = l.ward ORDER BY id LIMIT 1)
FROM (SELECT DISTINCT ward FROM lim21_local WHERE ward < 4) l ORDER BY 1;
SELECT l.ward, (SELECT id FROM lim21_local c WHERE c.ward = l.ward ORDER BY id LIMIT 1)
FROM (SELECT DISTINCT ward FROM lim21_local WHERE ward < 4) l ORDER BY 1;

SELECT DISTINCT "select", "where", "order", "limit", "offset", status
FROM lim21_log
WHERE seq > :before AND dataset = 'ijzp-q8t2' AND "limit" IN ('3', '4', '5')
  AND strpos("select", ' AS ') = 0
ORDER BY 1, 2;

DROP TABLE lim21_local;
DROP SERVER lim21_srv CASCADE;
