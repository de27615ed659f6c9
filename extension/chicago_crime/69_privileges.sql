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
-- Everything else in schema crime is the warehouse's machinery, for its owner. An analyst given
-- USAGE on the schema to read the views needs none of it, and some of it would let them
-- interfere or learn what their privileges hide: crime.take_sync_lock() holds off every run,
-- crime.only_removable_rows() reads every row version of a table they may SELECT from, also
-- those row-level security hides from them. (Only what the extension creates is revoked here;
-- the owner may grant any of it.)
REVOKE ALL ON ALL ROUTINES IN SCHEMA crime FROM PUBLIC;
