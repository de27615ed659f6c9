// A dataset's metadata document (/api/views/<id>.json): its name, description and columns,
// and how each column maps to a Postgres column (IMPORT FOREIGN SCHEMA, pushdown type checks).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace socrata {

struct DatasetColumn {
    std::string field_name;     // API field name, e.g. "primary_type"
    std::string data_type_name; // e.g. "text", "number", "calendar_date", "checkbox", "point"
    std::string display_name;   // e.g. "Primary Type"
    std::string description;
};

struct DatasetMetadata {
    std::string id;
    std::string name;
    std::string description;
    std::vector<DatasetColumn> columns; // in the dataset's position order
};

// Accepts the /api/views/<id>.json document and the older rows.json one (view under
// meta.view). Leaves out columns the resource API never returns: internal "meta_data"
// columns, hidden columns and columns without a field name. Throws Error(BadResponse) when the
// text is not a view with a columns array; `source` (a redacted URL) goes into the detail.
DatasetMetadata parse_dataset_metadata(std::string_view json, std::string_view source = {});

// The SoQL type behind a metadata dataTypeName where the two differ: percent is a SoQL number,
// email and html are text, date is a fixed_timestamp, calendar_date a floating_timestamp (what
// soda-fountain writes in the X-SODA2-Types header). Any other name is returned as it is.
std::string_view soql_type_for(std::string_view data_type_name);

// The Postgres type for a Socrata dataTypeName, chosen so that the value as sent on the wire
// reads without loss through the type's input function:
//   number, money, percent, stars          -> numeric (sent as decimal strings: exact)
//   double                                 -> double precision
//   text, email, html, flag, drop_down_list, dataset_link -> text
//   calendar_date, floating_timestamp      -> timestamp   ("2017-11-26T23:53:00.000", no zone)
//   date, fixed_timestamp                  -> timestamptz ("...Z")
//   checkbox, boolean                      -> boolean
//   url, phone, photo, document, location, point, line, polygon, multipoint, multiline,
//   multipolygon, nested_table             -> jsonb (sent as JSON objects, e.g. GeoJSON or
//                                             {"url": ..., "description": ...})
//   anything else                          -> jsonb (takes any JSON value, so an unknown type
//                                             never breaks an import)
std::string postgres_type_for(std::string_view data_type_name);

// Whether a field of this dataTypeName reads the same from a `.csv` response as from `.json`:
// scalar types, whose JSON value is a string (or a boolean) with the same text as the CSV
// field. Nested types (point, location, url, ...) are JSON objects but WKT or other text in
// CSV, and unknown types might be anything: those need JSON.
bool csv_reads_like_json(std::string_view data_type_name);

// A Postgres column name for a field: ASCII lowercase, every other character '_' (one per
// UTF-8 character), ":@computed_region_abcd_1234" -> "computed_region_abcd_1234", system
// fields ":id"/":created_at"/":updated_at" -> "row_id"/"row_created_at"/"row_updated_at",
// a leading digit prefixed with '_', "column" if nothing is left, at most 63 bytes.
std::string postgres_column_name_for(std::string_view field_name);

// Makes names unique in place: a repeat gets "_2", "_3", ... (the base shortened so the result
// stays within 63 bytes) avoiding every name already in the list. The first keeps its name.
void make_unique_names(std::vector<std::string> &names);

} // namespace socrata
