// Reading a point out of a SODA location value, for columns declared as PostgreSQL `point`.
// Two wire shapes exist: the GeoJSON point of `point` columns
//   {"type":"Point","coordinates":[-87.622652,41.711841]}
// and the legacy `location` type, whose coordinates are strings
//   {"latitude":"41.92","longitude":"-87.67","human_address":"{...}","needs_recoding":false}
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace socrata {

struct GeoPoint {
    double lon = 0;
    double lat = 0;
};

// nullopt when the value carries no coordinates (a legacy location with only an address, or a
// GeoJSON point with empty coordinates): the column is then NULL. Throws Error(Conversion) for
// anything that is not one of the two shapes, or has one coordinate without the other.
std::optional<GeoPoint> parse_location(std::string_view raw_json);

// PostgreSQL point input text "(lon,lat)": x is longitude, as in PostGIS. Numbers use the
// shortest text that reads back to the same double.
std::string format_pg_point(const GeoPoint &point);

} // namespace socrata
