-- chicago_crime: crime_sync() against a portal that changes at random, round after round. After
-- each sync, the warehouse must equal the portal row for row, the sync's counts must be what
-- changed, the tallies must equal a recount and every materialized view its own definition.
--
-- The changes are those the portal makes: edits of counted and uncounted fields (the date too,
-- across months and years), new rows, deletions, deleted ids that come back. Before each good
-- sync, one sync runs through a portal that fails at a random request: it must fail and change
-- nothing. Phase 1 runs with
-- the default chicago_crime.full_check_interval, so most syncs read only what changed since the
-- watermark; every change there carries a new updated_on, as the portal's do. Phase 2 compares
-- every month on every sync (full_check_interval = 0) and adds the changes only that finds: rows
-- that move to another month, come back or appear with an old updated_on.
--
-- The choices are a function of a seed ($SYNC_RANDOM_SEED, default 1; printed), so a failure can
-- be replayed; $SYNC_RANDOM_ROUNDS (default 4) sets the rounds per phase for a longer soak.
--
-- Runs in a database of its own, against the local SODA server, on a clone of the bundled crimes.
\set test_db warehouse_sync_random_test
\ir warehouse/setup.psql
-- The syncs through a failing portal report their failures with a WARNING too: not shown.
SET client_min_messages = error;

\getenv seed SYNC_RANDOM_SEED
\if :{?seed}
\else
\set seed 1
\endif
\getenv rounds SYNC_RANDOM_ROUNDS
\if :{?rounds}
\else
\set rounds 4
\endif
SET warehouse_test.seed = :'seed';

CALL pg_temp.soda_control('/_control/datasets/ijzp-q8t2/clone?to=wtst-rand');
ALTER FOREIGN TABLE crime.portal_crimes OPTIONS (SET dataset 'wtst-rand', ADD page_size '10000');

-- A number in [0, 1) drawn from the seed and the given words: the same words, the same number.
CREATE FUNCTION pg_temp.draw(VARIADIC words text[])
RETURNS double precision
LANGUAGE sql
AS $$
    SELECT (hashtextextended(array_to_string(words, '/'),
                             current_setting('warehouse_test.seed')::bigint) & 2147483647)::double precision
           / 2147483648
$$;

-- A floating timestamp as the portal writes it.
CREATE FUNCTION pg_temp.wire_time(t timestamp)
RETURNS text
LANGUAGE sql
AS $$ SELECT to_char(t, 'YYYY-MM-DD"T"HH24:MI:SS.MS') $$;

-- Rows deleted from the portal, as the portal had them, for the rounds that bring some back.
CREATE TEMP TABLE graveyard (id bigint PRIMARY KEY, wire jsonb NOT NULL);

-- One round of changes to the portal. The rows are drawn from crime.incidents, which the
-- previous round's checks found equal to the portal. backdated: also make the changes that
-- only a full check finds.
CREATE PROCEDURE pg_temp.change_portal(round integer, backdated boolean)
LANGUAGE plpgsql
AS $$
DECLARE
    r       constant text := round::text;
    now_on  constant text := pg_temp.wire_time(crime.portal_time(clock_timestamp()));
    next_id bigint;
BEGIN
    -- Edits, about 1% of the rows: each field changes with a chance of 1 in 3, the date by up
    -- to two months either way (a new month, sometimes a new year).
    CALL pg_temp.soda_control('/_control/datasets/wtst-rand/upsert', format($q$
        SELECT coalesce(jsonb_agg(e.change), '[]')
        FROM (SELECT jsonb_build_object('id', i.id::text, 'updated_on', %L)
                     || CASE WHEN pg_temp.draw('description', %L, i.id::text) < 0.33
                             THEN jsonb_build_object('description', 'EDITED IN ROUND ' || %L) ELSE '{}' END
                     || CASE WHEN pg_temp.draw('type', %L, i.id::text) < 0.33
                             THEN jsonb_build_object('primary_type', (ARRAY['THEFT', 'BATTERY', 'NARCOTICS', 'ASSAULT'])
                                                      [1 + floor(4 * pg_temp.draw('type value', %L, i.id::text))::int])
                             ELSE '{}' END
                     || CASE WHEN pg_temp.draw('block', %L, i.id::text) < 0.33
                             THEN jsonb_build_object('block', (ARRAY['001XX N STATE ST', '011XX S WABASH AVE', NULL])
                                                      [1 + floor(3 * pg_temp.draw('block value', %L, i.id::text))::int])
                             ELSE '{}' END
                     || CASE WHEN pg_temp.draw('arrest', %L, i.id::text) < 0.33
                             THEN jsonb_build_object('arrest', NOT coalesce(i.arrest, false)) ELSE '{}' END
                     || CASE WHEN pg_temp.draw('place', %L, i.id::text) < 0.33
                             THEN jsonb_build_object(
                                      'district', lpad((1 + floor(25 * pg_temp.draw('district', %L, i.id::text)))::text, 3, '0'),
                                      'ward', (1 + floor(50 * pg_temp.draw('ward', %L, i.id::text)))::text,
                                      'community_area', (1 + floor(77 * pg_temp.draw('area', %L, i.id::text)))::text)
                             ELSE '{}' END
                     || CASE WHEN pg_temp.draw('date', %L, i.id::text) < 0.33
                             THEN (SELECT jsonb_build_object('date', pg_temp.wire_time(d.moved),
                                                             'year', extract(year FROM d.moved)::text)
                                   FROM (SELECT i.occurred_at + (120 * pg_temp.draw('days', %L, i.id::text) - 60)
                                                                * interval '1 day' AS moved) AS d)
                             ELSE '{}' END AS change
              FROM crime.incidents i
              WHERE pg_temp.draw('edit', %L, i.id::text) < 0.01) AS e$q$,
        now_on, r, r, r, r, r, r, r, r, r, r, r, r, r, r));

    -- Deletions, about 0.3% of the rows, kept for later rounds.
    INSERT INTO graveyard
    SELECT p.id, to_jsonb(p) - 'location'
    FROM crime.portal_crimes p
    WHERE p.id IN (SELECT i.id FROM crime.incidents i WHERE pg_temp.draw('delete', r, i.id::text) < 0.003);
    CALL pg_temp.soda_control('/_control/datasets/wtst-rand/delete', format($q$
        SELECT jsonb_build_object('ids', coalesce(jsonb_agg(i.id::text), '[]'))
        FROM crime.incidents i WHERE pg_temp.draw('delete', %L, i.id::text) < 0.003$q$, r));

    -- Deleted ids that come back, about a third of those from earlier rounds: with a new
    -- updated_on, or in phase 2 half of them with the one they had.
    CALL pg_temp.soda_control('/_control/datasets/wtst-rand/upsert', format($q$
        SELECT coalesce(jsonb_agg(g.wire || CASE WHEN %L AND pg_temp.draw('revive old', %L, g.id::text) < 0.5
                                               THEN '{}' ELSE jsonb_build_object('updated_on', %L) END), '[]')
        FROM graveyard g
        WHERE pg_temp.draw('revive', %L, g.id::text) < 0.33
          AND g.id NOT IN (SELECT i.id FROM crime.incidents i WHERE pg_temp.draw('delete', %L, i.id::text) < 0.003)$q$,
        backdated, r, now_on, r, r));
    DELETE FROM graveyard g
    WHERE pg_temp.draw('revive', r, g.id::text) < 0.33
      AND g.id NOT IN (SELECT i.id FROM crime.incidents i WHERE pg_temp.draw('delete', r, i.id::text) < 0.003);

    -- New rows, copies of about 0.2% of the rows under new ids, dated up to a year later than
    -- their model; in phase 2 a third of them with the model's old updated_on.
    SELECT greatest(max(i.id), (SELECT max(g.id) FROM graveyard g)) INTO next_id FROM crime.incidents i;
    CALL pg_temp.soda_control('/_control/datasets/wtst-rand/upsert', format($q$
        SELECT coalesce(jsonb_agg(to_jsonb(p) - 'location'
                                  || jsonb_build_object('id', (%s + n.k)::text, 'case_number', 'JR' || (%s + n.k),
                                                        'date', pg_temp.wire_time(n.dated),
                                                        'year', extract(year FROM n.dated)::text)
                                  || CASE WHEN %L AND pg_temp.draw('insert old', %L, p.id::text) < 0.33
                                          THEN '{}' ELSE jsonb_build_object('updated_on', %L) END), '[]')
        FROM crime.portal_crimes p
        JOIN (SELECT i.id, row_number() OVER (ORDER BY i.id) AS k,
                     i.occurred_at + 365 * pg_temp.draw('insert date', %L, i.id::text) * interval '1 day' AS dated
              FROM crime.incidents i WHERE pg_temp.draw('insert', %L, i.id::text) < 0.002) AS n USING (id)$q$,
        next_id, next_id, backdated, r, now_on, r, r));

    -- Phase 2: rows moved to another month with the updated_on they had.
    IF backdated THEN
        CALL pg_temp.soda_control('/_control/datasets/wtst-rand/upsert', format($q$
            SELECT coalesce(jsonb_agg(jsonb_build_object('id', i.id::text, 'date', pg_temp.wire_time(m.moved),
                                                         'year', extract(year FROM m.moved)::text)), '[]')
            FROM crime.incidents i,
                 LATERAL (SELECT i.occurred_at + (CASE WHEN pg_temp.draw('move back', %L, i.id::text) < 0.5
                                                       THEN -1 ELSE 1 END)
                                                 * (31 + 60 * pg_temp.draw('move days', %L, i.id::text)) * interval '1 day'
                                 AS moved) AS m
            WHERE pg_temp.draw('move', %L, i.id::text) < 0.002
              AND pg_temp.draw('delete', %L, i.id::text) >= 0.003$q$, r, r, r, r));
    END IF;
END
$$;

-- What a sync must report: the rows new to the warehouse, those gone from the portal, and
-- those whose values differ.
CREATE FUNCTION pg_temp.expected_counts()
RETURNS text
LANGUAGE sql
AS $$
    SELECT format('inserted %s, updated %s, deleted %s',
                  count(*) FILTER (WHERE i.id IS NULL),
                  count(*) FILTER (WHERE i.row_text <> p.row_text),
                  count(*) FILTER (WHERE p.id IS NULL))
    FROM pg_temp.portal_rows() p FULL JOIN pg_temp.incident_rows() i USING (id)
$$;

-- The materialized views whose rows differ from what their definitions return now: none, when
-- the sync refreshed every view that what it changed affects.
CREATE FUNCTION pg_temp.views_off()
RETURNS text[]
LANGUAGE plpgsql
AS $$
DECLARE
    mv  regclass;
    off boolean;
    result text[] := '{}';
BEGIN
    FOR mv IN SELECT c.oid FROM pg_class c
              WHERE c.relnamespace = 'crime'::regnamespace AND c.relkind = 'm' ORDER BY c.relname
    LOOP
        EXECUTE format('SELECT EXISTS ((TABLE %1$s EXCEPT ALL (%2$s)) UNION ALL ((%2$s) EXCEPT ALL TABLE %1$s))',
                       mv, rtrim(pg_get_viewdef(mv), ';'))
        INTO off;
        IF off THEN
            result := result || mv::text;
        END IF;
    END LOOP;
    RETURN result;
END
$$;

-- One round: change the portal; sync through a portal that fails at a random request, in a
-- random way; sync; check, with pages of a random size. Seven assertions.
CREATE FUNCTION pg_temp.sync_round(round integer, backdated boolean)
RETURNS SETOF text
LANGUAGE plpgsql
AS $$
DECLARE
    r constant text := round::text;
    -- Failures that are not retried, from the first to the eighth request of the run (a run
    -- makes more or fewer, depending on what changed and what its backend has cached).
    kind constant integer := 1 + floor(4 * pg_temp.draw('fault', r))::int;
    after constant integer := floor(8 * pg_temp.draw('fault after', r))::int;
    fault constant text := format('%s,after=%s', (ARRAY['status=400', 'status=403', 'status=404', 'malformed=1'])[kind], after);
    error_pattern constant text := (ARRAY['HTTP 400', 'HTTP 403', 'HTTP 404', 'malformed'])[kind];
    -- Pages of 250 rows make a round's changes span many pages; 10,000 is the default.
    page_size constant text := (ARRAY['250', '1000', '10000'])[1 + floor(3 * pg_temp.draw('page size', r))::int];
    phase constant text := format('round %s (phase %s, pages of %s)', round, CASE WHEN backdated THEN 2 ELSE 1 END, page_size);
    -- A new counter at the server for each run of the test.
    spec constant text := fault || ',tag=' || md5(clock_timestamp()::text);
    digest_before text;
    failed_run crime.sync_runs;
    expected text;
    run crime.sync_runs;
BEGIN
    CALL pg_temp.change_portal(round, backdated);

    EXECUTE format('ALTER FOREIGN TABLE crime.portal_crimes OPTIONS (SET page_size %L)', page_size);
    digest_before := pg_temp.warehouse_digest();
    EXECUTE format('ALTER SERVER chicago_data_portal OPTIONS (SET base_url %L)',
                   current_setting('warehouse_test.soda_url') || '/fault/' || spec);
    SELECT * INTO failed_run FROM crime_sync();
    EXECUTE format('ALTER SERVER chicago_data_portal OPTIONS (SET base_url %L)',
                   current_setting('warehouse_test.soda_url'));
    IF pg_temp.fault_requests(spec) > after THEN
        RETURN NEXT is(failed_run.status || ': ' || substr(failed_run.error, strpos(failed_run.error, error_pattern), length(error_pattern)),
                       'failed: ' || error_pattern, format('%s: a sync through fault %s fails with it', phase, fault));
        RETURN NEXT is(pg_temp.warehouse_digest(), digest_before, phase || ': and changes nothing');
    ELSE
        -- The run made fewer requests than the fault lets through.
        RETURN NEXT is(failed_run.status, 'succeeded', format('%s: a sync that never reached fault %s succeeds', phase, fault));
        RETURN NEXT is(failed_run.error, NULL, phase || ': and records no error (it may change the warehouse)');
    END IF;

    expected := pg_temp.expected_counts();
    SELECT * INTO run FROM crime_sync();
    RETURN NEXT is(run.status || coalesce(': ' || run.error, ''), 'succeeded', phase || ': the sync succeeds');
    RETURN NEXT is(format('inserted %s, updated %s, deleted %s', run.inserted, run.updated, run.deleted),
                   expected, phase || ': it counts what changed');
    RETURN NEXT is(pg_temp.incidents_digest(), pg_temp.portal_digest(), phase || ': the warehouse equals the portal');
    RETURN NEXT is(pg_temp.tallies_off(), '{}', phase || ': the tallies equal a recount');
    RETURN NEXT is(pg_temp.views_off(), '{}', phase || ': every view equals its definition');
END
$$;

SELECT plan(2 + 2 * 7 * :rounds + 6);
SELECT diag(format('seed %s, %s rounds per phase (SYNC_RANDOM_SEED, SYNC_RANDOM_ROUNDS)', :'seed', :rounds));

SELECT is(status, 'succeeded', 'the first load succeeds') FROM crime_sync();
SELECT is(pg_temp.incidents_digest(), pg_temp.portal_digest(), 'the first load equals the portal');

-- Each round a statement of its own, as each scheduled sync is a transaction of its own.
SELECT format('SELECT pg_temp.sync_round(%s, false)', round) FROM generate_series(1, :rounds) AS round \gexec
SET chicago_crime.full_check_interval = '0';
SELECT format('SELECT pg_temp.sync_round(%s, true)', round) FROM generate_series(:rounds + 1, 2 * :rounds) AS round \gexec
RESET chicago_crime.full_check_interval;

-- Last, one more round of changes (those of phase 2), repaired by a backfill of the whole range
-- a year at a time instead of a sync; a sync after it finds nothing left to do.
CALL pg_temp.change_portal(2 * :rounds + 1, true);
SELECT pg_temp.expected_counts() AS backfill_expected \gset
CALL crime_backfill(window_length => '1 year');
SELECT is(status || coalesce(': ' || error, ''), 'succeeded', 'a backfill after a last round of changes succeeds')
FROM crime.sync_runs WHERE kind = 'backfill' ORDER BY id DESC LIMIT 1;
-- A crime moved to another year is an update there, even when its new window comes later.
SELECT is(format('inserted %s, updated %s, deleted %s', inserted, updated, deleted), :'backfill_expected',
          'the backfill counts what changed')
FROM crime.sync_runs WHERE kind = 'backfill' ORDER BY id DESC LIMIT 1;
SELECT is(pg_temp.incidents_digest(), pg_temp.portal_digest(), 'the warehouse equals the portal');
SELECT is(pg_temp.tallies_off(), '{}', 'the tallies equal a recount');
SELECT is(pg_temp.views_off(), '{}', 'every view equals its definition');
SELECT is(format('%s: inserted %s, updated %s, deleted %s', status, inserted, updated, deleted),
          'succeeded: inserted 0, updated 0, deleted 0', 'a sync after the backfill finds nothing to do')
FROM crime_sync();

SELECT * FROM finish();

CALL pg_temp.soda_control('/_control/datasets/wtst-rand/drop');
\c :origin_db
DROP DATABASE :"test_db";
