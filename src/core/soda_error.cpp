#include "soda_error.hpp"

#include "ascii_case.hpp"
#include "json_member.hpp"
#include "soql.hpp"
#include "text_snippet.hpp"

#include <nlohmann/json.hpp>

namespace socrata {

namespace {

constexpr std::size_t kMaxMessageBytes = 200;
constexpr std::size_t kMaxUrlBytes = 1000;

bool is_space(char c) {
    return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\f';
}

// How many bytes at text[i] are white space or a control, which a message folds into one space:
// C0 controls and DEL, the C1 controls (U+0080 to U+009F, C2 80 to C2 9F: the 8-bit CSI among
// them) and the line and paragraph separators (U+2028, U+2029: E2 80 A8, E2 80 A9). 0 for other
// text. The server's words then cannot forge lines of the message or the log, nor carry a
// terminal's escape sequences.
std::size_t folded_length(std::string_view text, std::size_t i) {
    const auto byte = [&](std::size_t k) {
        return i + k < text.size() ? static_cast<unsigned char>(text[i + k]) : 0;
    };
    if (is_space(text[i]) || byte(0) < 0x20 || byte(0) == 0x7F)
        return 1;
    if (byte(0) == 0xC2 && byte(1) >= 0x80 && byte(1) <= 0x9F)
        return 2;
    if (byte(0) == 0xE2 && byte(1) == 0x80 && (byte(2) == 0xA8 || byte(2) == 0xA9))
        return 3;
    return 0;
}

// The text on one line: each run of white space and controls (folded_length) as one space,
// none at either end. With `strip_tags`, HTML tags are dropped, as word separators. Stops once
// past `enough` bytes.
std::string one_line(std::string_view text, bool strip_tags = false,
                     std::size_t enough = std::string_view::npos) {
    std::string out;
    bool in_tag = false;
    bool pending_space = false;
    for (std::size_t i = 0; i < text.size() && out.size() <= enough; ++i) {
        const char c = text[i];
        if (in_tag) {
            in_tag = c != '>';
            if (!in_tag)
                pending_space = true; // tags separate words
            continue;
        }
        if (strip_tags && c == '<' && i + 1 < text.size() &&
            (is_ascii_letter(text[i + 1]) || text[i + 1] == '/' || text[i + 1] == '!')) {
            in_tag = true;
            continue;
        }
        if (const std::size_t folded = folded_length(text, i)) {
            pending_space = true;
            i += folded - 1;
            continue;
        }
        if (pending_space && !out.empty())
            out += ' ';
        pending_space = false;
        out += c;
    }
    return out;
}

// Plain text or HTML reduced to one readable line, cut short.
std::string plain_text_message(std::string_view body) {
    std::string out = one_line(body, true, kMaxMessageBytes * 4); // enough to cut from
    if (out.size() > kMaxMessageBytes) {
        out.resize(utf8_prefix_length(out, kMaxMessageBytes));
        out += "...";
    }
    return out;
}

// The text of an HTML page's <title>, or empty: a proxy's error page says its status there,
// and again in the body ("502 Bad Gateway ... 502 Bad Gateway").
std::string_view html_title(std::string_view body) {
    const std::size_t open = find_ignoring_case(body, "<title>");
    if (open == std::string_view::npos)
        return {};
    const std::string_view rest = body.substr(open + 7);
    const std::size_t close = find_ignoring_case(rest, "</title>");
    return close == std::string_view::npos ? std::string_view() : rest.substr(0, close);
}

// A URL to quote in a message: whole, or its start and its length when it is long (a URL the
// server refused for its length can be tens of kB).
std::string url_for_message(std::string_view url) {
    if (url.size() <= kMaxUrlBytes)
        return std::string(url);
    return std::string(url.substr(0, kMaxUrlBytes)) + "... (" + std::to_string(url.size()) +
           " bytes)";
}

} // namespace

SodaError parse_soda_error(std::string_view body) {
    SodaError out;
    nlohmann::json doc = nlohmann::json::parse(body.begin(), body.end(), nullptr, false);
    if (doc.is_object()) {
        out.code = one_line(string_member(doc, "code"));
        if (out.code.empty())
            out.code = one_line(string_member(doc, "errorCode")); // SODA 3 spelling
        out.message = one_line(string_member(doc, "message"));
        if (out.message.empty())
            out.message = one_line(string_member(doc, "error")); // {"error": "text"} from proxies
        if (out.message.empty() && out.code.empty())
            out.message = plain_text_message(body);
    } else {
        out.message = plain_text_message(html_title(body));
        if (out.message.empty())
            out.message = plain_text_message(body);
    }
    if (out.message.size() > 4 * kMaxMessageBytes) {
        out.message.resize(utf8_prefix_length(out.message, 4 * kMaxMessageBytes));
        out.message += "...";
    }
    if (out.message.empty())
        out.message = out.code.empty() ? "(empty body)" : out.code;
    return out;
}

Error error_for_http_status(int status, std::string_view body, std::string_view url,
                            std::string_view location) {
    const bool redirect = status >= 300 && status < 400;
    const SodaError e = parse_soda_error(body);
    std::string what = "Socrata request failed with HTTP " + std::to_string(status) + ": ";
    if (redirect && !location.empty())
        what += "redirected to " + printable_snippet(location, 1000); // the server's bytes
    else
        what += e.code.empty() ? e.message : e.code + ": " + e.message;

    std::string detail = "URL: " + url_for_message(url) + ".";

    std::string hint;
    if (status == 400 && e.code == "req.row-limit-exceeded") // query-coordinator's max-rows
        hint = "The portal caps the rows of one request: lower the page_size option below its "
               "limit (a sorted or grouped scan's pages after the first ask for one row more).";
    else if (status == 400)
        hint = "Socrata rejected the query; check the foreign table's column_name options "
               "against the dataset's field names (EXPLAIN VERBOSE shows the query sent).";
    else if (status == 401 || status == 403)
        hint = "Check the app_token option; private datasets need credentials this server "
               "cannot supply.";
    else if (status == 404)
        hint = "Check the dataset option (a 4x4 id such as ijzp-q8t2) and the base_url option.";
    else if (status == 408) // the portal's own query time limit ("errorCode": "request-timeout")
        hint = "The portal stopped the query at its own time limit, and would again: ask for less "
               "per request (a smaller page_size, conditions Socrata evaluates that keep fewer "
               "rows; an aggregate over a whole large dataset costs the most).";
    else if (status == 414)
        hint = "The URL is " + std::to_string(url.size()) +
               " bytes, more than the server accepts. socrata_fdw sends at most " +
               std::to_string(kMaxPushedWhereBytes) +
               " bytes of WHERE conditions and filters the rest itself, but a value computed "
               "when the query runs (a parameter, a function such as current_setting()) is not "
               "known before: compare shorter values, or select fewer columns.";
    else if (status == 429)
        hint = "Socrata is throttling requests. Without an app_token they share a small pool: set "
               "one in the user mapping. With one, make fewer requests (a larger page_size).";
    else if (status == 202)
        hint = "Socrata was still preparing the answer after every retry; try again later, or "
               "raise max_retries.";
    else if (redirect)
        hint = "Redirects are not followed (the app token must not leak to another host); set "
               "base_url to the address the server redirects to.";
    else if (status >= 500)
        hint = "The Socrata server failed; retrying later may help.";
    return Error::http(status, what, detail, hint);
}

} // namespace socrata
