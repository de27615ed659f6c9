// Remote field types, read from the dataset's metadata and kept per backend for 10 minutes.
#include "remote_schema.hpp"

#include "ascii_case.hpp"
#include "dataset_metadata.hpp"
#include "error.hpp"
#include "expiring_cache.hpp"
#include "fdw_options.hpp"
#include "pg_guard.hpp"
#include "soda_client.hpp"
#include "soql.hpp"
#include "table_options.hpp"

#include <algorithm>

namespace socrata::pg {

namespace {

// A field name as Socrata reads it (soql-reference's AbstractName): in lower case, '-' as '_'.
// ASCII only: field names are identifiers.
std::string folded_field_name(std::string_view name) {
    std::string folded(name);
    for (char &c : folded)
        c = c == '-' ? '_' : ascii_lower(c);
    return folded;
}

// The metadata's dataTypeName -> how the portal filters and sorts its values: by the SoQL type
// behind it (soql_type_for: percent is a number, email and html are text...).
RemoteType remote_type_for(const std::string &data_type_name) {
    const std::string_view type = soql_type_for(data_type_name);
    if (type == "number")
        return RemoteType::Number;
    if (type == "money")
        return RemoteType::Money;
    if (type == "double")
        return RemoteType::Double;
    // Not url: its value is an object ({"url": ..., "description": ...}), and SoQL compares
    // the url part where Postgres would compare that object's text, and has no LIKE on it.
    if (type == "text")
        return RemoteType::Text;
    if (type == "floating_timestamp")
        return RemoteType::FloatingTimestamp;
    if (type == "fixed_timestamp")
        return RemoteType::FixedTimestamp;
    if (type == "checkbox" || type == "boolean")
        return RemoteType::Checkbox;
    return RemoteType::Other;
}

// The system fields whose values are fixed timestamps (dev.socrata.com, "System Fields").
bool is_system_timestamp(const std::string &field) {
    return field == ":created_at" || field == ":updated_at";
}

// Per backend: base_url + dataset -> schema. A dataset's fields can change (a new column, a
// type changed by its owner), and a session can last for days: after 10 minutes the next plan
// reads them again.
ExpiringCache<RemoteSchema> &cache() {
    static ExpiringCache<RemoteSchema> schemas(64, std::chrono::minutes(10));
    return schemas;
}

} // namespace

RemoteType RemoteSchema::type_of(const std::string &field) const {
    if (field == kRowIdField)
        return RemoteType::RowId;
    if (is_system_timestamp(field))
        return RemoteType::FixedTimestamp;
    auto it = fields.find(field);
    return it == fields.end() ? RemoteType::Other : it->second;
}

std::string RemoteSchema::spelling_of(const std::string &field) const {
    if (fields.count(field) > 0)
        return {};
    auto it = by_folded_name.find(folded_field_name(field));
    return it == by_folded_name.end() ? std::string() : it->second;
}

void adopt_field_spellings(ForeignTableInfo &table, const RemoteSchema *remote) {
    if (!remote)
        return;
    for (ColumnInfo &col : table.columns) {
        if (col.dropped)
            continue;
        std::string spelling = remote->spelling_of(col.field);
        if (!spelling.empty())
            col.field = std::move(spelling);
    }
}

bool RemoteSchema::reads_same_in_csv(const std::string &field) const {
    // The system fields: :id a text, :created_at and :updated_at fixed timestamps.
    return field == kRowIdField || is_system_timestamp(field) || csv_like_json.count(field) > 0;
}

bool use_csv(ResponseFormat format, const RemoteSchema *remote,
             const std::vector<std::string> &fields, bool into_json) {
    if (format != ResponseFormat::Auto)
        return format == ResponseFormat::Csv;
    if (!remote || into_json)
        return false;
    for (const auto &field : fields)
        if (!remote->reads_same_in_csv(field))
            return false;
    return true;
}

bool star_returns_all(const RemoteSchema *remote, const std::vector<std::string> &fields) {
    if (!remote)
        return false;
    return std::all_of(fields.begin(), fields.end(), [remote](const std::string &field) {
        return star_leaves_out(field) || remote->fields.count(field) > 0;
    });
}

std::shared_ptr<const RemoteSchema> remote_schema_for(const ScanSettings &settings, SchemaUse use) {
    std::string key = portal_cache_key(settings);
    if (auto cached = cache().find(key, std::chrono::steady_clock::now()))
        return cached;

    RemoteSchema schema;
    try {
        SodaClient client(settings, cancel_requested);
        DatasetMetadata metadata = client.get_metadata(settings.dataset);
        for (const auto &column : metadata.columns) {
            schema.fields[column.field_name] = remote_type_for(column.data_type_name);
            schema.by_folded_name.emplace(folded_field_name(column.field_name), column.field_name);
            if (csv_reads_like_json(column.data_type_name))
                schema.csv_like_json.insert(column.field_name);
        }
    } catch (const Error &e) {
        if (e.kind() == ErrorKind::Cancelled)
            throw;
        // Without the remote types the query still runs (the scan reports real problems).
        // Said as a WARNING: unfiltered, a scan of a large dataset reads all of it, which a
        // user should not have to find in DEBUG logs.
        // The error and its detail, which names the URL: the metadata may come from another
        // place than the rows (a proxy that serves /resource but not /api/views).
        std::string message = text_for_database(e, e.what());
        if (!e.detail().empty()) {
            std::string detail = text_for_database(e, e.detail());
            if (message.empty())
                message = std::move(detail);
            else
                message += (message.back() == '.' ? " " : ". ") + detail;
        }
        bool planning = use == SchemaUse::Planning;
        // Without the types, response_format auto reads JSON (use_csv); csv stays csv.
        const char *lost = planning ? "nothing of this query is pushed down"
                           : settings.response_format == ResponseFormat::Csv
                               ? "ANALYZE names every column it samples"
                               : "ANALYZE names every column it samples, in JSON";
        const char *hint = planning ? "Filters, sorts and aggregates run locally, after every row "
                                      "is fetched. The next query asks for the metadata again."
                                    : "A dataset of a few hundred columns may then be refused as "
                                      "too long a request. The next ANALYZE asks for the "
                                      "metadata again.";
        pg::call([&] {
            ereport(WARNING, (errmsg("socrata_fdw: no metadata for dataset \"%s\"; %s",
                                     settings.dataset.c_str(), lost),
                              errdetail_internal("%s", message.c_str()), errhint("%s", hint)));
        });
        return nullptr; // not cached: the next query tries again
    }
    return cache().store(key, std::move(schema), std::chrono::steady_clock::now());
}

} // namespace socrata::pg
