// The types of a dataset's fields as Socrata sees them, so pushdown only sends comparisons that
// Socrata evaluates the way Postgres would (a text field declared `int` locally must not get a
// numeric comparison pushed). Read once per backend and dataset from /api/views/<id>.json.
#pragma once

#include "fdw_options.hpp"

#include <string>
#include <unordered_map>

namespace socrata::pg {

enum class RemoteType { Text, Number, CalendarDate, Checkbox, Other };

struct RemoteSchema {
    std::unordered_map<std::string, RemoteType> fields; // SODA field name -> type

    // System fields exist on every dataset.
    RemoteType type_of(const std::string &field) const;
};

// The cached schema of the scan's dataset, fetching it on first use. Returns nullptr when the
// metadata cannot be read (then nothing is pushed down; the scan itself reports real errors).
const RemoteSchema *remote_schema_for(const ScanSettings &settings);

} // namespace socrata::pg
