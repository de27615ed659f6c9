-- IMPORT FOREIGN SCHEMA from dataset metadata: crimes, police stations, ward offices.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS socrata_fdw;
RESET client_min_messages;
CREATE SERVER imp22_srv FOREIGN DATA WRAPPER socrata_fdw
  OPTIONS (base_url 'http://127.0.0.1:25480');
CREATE SCHEMA imp22;

IMPORT FOREIGN SCHEMA "ijzp-q8t2, z8bn-74gv ,htai-wnw4" FROM SERVER imp22_srv INTO imp22;
SELECT c.relname, f.ftoptions, left(obj_description(c.oid, 'pg_class'), 40) AS comment
FROM pg_class c JOIN pg_foreign_table f ON f.ftrelid = c.oid
WHERE c.relnamespace = 'imp22'::regnamespace ORDER BY 1;
SELECT attname, format_type(atttypid, atttypmod), attfdwoptions,
       col_description(attrelid, attnum)
FROM pg_attribute WHERE attrelid = 'imp22.crimes___2001_to_present'::regclass AND attnum > 0
ORDER BY attnum;

-- SELECT * works as imported.
SELECT count(*) FROM (SELECT * FROM imp22.crimes___2001_to_present) s;
SELECT * FROM imp22.crimes___2001_to_present ORDER BY id LIMIT 2;
SELECT * FROM imp22.police_stations ORDER BY district LIMIT 2;
SELECT count(*) FROM (SELECT * FROM imp22.police_stations) s;
SELECT * FROM imp22.ward_offices ORDER BY ward LIMIT 2;
SELECT count(*) FROM (SELECT * FROM imp22.ward_offices) s;

-- system_fields: the row id, and when the row was created and last changed at the portal, a
-- fixed timestamp whose filters are sent (the changes of a period, on any dataset).
CREATE SCHEMA imp22_sys;
IMPORT FOREIGN SCHEMA "z8bn-74gv" FROM SERVER imp22_srv INTO imp22_sys
  OPTIONS (system_fields 'true');
SELECT attname, format_type(atttypid, atttypmod), attfdwoptions,
       col_description(attrelid, attnum)
FROM pg_attribute WHERE attrelid = 'imp22_sys.police_stations'::regclass
  AND attname LIKE 'row\_%' ORDER BY attnum;
SELECT count(*), count(row_id), min(row_created_at) <= min(row_updated_at) AS created_first
FROM imp22_sys.police_stations;
EXPLAIN (VERBOSE, COSTS OFF) SELECT district FROM imp22_sys.police_stations
WHERE row_updated_at >= '2000-01-01 00:00:00+00';
SELECT count(*) FROM imp22_sys.police_stations WHERE row_updated_at >= '2000-01-01 00:00:00+00';
DROP SCHEMA imp22_sys CASCADE;

-- LIMIT TO and EXCEPT name the table names.
DROP SCHEMA imp22 CASCADE;
CREATE SCHEMA imp22;
IMPORT FOREIGN SCHEMA "ijzp-q8t2, z8bn-74gv, htai-wnw4" LIMIT TO (ward_offices)
  FROM SERVER imp22_srv INTO imp22;
SELECT relname FROM pg_class WHERE relnamespace = 'imp22'::regnamespace ORDER BY 1;
IMPORT FOREIGN SCHEMA "ijzp-q8t2, z8bn-74gv, htai-wnw4" EXCEPT (ward_offices, police_stations)
  FROM SERVER imp22_srv INTO imp22;
SELECT c.relname, left(obj_description(c.oid, 'pg_class'), 40) AS comment
FROM pg_class c WHERE relnamespace = 'imp22'::regnamespace ORDER BY 1;

-- Errors: no dataset id, an unknown dataset, options.
IMPORT FOREIGN SCHEMA " , " FROM SERVER imp22_srv INTO imp22;
-- An id that is not one is refused before any request, naming IMPORT, not an option.
IMPORT FOREIGN SCHEMA "ijzp-q8t2, IJZP-Q8T2" FROM SERVER imp22_srv INTO imp22;
DO $$ BEGIN
  IMPORT FOREIGN SCHEMA "zzzz-zzzz" FROM SERVER imp22_srv INTO imp22;
EXCEPTION WHEN OTHERS THEN
  RAISE NOTICE 'unknown dataset fails; the message mentions 404: %', strpos(SQLERRM, '404') > 0;
END $$;
IMPORT FOREIGN SCHEMA "z8bn-74gv" FROM SERVER imp22_srv INTO imp22 OPTIONS (x 'y');
IMPORT FOREIGN SCHEMA "z8bn-74gv" FROM SERVER imp22_srv INTO imp22
  OPTIONS (system_fields 'maybe');
IMPORT FOREIGN SCHEMA "z8bn-74gv" FROM SERVER imp22_srv INTO imp22
  OPTIONS (system_fields 'true', system_fields 'false');
-- A failed import (the table exists) leaves no comments for the next table created.
CREATE TABLE imp22.police_stations (a int);
IMPORT FOREIGN SCHEMA "z8bn-74gv" FROM SERVER imp22_srv INTO imp22;
DROP TABLE imp22.police_stations;
CREATE TABLE imp22.police_stations (a int);
SELECT obj_description('imp22.police_stations'::regclass, 'pg_class');

-- The dataset option is the metadata's own id, should the portal answer with another one (an
-- old id answered with the current one), but never a text that is not a dataset id.
CREATE SCHEMA imp22_ids;
CREATE SERVER imp22_moved FOREIGN DATA WRAPPER socrata_fdw
  OPTIONS (base_url 'http://127.0.0.1:25480/fault/view_id=abcd-1234,tag=imp22');
IMPORT FOREIGN SCHEMA "z8bn-74gv" FROM SERVER imp22_moved INTO imp22_ids;
ALTER FOREIGN TABLE imp22_ids.police_stations RENAME TO moved;
CREATE SERVER imp22_bad_id FOREIGN DATA WRAPPER socrata_fdw
  OPTIONS (base_url 'http://127.0.0.1:25480/fault/view_id=..%2F..%2Fx%20y,tag=imp22');
IMPORT FOREIGN SCHEMA "z8bn-74gv" FROM SERVER imp22_bad_id INTO imp22_ids;
SELECT c.relname, t.ftoptions FROM pg_foreign_table t JOIN pg_class c ON c.oid = t.ftrelid
WHERE c.relnamespace = 'imp22_ids'::regnamespace ORDER BY c.relname;
DROP SCHEMA imp22_ids CASCADE;
DROP SERVER imp22_moved, imp22_bad_id CASCADE;

-- An IMPORT that failed in a savepoint leaves its comments to no table created after the
-- rollback, even one of the same name (it got the dataset's comments, and stray ones for
-- columns it did not have). A dataset named twice is imported once.
CREATE SCHEMA imp22_sp;
BEGIN;
CREATE TABLE imp22_sp.police_stations (a int);
SAVEPOINT before_import;
IMPORT FOREIGN SCHEMA "z8bn-74gv" FROM SERVER imp22_srv INTO imp22_sp;
ROLLBACK TO before_import;
DROP TABLE imp22_sp.police_stations;
CREATE FOREIGN TABLE imp22_sp.police_stations (a int) SERVER imp22_srv
  OPTIONS (dataset 'z8bn-74gv');
COMMIT;
SELECT count(*) AS comments FROM pg_description
WHERE objoid = 'imp22_sp.police_stations'::regclass;
DROP FOREIGN TABLE imp22_sp.police_stations;
IMPORT FOREIGN SCHEMA "z8bn-74gv, z8bn-74gv" FROM SERVER imp22_srv INTO imp22_sp;
SELECT relname, obj_description(oid, 'pg_class') IS NOT NULL AS commented FROM pg_class
WHERE relnamespace = 'imp22_sp'::regnamespace AND relkind = 'f' ORDER BY relname;
DROP SCHEMA imp22_sp CASCADE;

DROP SCHEMA imp22 CASCADE;
DROP SERVER imp22_srv CASCADE;
