// libFuzzer harness: SoQL and URL writing from untrusted text (src/core/soql.*,
// soql_comparison.*): literals and identifiers from queries and column_name options, the
// planned $where a scan renders, lists split for $group/$order.
//
// Input: byte 0 picks the target, the rest is the text (or several, length-prefixed).
// Checks, besides crashes and UB:
//  - quote_literal: 'x' with only doubled quotes inside, which undoubles to the value; only
//    Error(Untranslatable), and only for NUL or invalid UTF-8;
//  - quote_identifier: only Error(InvalidOption); the result is the name itself (plain or
//    system field) or the name in backticks, with no character the grammar cannot hold;
//  - to_query_string / build_resource_url: no value changes the URL's shape: the query splits
//    at '&' into exactly the clauses given, each decoding back to its value;
//  - BoundedConjunction stays in its budget and counts its encoded size right;
//  - render_where / comparison_soql: only Error(Internal) (a malformed plan);
//  - split_soql_list: items are non-empty and trimmed of spaces.
#include "fuzz_support.hpp"

#include "ascii_case.hpp"
#include "percent_encoding.hpp"
#include "soql.hpp"
#include "soql_comparison.hpp"

using namespace socrata;

namespace {

void literal(std::string_view v) {
    std::string q;
    try {
        q = quote_literal(v);
    } catch (const Error &e) {
        FUZZ_CHECK(e.kind() == ErrorKind::Untranslatable, e.what());
        FUZZ_CHECK(v.find('\0') != std::string_view::npos || !fuzz::valid_utf8(v),
                   "refused a valid literal");
        return;
    }
    FUZZ_CHECK(fuzz::valid_utf8(v) && v.find('\0') == std::string_view::npos, "accepted bad text");
    FUZZ_CHECK(q.size() >= 2 && q.front() == '\'' && q.back() == '\'', "not quoted: " + q);
    std::string back;
    for (std::size_t i = 1; i + 1 < q.size(); ++i) {
        if (q[i] == '\'') {
            FUZZ_CHECK(i + 2 < q.size() && q[i + 1] == '\'', "lone quote inside: " + q);
            ++i;
        }
        back += q[i];
    }
    FUZZ_CHECK(back == v, "literal does not read back");
}

bool plain_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

void identifier(std::string_view name) {
    std::string q;
    try {
        q = quote_identifier(name);
    } catch (const Error &e) {
        FUZZ_CHECK(e.kind() == ErrorKind::InvalidOption, e.what());
        return;
    }
    FUZZ_CHECK(!q.empty(), "empty identifier");
    std::string_view body = q;
    if (q.front() == '`') {
        FUZZ_CHECK(q.size() >= 3 && q.back() == '`' && q.substr(1, q.size() - 2) == name,
                   "backticked form differs: " + q);
        body = std::string_view(q).substr(1, q.size() - 2);
        std::size_t i = 0;
        if (body[0] == ':')
            i = body.size() > 1 && body[1] == '@' ? 2 : 1;
        FUZZ_CHECK(i < body.size(), "empty system name");
        if (i == 0)
            FUZZ_CHECK(is_ascii_letter(body[0]) || body[0] == '_' || body[0] == '$' ||
                           body[0] == '-',
                       "backticked name starts with a bad character: " + q);
        for (; i < body.size(); ++i)
            FUZZ_CHECK(is_ascii_alnum(body[i]) || body[i] == '_' || body[i] == '$' ||
                           body[i] == '-',
                       "character the grammar cannot hold in backticks: " + q);
        return;
    }
    FUZZ_CHECK(q == name, "plain form differs from the name: " + q);
    std::size_t i = 0;
    if (q[0] == ':') {
        i = q.size() > 1 && q[1] == '@' ? 2 : 1;
        FUZZ_CHECK(i < q.size(), "empty system name");
    } else {
        FUZZ_CHECK((q[0] >= 'a' && q[0] <= 'z') || q[0] == '_', "plain name start: " + q);
        FUZZ_CHECK(!is_soql_keyword(q), "keyword left plain: " + q);
    }
    for (; i < q.size(); ++i)
        FUZZ_CHECK(plain_char(q[i]), "plain name character: " + q);
}

std::string decode_percent(std::string_view s) {
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '%' && i + 2 < s.size()) {
            out += char(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16));
            i += 2;
        } else {
            out += s[i];
        }
    }
    return out;
}

void query(fuzz::Input &in) {
    SoqlQuery q;
    const std::uint8_t n = in.byte() % 4;
    for (std::uint8_t i = 0; i < n; ++i)
        q.select.emplace_back(in.sized(60));
    q.where = std::string(in.sized(120));
    q.group = std::string(in.sized(40));
    q.having = std::string(in.sized(40));
    q.order = std::string(in.sized(40));
    const std::uint8_t lim = in.byte();
    if (lim & 1)
        q.limit = std::int64_t(lim) - 100;
    if (lim & 2)
        q.offset = std::int64_t(lim) * 1000 - 5000;
    std::string qs;
    try {
        qs = q.to_query_string();
    } catch (const Error &e) {
        FUZZ_CHECK(e.kind() == ErrorKind::Internal &&
                       ((q.limit && *q.limit < 0) || (q.offset && *q.offset < 0)),
                   e.what());
        return;
    }
    std::vector<std::pair<std::string, std::string>> expect;
    if (!q.select.empty()) {
        std::string joined;
        for (std::size_t i = 0; i < q.select.size(); ++i)
            joined += (i ? "," : "") + q.select[i];
        expect.emplace_back("$select", joined);
    }
    for (auto [name, value] : {std::pair<const char *, const std::string *>{"$where", &q.where},
                               {"$group", &q.group},
                               {"$having", &q.having},
                               {"$order", &q.order}})
        if (!value->empty())
            expect.emplace_back(name, *value);
    if (q.limit)
        expect.emplace_back("$limit", std::to_string(*q.limit));
    if (q.offset)
        expect.emplace_back("$offset", std::to_string(*q.offset));
    std::vector<std::pair<std::string, std::string>> got;
    std::size_t start = 0;
    while (start < qs.size()) {
        std::size_t amp = qs.find('&', start);
        if (amp == std::string::npos)
            amp = qs.size();
        const std::string_view part(qs.data() + start, amp - start);
        const std::size_t eq = part.find('=');
        FUZZ_CHECK(eq != std::string_view::npos, "parameter without '=': " + qs);
        FUZZ_CHECK(part.find_first_of("=#?+ ", eq + 1) == std::string_view::npos,
                   "unencoded byte: " + qs);
        got.emplace_back(std::string(part.substr(0, eq)), decode_percent(part.substr(eq + 1)));
        start = amp + 1;
    }
    FUZZ_CHECK(got == expect, "query string shape changed: " + qs);
    try {
        const std::string url =
            build_resource_url("https://data.cityofchicago.org/", "ijzp-q8t2", "json", q);
        FUZZ_CHECK(url == "https://data.cityofchicago.org/resource/ijzp-q8t2.json" +
                              (qs.empty() ? "" : "?" + qs),
                   "URL: " + url);
    } catch (const Error &e) {
        FUZZ_CHECK(false, e.what());
    }
}

void conjunction(fuzz::Input &in) {
    const std::size_t budget = in.byte() * 4;
    BoundedConjunction c(budget);
    while (in.left() > 0) {
        const std::string_view cond = in.sized(100);
        const std::string before = c.text();
        const bool added = c.add(cond);
        FUZZ_CHECK(added || c.text() == before, "refused condition changed the text");
        FUZZ_CHECK(c.encoded_bytes() <= budget, "over budget");
        FUZZ_CHECK(c.encoded_bytes() == percent_encoded_size(c.text()), "encoded size miscounted");
    }
}

void render(fuzz::Input &in) {
    std::vector<ComparedValue> values;
    const std::uint8_t n = in.byte() % 5;
    for (std::uint8_t i = 0; i < n; ++i) {
        ComparedValue v;
        v.kind = static_cast<ComparedValue::Kind>(in.byte() % 4);
        v.literal = std::string(in.sized(30));
        values.push_back(std::move(v));
    }
    // A planned $where: literal text with placeholders, the way the planner writes them.
    std::string planned;
    while (in.left() > 0) {
        const std::uint8_t b = in.byte();
        if (b >= 0xF0) {
            planned += runtime_comparison(b & 7, std::string(in.sized(20)),
                                          static_cast<CompareOp>((b >> 1) % 6));
        } else {
            planned += std::string(in.sized(b % 40));
        }
    }
    try {
        const std::string out = render_where(planned, values);
        (void)out;
    } catch (const Error &e) {
        FUZZ_CHECK(e.kind() == ErrorKind::Internal, e.what());
    }
    for (const auto &v : values) {
        (void)is_row_id_literal(v.literal);
        (void)reads_back_from_double(v.literal);
        for (int op = 0; op < 6; ++op) {
            (void)comparison_soql(kRowIdField, static_cast<CompareOp>(op), v);
            (void)comparison_soql("`date`", flipped(static_cast<CompareOp>(op)), v);
        }
    }
}

void split(std::string_view list) {
    for (const std::string &item : split_soql_list(list)) {
        FUZZ_CHECK(!item.empty() && item.front() != ' ' && item.back() != ' ',
                   "item: [" + item + "]");
    }
    (void)is_soql_keyword(list);
    (void)star_leaves_out(list);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
    fuzz::Input in(data, size);
    const std::uint8_t which = in.byte();
    switch (which % 7) {
    case 0:
        literal(in.rest());
        break;
    case 1:
        identifier(in.rest());
        break;
    case 2:
        query(in);
        break;
    case 3:
        conjunction(in);
        break;
    case 4:
        render(in);
        break;
    case 5:
        split(in.rest());
        break;
    case 6: {
        const std::string_view lit = in.rest();
        (void)reads_back_from_double(lit);
        (void)is_row_id_literal(lit);
        break;
    }
    }
    return 0;
}
