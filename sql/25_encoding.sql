-- Databases whose encoding is not UTF-8. The portal speaks UTF-8: a pushed-down text literal is
-- sent in UTF-8 whatever the database's encoding (its LATIN1 bytes could spell another, valid,
-- UTF-8 string), values come back converted, and text order is pushed down only where the
-- database's C collation orders bytes as the portal orders code points (UTF8, LATIN1,
-- SQL_ASCII; not WIN1252, where the euro sign is byte 0x80 and code point U+20AC).
SELECT current_database() AS origin_db \gset
\! curl -s -X POST 'http://127.0.0.1:25480/_control/datasets/ijzp-q8t2/clone?to=encd-test' > /dev/null
\! curl -s -X POST -H 'Content-Type: application/json' --data-binary '[{"id":"879","block":"\u00e9 ST"},{"id":"983","block":"\u00c3\u00a9 ST"},{"id":"1001","block":"\u00ff ST"},{"id":"1002","block":"z ST"}]' http://127.0.0.1:25480/_control/datasets/encd-test/upsert > /dev/null
\! curl -s -X POST 'http://127.0.0.1:25480/_control/datasets/encd-test/clone?to=encd-euro' > /dev/null
\! curl -s -X POST -H 'Content-Type: application/json' --data-binary '[{"id":"1012","block":"\u20ac ST"}]' http://127.0.0.1:25480/_control/datasets/encd-euro/upsert > /dev/null
\! curl -s -X POST 'http://127.0.0.1:25480/_control/datasets/z8bn-74gv/clone?to=encd-name&name=Comisar%C3%ADas%20%E2%80%98A%E2%80%99&description=%C3%89t%C3%A9%20%E2%82%AC5' > /dev/null

SET client_min_messages = warning;
DROP DATABASE IF EXISTS socrata_fdw_latin1;
DROP DATABASE IF EXISTS socrata_fdw_win1252;
DROP DATABASE IF EXISTS socrata_fdw_sql_ascii;
RESET client_min_messages;
CREATE DATABASE socrata_fdw_latin1 ENCODING 'LATIN1' LC_COLLATE 'C' LC_CTYPE 'C'
    TEMPLATE template0;
CREATE DATABASE socrata_fdw_win1252 ENCODING 'WIN1252' LC_COLLATE 'C' LC_CTYPE 'C'
    TEMPLATE template0;
CREATE DATABASE socrata_fdw_sql_ascii ENCODING 'SQL_ASCII' LC_COLLATE 'C' LC_CTYPE 'C'
    TEMPLATE template0;

-- LATIN1: bytes are code points, so text order stays pushed down.
\c socrata_fdw_latin1
SET client_encoding = 'UTF8';
CREATE EXTENSION socrata_fdw;
CREATE SERVER enc_srv FOREIGN DATA WRAPPER socrata_fdw
    OPTIONS (base_url 'http://127.0.0.1:25480', text_code_point_order 'true');
CREATE FOREIGN TABLE enc (id bigint, block text) SERVER enc_srv OPTIONS (dataset 'encd-test');
CREATE FOREIGN TABLE enc_euro (id bigint, block text) SERVER enc_srv
    OPTIONS (dataset 'encd-euro');
-- The literal goes out as UTF-8 (%C3%A9), and EXPLAIN shows it in the database's encoding.
EXPLAIN (VERBOSE, COSTS OFF) SELECT id FROM enc WHERE block = 'é ST';
SELECT id, block FROM enc WHERE block = 'é ST';
-- LATIN1's "Ã©" is the bytes of UTF-8's "é": still its own string.
SELECT id, block FROM enc WHERE block = 'Ã© ST';
SELECT id, block FROM enc WHERE block LIKE 'Ã%';
SELECT id, block FROM enc WHERE block IN ('é ST', 'ÿ ST') ORDER BY id;
-- A runtime value too.
SET plan_cache_mode = force_generic_plan;
PREPARE enc_by_block(text) AS SELECT id FROM enc WHERE block = $1;
EXPLAIN (COSTS OFF) EXECUTE enc_by_block('é ST');
EXECUTE enc_by_block('é ST');
EXECUTE enc_by_block('Ã© ST');
RESET plan_cache_mode;
-- Order, ranges and max are pushed, and agree with the local C order.
EXPLAIN (COSTS OFF)
SELECT id, block FROM enc WHERE id IN (879, 983, 1001, 1002) ORDER BY block LIMIT 2;
SELECT id, block FROM enc WHERE id IN (879, 983, 1001, 1002) ORDER BY block LIMIT 2;
SELECT id, block FROM enc WHERE id IN (879, 983, 1001, 1002) AND block > 'z ST' ORDER BY id;
SELECT max(block) FROM enc WHERE id IN (879, 983, 1001, 1002);
-- A character LATIN1 cannot hold: an error that names the column, the table and the row, and
-- writes the character as \uXXXX.
SELECT id, block FROM enc_euro WHERE id = 1012;
-- A value its column's type rejects is quoted converted (the detail, the input function's, is
-- ASCII).
CREATE FOREIGN TABLE enc_as_number (id bigint, block integer) SERVER enc_srv
    OPTIONS (dataset 'encd-test');
SELECT block FROM enc_as_number WHERE id = 879;
-- The portal's words in an error (this one quotes the query) are converted too.
\! curl -s -X POST http://127.0.0.1:25480/_control/faults/reset > /dev/null
CREATE SERVER enc_rejecting FOREIGN DATA WRAPPER socrata_fdw OPTIONS (
    base_url 'http://127.0.0.1:25480/fault/status=400,after=1,tag=enc25', max_retries '0');
CREATE FOREIGN TABLE enc_rejected (id bigint, block text) SERVER enc_rejecting
    OPTIONS (dataset 'encd-test');
SELECT id FROM enc_rejected WHERE block = 'é ST';
-- So are those of a paging error, which quote the portal's rows (here groups of block): the
-- second page sent as the first again.
CREATE SERVER enc_replaying FOREIGN DATA WRAPPER socrata_fdw OPTIONS (
    base_url 'http://127.0.0.1:25480/fault/replay=1,after=1,tag=enc25', max_retries '0',
    page_size '2');
CREATE FOREIGN TABLE enc_replayed (id bigint, block text) SERVER enc_replaying
    OPTIONS (dataset 'encd-test');
EXPLAIN (COSTS OFF)
SELECT block, count(*) FROM enc_replayed WHERE id IN (879, 983, 1001, 1002) GROUP BY block;
SELECT block, count(*) FROM enc_replayed WHERE id IN (879, 983, 1001, 1002) GROUP BY block;
-- And those of a metadata request that failed, said in a WARNING (the query runs unpushed):
-- here a portal that refuses in French.
CREATE SERVER enc_refusing FOREIGN DATA WRAPPER socrata_fdw OPTIONS (
    base_url 'http://127.0.0.1:25480/fault/status=403,message=Acc%C3%A8s%20refus%C3%A9,times=1,tag=enc25',
    max_retries '0');
CREATE FOREIGN TABLE enc_refused (district text) SERVER enc_refusing
    OPTIONS (dataset 'encd-name');
SELECT count(*) FROM enc_refused;
-- IMPORT FOREIGN SCHEMA writes the (UTF-8) metadata's comments in LATIN1, and a character
-- LATIN1 lacks as \uXXXX.
CREATE SCHEMA enc_import;
IMPORT FOREIGN SCHEMA "encd-name" FROM SERVER enc_srv INTO enc_import;
SELECT c.relname, obj_description(c.oid, 'pg_class') AS comment
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'enc_import';

-- WIN1252: the euro sign (0x80) sorts first in bytes, last in code points; order, ranges and
-- max stay local.
\c socrata_fdw_win1252
SET client_encoding = 'UTF8';
CREATE EXTENSION socrata_fdw;
CREATE SERVER enc_srv FOREIGN DATA WRAPPER socrata_fdw
    OPTIONS (base_url 'http://127.0.0.1:25480', text_code_point_order 'true');
CREATE FOREIGN TABLE enc_euro (id bigint, block text) SERVER enc_srv
    OPTIONS (dataset 'encd-euro');
SELECT id, block FROM enc_euro WHERE block = '€ ST';
EXPLAIN (COSTS OFF)
SELECT id, block FROM enc_euro WHERE id IN (879, 983, 1001, 1002, 1012) ORDER BY block LIMIT 2;
SELECT id, block FROM enc_euro WHERE id IN (879, 983, 1001, 1002, 1012) ORDER BY block LIMIT 2;
EXPLAIN (COSTS OFF)
SELECT id FROM enc_euro WHERE id IN (879, 983, 1001, 1002, 1012) AND block < 'Ã';
SELECT id, block FROM enc_euro WHERE id IN (879, 983, 1001, 1002, 1012) AND block < 'Ã';
SELECT max(block) FROM enc_euro WHERE id IN (879, 983, 1001, 1002, 1012);

-- SQL_ASCII: text goes out as stored. A runtime value that is not UTF-8 cannot be sent: an
-- error naming the table (a constant one is compared locally).
\c socrata_fdw_sql_ascii
CREATE EXTENSION socrata_fdw;
CREATE SERVER enc_srv FOREIGN DATA WRAPPER socrata_fdw
    OPTIONS (base_url 'http://127.0.0.1:25480', text_code_point_order 'true');
CREATE FOREIGN TABLE enc (id bigint, block text) SERVER enc_srv OPTIONS (dataset 'encd-test');
SELECT id FROM enc WHERE block = E'\xc3\xa9 ST';
SELECT count(*) FROM enc WHERE block = E'\xe9 ST';
-- LIKE matches bytes here, characters at the portal: a pattern with _ stays local.
EXPLAIN (COSTS OFF) SELECT id FROM enc WHERE block LIKE '_ ST';
SELECT id FROM enc WHERE block LIKE '_ ST' AND id IN (879, 983, 1001, 1002) ORDER BY id;
SET plan_cache_mode = force_generic_plan;
PREPARE enc_by_block(text) AS SELECT id FROM enc WHERE block = $1;
EXECUTE enc_by_block(E'\xc3\xa9 ST');
EXECUTE enc_by_block(E'\xe9 ST');
-- Its SQLSTATE is Postgres' own for a character with no equivalent in another encoding (22P05).
\set VERBOSITY sqlstate
EXECUTE enc_by_block(E'\xe9 ST');
\set VERBOSITY default
-- Unless another value is NULL, so that no row can match: then nothing is sent, and nothing fails.
PREPARE enc_by_block_and_id(text, bigint) AS SELECT id FROM enc WHERE block = $1 AND id = $2;
EXECUTE enc_by_block_and_id(E'\xe9 ST', NULL);
-- Nor when its condition stays local after all (an OR whose other arm cannot be sent).
PREPARE enc_either_block(text, bigint) AS
    SELECT id FROM enc WHERE (block = $1 OR block ~ 'z') AND id = $2;
EXPLAIN (COSTS OFF) EXECUTE enc_either_block(E'\xe9 ST', 1002);
EXECUTE enc_either_block(E'\xe9 ST', 1002);
RESET plan_cache_mode;

\c :origin_db
DROP DATABASE socrata_fdw_latin1;
DROP DATABASE socrata_fdw_win1252;
DROP DATABASE socrata_fdw_sql_ascii;
\! curl -s -X POST http://127.0.0.1:25480/_control/datasets/encd-euro/drop > /dev/null
\! curl -s -X POST http://127.0.0.1:25480/_control/datasets/encd-test/drop > /dev/null
\! curl -s -X POST http://127.0.0.1:25480/_control/datasets/encd-name/drop > /dev/null
