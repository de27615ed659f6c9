#include "option_values.hpp"

#include "ascii_case.hpp"
#include "error.hpp"
#include "text_snippet.hpp"

#include <algorithm>
#include <limits>

namespace socrata {

namespace {

[[noreturn]] void bad_value(std::string_view name, std::string_view text, std::string detail,
                            std::string hint) {
    throw Error(ErrorKind::InvalidOption,
                "invalid value for option \"" + std::string(name) +
                    "\": " + printable_snippet(text, 100),
                std::move(detail), std::move(hint));
}

// The URL as an error quotes it: a user name and password, and whatever follows '?' or '#', as
// "***". A URL is refused for carrying them, and a password or token in them would otherwise
// reach the client and the server log in the refusal. The user name and password run to the
// last '@', wherever it is: a password holding '/', '?' or '#' is no valid URL, but its refusal
// must not show it either (nor one after "https:/" or "https//").
std::string url_without_secrets(std::string_view url) {
    const std::size_t scheme_end = url.find("://");
    const std::size_t start = scheme_end == std::string_view::npos ? 0 : scheme_end + 3;
    const std::size_t early_cut = url.substr(0, start).find_first_of("?#");
    if (early_cut != std::string_view::npos) // before any "://": all that follows is a query
        return std::string(url.substr(0, early_cut + 1)) + "***";
    std::string shown(url.substr(0, start));
    std::string_view rest = url.substr(start);
    const std::size_t at = rest.rfind('@');
    if (at != std::string_view::npos) {
        // A '?' or '#' before it: it may be a query's ("?q=a@b&$$app_token=..."), or in a
        // password; either way nothing after the scheme is shown.
        if (rest.substr(0, at).find_first_of("?#") != std::string_view::npos)
            return shown + "***";
        // Else only what a host and port are made of is shown after it, the rest masked.
        const std::string_view after = rest.substr(at + 1);
        const std::size_t host_end = after.find_first_not_of(
            "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:[]");
        return shown + "***@" + std::string(after.substr(0, host_end)) +
               (host_end == std::string_view::npos ? "" : "/***");
    }
    const std::size_t cut = rest.find_first_of("?#");
    shown += rest.substr(0, cut);
    if (cut != std::string_view::npos)
        shown += std::string(1, rest[cut]) + "***";
    return shown;
}

bool is_lower_alnum(char c) {
    return (c >= 'a' && c <= 'z') || is_ascii_digit(c);
}

// RFC 3986 path characters: unreserved, sub-delims, ':', '@', '/' and %XX.
bool valid_path(std::string_view path) {
    for (std::size_t i = 0; i < path.size(); ++i) {
        const char c = path[i];
        if (is_ascii_alnum(c) ||
            std::string_view("-._~!$&'()*+,;=:@/").find(c) != std::string_view::npos)
            continue;
        if (c == '%' && i + 2 < path.size() && is_ascii_hex_digit(path[i + 1]) &&
            is_ascii_hex_digit(path[i + 2])) {
            i += 2;
            continue;
        }
        return false;
    }
    return true;
}

} // namespace

std::int64_t parse_int_option(std::string_view name, std::string_view text, std::int64_t min,
                              std::int64_t max) {
    const std::string range =
        "Expected a whole number from " + std::to_string(min) + " to " + std::to_string(max) + ".";
    std::size_t i = 0;
    bool negative = false;
    if (i < text.size() && (text[i] == '+' || text[i] == '-')) {
        negative = text[i] == '-';
        ++i;
    }
    if (i == text.size())
        bad_value(name, text, "The value is not a number.", range);
    // Accumulate as a negative number so that INT64_MIN is representable.
    std::int64_t value = 0;
    for (; i < text.size(); ++i) {
        const char c = text[i];
        if (c < '0' || c > '9')
            bad_value(name, text, "Only decimal digits and a leading sign are allowed.", range);
        const int digit = c - '0';
        if (value < (std::numeric_limits<std::int64_t>::min() + digit) / 10)
            bad_value(name, text, "The number is too large.", range);
        value = value * 10 - digit;
    }
    if (!negative) {
        if (value == std::numeric_limits<std::int64_t>::min())
            bad_value(name, text, "The number is too large.", range);
        value = -value;
    }
    if (value < min || value > max)
        bad_value(name, text, "The number is out of range.", range);
    return value;
}

bool parse_bool_option(std::string_view name, std::string_view text) {
    for (const char *t : {"true", "on", "yes", "1"})
        if (equals_ignoring_case(text, t))
            return true;
    for (const char *f : {"false", "off", "no", "0"})
        if (equals_ignoring_case(text, f))
            return false;
    bad_value(name, text, {}, "Use true or false.");
}

ResponseFormat parse_response_format_option(std::string_view name, std::string_view text) {
    if (text == "auto")
        return ResponseFormat::Auto;
    if (text == "json")
        return ResponseFormat::Json;
    if (text == "csv")
        return ResponseFormat::Csv;
    bad_value(name, text, {}, "Use auto, json or csv.");
}

bool is_valid_dataset_id(std::string_view text) noexcept {
    if (text.size() != 9 || text[4] != '-')
        return false;
    for (std::size_t i = 0; i < 9; ++i)
        if (i != 4 && !is_lower_alnum(text[i]))
            return false;
    return true;
}

const char kDatasetIdForm[] =
    "A Socrata dataset id is four lowercase letters or digits, '-', and four more.";

void validate_dataset_id(std::string_view name, std::string_view text) {
    if (!is_valid_dataset_id(text))
        bad_value(name, text, kDatasetIdForm,
                  "Use the id from the dataset's URL, e.g. 'ijzp-q8t2' for Chicago crimes.");
}

namespace {

// Refuses a base_url value, quoted without its secrets: what the checks below share.
struct BaseUrlRefusal {
    std::string_view name;
    std::string shown;

    [[noreturn]] void
    operator()(std::string detail,
               std::string hint =
                   "Use the portal's root URL, e.g. 'https://data.cityofchicago.org'.") const {
        bad_value(name, shown, std::move(detail), std::move(hint));
    }
};

// The host and the port (empty if none) of a URL's authority.
struct HostAndPort {
    std::string_view host;
    std::string_view port;
};

// "[::1]" or "[::1]:8080": the brackets stay with the host.
HostAndPort split_ipv6_authority(std::string_view authority, const BaseUrlRefusal &refuse) {
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos)
        refuse("The IPv6 address is not closed with ']'.");
    if (close == 1)
        refuse("The IPv6 address between '[' and ']' is empty.");
    for (char c : authority.substr(1, close - 1))
        if (!is_ascii_hex_digit(c) && c != ':' && c != '.')
            refuse("The IPv6 address is malformed.");
    HostAndPort split{authority.substr(0, close + 1), {}};
    std::string_view after = authority.substr(close + 1);
    if (after.empty())
        return split;
    if (after.front() != ':')
        refuse("Unexpected text after the IPv6 address.");
    split.port = after.substr(1);
    if (split.port.empty())
        refuse("The port after ':' is missing.");
    return split;
}

// "host" or "host:port", the host a name or an IPv4 address.
HostAndPort split_host_authority(std::string_view authority, const BaseUrlRefusal &refuse) {
    HostAndPort split{authority, {}};
    const std::size_t colon = authority.find(':');
    if (colon != std::string_view::npos) {
        split.port = authority.substr(colon + 1);
        split.host = authority.substr(0, colon);
        if (split.port.empty())
            refuse("The port after ':' is missing.");
    }
    if (split.host.empty())
        refuse("The URL has no host name.");
    for (char c : split.host)
        if (!is_ascii_alnum(c) && c != '-' && c != '.' && c != '_')
            refuse("The host name contains an invalid character.");
    return split;
}

void check_port(std::string_view port, const BaseUrlRefusal &refuse) {
    if (port.empty())
        return;
    if (port.front() == '0')
        refuse("The port must be a number from 1 to 65535, without leading zeros.");
    if (port.size() > 5 || port.find_first_not_of("0123456789") != std::string_view::npos)
        refuse("The port must be a number from 1 to 65535.");
    const int n = std::stoi(std::string(port));
    if (n < 1 || n > 65535)
        refuse("The port must be a number from 1 to 65535.");
}

// The path without its trailing slashes, if it can be the portal's root: not an API path
// (/resource/<id>.json, /api/views/<id>), which users paste from the dataset's page.
std::string_view portal_path(std::string_view path, const BaseUrlRefusal &refuse) {
    if (!valid_path(path))
        refuse("The path contains a character that must be percent-encoded.");
    while (!path.empty() && path.back() == '/')
        path.remove_suffix(1);
    const std::string lower_path = ascii_lowercase(path);
    if (lower_path.find("/resource/") != std::string::npos ||
        lower_path.rfind("/resource", 0) == 0 || lower_path.find("/api/") != std::string::npos ||
        lower_path == "/api")
        refuse("The URL points into the API rather than at the portal.",
               "Use the portal's root URL, e.g. 'https://data.cityofchicago.org'. The dataset id "
               "goes in the foreign table's dataset option.");
    return path;
}

} // namespace

std::string validate_base_url(std::string_view text, std::string_view name) {
    const BaseUrlRefusal refuse{name, url_without_secrets(text)};
    for (char ch : text) {
        const unsigned char c = static_cast<unsigned char>(ch);
        if (c <= 0x20 || c >= 0x7F)
            refuse("URLs may not contain white space, control or non-ASCII characters.");
    }
    const std::size_t colon = text.find("://");
    if (colon == std::string_view::npos)
        refuse("Only http:// and https:// URLs are supported.");
    const std::string scheme = ascii_lowercase(text.substr(0, colon));
    if (scheme != "http" && scheme != "https")
        refuse("Only http:// and https:// URLs are supported.");
    const std::string_view rest = text.substr(colon + 3);
    if (rest.find_first_of("?#") != std::string_view::npos)
        refuse("The URL may not have a query string or fragment.");

    const std::size_t slash = rest.find('/');
    const std::string_view authority = rest.substr(0, slash);
    if (authority.find('@') != std::string_view::npos)
        refuse("The URL may not contain a user name or password.",
               "Put the app token in a user mapping: OPTIONS (app_token '...').");
    const HostAndPort split = !authority.empty() && authority.front() == '['
                                  ? split_ipv6_authority(authority, refuse)
                                  : split_host_authority(authority, refuse);
    check_port(split.port, refuse);
    const std::string_view path = portal_path(
        slash == std::string_view::npos ? std::string_view() : rest.substr(slash), refuse);
    return scheme + "://" + ascii_lowercase(split.host) +
           (split.port.empty() ? "" : ":" + std::string(split.port)) + std::string(path);
}

} // namespace socrata
