-- pg_dump: these tables hold data rather than definitions.
SELECT pg_catalog.pg_extension_config_dump('crime.incidents', '');
SELECT pg_catalog.pg_extension_config_dump('crime.police_stations', '');
SELECT pg_catalog.pg_extension_config_dump('crime.wards', '');
SELECT pg_catalog.pg_extension_config_dump('crime.holidays', '');
SELECT pg_catalog.pg_extension_config_dump('crime.sync_runs', '');
SELECT pg_catalog.pg_extension_config_dump('crime.sync_runs_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('crime.sync_state', '');
SELECT pg_catalog.pg_extension_config_dump('crime.backfill_state', '');
SELECT pg_catalog.pg_extension_config_dump('crime.tally_type_month', '');
SELECT pg_catalog.pg_extension_config_dump('crime.tally_theft_block_year', '');
SELECT pg_catalog.pg_extension_config_dump('crime.tally_community_area', '');
SELECT pg_catalog.pg_extension_config_dump('crime.tally_day', '');
SELECT pg_catalog.pg_extension_config_dump('crime.tally_district_ward', '');
