#include "location_value.hpp"

#include "error.hpp"
#include "text_snippet.hpp"

#include <nlohmann/json.hpp>

#include <charconv>
#include <cmath>

namespace socrata {

namespace {

using json = nlohmann::json;

// Collects the few members that matter without building a DOM (this runs once per row).
class LocationSax : public nlohmann::json_sax<json> {
  public:
    std::string type;
    std::optional<double> lat, lon;
    double coords[2] = {0, 0};
    int coord_count = 0;
    bool has_coordinates = false;
    bool top_is_object = false;
    bool bad_coordinate = false;
    std::string parse_error_text;

    // A value that cannot be a coordinate where one belongs makes the point unreadable:
    // skipping it would read the numbers after it as the longitude and latitude, or the point
    // as empty (NULL). A null latitude or longitude is an address never geocoded.
    bool null() override { return not_a_coordinate(true); }
    bool boolean(bool) override { return not_a_coordinate(false); }
    bool number_integer(number_integer_t v) override { return number(double(v)); }
    bool number_unsigned(number_unsigned_t v) override { return number(double(v)); }
    bool number_float(number_float_t v, const string_t &) override { return number(v); }
    bool binary(binary_t &) override { return not_a_coordinate(false); }

    bool string(string_t &s) override {
        if (in_coordinates())
            bad_coordinate = true;
        if (depth_ == 1 && array_depth_ == 0) {
            if (key_ == "type")
                type = s;
            else if (key_ == "latitude")
                lat = from_text(s);
            else if (key_ == "longitude")
                lon = from_text(s);
        }
        return true;
    }

    bool start_object(std::size_t) override {
        not_a_coordinate(false);
        if (depth_ == 0)
            top_is_object = true;
        ++depth_;
        return true;
    }
    bool key(string_t &k) override {
        if (depth_ == 1)
            key_ = k;
        return true;
    }
    bool end_object() override {
        --depth_;
        return true;
    }
    bool start_array(std::size_t) override {
        if (at_legacy_coordinate())
            bad_coordinate = true;
        if (depth_ == 1 && array_depth_ == 0 && key_ == "coordinates")
            has_coordinates = true;
        ++array_depth_;
        if (depth_ == 1 && key_ == "coordinates" && array_depth_ > 1)
            bad_coordinate = true; // nested arrays: a line or polygon, not a point
        return true;
    }
    bool end_array() override {
        --array_depth_;
        return true;
    }
    bool parse_error(std::size_t position, const std::string &,
                     const nlohmann::detail::exception &) override {
        parse_error_text = "invalid JSON at byte " + std::to_string(position);
        return false;
    }

  private:
    bool in_coordinates() const {
        return depth_ == 1 && array_depth_ == 1 && key_ == "coordinates";
    }
    bool at_legacy_coordinate() const {
        return depth_ == 1 && array_depth_ == 0 && (key_ == "latitude" || key_ == "longitude");
    }
    bool not_a_coordinate(bool is_null) {
        if (in_coordinates() || (!is_null && at_legacy_coordinate()))
            bad_coordinate = true;
        return true;
    }

    bool number(double v) {
        if (depth_ == 1 && array_depth_ == 0) {
            if (key_ == "latitude")
                lat = v;
            else if (key_ == "longitude")
                lon = v;
        } else if (in_coordinates()) {
            if (coord_count < 2)
                coords[coord_count] = v;
            ++coord_count; // a third (altitude) value is allowed and ignored
        }
        return true;
    }

    std::optional<double> from_text(const std::string &s) {
        double v = 0;
        const char *end = s.data() + s.size();
        auto [ptr, ec] = std::from_chars(s.data(), end, v);
        if (ec != std::errc() || ptr != end || s.empty()) {
            bad_coordinate = true;
            return std::nullopt;
        }
        return v;
    }

    int depth_ = 0;
    int array_depth_ = 0;
    std::string key_;
};

[[noreturn]] void not_a_point(std::string_view raw, const std::string &why) {
    throw Error(ErrorKind::Conversion,
                "cannot read a point from location value " + printable_snippet(raw, 120), why,
                "Declare the column as jsonb to read any location value as it is.");
}

std::string shortest(double v) {
    char buf[64];
    auto [ptr, ec] = std::to_chars(buf, buf + sizeof buf, v);
    (void)ec; // 64 bytes always suffice for a double
    return std::string(buf, ptr);
}

} // namespace

std::optional<GeoPoint> parse_location(std::string_view raw) {
    LocationSax sax;
    const bool ok = json::sax_parse(raw.begin(), raw.end(), &sax);
    if (!ok)
        not_a_point(raw,
                    sax.parse_error_text.empty() ? "Invalid JSON." : sax.parse_error_text + ".");
    if (!sax.top_is_object)
        not_a_point(raw, "The value is not a JSON object.");
    // Another geometry first: its nested coordinates would otherwise be reported as bad ones.
    if ((!sax.type.empty() || sax.has_coordinates) && sax.type != "Point")
        not_a_point(raw, "Only GeoJSON \"Point\" values can be read as a point.");
    if (sax.bad_coordinate)
        not_a_point(raw, "A coordinate is not a number.");

    GeoPoint p;
    if (!sax.type.empty() || sax.has_coordinates) {
        if (!sax.has_coordinates)
            not_a_point(raw, "A GeoJSON point needs a \"coordinates\" member.");
        if (sax.coord_count == 0)
            return std::nullopt; // an empty point
        if (sax.coord_count < 2)
            not_a_point(raw, "A GeoJSON point needs two coordinates.");
        p.lon = sax.coords[0];
        p.lat = sax.coords[1];
    } else {
        if (!sax.lat && !sax.lon)
            return std::nullopt; // an address that was never geocoded
        if (!sax.lat || !sax.lon)
            not_a_point(raw, "The location has a latitude or a longitude, but not both.");
        p.lon = *sax.lon;
        p.lat = *sax.lat;
    }
    if (!std::isfinite(p.lon) || !std::isfinite(p.lat))
        not_a_point(raw, "A coordinate is not finite.");
    return p;
}

std::string format_pg_point(const GeoPoint &point) {
    return "(" + shortest(point.lon) + "," + shortest(point.lat) + ")";
}

} // namespace socrata
