-- Loading: crime.bulk_insert(), which writes rows as COPY FROM does, and crime.query_rows()

CREATE FUNCTION crime.bulk_insert(target regclass, query text)
RETURNS bigint
LANGUAGE C STRICT
AS '$libdir/socrata_fdw', 'socrata_bulk_insert';
COMMENT ON FUNCTION crime.bulk_insert(regclass, text) IS
    'Inserts the rows of query (one SELECT) into table target the way COPY FROM writes them: through a small ring of shared buffers, so a large load neither evicts the buffer cache nor makes the loading backend touch all of it. When the transaction holds target''s ACCESS EXCLUSIVE lock and target has no index (and is permanent and not logically logged), the pages skip the buffer cache altogether: filled in the backend''s memory, WAL-logged whole and appended to the file, as CREATE INDEX writes its pages. Columns are matched by name (others get their defaults) and must have the table''s exact types; privileges, NOT NULL, CHECK, unique and index maintenance are as with INSERT. Refuses tables with triggers or foreign keys, INSERT rules, row-level security that applies to the caller, or generated columns (use INSERT ... SELECT), values for GENERATED ALWAYS identity columns, and read-only transactions (except for temporary tables). Returns the number of rows inserted';

CREATE FUNCTION crime.query_rows(query text, row_type anyelement)
RETURNS SETOF anyelement
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
SET DateStyle = 'ISO, YMD'
SET IntervalStyle = 'postgres'
SET extra_float_digits = 3
SET standard_conforming_strings = on
AS $$
BEGIN
    -- RETURN QUERY may run its query with parallel workers (PostgreSQL 14 and later).
    RETURN QUERY EXECUTE query;
END
$$;
COMMENT ON FUNCTION crime.query_rows(text, anyelement) IS
    'The rows of query, as row_type (pass NULL::type): lets INSERT ... SELECT * FROM crime.query_rows(...) compute its rows with parallel workers. Internal: the query runs with the warehouse''s fixed settings (search_path pg_catalog, pg_temp: names schema-qualified)';

CREATE FUNCTION crime.only_removable_rows(target regclass)
RETURNS boolean
LANGUAGE C STRICT
AS '$libdir/socrata_fdw', 'socrata_only_removable_rows';
COMMENT ON FUNCTION crime.only_removable_rows(regclass) IS
    'Whether every row version in target''s file is one VACUUM could remove now: dead for every snapshot (this session''s, other sessions'', standbys'' and replication slots''), such as the rows of an aborted load. Then TRUNCATE takes nothing any transaction can see; otherwise it is not MVCC-safe. Reads the file through a small ring of buffers and stops at the first row someone may see; needs SELECT on target';
