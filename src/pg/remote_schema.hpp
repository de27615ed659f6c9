// The types of a dataset's fields as Socrata sees them, so pushdown only sends comparisons that
// Socrata evaluates the way Postgres would (a text field declared `int` locally must not get a
// numeric comparison pushed). Read from /api/views/<id>.json, kept per backend for 10 minutes.
#pragma once

#include "fdw_options.hpp"
#include "scan_request.hpp"

#include <memory>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace socrata::pg {

// RowId is `:id`: the portal shows a row's id as text but keeps a number behind it (the text
// is an obfuscated form of it), so `$order=:id` and `:id > 'row-...'` follow the number, not the
// text. Only equality and IN agree with a comparison of the text.
// Number and Money are SoQL's exact decimals (numeric on the portal's Postgres), Double its
// binary floating point (double precision there): the portal sums a double in floating point
// and reads a number literal compared with one as a double. SoQL compares two fields only when
// they have one type: a number field with a money or a double field is refused.
// FloatingTimestamp has no zone (the metadata's calendar_date); FixedTimestamp is an instant
// (the metadata's date, and the system fields :created_at and :updated_at), written in UTC.
enum class RemoteType {
    Text,
    RowId,
    Number,
    Money,
    Double,
    FloatingTimestamp,
    FixedTimestamp,
    Checkbox,
    Other
};

struct RemoteSchema {
    std::unordered_map<std::string, RemoteType> fields; // SODA field name -> type
    std::unordered_set<std::string> csv_like_json;      // fields that read the same from CSV
    // Field names as Socrata reads them (folded_field_name) -> the metadata's spelling.
    std::unordered_map<std::string, std::string> by_folded_name;

    // System fields exist on every dataset.
    RemoteType type_of(const std::string &field) const;
    bool reads_same_in_csv(const std::string &field) const;
    // The metadata's spelling of a field that `field` names only in another letter case or
    // with '-' for '_' (Socrata reads names so folded: soql-reference's AbstractName); empty
    // when `field` is spelled as the metadata has it, or names no field.
    std::string spelling_of(const std::string &field) const;
};

struct ForeignTableInfo;

// Columns whose column_name spells a field otherwise than the metadata read it under the
// metadata's spelling: the portal accepts `DISTRICT` for `district`, but the response may
// name the field either way, and a name the response does not use reads as all NULL.
void adopt_field_spellings(ForeignTableInfo &table, const RemoteSchema *remote);

// Whether a scan of these fields asks for CSV (ScanRequest::csv): as the option says, and for
// `auto` when the dataset's types are known and every field reads the same as from JSON. A
// json or jsonb column (into_json) takes a value as JSON has it, a checkbox's true rather than
// CSV's "true": such a scan reads JSON, so that its values do not depend on the other columns.
bool use_csv(ResponseFormat format, const RemoteSchema *remote,
             const std::vector<std::string> &fields, bool into_json);

// Whether `$select=<named>,*` returns every one of these fields (ScanRequest::star_returns_all):
// each is a field the metadata lists, or one a request names besides `*` (star_leaves_out:
// system and computed region fields).
bool star_returns_all(const RemoteSchema *remote, const std::vector<std::string> &fields);

// Who asks for the schema, which decides what the WARNING says is lost without it.
enum class SchemaUse {
    Planning, // nothing of the query is pushed down
    Sampling, // ANALYZE's sample names every column in $select (no `*`), in JSON unless csv is
              // forced
};

// The cached schema of the scan's dataset, fetching it on first use and when 10 minutes old.
// Returns null, with a WARNING, when the metadata cannot be read (the scan itself reports real
// errors). Shared: it stays valid for the caller when the cache moves on.
std::shared_ptr<const RemoteSchema> remote_schema_for(const ScanSettings &settings, SchemaUse use);

} // namespace socrata::pg
