// libFuzzer harness: option values a user types (src/core/option_values.*, fdw_options.*).
//
// Input: byte 0 picks the target, the rest is the value (or a list of name/value pairs).
// Checks, besides crashes and UB:
//  - only Error escapes, of the kinds the header names (InvalidOption, UnknownOption,
//    MissingOption);
//  - parse_int_option agrees with std::from_chars ('+' allowed) and the bounds;
//  - validate_base_url: what it returns is accepted again unchanged (a normal form), holds no
//    white space, '?', '#', user info ('@' before the path), nor a trailing '/'; its error
//    messages do not quote the user name/password of the URL, nor what follows '?' or '#';
//  - an app_token that is refused is not quoted in the error;
//  - option lists that validate_options accepts for server, user mapping and table give
//    settings without an error (make_scan_settings), with the numbers in their ranges.
#include "fuzz_support.hpp"

#include "ascii_case.hpp"
#include "fdw_options.hpp"
#include "option_values.hpp"

#include <charconv>
#include <limits>
#include <optional>

using namespace socrata;

namespace {

const char *const kNames[] = {
    "base_url",  "request_timeout", "connect_timeout",     "stall_timeout",
    "page_size", "max_retries",     "retry_delay",         "max_retry_delay",
    "use_gzip",  "response_format", "use_remote_estimate", "text_code_point_order",
    "app_token", "dataset",         "column_name",         "bogus"};

void check_kind(const Error &e) {
    FUZZ_CHECK(e.kind() == ErrorKind::InvalidOption || e.kind() == ErrorKind::UnknownOption ||
                   e.kind() == ErrorKind::MissingOption,
               std::string("unexpected kind ") + to_string(e.kind()) + ": " + e.what());
}

std::string all_text(const Error &e) {
    return std::string(e.what()) + "\n" + e.detail() + "\n" + e.hint();
}

// Whether `needle` occurs in `hay` only inside [from, from + needle.size()).
bool only_at(std::string_view hay, std::string_view needle, std::size_t from) {
    std::size_t n = 0;
    for (std::size_t p = hay.find(needle); p != std::string_view::npos; p = hay.find(needle, p + 1))
        if (p != from)
            return false;
        else
            ++n;
    return n == 1;
}

// What printable_snippet quoted, back as it was: without the quotes around it and the "..." it
// adds when it cuts (a URL ending in "..." loses it too: fewer texts to find), and with its
// escapes (\\, \", \xNN) undone. An escape's characters next to the text around them could spell
// the secret a check looks for ("\xF3" then "3333" holds "33333"; "LL\LL", quoted "LL\\LL", holds
// "L\\L").
std::string unquoted(const std::string &quoted) {
    std::string text = quoted;
    if (text.size() >= 2 && text.front() == '"' && text.back() == '"')
        text = text.substr(1, text.size() - 2);
    if (text.size() >= 3 && text.compare(text.size() - 3, 3, "...") == 0)
        text.resize(text.size() - 3);
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] != '\\' || i + 1 == text.size()) {
            out += text[i];
        } else if (text[i + 1] == '\\' || text[i + 1] == '"') {
            out += text[++i];
        } else if (text[i + 1] == 'x' && i + 3 < text.size() && is_ascii_hex_digit(text[i + 2]) &&
                   is_ascii_hex_digit(text[i + 3])) {
            out += static_cast<char>(std::stoi(text.substr(i + 2, 2), nullptr, 16));
            i += 3;
        } else {
            out += text[i];
        }
    }
    return out;
}

void int_option(fuzz::Input &in) {
    std::int64_t bounds[2];
    for (auto &b : bounds) {
        std::uint64_t u = 0;
        for (char c : in.take(8))
            u = (u << 8) | static_cast<unsigned char>(c);
        b = static_cast<std::int64_t>(u);
    }
    const std::int64_t lo = std::min(bounds[0], bounds[1]), hi = std::max(bounds[0], bounds[1]);
    const std::string_view t = in.rest();
    std::optional<std::int64_t> got;
    try {
        got = parse_int_option("page_size", t, lo, hi);
    } catch (const Error &e) {
        check_kind(e);
    }
    std::string_view digits = t;
    if (!digits.empty() && digits[0] == '+')
        digits.remove_prefix(1);
    bool grammar = !digits.empty();
    for (std::size_t i = 0; grammar && i < digits.size(); ++i)
        grammar = (digits[i] >= '0' && digits[i] <= '9') ||
                  (i == 0 && digits[i] == '-' && t[0] != '+' && digits.size() > 1);
    std::int64_t v = 0;
    const bool parsed =
        grammar &&
        std::from_chars(digits.data(), digits.data() + digits.size(), v).ec == std::errc();
    FUZZ_CHECK(got.has_value() == (parsed && v >= lo && v <= hi),
               "parse_int_option(" + std::string(t) + ")");
    if (got)
        FUZZ_CHECK(*got == v, "parse_int_option value");
}

void base_url(std::string_view t) {
    std::string url;
    try {
        url = validate_base_url(t);
    } catch (const Error &e) {
        check_kind(e);
        // Where the URL is quoted: what() after its fixed start (the detail and the hint are
        // fixed texts, whose words, "data." of the example, say, a user name may happen to be).
        const std::string what = e.what();
        const std::size_t quote = what.find("\": ");
        const std::string msg =
            unquoted(quote == std::string::npos ? what : what.substr(quote + 3));
        // The secrets of a URL: its user info, and what follows '?' or '#'.
        const std::size_t cut = t.find_first_of("?#");
        if (cut != std::string_view::npos && t.size() - cut - 1 >= 4 &&
            only_at(t, t.substr(cut + 1), cut + 1))
            FUZZ_CHECK(msg.find(t.substr(cut + 1)) == std::string::npos,
                       "error quotes the query/fragment: " + msg);
        const std::size_t scheme = t.find("://");
        if (scheme != std::string_view::npos && scheme < cut) {
            const std::size_t start = scheme + 3;
            const std::size_t end = std::min(t.find_first_of("/?#", start), t.size());
            const std::size_t at = t.substr(start, end - start).rfind('@');
            // (Letters, digits and ':' only: the error adds text of its own, the mask "***"
            // and the cut mark "...", which other user info could spell.)
            bool alnum = true;
            for (char c : t.substr(start, at == std::string_view::npos ? 0 : at))
                alnum = alnum && (is_ascii_alnum(c) || c == ':');
            if (at != std::string_view::npos && at >= 4 && alnum &&
                only_at(t, t.substr(start, at), start))
                FUZZ_CHECK(msg.find(t.substr(start, at)) == std::string::npos,
                           "error quotes the user info: " + msg);
        }
        return;
    }
    for (char c : url)
        FUZZ_CHECK(static_cast<unsigned char>(c) > 0x20 && static_cast<unsigned char>(c) < 0x7F &&
                       c != '?' && c != '#',
                   "normalised URL holds a bad character: " + url);
    // '@' is a path character (RFC 3986); in the authority it would be user info.
    const std::size_t host_start = url.find("://") + 3;
    FUZZ_CHECK(url.substr(host_start, url.find('/', host_start) - host_start).find('@') ==
                   std::string::npos,
               "normalised URL has user info: " + url);
    FUZZ_CHECK(url.back() != '/', "normalised URL ends with '/': " + url);
    try {
        const std::string again = validate_base_url(url);
        FUZZ_CHECK(again == url, "not a normal form: " + url + " -> " + again);
    } catch (const Error &e) {
        FUZZ_CHECK(false, "normalised URL refused: " + url + ": " + e.what());
    }
}

void app_token(std::string_view t) {
    try {
        validate_option(OptionScope::UserMapping, "app_token", std::string(t));
    } catch (const Error &e) {
        check_kind(e);
        // (A token that is a piece of the fixed message, "control or non", is no leak.)
        static const std::string fixed = [] {
            try {
                validate_option(OptionScope::UserMapping, "app_token", "");
            } catch (const Error &base) {
                return all_text(base);
            }
            return std::string();
        }();
        if (t.size() >= 4 && fixed.find(t) == std::string::npos)
            FUZZ_CHECK(all_text(e).find(t) == std::string::npos, "error quotes the app token");
    }
}

OptionList read_list(fuzz::Input &in, std::size_t max) {
    OptionList list;
    while (in.left() > 0 && list.size() < max) {
        const std::uint8_t b = in.byte();
        if (b == 0xFF)
            break; // end of this list
        list.emplace_back(kNames[b % 16], std::string(in.sized(40)));
    }
    return list;
}

void lists(fuzz::Input &in) {
    const OptionList server = read_list(in, 8), user = read_list(in, 3), table = read_list(in, 6);
    bool valid = true;
    const std::pair<OptionScope, const OptionList *> scopes[] = {{OptionScope::Server, &server},
                                                                 {OptionScope::UserMapping, &user},
                                                                 {OptionScope::Table, &table}};
    for (const auto &[scope, list] : scopes) {
        try {
            validate_options(scope, *list);
        } catch (const Error &e) {
            check_kind(e);
            valid = false;
        }
        for (const auto &[name, value] : *list) {
            try {
                validate_option(OptionScope::Column, name, value);
                validate_option(OptionScope::Wrapper, name, value);
            } catch (const Error &e) {
                check_kind(e);
            }
        }
        (void)field_name_for_column("col", *list);
    }
    try {
        const ScanSettings s = make_scan_settings(server, user, table);
        FUZZ_CHECK(s.page_size >= 1 && s.page_size <= 1000000, "page_size");
        FUZZ_CHECK(s.request_timeout_ms >= 0 && s.connect_timeout_ms >= 1000 &&
                       s.stall_timeout_ms >= 1000 && s.max_retries >= 0 && s.retry_delay_ms >= 0 &&
                       s.max_retry_delay_ms >= 0,
                   "a setting out of range");
        (void)portal_cache_key(s);
    } catch (const Error &e) {
        check_kind(e);
        FUZZ_CHECK(!valid,
                   std::string("validated options refused by make_scan_settings: ") + e.what());
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
    fuzz::Input in(data, size);
    const std::uint8_t which = in.byte();
    try {
        switch (which % 7) {
        case 0:
            int_option(in);
            break;
        case 1: {
            const std::string_view t = in.rest();
            try {
                const bool b = parse_bool_option("use_gzip", t);
                (void)b;
            } catch (const Error &e) {
                check_kind(e);
            }
            try {
                (void)parse_response_format_option("response_format", t);
            } catch (const Error &e) {
                check_kind(e);
            }
            break;
        }
        case 2: {
            const std::string_view t = in.rest();
            const bool ok = is_valid_dataset_id(t);
            try {
                validate_dataset_id("dataset", t);
                FUZZ_CHECK(ok, "validate_dataset_id accepted what is_valid_dataset_id refuses");
            } catch (const Error &e) {
                check_kind(e);
                FUZZ_CHECK(!ok, "validate_dataset_id refused a valid id");
            }
            break;
        }
        case 3:
            base_url(in.rest());
            break;
        case 4:
            app_token(in.rest());
            break;
        case 5:
            lists(in);
            break;
        case 6: {
            const std::uint8_t n = in.byte();
            const std::string value(in.rest());
            for (OptionScope scope :
                 {OptionScope::Wrapper, OptionScope::Server, OptionScope::UserMapping,
                  OptionScope::Table, OptionScope::Column}) {
                try {
                    validate_option(scope, kNames[n % 16], value);
                } catch (const Error &e) {
                    check_kind(e);
                }
            }
            break;
        }
        }
    } catch (const Error &e) {
        FUZZ_CHECK(false, std::string("Error escaped a target: ") + e.what());
    }
    return 0;
}
