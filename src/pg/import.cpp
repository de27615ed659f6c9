// IMPORT FOREIGN SCHEMA: foreign tables from dataset metadata (/api/views/<id>.json).
//
// The remote "schema" names the datasets: one dataset id or a comma-separated list of them,
//   IMPORT FOREIGN SCHEMA "ijzp-q8t2, z8bn-74gv" FROM SERVER chicago INTO public;
// One foreign table per dataset, named after the dataset's name made Postgres-friendly
// ("Crimes - 2001 to Present" -> crimes___2001_to_present; the id when the name is empty).
// LIMIT TO / EXCEPT name those table names. Columns: one per field, named with
// postgres_column_name_for, typed with postgres_type_for, always with OPTIONS (column_name);
// with OPTIONS (system_fields 'true'), also the system fields :id, :created_at and :updated_at.
// See docs/import-foreign-schema.md.
//
// Comments. PostgreSQL 15 executes only CREATE FOREIGN TABLE statements from the list this
// callback returns (anything else is an error), so the dataset's name/description and the
// columns' names/descriptions cannot be returned as COMMENT statements. Instead the comments
// are queued here and written by an object-access hook as each table is created (the tables
// are created right after this callback returns, in the order of the list). The hook checks
// each created relation's name and schema against the queue and drops the queue on any
// mismatch (or when the transaction or subtransaction is another one, or the relation is no
// foreign table), so a failed import never puts comments on an unrelated table.
#include "fdw_callbacks.hpp"
#include "database_encoding.hpp"
#include "dataset_metadata.hpp"
#include "error.hpp"
#include "option_values.hpp"
#include "pg_guard.hpp"
#include "soda_client.hpp"
#include "soql.hpp"
#include "table_options.hpp"
#include "text_snippet.hpp"

extern "C" {
#include "access/genam.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/objectaccess.h"
#include "catalog/pg_class.h"
#include "commands/comment.h"
#include "storage/proc.h"
#include "utils/fmgroids.h"
#include "utils/snapmgr.h"
}

#include <algorithm>
#include <deque>

namespace socrata::pg {

namespace {

struct PendingComments {
    LocalTransactionId transaction = InvalidLocalTransactionId; // of the IMPORT statement
    // A savepoint rolled back (or a PL/pgSQL block's handler) after an IMPORT that failed
    // keeps the transaction: a table created after it with the same name must not take the
    // comments.
    SubTransactionId subtransaction = InvalidSubTransactionId;
    Oid namespace_oid = InvalidOid;
    std::string relname;
    std::string table_comment;
    std::vector<std::string> column_comments; // index = attnum - 1; empty = none
};

std::deque<PendingComments> &pending() {
    static std::deque<PendingComments> queue;
    return queue;
}

object_access_hook_type previous_hook = nullptr;
bool hook_installed = false;

// Name and schema of a foreign table created by the current command (not yet visible to the
// catalog snapshot, hence SnapshotSelf, as sepgsql does); false for any other relation.
bool created_foreign_table(Oid relid, std::string &name, Oid &namespace_oid) {
    NameData found_name;
    bool found = pg::call([&] {
        Relation rel = table_open(RelationRelationId, AccessShareLock);
        ScanKeyData key;
        ScanKeyInit(&key, Anum_pg_class_oid, BTEqualStrategyNumber, F_OIDEQ,
                    ObjectIdGetDatum(relid));
        SysScanDesc scan = systable_beginscan(rel, ClassOidIndexId, true, SnapshotSelf, 1, &key);
        HeapTuple tuple = systable_getnext(scan);
        bool ok =
            HeapTupleIsValid(tuple) &&
            reinterpret_cast<Form_pg_class>(GETSTRUCT(tuple))->relkind == RELKIND_FOREIGN_TABLE;
        if (ok) {
            auto *form = reinterpret_cast<Form_pg_class>(GETSTRUCT(tuple));
            found_name = form->relname;
            namespace_oid = form->relnamespace;
        }
        systable_endscan(scan);
        table_close(rel, AccessShareLock);
        return ok;
    });
    if (found)
        name = NameStr(found_name);
    return found;
}

void apply_pending_comments(Oid relid) {
    auto &queue = pending();
    std::string name;
    Oid namespace_oid = InvalidOid;
    if (!created_foreign_table(relid, name, namespace_oid)) {
        queue.clear(); // IMPORT creates foreign tables only: it took another course
        return;
    }
    const PendingComments &next = queue.front();
    if (name != next.relname || namespace_oid != next.namespace_oid ||
        next.transaction != MyProc->lxid || next.subtransaction != GetCurrentSubTransactionId()) {
        queue.clear(); // not the table we expected: the import took another course
        return;
    }
    PendingComments comments = next;
    queue.pop_front();
    pg::call([&] {
        if (!comments.table_comment.empty())
            CreateComments(relid, RelationRelationId, 0, comments.table_comment.c_str());
        for (std::size_t i = 0; i < comments.column_comments.size(); ++i)
            if (!comments.column_comments[i].empty())
                CreateComments(relid, RelationRelationId, static_cast<int32>(i + 1),
                               comments.column_comments[i].c_str());
    });
}

void comment_hook(ObjectAccessType access, Oid class_id, Oid object_id, int sub_id, void *arg) {
    if (previous_hook)
        previous_hook(access, class_id, object_id, sub_id, arg);
    if (access != OAT_POST_CREATE || class_id != RelationRelationId || sub_id != 0 ||
        pending().empty())
        return;
    pg::entry([&] { apply_pending_comments(object_id); });
}

void install_hook() {
    if (hook_installed)
        return;
    previous_hook = object_access_hook;
    object_access_hook = comment_hook;
    hook_installed = true;
}

std::vector<std::string> dataset_ids(const std::string &remote_schema) {
    std::vector<std::string> ids;
    std::size_t start = 0;
    while (start <= remote_schema.size()) {
        std::size_t comma = remote_schema.find(',', start);
        if (comma == std::string::npos)
            comma = remote_schema.size();
        std::string id = remote_schema.substr(start, comma - start);
        id.erase(0, id.find_first_not_of(" \t"));
        id.erase(id.find_last_not_of(" \t") + 1);
        start = comma + 1;
        if (id.empty())
            continue;
        if (!is_valid_dataset_id(id))
            throw Error(ErrorKind::InvalidOption,
                        "IMPORT FOREIGN SCHEMA: " + printable_snippet(id, 100) +
                            " is not a Socrata dataset id",
                        kDatasetIdForm,
                        "Use the ids from the datasets' URLs, e.g. IMPORT FOREIGN SCHEMA "
                        "\"ijzp-q8t2, z8bn-74gv\".");
        // Named twice, a dataset is imported once (not as police_stations and
        // police_stations_2).
        if (std::find(ids.begin(), ids.end(), id) == ids.end())
            ids.push_back(id);
    }
    if (ids.empty())
        throw Error(ErrorKind::InvalidOption,
                    "IMPORT FOREIGN SCHEMA needs one or more dataset ids as the remote schema", "",
                    "Write e.g. IMPORT FOREIGN SCHEMA \"ijzp-q8t2\" or \"ijzp-q8t2, "
                    "z8bn-74gv\".");
    return ids;
}

std::string quote_ident(const std::string &name) {
    return pg::call([&] { return ::quote_identifier(name.c_str()); });
}

std::string quote_literal_text(const std::string &text) {
    return pg::call([&] { return quote_literal_cstr(text.c_str()); });
}

bool table_selected(ImportForeignSchemaStmt *stmt, const std::string &name) {
    if (stmt->list_type == FDW_IMPORT_SCHEMA_ALL)
        return true;
    bool listed = false;
    ListCell *cell;
    foreach (cell, stmt->table_list) {
        auto *rv = static_cast<RangeVar *>(lfirst(cell));
        if (name == rv->relname)
            listed = true;
    }
    return stmt->list_type == FDW_IMPORT_SCHEMA_LIMIT_TO ? listed : !listed;
}

// IMPORT's own options.
struct ImportOptions {
    bool system_fields = false; // also import :id, :created_at and :updated_at
};

ImportOptions import_options(List *options) {
    ImportOptions out;
    bool system_fields_given = false;
    ListCell *cell;
    foreach (cell, options) {
        auto *def = static_cast<DefElem *>(lfirst(cell));
        const std::string name = def->defname;
        const std::string value = pg::call([&] { return defGetString(def); });
        if (name != "system_fields")
            throw Error(ErrorKind::UnknownOption,
                        "invalid option " + printable_snippet(name, 100) +
                            " for IMPORT FOREIGN SCHEMA of socrata_fdw",
                        {}, "The only option is system_fields (true or false).");
        if (system_fields_given)
            throw Error(ErrorKind::InvalidOption,
                        "option \"" + name + "\" is given more than once");
        out.system_fields = parse_bool_option(name, value);
        system_fields_given = true;
    }
    return out;
}

// The system fields every dataset has (dev.socrata.com, "System Fields"), as system_fields
// imports them: the row id as text, the times as the fixed timestamps they are.
const DatasetColumn kSystemColumns[] = {
    {kRowIdField, "text", "Row id", "The portal's identifier of the row (system field :id)."},
    {":created_at", "fixed_timestamp", "Created at",
     "When the row was created at the portal (system field :created_at)."},
    {":updated_at", "fixed_timestamp", "Updated at",
     "When the row last changed at the portal (system field :updated_at)."},
};

// The fields a table gets: the metadata's, then the system fields asked for that it lacks.
std::vector<DatasetColumn> imported_columns(const DatasetMetadata &meta,
                                            const ImportOptions &options) {
    std::vector<DatasetColumn> columns = meta.columns;
    if (!options.system_fields)
        return columns;
    for (const DatasetColumn &system : kSystemColumns)
        if (std::none_of(meta.columns.begin(), meta.columns.end(),
                         [&](const DatasetColumn &c) { return c.field_name == system.field_name; }))
            columns.push_back(system);
    return columns;
}

// The metadata is UTF-8; the comment is stored in the database's encoding.
std::string join_comment(const std::string &title, const std::string &description) {
    if (description.empty())
        return database_text_from_utf8(title);
    if (title.empty())
        return database_text_from_utf8(description);
    return database_text_from_utf8(title + "\n\n" + description);
}

} // namespace

List *import_foreign_schema(ImportForeignSchemaStmt *stmt, Oid serverOid) {
    return pg::entry([&]() -> List * {
        const ImportOptions options = import_options(stmt->options);
        ScanSettings settings = load_server_settings(serverOid, GetUserId());
        std::vector<std::string> ids = dataset_ids(stmt->remote_schema);
        std::string server_name = pg::call([&] { return GetForeignServer(serverOid)->servername; });
        Oid namespace_oid = pg::call([&] { return get_namespace_oid(stmt->local_schema, false); });

        std::vector<DatasetMetadata> datasets;
        std::vector<std::string> table_names;
        for (const std::string &id : ids) {
            settings.dataset = id;
            SodaClient client(settings, cancel_requested);
            datasets.push_back(client.get_metadata(id));
            const DatasetMetadata &meta = datasets.back();
            table_names.push_back(postgres_column_name_for(meta.name.empty() ? id : meta.name));
        }
        make_unique_names(table_names);

        std::vector<std::string> statements;
        std::deque<PendingComments> comments;
        for (std::size_t t = 0; t < datasets.size(); ++t) {
            const DatasetMetadata &meta = datasets[t];
            if (!table_selected(stmt, table_names[t]))
                continue;
            const std::vector<DatasetColumn> fields = imported_columns(meta, options);
            std::vector<std::string> columns;
            for (const auto &column : fields)
                columns.push_back(postgres_column_name_for(column.field_name));
            make_unique_names(columns);

            PendingComments pending_comments;
            pending_comments.transaction = MyProc->lxid;
            pending_comments.subtransaction = GetCurrentSubTransactionId();
            pending_comments.namespace_oid = namespace_oid;
            pending_comments.relname = table_names[t];
            pending_comments.table_comment = join_comment(meta.name, meta.description);
            std::string sql = "CREATE FOREIGN TABLE " + quote_ident(stmt->local_schema) + "." +
                              quote_ident(table_names[t]) + " (";
            for (std::size_t c = 0; c < fields.size(); ++c) {
                const DatasetColumn &column = fields[c];
                sql += (c ? ",\n  " : "\n  ") + quote_ident(columns[c]) + " " +
                       postgres_type_for(column.data_type_name) + " OPTIONS (column_name " +
                       quote_literal_text(column.field_name) + ")";
                pending_comments.column_comments.push_back(
                    join_comment(column.display_name, column.description));
            }
            // The metadata's own id, should a portal answer for an old id with the current one;
            // the id asked for when it has none a foreign table can take.
            sql += "\n) SERVER " + quote_ident(server_name) + " OPTIONS (dataset " +
                   quote_literal_text(is_valid_dataset_id(meta.id) ? meta.id : ids[t]) + ")";
            statements.push_back(std::move(sql));
            comments.push_back(std::move(pending_comments));
        }

        install_hook();
        pending() = std::move(comments);
        List *result = NIL;
        for (const std::string &sql : statements)
            result = pg::call([&] { return lappend(result, pstrdup(sql.c_str())); });
        return result;
    });
}

} // namespace socrata::pg
