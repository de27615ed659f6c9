-- The entry points change the warehouse: only its owner (and whom the owner grants) may run them.
REVOKE ALL ON FUNCTION @extschema@.crime_sync() FROM PUBLIC;
REVOKE ALL ON PROCEDURE @extschema@.crime_backfill(timestamp, timestamp, interval, boolean) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.crime_schedule(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.crime_unschedule() FROM PUBLIC;
REVOKE ALL ON PROCEDURE crime.run_scheduled_sync() FROM PUBLIC;
