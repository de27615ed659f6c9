// libFuzzer harness: the small value parsers fed by portal data: HTTP-date and Retry-After
// (http_date.*, retry_policy.*), the fast wire-value parsers (fast_values.*) and location values
// (location_value.*, value_text.*).
//
// Input: byte 0 picks the target, the rest is the text. Checks, besides crashes and UB:
//  - parse_http_date: a date it accepts is inside the years it can name (0-9999), and one
//    outside the clock's range saturates instead of overflowing (UBSan);
//  - parse_retry_after / RetryDecider::decide: no UB, a delay in [0, 120000] ms;
//  - parse_floating_timestamp equals an independent computation (timegm) for what it accepts,
//    and accepts every canonical timestamp of years 1-9999; parse_fixed_timestamp reads the
//    same text followed by "Z" the same, and nothing without the Z;
//  - parse_integer agrees with std::from_chars and the bounds;
//  - parse_double gives strtod's double, and nothing strtod reports out of range (0 or inf);
//  - parse_location throws only Error(Conversion), returns finite coordinates, and
//    format_pg_point's text reads back to the same doubles;
//  - json_text_for of valid UTF-8 text is a JSON string that reads back to the text.
#include "fuzz_support.hpp"

#include "fast_values.hpp"
#include "http_date.hpp"
#include "location_value.hpp"
#include "retry_policy.hpp"
#include "value_text.hpp"

#include <nlohmann/json.hpp>

#include <cerrno>
#include <charconv>
#include <cmath>
#include <ctime>

using namespace socrata;

namespace {

const std::chrono::system_clock::time_point kNow{std::chrono::seconds(1765000000)};

void http_date(std::string_view text) {
    const auto t = parse_http_date(text);
    if (t) {
        const auto secs =
            std::chrono::duration_cast<std::chrono::seconds>(t->time_since_epoch()).count();
        FUZZ_CHECK(secs >= -62167219200LL && secs <= 253402300800LL, "date out of range");
    }
}

void retry_after(std::string_view text) {
    (void)parse_retry_after(text, kNow);
    RetryDecider decider(RetryPolicy{}, 42);
    AttemptOutcome o;
    o.http_status = 429;
    o.retry_after = std::string(text);
    o.received_at = kNow;
    const RetryDecision d = decider.decide(1, o);
    FUZZ_CHECK(d.retry && d.delay_ms >= 0 && d.delay_ms <= kMaxRetryAfterMs,
               "delay " + std::to_string(d.delay_ms));
}

bool digits_at(std::string_view t, std::size_t pos, std::size_t n, int &out) {
    if (pos + n > t.size())
        return false;
    out = 0;
    for (std::size_t i = pos; i < pos + n; ++i) {
        if (t[i] < '0' || t[i] > '9')
            return false;
        out = out * 10 + (t[i] - '0');
    }
    return true;
}

void floating_timestamp(std::string_view t) {
    const auto got = parse_floating_timestamp(t);
    // A fixed timestamp is the same text followed by "Z", read the same; nothing else.
    const std::string with_z = std::string(t) + "Z";
    FUZZ_CHECK(parse_fixed_timestamp(with_z) == got,
               "fixed timestamp " + with_z + " read otherwise than without its Z");
    if (t.empty() || t.back() != 'Z')
        FUZZ_CHECK(!parse_fixed_timestamp(t).has_value(),
                   "accepted a fixed timestamp without its Z: " + std::string(t));
    // Independent reading of the documented form.
    int y, mo, d, h, mi, s;
    bool form = t.size() >= 19 && digits_at(t, 0, 4, y) && t[4] == '-' && digits_at(t, 5, 2, mo) &&
                t[7] == '-' && digits_at(t, 8, 2, d) && t[10] == 'T' && digits_at(t, 11, 2, h) &&
                t[13] == ':' && digits_at(t, 14, 2, mi) && t[16] == ':' && digits_at(t, 17, 2, s);
    long long micros = 0;
    if (form && t.size() > 19) {
        form = t[19] == '.' && t.size() >= 21 && t.size() <= 26;
        long long scale = 100000;
        for (std::size_t i = 20; form && i < t.size(); ++i, scale /= 10) {
            form = t[i] >= '0' && t[i] <= '9';
            micros += (t[i] - '0') * scale;
        }
    }
    if (form)
        form = y >= 1 && mo >= 1 && mo <= 12 && d >= 1 && h <= 23 && mi <= 59 && s <= 59;
    if (form) {
        std::tm tm{};
        tm.tm_year = y - 1900;
        tm.tm_mon = mo - 1;
        tm.tm_mday = d;
        tm.tm_hour = h;
        tm.tm_min = mi;
        tm.tm_sec = s;
        const long long epoch = timegm(&tm);
        form = tm.tm_mday == d && tm.tm_mon == mo - 1; // timegm normalises 31 Feb: not a date
        if (form) {
            const long long expect = (epoch - 946684800LL) * 1000000LL + micros;
            FUZZ_CHECK(got && *got == expect, "timestamp " + std::string(t) + " -> " +
                                                  (got ? std::to_string(*got) : "nullopt") +
                                                  ", expected " + std::to_string(expect));
            return;
        }
    }
    FUZZ_CHECK(!got, "accepted a non-canonical timestamp: " + std::string(t));
}

void integer(fuzz::Input &in) {
    std::int64_t bounds[2] = {0, 0};
    for (auto &b : bounds) {
        const std::string_view raw = in.take(8);
        std::uint64_t u = 0;
        for (char c : raw)
            u = (u << 8) | static_cast<unsigned char>(c);
        b = static_cast<std::int64_t>(u);
    }
    const std::int64_t lo = std::min(bounds[0], bounds[1]), hi = std::max(bounds[0], bounds[1]);
    const std::string_view t = in.rest();
    const auto got = parse_integer(t, lo, hi);
    bool grammar = !t.empty() && t.size() <= 20;
    for (std::size_t i = 0; grammar && i < t.size(); ++i)
        grammar = (t[i] >= '0' && t[i] <= '9') || (i == 0 && t[i] == '-' && t.size() > 1);
    std::int64_t v = 0;
    const bool parsed =
        grammar && std::from_chars(t.data(), t.data() + t.size(), v).ec == std::errc();
    const bool expect = parsed && v >= lo && v <= hi;
    FUZZ_CHECK(got.has_value() == expect, "parse_integer(" + std::string(t) + ")");
    if (got)
        FUZZ_CHECK(*got == v, "parse_integer value");
}

void dbl(std::string_view t) {
    const auto got = parse_double(t);
    if (!got)
        return;
    const std::string s(t);
    errno = 0;
    char *end = nullptr;
    const double w = std::strtod(s.c_str(), &end);
    const bool range_error = errno == ERANGE && (w == 0 || std::isinf(w));
    FUZZ_CHECK(end == s.c_str() + s.size(),
               "parse_double accepted what strtod does not read whole: " + s);
    FUZZ_CHECK(!range_error, "parse_double accepted what float8in refuses as out of range: " + s);
    FUZZ_CHECK(std::isfinite(*got) && *got == w && std::signbit(*got) == std::signbit(w),
               "parse_double differs from strtod: " + s);
}

void location(std::string_view t) {
    std::optional<GeoPoint> p;
    try {
        p = parse_location(t);
    } catch (const Error &e) {
        FUZZ_CHECK(e.kind() == ErrorKind::Conversion, e.what());
        return;
    }
    if (!p)
        return;
    FUZZ_CHECK(std::isfinite(p->lon) && std::isfinite(p->lat), "non-finite point");
    const std::string text = format_pg_point(*p);
    FUZZ_CHECK(text.size() > 4 && text.front() == '(' && text.back() == ')', text);
    const std::size_t comma = text.find(',');
    FUZZ_CHECK(comma != std::string::npos, text);
    const double lon = std::strtod(text.substr(1, comma - 1).c_str(), nullptr);
    const double lat = std::strtod(text.substr(comma + 1).c_str(), nullptr);
    FUZZ_CHECK(lon == p->lon && lat == p->lat, "point text does not read back: " + text);
    std::string scratch;
    const char *pt = point_text_for(ValueKind::Object, t, scratch);
    FUZZ_CHECK(pt != nullptr && text == pt, "point_text_for differs from format_pg_point");
}

void json_text(std::string_view t) {
    std::string scratch;
    const char *j = json_text_for(ValueKind::String, t, scratch);
    FUZZ_CHECK(std::strlen(j) == scratch.size(), "json text holds a NUL");
    if (fuzz::valid_utf8(t)) {
        const auto doc = nlohmann::json::parse(scratch, nullptr, false);
        FUZZ_CHECK(!doc.is_discarded() && doc.is_string() && doc.get<std::string>() == t,
                   "json_text_for does not read back: " + scratch);
    }
    const char *raw = json_text_for(ValueKind::Number, t, scratch);
    FUZZ_CHECK(std::string_view(raw, scratch.size()) == t, "raw json text changed");
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
    fuzz::Input in(data, size);
    const std::uint8_t which = in.byte();
    switch (which % 8) {
    case 0:
        http_date(in.rest());
        break;
    case 1:
        retry_after(in.rest());
        break;
    case 2:
        floating_timestamp(in.rest());
        break;
    case 3:
        integer(in);
        break;
    case 4:
        dbl(in.rest());
        break;
    case 5:
        (void)parse_checkbox(in.rest());
        break;
    case 6:
        location(in.rest());
        break;
    case 7:
        json_text(in.rest());
        break;
    }
    return 0;
}
