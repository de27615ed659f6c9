/* socrata_fdw 1.0 */

-- complain if script is sourced in psql, rather than via CREATE EXTENSION
\echo Use "CREATE EXTENSION socrata_fdw" to load this file. \quit

CREATE FUNCTION socrata_fdw_handler()
RETURNS fdw_handler
AS 'MODULE_PATHNAME'
LANGUAGE C STRICT;

CREATE FUNCTION socrata_fdw_validator(text[], oid)
RETURNS void
AS 'MODULE_PATHNAME'
LANGUAGE C STRICT;

CREATE FOREIGN DATA WRAPPER socrata_fdw
  HANDLER socrata_fdw_handler
  VALIDATOR socrata_fdw_validator;

COMMENT ON FOREIGN DATA WRAPPER socrata_fdw IS
  'Reads Socrata (SODA 2.1) datasets, such as the City of Chicago data portal, as foreign tables';
COMMENT ON FUNCTION socrata_fdw_handler() IS 'socrata_fdw: FDW handler';
COMMENT ON FUNCTION socrata_fdw_validator(text[], oid) IS 'socrata_fdw: checks server, user mapping, table and column options';
