// Reading socrata_fdw options from the catalogs: the validator, and everything a planner or
// executor needs to know about one foreign table (settings, token, column-to-field mapping).
#pragma once

#include "fdw_options.hpp"
#include "pg_headers.hpp"

namespace socrata::pg {

struct ColumnInfo {
    AttrNumber attnum = 0;
    std::string name;  // Postgres column name
    std::string field; // SODA field name
    Oid type = InvalidOid;
    Oid base_type = InvalidOid; // type, or a domain's base type
    int32 typmod = -1;
    Oid collation = InvalidOid;
    bool dropped = false;

    // json or jsonb, or a domain over one: the column takes the value as JSON has it.
    bool takes_json() const { return base_type == JSONOID || base_type == JSONBOID; }
};

struct ForeignTableInfo {
    Oid relid = InvalidOid;
    Oid server = InvalidOid;
    std::string relname; // schema-qualified, for messages
    ScanSettings settings;
    std::vector<ColumnInfo> columns; // index = attnum - 1
};

// Everything about a foreign table, with the user mapping of `userid` (or PUBLIC, or none).
ForeignTableInfo load_foreign_table(Oid relid, Oid userid);

// The column's SODA field as SoQL writes it. A name SoQL cannot write (a column named
// "primary type" without a column_name option) is an error naming the column and the table.
std::string soql_field(const ForeignTableInfo &table, const ColumnInfo &column);

// Options of a server (and of the user's mapping), for IMPORT FOREIGN SCHEMA.
ScanSettings load_server_settings(Oid server, Oid userid);

OptionList to_option_list(List *def_elems);

} // namespace socrata::pg
