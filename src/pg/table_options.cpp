// The option validator (an entry point) and the catalog readers behind table_options.hpp.
#include "table_options.hpp"

#include "error.hpp"
#include "pg_guard.hpp"
#include "soql.hpp"

extern "C" {
PGDLLEXPORT Datum socrata_fdw_validator(PG_FUNCTION_ARGS);
PG_FUNCTION_INFO_V1(socrata_fdw_validator);
}

namespace socrata::pg {

namespace {

OptionScope scope_for_catalog(Oid catalog) {
    switch (catalog) {
    case ForeignServerRelationId:
        return OptionScope::Server;
    case UserMappingRelationId:
        return OptionScope::UserMapping;
    case ForeignTableRelationId:
        return OptionScope::Table;
    case AttributeRelationId:
        return OptionScope::Column;
    default:
        return OptionScope::Wrapper;
    }
}

// The options of the user's mapping for the server, else PUBLIC's, else none. (GetUserMapping
// would raise an error when there is none; an app token is optional.)
List *user_mapping_options(Oid userid, Oid server) {
    return pg::call([&]() -> List * {
        for (Oid user : {userid, InvalidOid}) {
            HeapTuple tuple = SearchSysCache2(USERMAPPINGUSERSERVER, ObjectIdGetDatum(user),
                                              ObjectIdGetDatum(server));
            if (!HeapTupleIsValid(tuple))
                continue;
            bool isnull = false;
            Datum datum = SysCacheGetAttr(USERMAPPINGUSERSERVER, tuple,
                                          Anum_pg_user_mapping_umoptions, &isnull);
            List *options = isnull ? NIL : untransformRelOptions(datum);
            ReleaseSysCache(tuple);
            return options;
        }
        return NIL;
    });
}

} // namespace

OptionList to_option_list(List *def_elems) {
    OptionList list;
    ListCell *cell;
    foreach (cell, def_elems) {
        auto *def = static_cast<DefElem *>(lfirst(cell));
        const char *value = pg::call([&] { return defGetString(def); });
        list.emplace_back(def->defname, value);
    }
    return list;
}

ScanSettings load_server_settings(Oid server_oid, Oid userid) {
    ForeignServer *server = pg::call([&] { return GetForeignServer(server_oid); });
    return make_scan_settings(to_option_list(server->options),
                              to_option_list(user_mapping_options(userid, server_oid)), {});
}

ForeignTableInfo load_foreign_table(Oid relid, Oid userid) {
    ForeignTableInfo info;
    info.relid = relid;

    ForeignTable *table = pg::call([&] { return GetForeignTable(relid); });
    ForeignServer *server = pg::call([&] { return GetForeignServer(table->serverid); });
    info.server = server->serverid;
    info.settings =
        make_scan_settings(to_option_list(server->options),
                           to_option_list(user_mapping_options(userid, server->serverid)),
                           to_option_list(table->options));
    info.relname = pg::call([&] {
        return quote_qualified_identifier(get_namespace_name(get_rel_namespace(relid)),
                                          get_rel_name(relid));
    });

    Relation rel = pg::call([&] { return table_open(relid, AccessShareLock); });
    TupleDesc desc = RelationGetDescr(rel);
    info.columns.resize(desc->natts);
    for (int i = 0; i < desc->natts; ++i) {
        Form_pg_attribute attr = TupleDescAttr(desc, i);
        ColumnInfo &col = info.columns[i];
        col.attnum = attr->attnum;
        col.name = NameStr(attr->attname);
        col.type = attr->atttypid;
        col.typmod = attr->atttypmod;
        col.collation = attr->attcollation;
        col.dropped = attr->attisdropped;
        if (col.dropped)
            continue;
        col.base_type = pg::call([&] { return getBaseType(col.type); });
        List *options = pg::call([&] { return GetForeignColumnOptions(relid, attr->attnum); });
        col.field = field_name_for_column(col.name, to_option_list(options));
    }
    pg::call([&] { table_close(rel, AccessShareLock); });
    return info;
}

std::string soql_field(const ForeignTableInfo &table, const ColumnInfo &column) {
    try {
        return quote_identifier(column.field);
    } catch (const Error &e) {
        throw Error(e.kind(),
                    "column \"" + column.name + "\" of foreign table " + table.relname +
                        " cannot be read: " + e.what(),
                    e.detail(), e.hint());
    }
}

} // namespace socrata::pg

namespace pg = socrata::pg;

// Checks the options of every catalog entry that belongs to socrata_fdw.
Datum socrata_fdw_validator(PG_FUNCTION_ARGS) {
    return pg::entry([&]() -> Datum {
        Datum options_datum = PG_GETARG_DATUM(0);
        Oid catalog = PG_GETARG_OID(1);
        List *options = pg::call([&] { return untransformRelOptions(options_datum); });
        socrata::validate_options(pg::scope_for_catalog(catalog), pg::to_option_list(options));
        PG_RETURN_VOID();
    });
}
