-- The entry points change the warehouse: only its owner (and whom the owner grants) may run them.
REVOKE ALL ON FUNCTION @extschema@.crime_sync() FROM PUBLIC;
REVOKE ALL ON PROCEDURE @extschema@.crime_backfill(timestamp, timestamp, interval, boolean) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.crime_schedule(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.crime_unschedule() FROM PUBLIC;
REVOKE ALL ON PROCEDURE crime.run_scheduled_sync() FROM PUBLIC;
REVOKE ALL ON FUNCTION crime.sync_bound() FROM PUBLIC;
-- It writes into any table it is given, as the caller (with the caller's privileges): the
-- warehouse's loads need it, nobody else.
REVOKE ALL ON FUNCTION crime.bulk_insert(regclass, text) FROM PUBLIC;
-- Called by the event trigger on DROP EXTENSION (a direct call, which needs no grant).
REVOKE ALL ON FUNCTION crime.forget_sync_job() FROM PUBLIC;
