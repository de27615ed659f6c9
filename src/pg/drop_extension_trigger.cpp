// crime.on_drop_extension(): the event trigger function that removes this database's pg_cron
// sync jobs when a statement is about to drop chicago_crime: DROP EXTENSION, DROP SCHEMA ...
// CASCADE of its schema or socrata_fdw's, DROP OWNED BY the owner of either.
//
// The jobs live in pg_cron's table, not in the extension, so DROP EXTENSION alone left them
// behind: they failed on every run ("schema crime does not exist"), and after a later CREATE
// EXTENSION they started a first load against the default portal. An event trigger that is a
// member of the extension is dropped with it, so only ddl_command_start still finds it, and
// there only the statement's parse tree tells which extensions are being dropped: PL/pgSQL
// does not see it, hence this function in C. It decides; crime.forget_sync_job() (PL/pgSQL)
// does the work, in the same transaction as the drop, so a drop that fails or is rolled back
// keeps the jobs. It runs before Postgres checks that the user may drop the extension, so it
// does nothing for a user who may not (the drop then fails as it would have): Postgres checks
// the owner of each extension the statement names, and CASCADE drops chicago_crime for the
// owner of socrata_fdw whoever owns chicago_crime; DROP SCHEMA checks the schema's owner, DROP
// OWNED that the user has the privileges of each role named.
//
// Every DROP EXTENSION, DROP SCHEMA and DROP OWNED in the database now loads this library (its
// _PG_init only sets glibc's mmap threshold: fdw_handler.cpp).
#include "pg_guard.hpp"

extern "C" {
#include "access/genam.h"
#include "access/table.h"
#include "catalog/indexing.h"
#include "catalog/namespace.h"
#include "catalog/pg_extension.h"
#include "catalog/pg_namespace.h"
#include "catalog/pg_proc.h"
#include "commands/event_trigger.h"
#include "commands/extension.h"
#include "utils/acl.h"
#include "utils/fmgroids.h"
#include "utils/syscache.h"

PGDLLEXPORT Datum socrata_on_drop_extension(PG_FUNCTION_ARGS);
PG_FUNCTION_INFO_V1(socrata_on_drop_extension);
}

namespace {

constexpr const char *kWarehouseExtension = "chicago_crime";
// chicago_crime requires it: DROP EXTENSION socrata_fdw CASCADE drops the warehouse too.
constexpr const char *kRequiredExtension = "socrata_fdw";

bool names_extension(const DropStmt *drop, const char *extension) {
    ListCell *cell = nullptr;
    foreach (cell, drop->objects) {
        if (strcmp(strVal(lfirst(cell)), extension) == 0)
            return true;
    }
    return false;
}

bool user_owns(const char *extension_name) {
    const Oid extension = get_extension_oid(extension_name, true);
    return OidIsValid(extension) && pg_extension_ownercheck(extension, GetUserId());
}

struct ExtensionRow {
    Oid owner = InvalidOid;
    Oid schema = InvalidOid;
};

// The extension's owner and schema (PostgreSQL 15 exports no lookup of either); InvalidOids
// when it is not installed.
ExtensionRow extension_row(const char *extension_name) {
    ExtensionRow found;
    Relation catalog = table_open(ExtensionRelationId, AccessShareLock);
    ScanKeyData key;
    ScanKeyInit(&key, Anum_pg_extension_extname, BTEqualStrategyNumber, F_NAMEEQ,
                CStringGetDatum(extension_name));
    SysScanDesc scan = systable_beginscan(catalog, ExtensionNameIndexId, true, nullptr, 1, &key);
    HeapTuple tuple = systable_getnext(scan);
    if (HeapTupleIsValid(tuple)) {
        const auto *row = reinterpret_cast<Form_pg_extension>(GETSTRUCT(tuple));
        found.owner = row->extowner;
        found.schema = row->extnamespace;
    }
    systable_endscan(scan);
    table_close(catalog, AccessShareLock);
    return found;
}

Oid schema_owner(Oid schema) {
    if (!OidIsValid(schema))
        return InvalidOid;
    HeapTuple tuple = SearchSysCache1(NAMESPACEOID, ObjectIdGetDatum(schema));
    if (!HeapTupleIsValid(tuple))
        return InvalidOid;
    const Oid owner = reinterpret_cast<Form_pg_namespace>(GETSTRUCT(tuple))->nspowner;
    ReleaseSysCache(tuple);
    return owner;
}

bool drops_extension(const DropStmt *drop) {
    if (names_extension(drop, kWarehouseExtension) && user_owns(kWarehouseExtension))
        return true;
    return drop->behavior == DROP_CASCADE && names_extension(drop, kRequiredExtension) &&
           user_owns(kRequiredExtension);
}

// DROP SCHEMA ... CASCADE drops the extensions that live in it, and chicago_crime with
// socrata_fdw.
bool drops_schema_of_either(const DropStmt *drop) {
    if (drop->behavior != DROP_CASCADE)
        return false;
    const Oid schemas[] = {extension_row(kWarehouseExtension).schema,
                           extension_row(kRequiredExtension).schema};
    ListCell *cell = nullptr;
    foreach (cell, drop->objects) {
        const Oid named = get_namespace_oid(strVal(lfirst(cell)), true);
        for (Oid schema : schemas)
            if (OidIsValid(named) && named == schema && pg_namespace_ownercheck(named, GetUserId()))
                return true;
    }
    return false;
}

// DROP OWNED BY drops what the roles own: chicago_crime when one owns it; with CASCADE also what
// depends on what they own: chicago_crime through socrata_fdw, or through the schema of either.
bool drops_owned_warehouse(const DropOwnedStmt *drop) {
    const ExtensionRow warehouse = extension_row(kWarehouseExtension);
    const ExtensionRow required = extension_row(kRequiredExtension);
    const Oid cascading[] = {required.owner, schema_owner(warehouse.schema),
                             schema_owner(required.schema)};
    ListCell *cell = nullptr;
    foreach (cell, drop->roles) {
        const Oid role = get_rolespec_oid(static_cast<RoleSpec *>(lfirst(cell)), true);
        if (!OidIsValid(role) || !has_privs_of_role(GetUserId(), role))
            continue;
        if (role == warehouse.owner)
            return true;
        if (drop->behavior == DROP_CASCADE)
            for (Oid owner : cascading)
                if (role == owner)
                    return true;
    }
    return false;
}

// Plain Postgres reads: whether the statement drops chicago_crime, as a user allowed to.
bool drops_warehouse(const Node *parsetree) {
    if (parsetree != nullptr && IsA(parsetree, DropOwnedStmt))
        return drops_owned_warehouse(reinterpret_cast<const DropOwnedStmt *>(parsetree));
    if (parsetree == nullptr || !IsA(parsetree, DropStmt))
        return false;
    const auto *drop = reinterpret_cast<const DropStmt *>(parsetree);
    if (drop->removeType == OBJECT_EXTENSION)
        return drops_extension(drop);
    return drop->removeType == OBJECT_SCHEMA && drops_schema_of_either(drop);
}

// crime.forget_sync_job(), found without a privilege check on schema crime: the owner of
// socrata_fdw may drop the warehouse (CASCADE) without being allowed to use its schema.
Oid forget_sync_job_function() {
    const Oid schema = get_namespace_oid("crime", false);
    const Oid function =
        GetSysCacheOid3(PROCNAMEARGSNSP, Anum_pg_proc_oid, CStringGetDatum("forget_sync_job"),
                        PointerGetDatum(buildoidvector(nullptr, 0)), ObjectIdGetDatum(schema));
    if (!OidIsValid(function))
        ereport(ERROR, (errcode(ERRCODE_UNDEFINED_FUNCTION),
                        errmsg("function crime.forget_sync_job() does not exist")));
    return function;
}

} // namespace

Datum socrata_on_drop_extension(PG_FUNCTION_ARGS) {
    return socrata::pg::entry([&] {
        socrata::pg::call([&] {
            if (!CALLED_AS_EVENT_TRIGGER(fcinfo))
                ereport(ERROR, (errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
                                errmsg("crime.on_drop_extension() must be called as an event "
                                       "trigger")));
            const auto *event = reinterpret_cast<EventTriggerData *>(fcinfo->context);
            if (!drops_warehouse(event->parsetree))
                return;
            OidFunctionCall0(forget_sync_job_function());
        });
        return static_cast<Datum>(0);
    });
}
