#include "soql.hpp"

#include "ascii_case.hpp"
#include "error.hpp"
#include "option_values.hpp"
#include "percent_encoding.hpp"
#include "text_snippet.hpp"
#include "utf8_validator.hpp"

namespace socrata {

namespace {

// Reserved words of the SoQL lexer/parser (soql-reference's list, and a few more: backticks
// around a name that did not need them do no harm); a column with such a name must be backticked.
constexpr const char *kKeywords[] = {
    "select", "distinct", "except", "as",      "where",   "group",     "having", "order",
    "by",     "limit",    "offset", "search",  "from",    "join",      "on",     "inner",
    "outer",  "left",     "right",  "full",    "lateral", "asc",       "desc",   "first",
    "last",   "nulls",    "is",     "between", "in",      "like",      "and",    "or",
    "not",    "null",     "true",   "false",   "union",   "intersect", "minus",  "pivot",
    "all",    "case",     "when",   "then",    "else",    "end",       "filter",
};

bool is_lower_start(char c) {
    return (c >= 'a' && c <= 'z') || c == '_';
}
bool is_lower_part(char c) {
    return is_lower_start(c) || is_ascii_digit(c);
}
bool is_quotable_start(char c) {
    return is_ascii_letter(c) || c == '_' || c == '$' || c == '-';
}
bool is_quotable_part(char c) {
    return is_quotable_start(c) || is_ascii_digit(c);
}

[[noreturn]] void unquotable(std::string_view name, const char *why) {
    throw Error(ErrorKind::InvalidOption,
                "field name " + printable_snippet(name, 100) + " cannot be written in SoQL", why,
                "Set the column's column_name option to the dataset's API field name "
                "(lowercase letters, digits and '_'), as listed in /api/views/<id>.json.");
}

void add_param(std::string &qs, const char *name, std::string_view value) {
    if (!qs.empty())
        qs += '&';
    qs += name; // "$select" etc.: '$' is allowed in a query and is what Socrata documents
    qs += '=';
    append_percent_encoded(qs, value);
}

std::string trim_slashes(std::string_view base) {
    while (!base.empty() && base.back() == '/')
        base.remove_suffix(1);
    return std::string(base);
}

} // namespace

std::string quote_literal(std::string_view value) {
    Utf8Validator utf8;
    std::string out;
    out.reserve(value.size() + 2);
    out += '\'';
    for (std::size_t i = 0; i < value.size(); ++i) {
        const char c = value[i];
        if (c == '\0')
            throw Error(ErrorKind::Untranslatable, "a SoQL string literal cannot contain NUL",
                        "NUL at byte " + std::to_string(i) + " of the value.");
        if (!utf8.push(static_cast<unsigned char>(c)))
            throw Error(ErrorKind::Untranslatable, "a SoQL string literal must be valid UTF-8",
                        "Invalid byte at offset " + std::to_string(i) + " of the value.");
        if (c == '\'')
            out += '\'';
        out += c;
    }
    if (utf8.in_sequence())
        throw Error(ErrorKind::Untranslatable, "a SoQL string literal must be valid UTF-8",
                    "The value ends inside a multi-byte character.");
    out += '\'';
    return out;
}

bool is_soql_keyword(std::string_view word) noexcept {
    for (const char *k : kKeywords) {
        std::string_view kw(k);
        if (kw.size() != word.size())
            continue;
        bool same = true;
        for (std::size_t i = 0; i < kw.size() && same; ++i)
            same = ascii_lower(word[i]) == kw[i];
        if (same)
            return true;
    }
    return false;
}

std::string quote_identifier(std::string_view name) {
    if (name.empty())
        unquotable(name, "The name is empty.");
    if (name.front() == ':') {
        // System fields: ":id", ":created_at", ":@computed_region_abcd_1234".
        std::string_view body = name.substr(1);
        if (!body.empty() && body.front() == '@')
            body.remove_prefix(1);
        if (body.empty())
            unquotable(name, "A system field name needs characters after ':'.");
        bool plain = true;
        for (char c : body) {
            if (c == '-')
                plain = false;
            else if (!is_lower_part(c))
                unquotable(name, "System field names may contain only lowercase letters, "
                                 "digits, '_' and '-'.");
        }
        return plain ? std::string(name) : "`" + std::string(name) + "`";
    }
    bool plain = is_lower_start(name.front());
    for (char c : name)
        plain = plain && is_lower_part(c);
    if (plain && !is_soql_keyword(name))
        return std::string(name);
    if (!is_quotable_start(name.front()))
        unquotable(name, "SoQL identifiers cannot start with a digit or punctuation, even "
                         "in backticks.");
    for (char c : name)
        if (!is_quotable_part(c))
            unquotable(name, "SoQL has no escape for spaces, quotes, backticks or other "
                             "punctuation inside a quoted identifier; only letters, digits, "
                             "'_', '$' and '-' can be written.");
    return "`" + std::string(name) + "`";
}

bool BoundedConjunction::add(std::string_view condition) {
    constexpr std::string_view kJoiner = " AND ";
    const std::size_t added =
        percent_encoded_size(condition) + (text_.empty() ? 0 : percent_encoded_size(kJoiner));
    if (encoded_bytes_ + added > max_encoded_bytes_)
        return false;
    if (!text_.empty())
        text_ += kJoiner;
    text_ += condition;
    encoded_bytes_ += added;
    return true;
}

namespace {

std::size_t encoded_list_bytes(const std::vector<std::string> &items) {
    std::size_t bytes = items.empty() ? 0 : 3 * (items.size() - 1); // the commas, as "%2C"
    for (const auto &item : items)
        bytes += percent_encoded_size(item);
    return bytes;
}

} // namespace

bool star_leaves_out(std::string_view field) noexcept {
    return !field.empty() && field.front() == ':';
}

std::size_t encoded_shape_bytes(const std::vector<std::string> &select, std::string_view group,
                                std::string_view order) {
    return encoded_list_bytes(select) + percent_encoded_size(group) + percent_encoded_size(order);
}

std::vector<std::string> select_for_url(const std::vector<std::string> &items,
                                        bool star_returns_all) {
    if (!star_returns_all || encoded_list_bytes(items) <= kMaxSelectBytes)
        return items;
    // `*` first: the portal's parser takes star selections only at the start of the list
    // (`:id,*` is a 400, "Star selections must come at the start of the select-list").
    std::vector<std::string> select{"*"};
    for (const auto &item : items)
        if (star_leaves_out(item))
            select.push_back(item);
    return select;
}

std::vector<std::string> split_soql_list(std::string_view list) {
    std::vector<std::string> items;
    auto add = [&](std::string_view item) {
        const auto first = item.find_first_not_of(' ');
        if (first != std::string_view::npos)
            items.emplace_back(item.substr(first, item.find_last_not_of(' ') - first + 1));
    };
    int depth = 0;
    char quote = 0; // ' or ` while inside one (a doubled quote closes and reopens: no harm)
    std::size_t start = 0;
    for (std::size_t i = 0; i < list.size(); ++i) {
        const char c = list[i];
        if (quote) {
            if (c == quote)
                quote = 0;
        } else if (c == '\'' || c == '`') {
            quote = c;
        } else if (c == '(') {
            ++depth;
        } else if (c == ')') {
            --depth;
        } else if (c == ',' && depth == 0) {
            add(list.substr(start, i - start));
            start = i + 1;
        }
    }
    add(list.substr(start));
    return items;
}

std::string SoqlQuery::to_query_string() const {
    std::string qs;
    if (!select.empty()) {
        std::string joined;
        for (std::size_t i = 0; i < select.size(); ++i) {
            if (i != 0)
                joined += ',';
            joined += select[i];
        }
        add_param(qs, "$select", joined);
    }
    if (!where.empty())
        add_param(qs, "$where", where);
    if (!group.empty())
        add_param(qs, "$group", group);
    if (!having.empty())
        add_param(qs, "$having", having);
    if (!order.empty())
        add_param(qs, "$order", order);
    if (limit) {
        if (*limit < 0)
            throw Error(ErrorKind::Internal, "SoQL $limit must not be negative",
                        "$limit was " + std::to_string(*limit) + ".");
        add_param(qs, "$limit", std::to_string(*limit));
    }
    if (offset) {
        if (*offset < 0)
            throw Error(ErrorKind::Internal, "SoQL $offset must not be negative",
                        "$offset was " + std::to_string(*offset) + ".");
        add_param(qs, "$offset", std::to_string(*offset));
    }
    return qs;
}

std::string build_resource_url(std::string_view base_url, std::string_view dataset_id,
                               std::string_view format, const SoqlQuery &query) {
    validate_dataset_id("dataset", dataset_id);
    if (format != "json" && format != "csv")
        throw Error(ErrorKind::Internal,
                    "unsupported SODA response format " + printable_snippet(format, 20),
                    "Only json and csv are implemented.");
    std::string url =
        trim_slashes(base_url) + "/resource/" + std::string(dataset_id) + "." + std::string(format);
    const std::string qs = query.to_query_string();
    if (!qs.empty())
        url += "?" + qs;
    return url;
}

std::string build_metadata_url(std::string_view base_url, std::string_view dataset_id) {
    validate_dataset_id("dataset", dataset_id);
    return trim_slashes(base_url) + "/api/views/" + std::string(dataset_id) + ".json";
}

} // namespace socrata
