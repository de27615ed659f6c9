-- Option validation: every option is checked where it is set, with a clear message and hint.
CREATE EXTENSION socrata_fdw;

-- A server with every option at a valid value.
CREATE SERVER portal FOREIGN DATA WRAPPER socrata_fdw OPTIONS (
    base_url 'http://127.0.0.1:25480', request_timeout '60', connect_timeout '5',
    stall_timeout '10', page_size '5000', max_retries '2', retry_delay '10',
    max_retry_delay '100', use_gzip 'false', use_remote_estimate 'false',
    text_code_point_order 'false');

-- Unknown options, and options in the wrong place.
CREATE SERVER bad FOREIGN DATA WRAPPER socrata_fdw OPTIONS (base_uri 'http://x');
CREATE SERVER bad FOREIGN DATA WRAPPER socrata_fdw OPTIONS (dataset 'ijzp-q8t2');
CREATE SERVER bad FOREIGN DATA WRAPPER socrata_fdw OPTIONS (app_token 'sekrit-token-1');

-- Bad values.
CREATE SERVER bad FOREIGN DATA WRAPPER socrata_fdw OPTIONS (base_url 'ftp://example.org');
CREATE SERVER bad FOREIGN DATA WRAPPER socrata_fdw OPTIONS (base_url 'not a url');
CREATE SERVER bad FOREIGN DATA WRAPPER socrata_fdw OPTIONS (base_url 'https://user:pw@example.org');
CREATE SERVER bad FOREIGN DATA WRAPPER socrata_fdw OPTIONS (base_url 'https://example.org/?q=1');
-- A refused URL's password or query string is masked in the error (which the log keeps too).
CREATE SERVER bad FOREIGN DATA WRAPPER socrata_fdw
    OPTIONS (base_url 'https://example.org/?$$app_token=sekrit-token-0');
-- Also a password holding '/' or '?' (it was quoted whole, or in part).
CREATE SERVER bad FOREIGN DATA WRAPPER socrata_fdw OPTIONS (base_url 'https://user:pa/sekrit@example.org');
CREATE SERVER bad FOREIGN DATA WRAPPER socrata_fdw OPTIONS (base_url 'https://user:pa?sekrit@example.org');
CREATE SERVER bad FOREIGN DATA WRAPPER socrata_fdw OPTIONS (page_size '0');
CREATE SERVER bad FOREIGN DATA WRAPPER socrata_fdw OPTIONS (page_size '10x');
CREATE SERVER bad FOREIGN DATA WRAPPER socrata_fdw OPTIONS (page_size '99999999999999999999');
CREATE SERVER bad FOREIGN DATA WRAPPER socrata_fdw OPTIONS (max_retries '-1');
CREATE SERVER bad FOREIGN DATA WRAPPER socrata_fdw OPTIONS (use_gzip 'maybe');
CREATE SERVER bad FOREIGN DATA WRAPPER socrata_fdw OPTIONS (text_code_point_order 'C');
ALTER SERVER portal OPTIONS (SET page_size 'many');

-- Foreign tables need a valid dataset id.
CREATE FOREIGN TABLE t_none (id bigint) SERVER portal;
CREATE FOREIGN TABLE t_bad (id bigint) SERVER portal OPTIONS (dataset 'IJZP-Q8T2');
CREATE FOREIGN TABLE t_bad (id bigint) SERVER portal OPTIONS (dataset 'ijzp-q8t2''; drop');
CREATE FOREIGN TABLE t_bad (id bigint) SERVER portal OPTIONS (dataset 'ijzp-q8t2', base_url 'http://x');
CREATE FOREIGN TABLE t_bad (id bigint OPTIONS (colum_name 'id')) SERVER portal OPTIONS (dataset 'ijzp-q8t2');
-- A field name SoQL cannot write is refused here, not by the first query that reads it.
CREATE FOREIGN TABLE t_bad (id bigint OPTIONS (column_name 'primary type')) SERVER portal
    OPTIONS (dataset 'ijzp-q8t2');
CREATE FOREIGN TABLE t_bad (id bigint OPTIONS (column_name E'id\nLOG:  forged')) SERVER portal
    OPTIONS (dataset 'ijzp-q8t2');
CREATE FOREIGN TABLE t_ok (id bigint OPTIONS (column_name 'id')) SERVER portal
    OPTIONS (dataset 'ijzp-q8t2', page_size '100');
ALTER FOREIGN TABLE t_ok OPTIONS (DROP dataset);
DROP FOREIGN TABLE t_ok;

-- Each kind of mistake has its own SQLSTATE: an option name the wrapper does not take there
-- (HV00D), a value it cannot use (HV024), an option it needs (HV002).
\set VERBOSITY sqlstate
CREATE SERVER bad FOREIGN DATA WRAPPER socrata_fdw OPTIONS (dataset 'ijzp-q8t2');
CREATE SERVER bad FOREIGN DATA WRAPPER socrata_fdw OPTIONS (page_size '0');
CREATE FOREIGN TABLE t_bad (id bigint OPTIONS (column_name 'primary type')) SERVER portal
    OPTIONS (dataset 'ijzp-q8t2');
CREATE FOREIGN TABLE t_none (id bigint) SERVER portal;
\set VERBOSITY default

-- A column named so that SoQL cannot write it, with no column_name option, fails the query that
-- reads it, naming the column and the table; a query that does not read it runs.
CREATE FOREIGN TABLE t_spaced ("primary type" text, id bigint) SERVER portal
    OPTIONS (dataset 'ijzp-q8t2');
SELECT "primary type" FROM t_spaced WHERE id = 879;
SELECT count(*) FROM t_spaced WHERE id = 879;
DROP FOREIGN TABLE t_spaced;

-- The app token belongs on a user mapping, and is never echoed back in errors.
CREATE USER MAPPING FOR CURRENT_USER SERVER portal OPTIONS (app_token 'sekrit token');
CREATE USER MAPPING FOR CURRENT_USER SERVER portal OPTIONS (api_token 'sekrit-token-2');
CREATE USER MAPPING FOR CURRENT_USER SERVER portal OPTIONS (app_token 'sekrit-token-3');

-- Another role cannot read the token.
CREATE ROLE socrata_reader;
GRANT USAGE ON FOREIGN SERVER portal TO socrata_reader;
SET ROLE socrata_reader;
SELECT srvname, umoptions FROM pg_user_mappings WHERE srvname = 'portal';
RESET ROLE;
SELECT srvname, umoptions FROM pg_user_mappings WHERE srvname = 'portal';

DROP USER MAPPING FOR CURRENT_USER SERVER portal;
REVOKE USAGE ON FOREIGN SERVER portal FROM socrata_reader;
DROP ROLE socrata_reader;
DROP SERVER portal;
