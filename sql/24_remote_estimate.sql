-- use_remote_estimate: the planner's row estimate comes from a remote count(*) of the pushed
-- conditions, cached per backend by scan shape; without the option, or with runtime values,
-- no request is made at planning time.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS socrata_fdw;
RESET client_min_messages;
CREATE SERVER est24_srv FOREIGN DATA WRAPPER socrata_fdw
  OPTIONS (base_url 'http://127.0.0.1:25480');
CREATE FOREIGN TABLE est24_remote (id bigint, primary_type text, arrest boolean, ward int)
  SERVER est24_srv OPTIONS (dataset 'ijzp-q8t2', use_remote_estimate 'true');
CREATE FOREIGN TABLE est24_local (id bigint, primary_type text, arrest boolean, ward int)
  SERVER est24_srv OPTIONS (dataset 'ijzp-q8t2');
CREATE FOREIGN TABLE est24_log (seq bigint, dataset text, "select" text, "where" text)
  SERVER est24_srv OPTIONS (dataset 'reqs-logs');

-- The planner's row estimate of a query's top plan node.
CREATE FUNCTION est24_rows(query text) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    plan json;
BEGIN
    EXECUTE 'EXPLAIN (FORMAT JSON) ' || query INTO plan;
    RETURN (plan -> 0 -> 'Plan' ->> 'Plan Rows')::bigint;
END
$$;
-- The count requests made since the mark, with their $where.
SELECT coalesce(max(seq), 0) AS mark FROM est24_log \gset

-- The estimate is the remote count: the whole dataset, then the rows a pushed condition keeps.
SELECT est24_rows('SELECT * FROM est24_remote') = (SELECT count(*) FROM est24_local)
  AS whole_dataset_estimate_is_exact;
SELECT est24_rows($q$SELECT * FROM est24_remote WHERE primary_type = 'THEFT'$q$)
       = (SELECT count(*) FROM est24_local WHERE primary_type = 'THEFT')
  AS pushed_condition_estimate_is_exact;
SELECT "select", "where" FROM est24_log
WHERE seq > :mark AND dataset = 'ijzp-q8t2' AND "select" = 'count(*) AS row_count'
ORDER BY seq;

-- The same shapes again: answered from the backend's cache, no new count request.
SELECT max(seq) AS mark FROM est24_log \gset
SELECT est24_rows('SELECT * FROM est24_remote') = (SELECT count(*) FROM est24_local)
         AS cached_exact,
       est24_rows($q$SELECT * FROM est24_remote WHERE primary_type = 'THEFT'$q$)
         = (SELECT count(*) FROM est24_local WHERE primary_type = 'THEFT') AS cached_exact;
SELECT count(*) AS count_requests FROM est24_log
WHERE seq > :mark AND dataset = 'ijzp-q8t2' AND "select" = 'count(*) AS row_count';

-- The cache is per app token: another user (SET ROLE) whose mapping carries another token gets
-- a count of its own, not one made with the first user's token (which may see more).
CREATE ROLE est24_other;
GRANT USAGE ON FOREIGN SERVER est24_srv TO est24_other;
GRANT SELECT ON est24_remote TO est24_other;
CREATE USER MAPPING FOR est24_other SERVER est24_srv OPTIONS (app_token 'est24-other-token');
SELECT max(seq) AS mark FROM est24_log \gset
SET ROLE est24_other;
SELECT est24_rows('SELECT * FROM est24_remote') > 0 AS estimated;
RESET ROLE;
SELECT count(*) AS count_requests FROM est24_log
WHERE seq > :mark AND dataset = 'ijzp-q8t2' AND "select" = 'count(*) AS row_count';
DROP USER MAPPING FOR est24_other SERVER est24_srv;
REVOKE ALL ON est24_remote FROM est24_other;
REVOKE USAGE ON FOREIGN SERVER est24_srv FROM est24_other;
DROP ROLE est24_other;

-- A condition evaluated locally scales the remote count by its selectivity, but never below
-- one row.
SELECT est24_rows($q$SELECT * FROM est24_remote WHERE primary_type = 'THEFT'
                     AND md5(primary_type) = 'x'$q$)
       BETWEEN 1 AND (SELECT count(*) FROM est24_local WHERE primary_type = 'THEFT') / 10
  AS local_condition_scales_it_down;

-- A runtime value (a generic plan's parameter) cannot be counted at planning time: no request.
SELECT max(seq) AS mark FROM est24_log \gset
SET plan_cache_mode = force_generic_plan;
PREPARE est24_by_type(text) AS SELECT * FROM est24_remote WHERE primary_type = $1;
EXPLAIN (COSTS OFF) EXECUTE est24_by_type('THEFT');
DEALLOCATE est24_by_type;
RESET plan_cache_mode;
-- Nor without the option: the default estimate (100,000 rows before any ANALYZE).
SELECT est24_rows('SELECT * FROM est24_local') AS default_estimate;
SELECT count(*) AS count_requests FROM est24_log
WHERE seq > :mark AND dataset = 'ijzp-q8t2' AND "select" = 'count(*) AS row_count';

-- A constant compared in the TimeZone is counted, converted in the planning session's zone
-- (only an estimate; the scan converts it again in its own): a timestamptz against a timestamp
-- column by its wider form (exact in UTC), a date against a timestamptz column as its instant.
-- (Before, both planned with no count: a converted value is a runtime value.)
CREATE FOREIGN TABLE est24_times (id bigint, date timestamp,
  updated_at timestamptz OPTIONS (column_name ':updated_at'))
  SERVER est24_srv OPTIONS (dataset 'ijzp-q8t2', use_remote_estimate 'true');
CREATE TEMP TABLE est24_times_local AS SELECT * FROM est24_times OFFSET 0;
SET TimeZone = 'UTC';
SELECT max(seq) AS mark FROM est24_log \gset
SELECT est24_rows($q$SELECT * FROM est24_times WHERE date >= '2015-06-01 00:00:00+00'::timestamptz$q$)
       = (SELECT count(*) FROM est24_times_local
          WHERE date >= '2015-06-01 00:00:00+00'::timestamptz) AS widened_estimate_is_exact;
SELECT est24_rows($q$SELECT * FROM est24_times WHERE updated_at < '2018-02-11'::date$q$)
       = (SELECT count(*) FROM est24_times_local WHERE updated_at < '2018-02-11'::date)
  AS converted_estimate_is_exact;
SELECT "where" FROM est24_log
WHERE seq > :mark AND dataset = 'ijzp-q8t2' AND "select" = 'count(*) AS row_count' ORDER BY seq;
RESET TimeZone;

-- A count that fails at planning time names the table it was for: in a join, the one whose
-- portal failed.
CREATE SERVER est24_down_srv FOREIGN DATA WRAPPER socrata_fdw
  OPTIONS (base_url 'http://127.0.0.1:25480/fault/status=500,after=1,tag=est24',
           max_retries '0');
CREATE FOREIGN TABLE est24_down (id bigint, primary_type text)
  SERVER est24_down_srv OPTIONS (dataset 'ijzp-q8t2', use_remote_estimate 'true');
SELECT count(*) FROM est24_remote r JOIN est24_down d USING (id) WHERE r.ward = 1;
DROP SERVER est24_down_srv CASCADE;

DROP FUNCTION est24_rows(text);
DROP SERVER est24_srv CASCADE;
