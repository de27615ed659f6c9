/* chicago_crime 1.0: a Chicago crimes warehouse kept current from the City of Chicago data portal.
 *
 * The install script is built from the files of extension/chicago_crime/, one concern each, in
 * file-name order: that is the order their objects are created in.
 *
 * Layout
 *   - server chicago_data_portal (socrata_fdw) and, in schema crime, foreign tables over the portal's
 *     crimes, police stations and ward offices datasets;
 *   - crime.incidents (one row per crime) and the reference tables police_stations, wards,
 *     community_areas and holidays;
 *   - bookkeeping: crime.sync_state (the watermark), crime.sync_runs (one row per run),
 *     crime.backfill_state (progress of crime_backfill());
 *   - the entry points crime_sync(), crime_backfill(), crime_schedule() and crime_unschedule() in the
 *     extension's schema (public, see chicago_crime.control), so that they are callable with the
 *     default search_path; everything else lives in schema crime;
 *   - materialized views for analysts, each with a unique index so that they can be refreshed
 *     CONCURRENTLY.
 * docs/warehouse.md explains the design: watermark and overlap, deletion detection, failure
 * recording, locking, scheduling and the view definitions.
 *
 * crime_backfill is a procedure that commits, which PostgreSQL refuses under a SET clause: it sets
 * search_path itself for each of its transactions. Every reference to this extension's objects is
 * schema-qualified (crime.) all the same.
 */

-- complain if script is sourced in psql, rather than via CREATE EXTENSION
\echo Use "CREATE EXTENSION chicago_crime CASCADE" to load this file. \quit

-- Names in this script are bound when it runs (views, SQL-standard function bodies, defaults): to
-- pg_catalog's and this extension's only. CREATE EXTENSION puts the extension's schema (public) on
-- the path, and an operator or function another role created there for a better-matching type
-- (= (integer, numeric), say) would be built into the views and run with the privileges of
-- whoever refreshes them. CREATE EXTENSION restores the caller's path afterwards.
SELECT pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true);

CREATE SCHEMA crime;
COMMENT ON SCHEMA crime IS
    'chicago_crime warehouse: Chicago crimes from the city data portal, reference data and analyst views';
