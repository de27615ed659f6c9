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
-- Two helpers would let anyone given USAGE on the schema (to read the views) interfere or learn
-- what their privileges hide: crime.take_sync_lock() holds off every run, and
-- crime.only_removable_rows() reads every row version of a table they may SELECT from, also
-- those row-level security hides from them. The other helpers stay callable: the entry points,
-- which the owner may grant, call them with the caller's privileges, and they change nothing a
-- caller could not change anyway.
REVOKE ALL ON FUNCTION crime.take_sync_lock(boolean) FROM PUBLIC;
REVOKE ALL ON FUNCTION crime.only_removable_rows(regclass) FROM PUBLIC;
