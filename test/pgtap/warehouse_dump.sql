-- chicago_crime: pg_dump and pg_restore carry the warehouse over. The restored database has the
-- same rows, tallies and watermark; once its server is pointed at the portal again (server and
-- foreign table options are the extension's, not dumped), crime_sync() continues incrementally,
-- repopulates the views, and keeps the tallies exact.
--
-- Runs in a database of its own (and a second one, restored from it), against the local SODA
-- server ($SODA_URL, by default http://127.0.0.1:25480), on a clone of the bundled crimes dataset.
\set test_db warehouse_dump_test
\ir warehouse/setup.psql
\set restored_db warehouse_dump_restored

CALL pg_temp.soda_control('/_control/datasets/ijzp-q8t2/clone?to=wtst-dump');
ALTER FOREIGN TABLE crime.portal_crimes OPTIONS (SET dataset 'wtst-dump');

-- Every tally's rows, as one digest (through a dblink connection).
CREATE FUNCTION pg_temp.tallies_digest(conn text)
RETURNS text
LANGUAGE sql
AS $$
    SELECT d FROM dblink(conn, $q$
        SELECT md5(string_agg(r, E'\n' ORDER BY r)) FROM (
            SELECT 'm' || t::text AS r FROM crime.tally_type_month t
            UNION ALL SELECT 't' || t::text FROM crime.tally_theft_block_year t
            UNION ALL SELECT 'a' || t::text FROM crime.tally_community_area t
            UNION ALL SELECT 'd' || t::text FROM crime.tally_day t
            UNION ALL SELECT 'w' || t::text FROM crime.tally_district_ward t) AS s$q$) AS t (d text)
$$;

-- Runs a shell command on the database server (as COPY TO PROGRAM does), with the server's own
-- pg_dump and pg_restore.
CREATE PROCEDURE pg_temp.run(command text)
LANGUAGE plpgsql
AS $$
BEGIN
    EXECUTE format('COPY (SELECT 1) TO PROGRAM %L',
                   format('PATH=%s:$PATH; %s', (SELECT setting FROM pg_config WHERE name = 'BINDIR'), command));
END
$$;

SELECT plan(12);

-------------------------------------------------------------------------------------------------
-- 1. A synced warehouse, dumped and restored into another database
-------------------------------------------------------------------------------------------------
SELECT is(status, 'succeeded', 'the first sync succeeds') FROM crime_sync();
SELECT pg_temp.tallies_digest(:'peer') AS tallies_before,
       (SELECT count(*) FROM crime.incidents) AS incidents_before,
       (SELECT watermark FROM crime.sync_state) AS watermark_before \gset

-- Quoted for the shell: the socket directory is under the repository, whose path may hold a space.
SELECT format('-h ''%s'' -p %s',
              replace(split_part(current_setting('unix_socket_directories'), ',', 1), '''', '''\'''''),
              current_setting('port')) AS server_args,
       '/tmp/chicago_crime_dump_' || pg_backend_pid() || '.dump' AS dump_file \gset
DROP DATABASE IF EXISTS :"restored_db" WITH (FORCE);
CREATE DATABASE :"restored_db";
CALL pg_temp.run(format('pg_dump %s -Fc -f %s %s', :'server_args', :'dump_file', current_database()));
CALL pg_temp.run(format('pg_restore %s --exit-on-error -d %s %s && rm -f %s',
                        :'server_args', :'restored_db', :'dump_file', :'dump_file'));
SELECT pg_temp.conninfo(:'restored_db') AS restored \gset
SELECT dblink_connect('restored', :'restored') AS connected \gset

SELECT is((SELECT n FROM dblink('restored', 'SELECT count(*) FROM crime.incidents') AS t (n bigint)),
          :'incidents_before'::bigint, 'the restored warehouse has every incident');
SELECT is((SELECT w FROM dblink('restored', 'SELECT watermark FROM crime.sync_state') AS t (w timestamp)),
          :'watermark_before'::timestamp, 'and the same watermark');
SELECT is(pg_temp.tallies_digest('restored'), :'tallies_before', 'and the same tallies');
SELECT is((SELECT n FROM dblink('restored', $q$SELECT count(*) FROM pg_class
                                              WHERE relnamespace = 'crime'::regnamespace AND relkind = 'm'
                                                AND NOT relispopulated$q$) AS t (n bigint)),
          7::bigint, 'its materialized views come back unpopulated');

-------------------------------------------------------------------------------------------------
-- 2. Pointed at the portal again, the restored warehouse syncs incrementally
-------------------------------------------------------------------------------------------------
SELECT dblink_exec('restored', format('ALTER SERVER chicago_data_portal OPTIONS (SET base_url %L)', :'soda_url'))
       AS altered \gset
SELECT dblink_exec('restored', 'ALTER FOREIGN TABLE crime.portal_crimes OPTIONS (SET dataset ''wtst-dump'')')
       AS altered \gset
CALL pg_temp.soda_control('/_control/datasets/wtst-dump/upsert', $$
    SELECT jsonb_agg(jsonb_build_object('id', id::text, 'arrest', NOT arrest,
                                        'updated_on', '2026-07-01T10:00:00.000'))
    FROM (SELECT id, arrest FROM crime.incidents WHERE arrest IS NOT NULL ORDER BY id LIMIT 3) AS s$$);

CREATE TEMP TABLE run AS
SELECT * FROM dblink('restored', 'SELECT status, rows_fetched, updated, views_refreshed FROM crime_sync()')
    AS t (status text, rows_fetched bigint, updated bigint, views_refreshed text[]);
SELECT is(status, 'succeeded', 'crime_sync() in the restored database succeeds') FROM run;
SELECT is(updated, 3::bigint, 'it applies the 3 changes') FROM run;
SELECT ok(rows_fetched < 100, 'reading only what changed since the restored watermark') FROM run;
SELECT is(cardinality(views_refreshed), 7, 'and populates every view') FROM run;
SELECT isnt(pg_temp.tallies_digest('restored'), :'tallies_before', 'the tallies count the changed arrests');
SELECT pg_temp.tallies_digest('restored') AS tallies_after \gset
SELECT recounted FROM dblink('restored', 'SELECT crime.rebuild_tallies()::text') AS t (recounted text) \gset
SELECT is(pg_temp.tallies_digest('restored'), :'tallies_after', 'and equal a recount of the restored incidents');
SELECT is((SELECT n FROM dblink('restored', $q$SELECT count(*) FROM pg_class
                                              WHERE relnamespace = 'crime'::regnamespace AND relkind = 'm'
                                                AND NOT relispopulated$q$) AS t (n bigint)),
          0::bigint, 'every view is populated again');

SELECT * FROM finish();

SELECT dblink_disconnect('restored') AS disconnected \gset
CALL pg_temp.soda_control('/_control/datasets/wtst-dump/drop');
\c :origin_db
DROP DATABASE :"restored_db" WITH (FORCE);
DROP DATABASE :"test_db";
