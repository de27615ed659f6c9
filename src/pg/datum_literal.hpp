// Postgres values as SoQL literals: a constant of a pushed condition, or a runtime value once
// the scan has evaluated it (scan.cpp). Exactly, or as where the value falls among those SoQL
// can write (soql_comparison.hpp).
#pragma once

#include "pg_headers.hpp"
#include "soql_comparison.hpp"

#include <string>

namespace socrata::pg {

// A value as compared with a column: its SoQL literal, or where it falls if SoQL cannot write
// it (soql_comparison.hpp). Throws Error for a value with no SoQL form at all (NaN, a type SoQL
// has no literal for).
ComparedValue compared_value_for_datum(Datum value, bool isnull, Oid type);

} // namespace socrata::pg
