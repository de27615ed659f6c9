-- chicago_crime: CREATE EXTENSION chicago_crime CASCADE creates the documented objects, every one
-- of them commented; US federal holidays are right for known years; the pg_cron entry points fail
-- clearly without pg_cron; DROP EXTENSION removes everything.
--
-- Runs in a database of its own (without pg_cron); needs no SODA server.
\set ON_ERROR_STOP 1
\set origin_db :DBNAME
SET client_min_messages = warning;
DROP DATABASE IF EXISTS warehouse_objects_test WITH (FORCE);
CREATE DATABASE warehouse_objects_test;
\c warehouse_objects_test
SET client_min_messages = warning;
CREATE EXTENSION pgtap;
CREATE EXTENSION chicago_crime CASCADE;

-- The SQLSTATE, message and hint of the error a statement raises.
CREATE FUNCTION pg_temp.error_of(statement text, OUT state text, OUT message text, OUT hint text)
LANGUAGE plpgsql
AS $$
BEGIN
    EXECUTE statement;
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, message = MESSAGE_TEXT, hint = PG_EXCEPTION_HINT;
END
$$;

SELECT plan(55);

-------------------------------------------------------------------------------------------------
-- The extension and the portal
-------------------------------------------------------------------------------------------------
SELECT has_extension('chicago_crime', 'extension chicago_crime is installed');
SELECT has_extension('socrata_fdw', 'CASCADE installed socrata_fdw');
SELECT ok(NOT extrelocatable AND extnamespace = 'public'::regnamespace,
          'chicago_crime is not relocatable; its entry points live in public')
FROM pg_extension WHERE extname = 'chicago_crime';
SELECT has_schema('crime', 'schema crime');
SELECT ok(EXISTS (SELECT FROM pg_depend WHERE classid = 'pg_namespace'::regclass AND objid = 'crime'::regnamespace
                                          AND refobjid = (SELECT oid FROM pg_extension WHERE extname = 'chicago_crime')
                                          AND deptype = 'e'),
          'schema crime belongs to the extension');
SELECT results_eq($$SELECT w.fdwname::text COLLATE "default", array_to_string(s.srvoptions, ',') COLLATE "default" FROM pg_foreign_server s
                    JOIN pg_foreign_data_wrapper w ON w.oid = s.srvfdw WHERE s.srvname = 'chicago_data_portal'$$,
                  $$VALUES ('socrata_fdw', 'base_url=https://data.cityofchicago.org')$$,
                  'server chicago_data_portal points at the real portal by default');
SELECT results_eq($$SELECT c.relname::text COLLATE "default", array_to_string(t.ftoptions, ',') COLLATE "default" FROM pg_foreign_table t
                    JOIN pg_class c ON c.oid = t.ftrelid WHERE c.relnamespace = 'crime'::regnamespace ORDER BY 1$$,
                  $$VALUES ('portal_crimes', 'dataset=ijzp-q8t2'),
                           ('portal_police_stations', 'dataset=z8bn-74gv'),
                           ('portal_ward_offices', 'dataset=htai-wnw4')$$,
                  'foreign tables over the crimes, police stations and ward offices datasets');

-------------------------------------------------------------------------------------------------
-- Tables
-------------------------------------------------------------------------------------------------
SELECT tables_are('crime', ARRAY['incidents', 'police_stations', 'wards', 'community_areas', 'holidays',
                                 'sync_runs', 'sync_state', 'views_state', 'backfill_state', 'tally_type_month',
                                 'tally_theft_block_year', 'tally_community_area', 'tally_day',
                                 'tally_district_ward'],
                  'the warehouse tables');
SELECT col_is_pk('crime', 'incidents', 'id', 'crime.incidents: primary key id');
SELECT bag_has(
    $$SELECT attname::text COLLATE "default", format_type(atttypid, atttypmod) FROM pg_attribute
      WHERE attrelid = 'crime.incidents'::regclass AND attnum > 0 AND NOT attisdropped$$,
    $$VALUES ('id', 'bigint'), ('case_number', 'text'), ('occurred_at', 'timestamp without time zone'),
             ('block', 'text'), ('iucr', 'text'), ('primary_type', 'text'), ('description', 'text'),
             ('location_description', 'text'), ('arrest', 'boolean'), ('domestic', 'boolean'),
             ('beat', 'text'), ('district', 'integer'), ('ward', 'integer'), ('community_area', 'integer'),
             ('fbi_code', 'text'), ('x_coordinate', 'numeric'), ('y_coordinate', 'numeric'),
             ('year', 'integer'), ('updated_at', 'timestamp without time zone'),
             ('latitude', 'double precision'), ('longitude', 'double precision')$$,
    'crime.incidents has the documented columns and types');
SELECT set_eq($$SELECT pg_get_indexdef(indexrelid) FROM pg_index WHERE indrelid = 'crime.incidents'::regclass$$,
              $$VALUES ('CREATE UNIQUE INDEX incidents_pkey ON crime.incidents USING btree (id)'),
                       ('CREATE INDEX incidents_occurred_at_idx ON crime.incidents USING btree (occurred_at)'),
                       ('CREATE INDEX incidents_primary_type_occurred_at_idx ON crime.incidents USING btree (primary_type, occurred_at)')$$,
              'crime.incidents is indexed for periods and crime types, and no more');
SELECT is((SELECT reloptions FROM pg_class WHERE oid = 'crime.incidents'::regclass), '{fillfactor=90}',
          'crime.incidents leaves room on each page for in-place (HOT) updates');
SELECT col_is_pk('crime', 'police_stations', 'district', 'crime.police_stations: one row per district');
SELECT col_is_pk('crime', 'wards', 'ward', 'crime.wards: one row per ward');
SELECT is((SELECT count(*) FROM crime.community_areas), 77::bigint, 'the 77 community areas ship with the extension');
SELECT is((SELECT name FROM crime.community_areas WHERE community_area = 76), 'O''Hare', 'with their names');
SELECT ok((SELECT extconfig @> ARRAY['crime.incidents'::regclass, 'crime.sync_runs'::regclass,
                                     'crime.sync_state'::regclass, 'crime.backfill_state'::regclass]::oid[]
           FROM pg_extension WHERE extname = 'chicago_crime'),
          'pg_dump dumps the warehouse''s data and state');
SELECT ok((SELECT extconfig @> ARRAY['crime.tally_type_month'::regclass, 'crime.tally_theft_block_year'::regclass,
                                     'crime.tally_community_area'::regclass, 'crime.tally_day'::regclass,
                                     'crime.tally_district_ward'::regclass]::oid[]
           FROM pg_extension WHERE extname = 'chicago_crime'),
          'and the tallies, which must match the dumped incidents');

-------------------------------------------------------------------------------------------------
-- Views
-------------------------------------------------------------------------------------------------
SELECT materialized_views_are('crime', ARRAY['monthly_trend', 'theft_hotspots', 'crime_rate_trend',
                                             'late_night_safety', 'arrest_rates', 'holiday_crime',
                                             'district_summary'],
                              'the analyst views');
SELECT views_are('crime', ARRAY['monthly_type_counts'], 'the monthly counts, a plain view over their tally');
SELECT is((SELECT count(*) FROM pg_class v
           WHERE v.relnamespace = 'crime'::regnamespace AND v.relkind = 'm'
             AND NOT EXISTS (SELECT FROM pg_index i
                             WHERE i.indrelid = v.oid AND i.indisunique AND i.indisvalid
                               AND i.indpred IS NULL AND i.indexprs IS NULL)),
          0::bigint, 'every view has a plain unique index, so it can be refreshed CONCURRENTLY');
SELECT is((SELECT count(*) FROM pg_matviews WHERE schemaname = 'crime' AND ispopulated), 0::bigint,
          'the views start unpopulated: the first sync or backfill fills them');

-------------------------------------------------------------------------------------------------
-- Functions
-------------------------------------------------------------------------------------------------
SELECT function_returns('public', 'crime_sync', ARRAY[]::text[], 'crime.sync_runs',
                        'crime_sync() returns its run''s crime.sync_runs row');
SELECT has_function('public', 'crime_backfill', ARRAY['timestamp without time zone', 'timestamp without time zone',
                                                      'interval', 'boolean'],
                    'crime_backfill(start_date, end_date, window_length, restart)');
SELECT is((SELECT prokind FROM pg_proc WHERE oid = 'public.crime_backfill'::regproc), 'p', 'crime_backfill is a procedure');
SELECT is(pg_get_function_arguments('public.crime_schedule'::regproc), 'cron text DEFAULT ''*/15 * * * *''::text',
          'crime_schedule(cron) runs every 15 minutes by default');
SELECT function_returns('public', 'crime_unschedule', ARRAY[]::text[], 'boolean', 'crime_unschedule()');
SELECT ok(NOT has_function_privilege('public', 'public.crime_sync()', 'EXECUTE')
          AND NOT has_function_privilege('public', 'public.crime_schedule(text)', 'EXECUTE')
          AND NOT has_function_privilege('public', 'public.crime_backfill(timestamp, timestamp, interval, boolean)', 'EXECUTE'),
          'only the owner (or whom it grants) may sync, backfill or schedule');

-------------------------------------------------------------------------------------------------
-- Every table, column, view, function has a comment
-------------------------------------------------------------------------------------------------
SELECT is(array_agg(c.relname::text ORDER BY 1), NULL, 'every table and view of schema crime has a comment')
FROM pg_class c
WHERE c.relnamespace = 'crime'::regnamespace AND c.relkind IN ('r', 'v', 'm', 'f', 'p')
  AND obj_description(c.oid, 'pg_class') IS NULL;
SELECT is(array_agg(c.relname || '.' || a.attname ORDER BY 1), NULL, 'every column of them has a comment')
FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
WHERE c.relnamespace = 'crime'::regnamespace AND c.relkind IN ('r', 'v', 'm', 'f', 'p')
  AND col_description(c.oid, a.attnum) IS NULL;
SELECT is(array_agg(p.oid::regprocedure::text ORDER BY 1), NULL, 'every function and procedure has a comment')
FROM pg_proc p
WHERE (p.pronamespace = 'crime'::regnamespace OR p.proname LIKE 'crime\_%')
  AND obj_description(p.oid, 'pg_proc') IS NULL;
SELECT ok(obj_description('crime'::regnamespace, 'pg_namespace') IS NOT NULL
          AND (SELECT obj_description(oid, 'pg_foreign_server') FROM pg_foreign_server WHERE srvname = 'chicago_data_portal') IS NOT NULL,
          'the schema and the server have comments');

-------------------------------------------------------------------------------------------------
-- US federal holidays, by rule
-------------------------------------------------------------------------------------------------
SELECT results_eq($$SELECT holiday, holiday_date, observed_date FROM crime.us_federal_holidays(2024, 2024)$$,
                  $$VALUES ('New Year''s Day', date '2024-01-01', date '2024-01-01'),
                           ('Birthday of Martin Luther King, Jr.', '2024-01-15', '2024-01-15'),
                           ('Washington''s Birthday', '2024-02-19', '2024-02-19'),
                           ('Memorial Day', '2024-05-27', '2024-05-27'),
                           ('Juneteenth National Independence Day', '2024-06-19', '2024-06-19'),
                           ('Independence Day', '2024-07-04', '2024-07-04'),
                           ('Labor Day', '2024-09-02', '2024-09-02'),
                           ('Columbus Day', '2024-10-14', '2024-10-14'),
                           ('Veterans Day', '2024-11-11', '2024-11-11'),
                           ('Thanksgiving Day', '2024-11-28', '2024-11-28'),
                           ('Christmas Day', '2024-12-25', '2024-12-25')$$,
                  'the eleven holidays of 2024 (OPM calendar)');
SELECT is((SELECT observed_date FROM crime.us_federal_holidays(2021, 2021) WHERE holiday = 'Christmas Day'),
          date '2021-12-24', 'Christmas 2021, a Saturday, is observed on Friday 2021-12-24');
SELECT is((SELECT observed_date FROM crime.us_federal_holidays(2022, 2022) WHERE holiday LIKE 'Juneteenth%'),
          date '2022-06-20', 'Juneteenth 2022, a Sunday, is observed on Monday 2022-06-20');
SELECT is((SELECT holiday_date FROM crime.us_federal_holidays(2023, 2023) WHERE holiday = 'Thanksgiving Day'),
          date '2023-11-23', 'Thanksgiving 2023 is the fourth Thursday, 2023-11-23');
SELECT is((SELECT observed_date FROM crime.us_federal_holidays(2022, 2022) WHERE holiday = 'New Year''s Day'),
          date '2021-12-31', 'New Year''s Day 2022, a Saturday, is observed on 2021-12-31');
SELECT is((SELECT observed_date FROM crime.us_federal_holidays(2020, 2020) WHERE holiday = 'Independence Day'),
          date '2020-07-03', 'Independence Day 2020, a Saturday, is observed on 2020-07-03');
SELECT is((SELECT holiday_date FROM crime.us_federal_holidays(2001, 2001) WHERE holiday = 'Memorial Day'),
          date '2001-05-28', 'Memorial Day 2001 is the last Monday of May');
SELECT is((SELECT array_agg(year || ':' || n ORDER BY year) FROM (
              SELECT year, count(*) AS n FROM crime.us_federal_holidays(2019, 2022) GROUP BY year) AS s),
          ARRAY['2019:10', '2020:10', '2021:11', '2022:11'], 'Juneteenth is a federal holiday from 2021');
SELECT is((SELECT array_agg(holiday_date ORDER BY holiday_date) FROM crime.us_federal_holidays(1975, 1978)
           WHERE holiday = 'Veterans Day'),
          ARRAY[date '1975-10-27', '1976-10-25', '1977-10-24', '1978-11-11'],
          'Veterans Day was the fourth Monday of October from 1971 to 1977');
SELECT is((SELECT count(*) FROM crime.us_federal_holidays(1985, 1986) WHERE holiday LIKE '%King%'), 1::bigint,
          'Martin Luther King Jr. Day is observed from 1986');
SELECT throws_ok('SELECT * FROM crime.us_federal_holidays(1970, 1971)', '22023', NULL,
                 'years before 1971 are refused');

-------------------------------------------------------------------------------------------------
-- Scheduling needs pg_cron, which this database does not have
-------------------------------------------------------------------------------------------------
SELECT results_eq($$SELECT state, message FROM pg_temp.error_of('SELECT crime_schedule()')$$,
                  $$VALUES ('0A000', 'crime_schedule() needs pg_cron, which is not installed in database "warehouse_objects_test"')$$,
                  'crime_schedule() without pg_cron: a clear error');
SELECT matches((pg_temp.error_of($$SELECT crime_schedule('0 * * * *')$$)).hint,
               CASE WHEN current_setting('cron.database_name', true) IS NULL THEN 'shared_preload_libraries'
                    ELSE 'SELECT cron\.schedule_in_database\(''crime_sync@warehouse_objects_test'', ''0 \* \* \* \*'', ''CALL crime\.run_scheduled_sync\(\)'', ''warehouse_objects_test''\)' END,
               '... whose hint says how to schedule this database''s sync');
-- pg_cron makes cron.database_name superuser-only: another role (here given the rights to call
-- the function) gets the same clear error, not one about reading that setting.
CREATE ROLE warehouse_objects_scheduler;
GRANT USAGE ON SCHEMA crime TO warehouse_objects_scheduler;
GRANT EXECUTE ON FUNCTION crime_schedule(text) TO warehouse_objects_scheduler;
SET ROLE warehouse_objects_scheduler;
SELECT (pg_temp.error_of('SELECT crime_schedule()')).state AS scheduler_state \gset
RESET ROLE;
SELECT is(:'scheduler_state'::text, '0A000',
          '... also for a role that may not read cron.database_name');
REVOKE ALL ON FUNCTION crime_schedule(text) FROM warehouse_objects_scheduler;
REVOKE USAGE ON SCHEMA crime FROM warehouse_objects_scheduler;
DROP ROLE warehouse_objects_scheduler;
SELECT is((pg_temp.error_of('SELECT crime_unschedule()')).state, '0A000', 'crime_unschedule() too');
SELECT is((pg_temp.error_of('SELECT crime_unschedule()')).hint,
          'Jobs for this database are managed from the database named by cron.database_name, with SELECT cron.unschedule(''crime_sync@warehouse_objects_test'');',
          '... whose hint names this database''s job');

-- Every PL/pgSQL function of the extension fixes its search_path and the settings that format
-- values (docs/warehouse.md, "Other roles' objects" and "Session settings"): a new one without
-- them would run other roles' operators, or read the caller's DateStyle.
SELECT is(ARRAY(SELECT p.oid::regprocedure::text
                FROM pg_proc p
                JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
                WHERE d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'chicago_crime')
                  AND p.prolang = (SELECT oid FROM pg_language WHERE lanname = 'plpgsql')
                  AND p.prokind = 'f'
                  AND NOT (coalesce(p.proconfig, '{}') @> ARRAY['search_path=pg_catalog, pg_temp',
                           'DateStyle=ISO, YMD', 'IntervalStyle=postgres', 'extra_float_digits=3',
                           'standard_conforming_strings=on'])
                ORDER BY 1),
          '{}'::text[], 'every PL/pgSQL function of the extension sets its search_path and value formats');

-------------------------------------------------------------------------------------------------
-- DROP EXTENSION removes everything
-------------------------------------------------------------------------------------------------
-- The event trigger that takes the sync job with the extension (warehouse_cron tests what it does).
SELECT is((SELECT concat_ws(' | ', evtevent, array_to_string(evttags, ','), evtfoid::regproc::text)
           FROM pg_event_trigger e
           JOIN pg_depend d ON d.classid = 'pg_event_trigger'::regclass AND d.objid = e.oid AND d.deptype = 'e'
           WHERE e.evtname = 'chicago_crime_forget_sync_job'
             AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'chicago_crime')),
          'ddl_command_start | DROP EXTENSION,DROP SCHEMA,DROP OWNED | crime.on_drop_extension',
          'event trigger chicago_crime_forget_sync_job, a member of the extension, runs on DROP EXTENSION, DROP SCHEMA and DROP OWNED');
SELECT is((pg_temp.error_of('SELECT crime.on_drop_extension()')).state, '39P01',
          'its function refuses a direct call');
DROP EXTENSION chicago_crime;
SELECT hasnt_schema('crime', 'DROP EXTENSION drops schema crime and its contents');
SELECT is((SELECT count(*) FROM pg_event_trigger WHERE evtname = 'chicago_crime_forget_sync_job'), 0::bigint,
          '... the event trigger');
SELECT is((SELECT count(*) FROM pg_foreign_server WHERE srvname = 'chicago_data_portal'), 0::bigint,
          '... the server');
SELECT is((SELECT count(*) FROM pg_proc WHERE proname LIKE 'crime\_%'), 0::bigint, '... and the entry points');

SELECT * FROM finish();

\c :origin_db
DROP DATABASE warehouse_objects_test;
