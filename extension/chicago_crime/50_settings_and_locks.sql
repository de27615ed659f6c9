-- Internals: settings and the lock that keeps syncs and backfills apart

CREATE FUNCTION crime.setting(name text, default_value text)
RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
RETURN coalesce(nullif(pg_catalog.current_setting('chicago_crime.' || name, true), ''), default_value);
COMMENT ON FUNCTION crime.setting(text, text) IS
    'Value of the configuration parameter chicago_crime.<name> (SET, ALTER DATABASE ... SET, postgresql.conf), or default_value when unset';

-- A setting as the type of `sample` (a NULL of that type): a value the type cannot read is an
-- error naming the setting, not the cast's bare 'invalid input syntax for type interval: "abc"'.
CREATE FUNCTION crime.typed_setting(name text, default_value text, sample anyelement)
RETURNS anyelement
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
SET DateStyle = 'ISO, YMD'
SET IntervalStyle = 'postgres'
SET extra_float_digits = 3
SET standard_conforming_strings = on
AS $$
DECLARE
    value constant text := crime.setting(name, default_value);
    type_name constant text := pg_catalog.format_type(pg_catalog.pg_typeof(sample), NULL);
    result sample%TYPE;
BEGIN
    EXECUTE pg_catalog.format('SELECT %L::%s', value, type_name) INTO result;
    RETURN result;
EXCEPTION WHEN data_exception THEN
    RAISE EXCEPTION 'chicago_crime.% must be of type %, not "%"', name, type_name, value
        USING ERRCODE = 'invalid_parameter_value', DETAIL = SQLERRM,
              HINT = pg_catalog.format('Set it to a value such as ''%s'', or RESET it.', default_value);
END $$;
COMMENT ON FUNCTION crime.typed_setting(text, text, anyelement) IS
    'crime.setting(name, default_value) as the type of sample (a NULL of that type); a value that type cannot read is an error naming chicago_crime.<name>';

-- The first load builds every index of crime.incidents at its end. With PostgreSQL's default
-- maintenance_work_mem (64 MB) each build sorts in parallel, the backend's share in up to that
-- much private memory, which grows with the rows up to the setting (38 MB at 1M rows, 70 MB at
-- 8M). With 4 MB the sorts spill to disk and the backend stays flat at any size, for about 10%
-- more time on the real dataset's 8M rows (docs/benchmark.md, "The first load's index sorts").
-- Applied with SET LOCAL semantics, so a value maintenance_work_mem refuses fails here, before
-- anything is fetched, with an error naming this setting. Returns the value it replaced, or
-- NULL when it changed nothing (-1).
CREATE FUNCTION crime.apply_index_build_memory()
RETURNS text
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
SET DateStyle = 'ISO, YMD'
SET IntervalStyle = 'postgres'
SET extra_float_digits = 3
SET standard_conforming_strings = on
AS $$
DECLARE
    caller_value constant text := pg_catalog.current_setting('maintenance_work_mem');
    value constant text := pg_catalog.btrim(crime.setting('index_build_memory', '4MB'));
BEGIN
    IF value = '-1' THEN
        RETURN NULL;
    END IF;
    PERFORM pg_catalog.set_config('maintenance_work_mem', value, true);
    RETURN caller_value;
EXCEPTION WHEN invalid_parameter_value THEN
    RAISE EXCEPTION 'chicago_crime.index_build_memory must be -1 or a value maintenance_work_mem accepts, not "%"', value
        USING ERRCODE = 'invalid_parameter_value', DETAIL = SQLERRM,
              HINT = 'Set it to a size such as ''4MB'' or ''64MB'' (at least 1MB), to -1 for maintenance_work_mem, or RESET it.';
END $$;
COMMENT ON FUNCTION crime.apply_index_build_memory() IS
    'Sets maintenance_work_mem, until the end of the transaction or until set back, to chicago_crime.index_build_memory (default 4MB; -1 keeps maintenance_work_mem): the memory each index build of the first load sorts in. Returns the maintenance_work_mem it replaced, or NULL if it set nothing. Internal: called by crime.load_into_empty_incidents()';

CREATE FUNCTION crime.dataset_of(foreign_table regclass)
RETURNS text
LANGUAGE sql STABLE
RETURN (SELECT o.option_value
        FROM pg_catalog.pg_foreign_table t,
             pg_catalog.pg_options_to_table(t.ftoptions) AS o
        WHERE t.ftrelid = foreign_table AND o.option_name = 'dataset');
COMMENT ON FUNCTION crime.dataset_of(regclass) IS
    'The dataset option of a foreign table (its Socrata 4x4 id), for messages';

CREATE FUNCTION crime.portal_time(at timestamptz)
RETURNS timestamp
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN pg_catalog.date_trunc('milliseconds', at AT TIME ZONE 'America/Chicago');  -- the portal's precision
COMMENT ON FUNCTION crime.portal_time(timestamptz) IS
    'The instant as the portal writes its floating timestamps (updated_on, date): Chicago''s local time. The sync watermark never goes past the run''s start in this time';

-- Floating timestamps only go back when Chicago's clocks do: at the end of daylight-saving time
-- the hour from 01:00 comes twice, so an updated_on written in the second one can be earlier than
-- one written in the first. It matters to a watermark read in the hour before the change (at
-- most its local time, so from 01:00 on); one read earlier is below the whole repeated hour,
-- however long after the change the next run comes. So: whether the clocks went back within
-- the hour after `read_at`, and before `later`.
CREATE FUNCTION crime.portal_clock_set_back(read_at timestamptz, later timestamptz)
RETURNS interval
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN greatest(((read_at AT TIME ZONE 'America/Chicago') - (read_at AT TIME ZONE 'UTC'))
                - ((least(later, read_at + interval '1 hour') AT TIME ZONE 'America/Chicago')
                   - (least(later, read_at + interval '1 hour') AT TIME ZONE 'UTC')),
                interval '0');
COMMENT ON FUNCTION crime.portal_clock_set_back(timestamptz, timestamptz) IS
    'How far Chicago''s clocks were set back within the hour after the first instant and before the second: one hour when the end of daylight-saving time came then, else zero (and zero when the first is NULL). A watermark read in that hour can be above updates written in the repeated hour';

CREATE FUNCTION crime.incremental_since(watermark timestamp, watermark_read_at timestamptz,
                                        run_started_at timestamptz, overlap interval)
RETURNS timestamp
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN least(watermark, crime.portal_time(run_started_at)) - overlap
       - CASE WHEN watermark_read_at IS NULL THEN interval '1 hour'  -- unknown: as if it had been
              ELSE crime.portal_clock_set_back(watermark_read_at, run_started_at) END;
COMMENT ON FUNCTION crime.incremental_since(timestamp, timestamptz, timestamptz, interval) IS
    'Where crime_sync() starts reading changed rows (updated_on at or after it): the watermark, or the run''s present if that is earlier, minus chicago_crime.sync_overlap, and minus the hour Chicago''s clocks were set back if the watermark was read in the hour before they were (an update written in the repeated hour is stamped earlier than that watermark), or if when it was read is not known';

CREATE FUNCTION crime.sync_lock_key()
RETURNS bigint
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN 427121274213;  -- 'crime' in ASCII
COMMENT ON FUNCTION crime.sync_lock_key() IS
    'Advisory lock key that serializes crime_sync() and crime_backfill() within a database (427121274213, ''crime'' in ASCII: pg_locks shows classid 99, objid 1919511909, objsubid 1)';

CREATE FUNCTION crime.sync_lock_holder()
RETURNS integer
LANGUAGE sql
BEGIN ATOMIC
    SELECT l.pid
    FROM pg_catalog.pg_locks l
    WHERE l.locktype = 'advisory'
      AND l.database = (SELECT d.oid FROM pg_catalog.pg_database d WHERE d.datname = pg_catalog.current_database())
      AND l.classid = (crime.sync_lock_key() >> 32)::oid
      AND l.objid = (crime.sync_lock_key() & 4294967295)::oid
      AND l.objsubid = 1
      AND l.granted
    LIMIT 1;
END;
COMMENT ON FUNCTION crime.sync_lock_holder() IS
    'PID of the backend that holds the warehouse''s advisory lock (a sync or backfill running in this database), or NULL';

CREATE FUNCTION crime.guard_session_lock(key bigint, armed boolean)
RETURNS void
LANGUAGE C STRICT
AS '$libdir/socrata_fdw', 'socrata_guard_session_lock';
COMMENT ON FUNCTION crime.guard_session_lock(bigint, boolean) IS
    'While armed, a transaction of this session that ends in an error releases the session-level advisory lock key: crime_backfill() commits as it goes, and a cancel that lands during or just after a COMMIT is raised where no PL/pgSQL handler can catch it';

CREATE FUNCTION crime.take_sync_lock(session_level boolean)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
SET DateStyle = 'ISO, YMD'
SET IntervalStyle = 'postgres'
SET extra_float_digits = 3
SET standard_conforming_strings = on
AS $$
BEGIN
    IF session_level THEN
        -- Guarded before it is taken: a cancel between the two statements would otherwise leave
        -- it held and unguarded (armed without the lock, the guard does nothing).
        PERFORM crime.guard_session_lock(crime.sync_lock_key(), true);
        -- This session may still hold the lock if an earlier call ended in an error that even
        -- its error handler could not handle: keep it rather than stack a second hold.
        IF crime.sync_lock_holder() = pg_catalog.pg_backend_pid()
           OR pg_catalog.pg_try_advisory_lock(crime.sync_lock_key()) THEN
            RETURN;
        END IF;
    ELSIF pg_catalog.pg_try_advisory_xact_lock(crime.sync_lock_key()) THEN
        RETURN;
    END IF;
    RAISE EXCEPTION 'a chicago_crime sync or backfill is already running in database "%"',
                    pg_catalog.current_database()
        USING ERRCODE = 'lock_not_available',
              DETAIL = format('Backend PID %s holds the warehouse''s advisory lock.',
                              coalesce(crime.sync_lock_holder()::text, '?')),
              HINT = 'Wait for it to finish and try again. pg_stat_activity shows what that backend runs; a sync shows in crime.sync_runs once its transaction commits, a backfill once it has read the portal''s range (and its progress in crime.backfill_state).';
END
$$;
COMMENT ON FUNCTION crime.take_sync_lock(boolean) IS
    'Takes the warehouse''s advisory lock (transaction-level for crime_sync, session-level for crime_backfill, which commits as it goes) or raises "already running" (SQLSTATE 55P03) naming the holder';

CREATE FUNCTION crime.release_sync_lock()
RETURNS void
LANGUAGE sql
BEGIN ATOMIC
    SELECT pg_catalog.pg_advisory_unlock(crime.sync_lock_key());
    SELECT crime.guard_session_lock(crime.sync_lock_key(), false);  -- after: never unguarded
END;
COMMENT ON FUNCTION crime.release_sync_lock() IS
    'Releases the session-level advisory lock taken by crime_backfill()';
