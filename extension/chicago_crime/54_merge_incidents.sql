-- Merging: the one statement that brings portal rows into crime.incidents and its tallies

-- The first load: crime.incidents is empty, so nothing can conflict. A bulk insert replaces
-- the upsert, and every index, the primary key included, is built once at the end, which is
-- several times cheaper than maintaining it row by row.
CREATE FUNCTION crime.load_into_empty_incidents(portal_query text)
RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
SET DateStyle = 'ISO, YMD'
SET IntervalStyle = 'postgres'
SET extra_float_digits = 3
SET standard_conforming_strings = on
SET jit = off -- see refresh_views
AS $$
DECLARE
    index_defs text[];
    index_names text[];
    index_def text;
    primary_key_name name;
    primary_key_def text;
    inserted bigint;
    -- Set before anything is fetched, so that a bad value fails the run at once.
    caller_sort_memory constant text := crime.apply_index_build_memory();
BEGIN
    -- The table is empty, so holding its lock until commit blocks nobody's data. The primary
    -- key stays if a foreign key depends on it.
    LOCK TABLE crime.incidents IN ACCESS EXCLUSIVE MODE;
    IF EXISTS (SELECT FROM crime.incidents) THEN
        RAISE EXCEPTION 'crime.incidents is not empty'
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'crime.load_into_empty_incidents() is the first load; crime_sync() merges into a table with rows.';
    END IF;
    -- crime.bulk_insert appends to the file, after the pages an aborted load left there
    -- (or rows deleted by hand): those would stay ahead of every new row for good, a
    -- table twice its size after one failed first load. TRUNCATE starts a new file, when
    -- that takes nothing any transaction can see (it is not MVCC-safe: a snapshot older
    -- than a DELETE, or a row committed after this transaction's snapshot), when no
    -- foreign key points at the table (TRUNCATE would empty the other table too), and
    -- when no publication would send the TRUNCATE to subscribers.
    IF pg_catalog.pg_relation_size('crime.incidents') > 0
       AND NOT EXISTS (SELECT FROM pg_catalog.pg_constraint f
                       WHERE f.contype = 'f' AND f.confrelid = 'crime.incidents'::regclass)
       AND NOT EXISTS (SELECT FROM pg_catalog.pg_publication_tables p
                       WHERE p.schemaname = 'crime' AND p.tablename = 'incidents')
       AND crime.only_removable_rows('crime.incidents') THEN
        TRUNCATE crime.incidents;
    END IF;
    SELECT array_agg(pg_catalog.pg_get_indexdef(x.indexrelid)),
           array_agg(x.indexrelid::regclass::text)
    INTO index_defs, index_names
    FROM pg_catalog.pg_index x
    WHERE x.indrelid = 'crime.incidents'::regclass AND NOT x.indisprimary;
    SELECT k.conname, pg_catalog.pg_get_constraintdef(k.oid)
    INTO primary_key_name, primary_key_def
    FROM pg_catalog.pg_constraint k
    WHERE k.conrelid = 'crime.incidents'::regclass AND k.contype = 'p'
      AND NOT EXISTS (SELECT FROM pg_catalog.pg_constraint f
                      WHERE f.contype = 'f' AND f.confrelid = k.conrelid);
    IF index_names IS NOT NULL THEN
        EXECUTE 'DROP INDEX ' || array_to_string(index_names, ', ');
    END IF;
    IF primary_key_name IS NOT NULL THEN
        EXECUTE format('ALTER TABLE crime.incidents DROP CONSTRAINT %I', primary_key_name);
    END IF;

    -- Not INSERT's write path, which would pass the whole table through the shared
    -- buffer cache: with the lock the DROPs took and no index left, crime.bulk_insert
    -- writes the pages straight to the file (with a primary key kept, through COPY's
    -- ring of buffers).
    inserted := crime.bulk_insert('crime.incidents', portal_query);

    IF primary_key_name IS NOT NULL THEN
        BEGIN
            EXECUTE format('ALTER TABLE crime.incidents ADD CONSTRAINT %I %s',
                           primary_key_name, primary_key_def);
        EXCEPTION WHEN unique_violation THEN
            -- What the upsert would have refused too: one id sent twice in one pass.
            GET STACKED DIAGNOSTICS index_def = PG_EXCEPTION_DETAIL;
            RAISE EXCEPTION 'the portal sent the same crime id more than once in one pass'
                USING ERRCODE = 'unique_violation', DETAIL = index_def,
                      HINT = 'Nothing was loaded; run crime_sync() again.';
        END;
    END IF;
    IF index_defs IS NOT NULL THEN
        FOREACH index_def IN ARRAY index_defs LOOP
            EXECUTE index_def;
        END LOOP;
    END IF;
    -- (On an error, the rollback of the caller's subtransaction restores it.)
    IF caller_sort_memory IS NOT NULL THEN
        PERFORM pg_catalog.set_config('maintenance_work_mem', caller_sort_memory, true);
    END IF;
    RETURN inserted;
END
$$;
COMMENT ON FUNCTION crime.load_into_empty_incidents(text) IS
    'The first load: inserts the rows of portal_query (crime.incidents'' columns) into the empty crime.incidents through crime.bulk_insert, with its indexes and primary key dropped first and built again after (sorting in chicago_crime.index_build_memory), under an ACCESS EXCLUSIVE lock held until commit. Refuses a table with rows its snapshot sees (under REPEATABLE READ, a row committed after the snapshot is not refused but kept beside the loaded ones). Returns the number of rows inserted. Internal: called by crime.merge_incidents()';

-- The SQL every merge is built from, in one place: the portal's rows as crime.incidents'
-- columns, and the WITH items that upsert them and feed their row versions to the tallies
-- (ending with "changes"; crime.tally_statement puts WITH in front and the tally writes after).
-- IMMUTABLE says what it is; PostgreSQL still runs it at each call (it returns a record), a
-- few string functions.
CREATE FUNCTION crime.merge_sql(
    OUT portal_rows text,
    OUT upsert text,
    OUT upsert_result text,
    OUT range_resync text,
    OUT range_resync_result text,
    OUT range_changes text)
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, pg_temp
SET DateStyle = 'ISO, YMD'
SET IntervalStyle = 'postgres'
SET extra_float_digits = 3
SET standard_conforming_strings = on
AS $$
DECLARE
    incident_columns CONSTANT text := 'id, case_number, occurred_at, block, iucr, primary_type,
        description, location_description, arrest, domestic, beat, district, ward,
        community_area, fbi_code, x_coordinate, y_coordinate, year, updated_at, latitude,
        longitude';
    -- The upsert's SET list and its "row differs" test, shared by both upserts.
    update_set CONSTANT text := 'case_number = EXCLUDED.case_number, occurred_at = EXCLUDED.occurred_at,
        block = EXCLUDED.block, iucr = EXCLUDED.iucr, primary_type = EXCLUDED.primary_type,
        description = EXCLUDED.description, location_description = EXCLUDED.location_description,
        arrest = EXCLUDED.arrest, domestic = EXCLUDED.domestic, beat = EXCLUDED.beat,
        district = EXCLUDED.district, ward = EXCLUDED.ward,
        community_area = EXCLUDED.community_area, fbi_code = EXCLUDED.fbi_code,
        x_coordinate = EXCLUDED.x_coordinate, y_coordinate = EXCLUDED.y_coordinate,
        year = EXCLUDED.year, updated_at = EXCLUDED.updated_at,
        latitude = EXCLUDED.latitude, longitude = EXCLUDED.longitude,
        synced_at = EXCLUDED.synced_at';
    changed_test CONSTANT text := '(i.case_number, i.occurred_at, i.block, i.iucr, i.primary_type,
        i.description, i.location_description, i.arrest, i.domestic, i.beat, i.district, i.ward,
        i.community_area, i.fbi_code, i.x_coordinate, i.y_coordinate, i.year,
        i.updated_at, i.latitude, i.longitude)
      IS DISTINCT FROM
      (EXCLUDED.case_number, EXCLUDED.occurred_at, EXCLUDED.block, EXCLUDED.iucr,
       EXCLUDED.primary_type, EXCLUDED.description, EXCLUDED.location_description,
       EXCLUDED.arrest, EXCLUDED.domestic, EXCLUDED.beat, EXCLUDED.district,
       EXCLUDED.ward, EXCLUDED.community_area, EXCLUDED.fbi_code,
       EXCLUDED.x_coordinate, EXCLUDED.y_coordinate, EXCLUDED.year,
       EXCLUDED.updated_at, EXCLUDED.latitude, EXCLUDED.longitude)';
    -- The columns the tallies count (the id too: crime.tally_type_month sums the ids, a
    -- fingerprint for finding deletions), and the "changes" WITH items that feed them (see
    -- crime.tally_statement): the new versions of upserted rows, the old versions they replace
    -- (the statement's snapshot still sees those), and removed rows.
    tally_columns CONSTANT text := 'id, occurred_at, primary_type, arrest, block, community_area, district, ward';
    -- Those columns qualified by i (crime.incidents): RETURNING, and the rows of a range just loaded.
    tally_columns_of_i CONSTANT text := regexp_replace(tally_columns, '(\w+)', 'i.\1', 'g');
    -- The old versions are looked up by primary key, one per upserted row: a subquery with LIMIT
    -- is never turned into a join, which the planner, expecting many more rows from the portal
    -- than an incremental pass brings, would make a hash join over the whole table.
    old_version CONSTANT text := '(SELECT o.* FROM crime.incidents o WHERE o.id = u.id LIMIT 1) AS o';
    -- A new row counts in (+1); an updated one counts its old version out (-1) and its new one
    -- in (+1), unless none of the counted columns changed, when the two would cancel out in
    -- every tally (most of the portal's updates). Each old version is looked up once, and both
    -- versions come out of that one joined row (VALUES), so no intermediate result is stored
    -- (a "pairs" item did, and cost 1.7 MB more at 10,000 rows). The text ends inside
    -- "changes", so that a caller can add more row versions before closing it.
    upserted_changes CONSTANT text := format('changes AS (
            SELECT v.* FROM upserted u
            LEFT JOIN LATERAL (SELECT %1$s FROM crime.incidents o WHERE o.id = u.id LIMIT 1) AS o ON true
            CROSS JOIN LATERAL (VALUES (1, %2$s), (-1, %1$s)) AS v (sign, %3$s)
            WHERE (o.id IS NULL OR (%2$s) IS DISTINCT FROM (%1$s)) AND (v.sign = 1 OR o.id IS NOT NULL)',
        regexp_replace(tally_columns, '(\w+)', 'o.\1', 'g'),
        regexp_replace(tally_columns, '(\w+)', 'u.\1', 'g'),
        tally_columns);
BEGIN
    portal_rows := 'SELECT c.id, c.case_number, c.date AS occurred_at, c.block,
        c.iucr, c.primary_type, c.description, c.location_description, c.arrest, c.domestic,
        c.beat, c.district::integer AS district, c.ward,
        c.community_area::integer AS community_area, c.fbi_code, c.x_coordinate,
        c.y_coordinate, c.year, c.updated_on AS updated_at, c.latitude, c.longitude
        FROM crime.portal_crimes AS c';
    -- The upsert of a query's portal rows (its %s) with their tallies, and what it returns:
    -- rows inserted, rows updated, tallies changed. xmax is 0 on a freshly inserted row and set
    -- on a row updated by ON CONFLICT.
    upsert := format($sql$
        upserted AS (
            INSERT INTO crime.incidents AS i (%s)
            %%s
            ON CONFLICT (id) DO UPDATE SET %s
            WHERE %s
            RETURNING i.xmax = 0 AS was_inserted, %s
        ),
        %s)
        $sql$, incident_columns, update_set, changed_test, tally_columns_of_i, upserted_changes);
    upsert_result := $sql$
        SELECT count(*) FILTER (WHERE was_inserted), count(*) FILTER (WHERE NOT was_inserted),
               (SELECT t.tallies FROM changed_tallies t)
        FROM upserted
        $sql$;
    -- A range re-sync that also finds deletions, in one statement, so one snapshot: the rows of
    -- a query (its %s) upserted, the range's ($1, $2) other local rows deleted. The final SELECT
    -- sees crime.incidents as it was before the INSERT and DELETE in the WITH clause, so an
    -- upserted id found there was an update, one not found an insert. An id the portal sends
    -- twice is not reduced to one of its versions, which would keep the month's count apart
    -- from the portal's, re-synced on every run: "repeated" counts such rows, and when there
    -- are any the statement writes nothing and crime.resync_range fails.
    range_resync := format($sql$
        source AS MATERIALIZED (
            SELECT r.* FROM (%%s) AS r
        ),
        repeated AS MATERIALIZED (
            SELECT count(*) - count(DISTINCT s.id) AS n FROM source s
        ),
        upserted AS (
            INSERT INTO crime.incidents AS i (%s)
            SELECT %s FROM source WHERE (SELECT d.n FROM repeated d) = 0
            ON CONFLICT (id) DO UPDATE SET %s
            WHERE %s
            RETURNING %s
        ),
        removed AS (
            DELETE FROM crime.incidents AS i
            WHERE i.occurred_at >= $1 AND i.occurred_at < $2
              AND NOT EXISTS (SELECT FROM source s WHERE s.id = i.id)
              AND (SELECT d.n FROM repeated d) = 0
            RETURNING %s
        ),
        %s
            UNION ALL
            SELECT -1, %s FROM removed r
        )
        $sql$,
        incident_columns, incident_columns, update_set, changed_test,
        tally_columns_of_i,
        tally_columns_of_i,
        upserted_changes,
        regexp_replace(tally_columns, '(\w+)', 'r.\1', 'g'));
    range_resync_result := $sql$
        SELECT (SELECT d.n FROM repeated d),
               (SELECT count(*) FROM source),
               count(*) FILTER (WHERE o.id IS NULL),
               count(o.id),
               (SELECT count(*) FROM removed),
               (SELECT max(s.updated_at) FROM source s),
               (SELECT t.tallies FROM changed_tallies t),
               (SELECT array_agg(r.id ORDER BY r.id) FROM removed r)
        FROM upserted u
        LEFT JOIN LATERAL $sql$ || old_version || ' ON true';
    -- Every row of a range ($1, $2) just loaded, counted in.
    range_changes := format('changes AS (SELECT 1 AS sign, %s FROM crime.incidents i
                                        WHERE i.occurred_at >= $1 AND i.occurred_at < $2)',
                            tally_columns_of_i);
END
$$;
COMMENT ON FUNCTION crime.merge_sql() IS
    'The SQL the merges are built from: the portal''s rows as crime.incidents'' columns (a SELECT to add a WHERE to); the WITH items that upsert the rows of a query (format() them with it) and feed the tallies, and the final SELECT giving rows inserted, updated and the tallies changed; the same for a range re-sync that also deletes the range''s ($1, $2) rows the query no longer has (giving the rows that repeat an id sent before them, rows fetched, inserted, updated, deleted, the greatest updated_at, the tallies changed and the ids deleted); and the tallies'' "changes" item for every row of a range just loaded. For crime.tally_statement(). Internal: used by crime.merge_incidents() and the functions it calls';

-- The upsert of the portal rows of a query: only rows that differ are rewritten, and the
-- tallies adjusted in the same statement (unless keep_tallies is false).
CREATE FUNCTION crime.upsert_incidents(portal_query text, keep_tallies boolean,
                                       OUT inserted bigint, OUT updated bigint, OUT tallies regclass[])
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
SET DateStyle = 'ISO, YMD'
SET IntervalStyle = 'postgres'
SET extra_float_digits = 3
SET standard_conforming_strings = on
SET jit = off -- see refresh_views
AS $$
DECLARE
    statements CONSTANT record := crime.merge_sql();
BEGIN
    EXECUTE crime.tally_statement(format(statements.upsert, portal_query), statements.upsert_result,
                                  keep_tallies)
    INTO inserted, updated, tallies;
END
$$;
COMMENT ON FUNCTION crime.upsert_incidents(text, boolean) IS
    'Upserts the rows of portal_query (crime.incidents'' columns) into crime.incidents by id, rewriting only rows that differ, and adjusts the tallies in the same statement unless keep_tallies is false. Returns rows inserted, rows updated and the tallies that changed. Internal: used by crime.merge_incidents()';

-- A range with no local rows (a backfill's window, the first time) has nothing to compare or
-- delete: its rows go in through crime.bulk_insert as in a first load, the indexes kept. An
-- id the table already has (a crime whose date moved into this range) or that the portal
-- sends twice fails it with a unique violation; the subtransaction then undoes it, and the
-- caller re-syncs the range instead. Returns NULLs when it loaded nothing that way.
CREATE FUNCTION crime.load_empty_range(portal_query text, portal_summary text,
                                       occurred_from timestamp, occurred_before timestamp,
                                       keep_tallies boolean,
                                       OUT fetched bigint, OUT inserted bigint,
                                       OUT max_updated_at timestamp, OUT tallies regclass[])
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
SET DateStyle = 'ISO, YMD'
SET IntervalStyle = 'postgres'
SET extra_float_digits = 3
SET standard_conforming_strings = on
SET jit = off -- see refresh_views
AS $$
BEGIN
    IF EXISTS (SELECT FROM crime.incidents i
               WHERE i.occurred_at >= occurred_from AND i.occurred_at < occurred_before) THEN
        RETURN;
    END IF;
    BEGIN
        EXECUTE portal_summary INTO fetched, max_updated_at;
        inserted := crime.bulk_insert('crime.incidents', portal_query);
        tallies := '{}';
        IF keep_tallies THEN
            EXECUTE crime.tally_statement((crime.merge_sql()).range_changes,
                                          'SELECT t.tallies FROM changed_tallies t', true)
            INTO tallies
            USING occurred_from, occurred_before;
        END IF;
        fetched := greatest(fetched, inserted);
    EXCEPTION WHEN unique_violation THEN
        fetched := NULL;
        inserted := NULL;
        max_updated_at := NULL;
        tallies := NULL;
    END;
END
$$;
COMMENT ON FUNCTION crime.load_empty_range(text, text, timestamp, timestamp, boolean) IS
    'When crime.incidents has no row occurring in [occurred_from, occurred_before), inserts the rows of portal_query through crime.bulk_insert and counts them into the tallies (unless keep_tallies is false); portal_summary gives their number and greatest updated_on. Returns rows fetched, inserted, the greatest updated_on and the tallies changed; NULLs when the range has local rows, or when the load met an id already there or one the portal sent twice (nothing changed then). Internal: used by crime.merge_incidents()';

-- The range re-sync (one month at a time, so small): upserts the range's portal rows and
-- deletes its local rows the portal no longer has, with their tallies, in one statement.
CREATE FUNCTION crime.resync_range(portal_query text, occurred_from timestamp,
                                   occurred_before timestamp, keep_tallies boolean,
                                   OUT fetched bigint, OUT inserted bigint, OUT updated bigint,
                                   OUT deleted bigint, OUT max_updated_at timestamp,
                                   OUT tallies regclass[], OUT removed_ids bigint[])
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
SET DateStyle = 'ISO, YMD'
SET IntervalStyle = 'postgres'
SET extra_float_digits = 3
SET standard_conforming_strings = on
SET jit = off -- see refresh_views
AS $$
DECLARE
    statements CONSTANT record := crime.merge_sql();
    sent_again bigint;
BEGIN
    EXECUTE crime.tally_statement(format(statements.range_resync, portal_query),
                                  statements.range_resync_result, keep_tallies)
    INTO sent_again, fetched, inserted, updated, deleted, max_updated_at, tallies, removed_ids
    USING occurred_from, occurred_before;
    IF sent_again > 0 THEN
        RAISE EXCEPTION 'the portal sent the same crime id more than once in one pass'
            USING ERRCODE = 'unique_violation',
                  DETAIL = format('%s of the rows of [%s, %s) repeat an id sent before them.',
                                  sent_again, occurred_from, occurred_before),
                  HINT = 'Nothing was changed; the portal''s dataset holds one row per id, so run again later.';
    END IF;
END
$$;
COMMENT ON FUNCTION crime.resync_range(text, timestamp, timestamp, boolean) IS
    'Upserts the rows of portal_query (crime.incidents'' columns, those of the portal occurring in [occurred_from, occurred_before)) and deletes the local rows of that range it does not have, adjusting the tallies in the same statement unless keep_tallies is false. Returns rows fetched, inserted, updated, deleted, the greatest updated_on, the tallies changed and the ids deleted; fails (unique_violation) when the portal sent an id twice. Internal: used by crime.merge_incidents()';

-- A crime missing from a range may only have moved out of it: the portal changed its date
-- without a newer updated_on (or a backfill's range ends before its new date). Deleted by the
-- re-sync, it is looked up by id and, if the portal still has it, put back with its new date
-- in the same transaction: an update, not a deletion (crime_backfill() would otherwise lose it
-- until its new window, or until a sync's full check for a range re-sync). Crimes removed are
-- rare, so this is usually no request at all.
CREATE FUNCTION crime.put_back_moved_incidents(removed_ids bigint[], keep_tallies boolean,
                                               OUT put_back bigint, OUT tallies regclass[])
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
SET DateStyle = 'ISO, YMD'
SET IntervalStyle = 'postgres'
SET extra_float_digits = 3
SET standard_conforming_strings = on
SET jit = off -- see refresh_views
AS $$
DECLARE
    -- Ids per request: an IN list of 200 ids of up to 10 digits stays within the 4,096 bytes
    -- socrata_fdw pushes down as $where (past it, the list would be filtered locally, over a
    -- scan of the whole dataset).
    ids_per_request CONSTANT integer := 200;
    portal_rows CONSTANT text := (crime.merge_sql()).portal_rows;
    batch bigint[];
    upserted record;
BEGIN
    put_back := 0;
    tallies := '{}';
    FOR batch IN
        SELECT array_agg(r.id) FROM unnest(removed_ids) WITH ORDINALITY AS r (id, n)
        GROUP BY (r.n - 1) / ids_per_request
    LOOP
        upserted := crime.upsert_incidents(
            format('%s WHERE c.id = ANY (%L::bigint[])', portal_rows, batch),
            keep_tallies);
        put_back := put_back + upserted.inserted + upserted.updated;
        tallies := tallies || upserted.tallies; -- a table twice is harmless (crime.refresh_views)
    END LOOP;
END
$$;
COMMENT ON FUNCTION crime.put_back_moved_incidents(bigint[], boolean) IS
    'Looks the crimes removed_ids up at the portal by id (200 per request) and upserts those it still has (with their new date), adjusting the tallies unless keep_tallies is false. Returns how many it put back and the tallies changed. Internal: used by crime.merge_incidents() after a range re-sync';

CREATE FUNCTION crime.merge_incidents(
    updated_since   timestamp DEFAULT NULL,
    occurred_from   timestamp DEFAULT NULL,
    occurred_before timestamp DEFAULT NULL,
    delete_missing  boolean DEFAULT false,
    keep_tallies    boolean DEFAULT true,
    OUT fetched bigint,
    OUT inserted bigint,
    OUT updated bigint,
    OUT deleted bigint,
    OUT max_updated_at timestamp,
    OUT tallies regclass[])
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
SET DateStyle = 'ISO, YMD'
SET IntervalStyle = 'postgres'
SET extra_float_digits = 3
SET standard_conforming_strings = on
SET jit = off -- see refresh_views
AS $$
DECLARE
    predicates text[] := '{}';
    where_clause text;
    portal_query text;
    portal_summary text;
    loaded record;
    resynced record;
    moved record;
BEGIN
    IF delete_missing AND (occurred_from IS NULL OR occurred_before IS NULL) THEN
        RAISE EXCEPTION 'delete_missing needs both occurred_from and occurred_before'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    -- Only the predicates that apply, so that the wrapper can push them down; as literals, not
    -- parameters, because crime.bulk_insert takes the query as text.
    IF updated_since IS NOT NULL THEN
        predicates := predicates || format('c.updated_on >= %L::timestamp', updated_since);
    END IF;
    IF occurred_from IS NOT NULL THEN
        predicates := predicates || format('c.date >= %L::timestamp', occurred_from);
    END IF;
    IF occurred_before IS NOT NULL THEN
        predicates := predicates || format('c.date < %L::timestamp', occurred_before);
    END IF;

    where_clause := coalesce(nullif(array_to_string(predicates, ' AND '), ''), 'true');
    -- The portal's rows this call reads, as crime.incidents' columns; and their number and
    -- newest updated_on, which the wrapper pushes down as one aggregate request.
    portal_query := format('%s WHERE %s', (crime.merge_sql()).portal_rows, where_clause);
    portal_summary := format('SELECT count(*), max(c.updated_on) FROM crime.portal_crimes AS c WHERE %s',
                             where_clause);
    inserted := 0;
    updated := 0;
    deleted := 0;
    tallies := '{}';

    IF NOT delete_missing THEN
        -- The bulk path (first load, incremental sync): one streaming pass from the portal into
        -- the table, with no sort or materialisation in between. What was fetched is counted
        -- by the pushed-down aggregate first, so the watermark never passes a row that arrives
        -- at the portal while this runs.
        EXECUTE portal_summary INTO fetched, max_updated_at;
        IF fetched = 0 THEN
            RETURN;
        END IF;
        IF NOT EXISTS (SELECT FROM crime.incidents) THEN
            -- The first load: nothing can conflict, so no upsert (and no tally adjustments:
            -- they are counted once, after the load).
            inserted := crime.load_into_empty_incidents(portal_query);
            tallies := CASE WHEN keep_tallies THEN crime.rebuild_tallies() ELSE '{}' END;
            fetched := greatest(fetched, inserted);
            RETURN;
        END IF;
        SELECT u.inserted, u.updated, u.tallies INTO inserted, updated, tallies
        FROM crime.upsert_incidents(portal_query, keep_tallies) AS u;
        -- Rows that changed at the portal between the count and the upsert.
        fetched := greatest(fetched, inserted + updated);
    ELSE
        -- A range (a backfill's window, a month the deletion check re-syncs): loaded straight
        -- in when it has no local rows yet, re-synced otherwise.
        loaded := crime.load_empty_range(portal_query, portal_summary, occurred_from,
                                         occurred_before, keep_tallies);
        IF loaded.fetched IS NOT NULL THEN
            fetched := loaded.fetched;
            inserted := loaded.inserted;
            max_updated_at := loaded.max_updated_at;
            tallies := loaded.tallies;
            RETURN;
        END IF;
        resynced := crime.resync_range(portal_query, occurred_from, occurred_before, keep_tallies);
        -- Those deleted that only moved out of the range come back as updates.
        moved := crime.put_back_moved_incidents(resynced.removed_ids, keep_tallies);
        fetched := resynced.fetched + moved.put_back;
        inserted := resynced.inserted;
        updated := resynced.updated + moved.put_back;
        deleted := resynced.deleted - moved.put_back;
        max_updated_at := resynced.max_updated_at;
        tallies := resynced.tallies || moved.tallies;
    END IF;
    IF cardinality(tallies) > 0 THEN
        PERFORM crime.prune_tallies();
    END IF;
END
$$;
COMMENT ON FUNCTION crime.merge_incidents(timestamp, timestamp, timestamp, boolean, boolean) IS
    'Upserts the portal''s crimes updated at or after updated_since and/or occurring in [occurred_from, occurred_before) into crime.incidents by id, rewriting only rows that differ; with delete_missing, also deletes the range''s local rows that the portal no longer has (a crime whose date moved out of the range is looked up by id and updated instead). Adjusts the tallies in the same statement (unless keep_tallies is false: crime_backfill() recounts them at its end). Returns rows fetched, inserted, updated, deleted, the greatest updated_on fetched and the tallies that changed';
