-- Run errors: how a failed or cancelled run is recorded in crime.sync_runs

CREATE FUNCTION crime.record_run_error(
    run_id bigint, sqlstate text, message text, detail text, hint text, context text)
RETURNS crime.sync_runs
LANGUAGE sql
BEGIN ATOMIC
    UPDATE crime.sync_runs r
    SET status = CASE WHEN record_run_error.sqlstate = '57014' THEN 'cancelled' ELSE 'failed' END,
        finished_at = pg_catalog.clock_timestamp(),
        watermark_after = r.watermark_before,
        error = record_run_error.message,
        error_sqlstate = record_run_error.sqlstate,
        -- GET STACKED DIAGNOSTICS gives empty strings for absent items. Of the context, only the
        -- call stack and the foreign table being read are kept: "SQL statement" lines would
        -- repeat whole statements.
        error_detail = nullif(concat_ws(E'\n', 'DETAIL: ' || nullif(detail, ''), 'HINT: ' || nullif(hint, ''),
                                        'CONTEXT: ' || nullif(array_to_string(ARRAY(
                                            SELECT l FROM regexp_split_to_table(context, E'\n') AS l
                                            WHERE l ~ '^((PL/pgSQL|SQL) function|reading foreign table) '), E'\n'), '')), '')
    WHERE r.id = record_run_error.run_id
    RETURNING r.*;
END;
COMMENT ON FUNCTION crime.record_run_error(bigint, text, text, text, text, text) IS
    'Marks a run failed (or cancelled, for SQLSTATE 57014) with its error; the caller has already rolled the run''s work back';
