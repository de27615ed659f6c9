-- socrata_fdw keeps at most one page in memory: scanning 60,000 rows costs the backend no more
-- peak memory (VmHWM, from /proc) than scanning 5,000 rows in the same page size; ANALYZE keeps
-- only its sample. And a backend that loaded the wrapper gives large freed blocks back to the
-- system (src/core/malloc_policy.hpp).
\set ON_ERROR_STOP 1
\getenv soda_url SODA_URL
\if :{?soda_url}
\else
\set soda_url http://127.0.0.1:25480
\endif
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION IF NOT EXISTS socrata_fdw;
BEGIN;
SELECT plan(5);

CREATE SERVER mem_portal FOREIGN DATA WRAPPER socrata_fdw
    OPTIONS (base_url :'soda_url', page_size '5000');
CREATE FOREIGN TABLE mem_crimes (
    id bigint, case_number text, date timestamp, block text, iucr text, primary_type text,
    description text, location_description text, arrest boolean, domestic boolean,
    beat text, district text, ward int, community_area int, fbi_code text,
    x_coordinate numeric, y_coordinate numeric, year int, updated_on timestamp,
    latitude float8, longitude float8, location jsonb
) SERVER mem_portal OPTIONS (dataset 'ijzp-q8t2');

-- A figure of this backend's /proc status in kB: VmHWM (peak resident), RssAnon (private).
CREATE FUNCTION pg_temp.status_kb(field text) RETURNS bigint LANGUAGE sql AS $$
    SELECT substring(pg_read_file('/proc/' || pg_backend_pid() || '/status')
                     FROM field || ':\s+(\d+) kB')::bigint
$$;

-- Warm up (libraries, caches), then measure a small and a large scan of full rows. Each row is
-- read whole (t::text): with count(*) alone, the wrapper would ask for ids only, or have the
-- portal count.
SELECT count(*) FROM mem_crimes WHERE year = 2001;
CREATE TEMP TABLE peaks AS SELECT 'start'::text AS at, pg_temp.status_kb('VmHWM') AS kb;
SELECT count(*), sum(length(t::text)) FROM (SELECT * FROM mem_crimes LIMIT 5000) t;
INSERT INTO peaks SELECT 'after 5k', pg_temp.status_kb('VmHWM');
SELECT is((SELECT count(*) FROM mem_crimes t WHERE length(t::text) > 0), 60000::bigint,
          'a full scan returns all 60,000 rows, every column');
INSERT INTO peaks SELECT 'after 60k', pg_temp.status_kb('VmHWM');

SELECT cmp_ok((SELECT kb FROM peaks WHERE at = 'after 60k') - (SELECT kb FROM peaks WHERE at = 'after 5k'),
              '<', 8192::bigint,
              'peak memory grows by less than 8 MB from 5,000 to 60,000 rows');
SELECT cmp_ok((SELECT kb FROM peaks WHERE at = 'after 60k') - (SELECT kb FROM peaks WHERE at = 'start'),
              '<', 65536::bigint,
              'a 60,000-row scan needs less than 64 MB of backend memory');
-- ANALYZE samples 30,000 rows; each row's converted values are freed once the sample holds its
-- tuple (src/pg/analyze.cpp). 12 MB on this machine; 77 MB when they were kept.
INSERT INTO peaks SELECT 'before analyze', pg_temp.status_kb('VmHWM');
ANALYZE mem_crimes;
INSERT INTO peaks SELECT 'after analyze', pg_temp.status_kb('VmHWM');
SELECT cmp_ok((SELECT kb FROM peaks WHERE at = 'after analyze') - (SELECT kb FROM peaks WHERE at = 'before analyze'),
              '<', 32768::bigint,
              'ANALYZE of a 30,000-row sample needs less than 32 MB more');
-- Once the wrapper is loaded, glibc's mmap threshold stays at 128 kB: an 8 MB block freed after
-- a 16 MB one goes back to the system. With glibc's default, freeing the 16 MB block raises the
-- threshold, and the 8 MB block then comes from the heap and stays resident (16 MB more RssAnon
-- on this machine, in a backend that has not loaded the wrapper).
SELECT length(repeat('x', 16 * 1024 * 1024));
INSERT INTO peaks SELECT 'private before', pg_temp.status_kb('RssAnon');
SELECT length(repeat('y', 8 * 1024 * 1024));
INSERT INTO peaks SELECT 'private after', pg_temp.status_kb('RssAnon');
SELECT cmp_ok((SELECT kb FROM peaks WHERE at = 'private after') - (SELECT kb FROM peaks WHERE at = 'private before'),
              '<', 2048::bigint,
              'a freed 8 MB block leaves the backend (glibc''s mmap threshold stays at 128 kB)');
SELECT diag('kB (VmHWM, then RssAnon): ' || string_agg(at || '=' || kb, ', ')) FROM peaks;

SELECT * FROM finish();
ROLLBACK;
