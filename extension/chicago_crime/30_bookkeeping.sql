-- Bookkeeping: sync runs, the sync watermark and backfill progress

CREATE TABLE crime.sync_runs (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind             text NOT NULL CHECK (kind IN ('sync', 'backfill')),
    status           text NOT NULL DEFAULT 'running'
                     CHECK (status IN ('running', 'succeeded', 'failed', 'cancelled', 'interrupted')),
    started_at       timestamptz NOT NULL DEFAULT clock_timestamp(),
    finished_at      timestamptz,
    duration         interval GENERATED ALWAYS AS (finished_at - started_at) STORED,
    rows_fetched     bigint NOT NULL DEFAULT 0,
    inserted         bigint NOT NULL DEFAULT 0,
    updated          bigint NOT NULL DEFAULT 0,
    deleted          bigint NOT NULL DEFAULT 0,
    unchanged        bigint NOT NULL DEFAULT 0,
    months_resynced  integer NOT NULL DEFAULT 0,
    full_check       boolean NOT NULL DEFAULT false,
    watermark_before timestamp,
    watermark_after  timestamp,
    views_refreshed  text[] NOT NULL DEFAULT '{}',
    details          jsonb,
    error            text,
    error_sqlstate   text,
    error_detail     text,
    CHECK ((status IN ('running', 'succeeded')) = (error IS NULL) OR status = 'interrupted')
);
CREATE INDEX sync_runs_started_at_idx ON crime.sync_runs (started_at);
COMMENT ON TABLE crime.sync_runs IS
    'One row per crime_sync() or crime_backfill() run: when, outcome, counts, watermark and error. A failed sync applied nothing: its counts are 0. A failed or cancelled backfill keeps the windows it committed before the error, and its counts are theirs';
COMMENT ON COLUMN crime.sync_runs.id IS 'Run number';
COMMENT ON COLUMN crime.sync_runs.kind IS 'sync (crime_sync) or backfill (crime_backfill)';
COMMENT ON COLUMN crime.sync_runs.status IS 'running; succeeded; failed (error recorded; a sync applied nothing, a backfill keeps the windows committed before the error); cancelled (a backfill stopped by a cancel or timeout, resumable); interrupted (a backfill whose session ended without recording an outcome, resumable)';
COMMENT ON COLUMN crime.sync_runs.started_at IS 'When the run started';
COMMENT ON COLUMN crime.sync_runs.finished_at IS 'When the run ended (NULL while running)';
COMMENT ON COLUMN crime.sync_runs.duration IS 'finished_at - started_at';
COMMENT ON COLUMN crime.sync_runs.rows_fetched IS 'Rows read from the portal (a row read both by the incremental pass and by a month re-sync counts twice)';
COMMENT ON COLUMN crime.sync_runs.inserted IS 'Rows added to crime.incidents';
COMMENT ON COLUMN crime.sync_runs.updated IS 'Rows of crime.incidents changed in place because the source row differed';
COMMENT ON COLUMN crime.sync_runs.deleted IS 'Rows removed from crime.incidents because the portal no longer has them';
COMMENT ON COLUMN crime.sync_runs.unchanged IS 'Rows fetched that were already identical in the warehouse (not rewritten)';
COMMENT ON COLUMN crime.sync_runs.months_resynced IS 'Months whose row counts or id sums differed between portal and warehouse and were re-synced (deletion detection)';
COMMENT ON COLUMN crime.sync_runs.full_check IS 'Whether the run compared every month with the portal (because the totals differed, or because no run had within chicago_crime.full_check_interval) or loaded the whole table (first load)';
COMMENT ON COLUMN crime.sync_runs.watermark_before IS 'Sync watermark (portal updated_on) when the run started';
COMMENT ON COLUMN crime.sync_runs.watermark_after IS 'Sync watermark when the run ended (equal to watermark_before unless the run succeeded)';
COMMENT ON COLUMN crime.sync_runs.views_refreshed IS 'Materialized views the run refreshed (only those that depend on data that changed)';
COMMENT ON COLUMN crime.sync_runs.details IS 'Kind-specific details, e.g. the range, window and windows done of a backfill';
COMMENT ON COLUMN crime.sync_runs.error IS 'Error message of a failed or cancelled run';
COMMENT ON COLUMN crime.sync_runs.error_sqlstate IS 'SQLSTATE of the error';
COMMENT ON COLUMN crime.sync_runs.error_detail IS 'Detail, hint and context of the error';

CREATE TABLE crime.sync_state (
    singleton  boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    watermark  timestamp,
    run_id     bigint REFERENCES crime.sync_runs (id),
    read_at    timestamptz,
    updated_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE crime.sync_state IS
    'The sync watermark (at most one row; none before the first successful load). Only a committed run moves it';
COMMENT ON COLUMN crime.sync_state.singleton IS 'Always true: the table holds at most one row';
COMMENT ON COLUMN crime.sync_state.watermark IS 'Greatest portal updated_on the warehouse has fully taken in; the next sync fetches rows updated at or after watermark - chicago_crime.sync_overlap';
COMMENT ON COLUMN crime.sync_state.run_id IS 'The run that set the watermark';
COMMENT ON COLUMN crime.sync_state.read_at IS 'When the portal was read for the watermark: the start of the sync, or of the backfill, that read it (the watermark is at most Chicago''s local time then)';
COMMENT ON COLUMN crime.sync_state.updated_at IS 'When the watermark was set';

CREATE TABLE crime.backfill_state (
    singleton        boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    status           text NOT NULL CHECK (status IN ('running', 'done')),
    run_id           bigint NOT NULL REFERENCES crime.sync_runs (id),
    range_start      timestamp NOT NULL,
    range_end        timestamp NOT NULL,
    window_length    interval NOT NULL,
    next_start       timestamp NOT NULL,
    source_watermark timestamp,
    windows_done     integer NOT NULL DEFAULT 0,
    rows_fetched     bigint NOT NULL DEFAULT 0,
    started_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    CHECK (range_start < range_end AND next_start BETWEEN range_start AND range_end)
);
COMMENT ON TABLE crime.backfill_state IS
    'Progress of crime_backfill() (at most one row), committed with each window so that an interrupted backfill resumes where it stopped';
COMMENT ON COLUMN crime.backfill_state.singleton IS 'Always true: the table holds at most one row';
COMMENT ON COLUMN crime.backfill_state.status IS 'running (in progress, or interrupted and resumable) or done';
COMMENT ON COLUMN crime.backfill_state.run_id IS 'The crime.sync_runs row of the latest call working on this backfill';
COMMENT ON COLUMN crime.backfill_state.range_start IS 'Start of the backfilled range of occurrence dates (inclusive)';
COMMENT ON COLUMN crime.backfill_state.range_end IS 'End of the backfilled range of occurrence dates (exclusive)';
COMMENT ON COLUMN crime.backfill_state.window_length IS 'Length of one window (one transaction)';
COMMENT ON COLUMN crime.backfill_state.next_start IS 'Start of the next window to load; windows before it are committed';
COMMENT ON COLUMN crime.backfill_state.source_watermark IS 'Greatest portal updated_on when the backfill started: the sync watermark once it is done (unless one is set), so that crime_sync() picks up every change made during the backfill; NULL when the range leaves out some of the portal''s crimes, so that the next crime_sync() reads every row';
COMMENT ON COLUMN crime.backfill_state.windows_done IS 'Windows committed so far';
COMMENT ON COLUMN crime.backfill_state.rows_fetched IS 'Rows read from the portal so far';
COMMENT ON COLUMN crime.backfill_state.started_at IS 'When this backfill was first started';
COMMENT ON COLUMN crime.backfill_state.updated_at IS 'When the last window was committed';

-- Not dumped: a restore leaves the views unpopulated, and the first refresh after it records
-- its own present.
CREATE TABLE crime.views_state (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    present   timestamp NOT NULL
);
COMMENT ON TABLE crime.views_state IS
    'The present as of which crime.refresh_views() last brought the views that leave out dates after the present (monthly_trend, crime_rate_trend, holiday_crime) up to date (at most one row): when the present passes a date the portal gave in the future, they change with no change to their tallies';
COMMENT ON COLUMN crime.views_state.singleton IS 'Always true: the table holds at most one row';
COMMENT ON COLUMN crime.views_state.present IS 'crime.portal_time(now()) of that refresh: Chicago''s local time';
