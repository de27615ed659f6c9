-- What other roles can do to the warehouse (found by a review, helper-46).
--
-- Objects another role puts in the extension's schema (public) cannot take over the warehouse's
-- code. Operators for better-matching types, planted before CREATE EXTENSION, were bound into
-- the views and crime.dataset_of() (and ran as whoever refreshed them: a superuser); functions
-- without their own search_path ran them when called with the caller's path; an overload of
-- crime_sync() made the scheduled call ambiguous.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS socrata_fdw;
DROP ROLE IF EXISTS planter;
RESET client_min_messages;
CREATE ROLE planter;
GRANT CREATE ON SCHEMA public TO planter;
SET ROLE planter;
-- Each operator says when it runs; its answer is the built-in one's.
CREATE FUNCTION public.int_eq_numeric(integer, numeric) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
    RAISE NOTICE 'planted =(integer, numeric) ran as %', current_user;
    RETURN $1::numeric = $2;
END $$;
CREATE OPERATOR public.= (LEFTARG = integer, RIGHTARG = numeric, FUNCTION = public.int_eq_numeric);
CREATE FUNCTION public.numeric_eq_int(numeric, integer) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
    RAISE NOTICE 'planted =(numeric, integer) ran as %', current_user;
    RETURN $1 = $2::numeric;
END $$;
CREATE OPERATOR public.= (LEFTARG = numeric, RIGHTARG = integer, FUNCTION = public.numeric_eq_int);
CREATE FUNCTION public.oid_eq_regclass(oid, regclass) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
    RAISE NOTICE 'planted =(oid, regclass) ran as %', current_user;
    RETURN $1 = $2::oid;
END $$;
CREATE OPERATOR public.= (LEFTARG = oid, RIGHTARG = regclass, FUNCTION = public.oid_eq_regclass);
RESET ROLE;

SET client_min_messages = warning;
CREATE EXTENSION chicago_crime;
RESET client_min_messages;
-- No object of the extension uses an operator from outside pg_catalog.
SELECT count(*) AS bound_to_planted_operators
FROM pg_depend d JOIN pg_operator o ON d.refclassid = 'pg_operator'::regclass AND d.refobjid = o.oid
WHERE o.oprnamespace <> 'pg_catalog'::regnamespace;
-- Called with the caller's search_path (public first), nothing planted runs (no NOTICE).
SELECT crime.dataset_of('crime.portal_crimes');
SELECT crime.refresh_views('{}') IS NOT NULL AS refreshed;
REFRESH MATERIALIZED VIEW crime.holiday_crime;
SELECT count(*) > 0 AS has_holidays FROM crime.us_federal_holidays(2020, 2021);

-- An overload of crime_sync() in public, which every default call finds too: the scheduled call
-- still reaches the extension's own (here it fails on the portal's 403, as it should).
SET ROLE planter;
CREATE FUNCTION public.crime_sync(x integer DEFAULT 0) RETURNS integer LANGUAGE sql RETURN x;
RESET ROLE;
ALTER SERVER chicago_data_portal
    OPTIONS (SET base_url 'http://127.0.0.1:25480/fault/status=403', ADD max_retries '0');
\set VERBOSITY terse
CALL crime.run_scheduled_sync();
\set VERBOSITY default
SELECT kind, status, error_sqlstate FROM crime.sync_runs ORDER BY id;

DROP FUNCTION public.crime_sync(integer);

-- crime.bulk_insert() writes into the table it is given: only its owner may call it. One who is
-- let call it, but may not insert into the table, is refused before the table is locked (the
-- query, planned after the lock, would have held it: here its planning says if it was taken).
CREATE SCHEMA private;
CREATE TABLE private.secret (x integer);
SELECT 'private.secret'::regclass::oid AS secret_oid \gset
CREATE ROLE bulk_caller;
GRANT USAGE ON SCHEMA crime TO bulk_caller;
SET ROLE bulk_caller;
SELECT crime.bulk_insert(:secret_oid::oid, 'SELECT 1 AS x');
RESET ROLE;
GRANT EXECUTE ON FUNCTION crime.bulk_insert(regclass, text) TO bulk_caller;
CREATE FUNCTION public.locks_on_secret() RETURNS integer LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    RAISE NOTICE 'planned holding % lock(s) on private.secret',
        (SELECT count(*) FROM pg_locks WHERE relation::regclass::text = 'private.secret'
                                        AND pid = pg_backend_pid());
    RETURN 1;
END $$;
SET ROLE bulk_caller;
SELECT crime.bulk_insert(:secret_oid::oid, 'SELECT public.locks_on_secret() AS x');
RESET ROLE;
-- Given INSERT on the column, the call goes ahead.
GRANT USAGE ON SCHEMA private TO bulk_caller;
GRANT INSERT (x) ON private.secret TO bulk_caller;
SET ROLE bulk_caller;
SELECT crime.bulk_insert('private.secret', 'SELECT 2 AS x');
RESET ROLE;
SELECT * FROM private.secret;
DROP SCHEMA private CASCADE;
DROP FUNCTION public.locks_on_secret();
REVOKE EXECUTE ON FUNCTION crime.bulk_insert(regclass, text) FROM bulk_caller;
REVOKE USAGE ON SCHEMA crime FROM bulk_caller;
DROP ROLE bulk_caller;

-- An analyst given USAGE on the schema and SELECT on a view reads it, and may not hold off the
-- runs with crime.take_sync_lock() nor read the row versions row-level security hides with
-- crime.only_removable_rows() (both were open to PUBLIC).
CREATE ROLE analyst28;
GRANT USAGE ON SCHEMA crime TO analyst28;
GRANT SELECT ON crime.monthly_type_counts TO analyst28;
SET ROLE analyst28;
SELECT count(*) >= 0 AS reads_the_view FROM crime.monthly_type_counts;
SELECT crime.take_sync_lock(true);
SELECT crime.only_removable_rows('crime.monthly_type_counts');
RESET ROLE;
SELECT p.oid::regprocedure AS revoked_from_public
FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
WHERE (n.nspname = 'crime' OR p.proname LIKE 'crime\_%')
  AND NOT has_function_privilege('public', p.oid, 'EXECUTE')
ORDER BY p.oid::regprocedure::text;
REVOKE ALL ON crime.monthly_type_counts FROM analyst28;
REVOKE USAGE ON SCHEMA crime FROM analyst28;
DROP ROLE analyst28;

SET client_min_messages = warning;
DROP EXTENSION chicago_crime;
RESET client_min_messages;
DROP OPERATOR public.= (integer, numeric);
DROP OPERATOR public.= (numeric, integer);
DROP OPERATOR public.= (oid, regclass);
DROP FUNCTION public.int_eq_numeric(integer, numeric);
DROP FUNCTION public.numeric_eq_int(numeric, integer);
DROP FUNCTION public.oid_eq_regclass(oid, regclass);
REVOKE CREATE ON SCHEMA public FROM planter;
DROP ROLE planter;
