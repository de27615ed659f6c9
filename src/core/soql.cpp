#include "soql.hpp"

#include "error.hpp"

namespace socrata {

namespace {

bool is_plain_identifier(std::string_view s) {
    if (s.empty() || !((s[0] >= 'a' && s[0] <= 'z') || s[0] == '_'))
        return false;
    for (char c : s)
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
            return false;
    return true;
}

bool is_system_field(std::string_view s) {
    if (s.size() < 2 || s[0] != ':')
        return false;
    std::string_view rest = s.substr(1);
    if (rest.substr(0, 1) == "@")
        rest = rest.substr(1);
    return is_plain_identifier(rest);
}

// Parameters in a fixed order, skipping empty ones.
template <typename F> void for_each_parameter(const SoqlQuery &q, F &&emit) {
    std::string select;
    for (const auto &item : q.select)
        select += (select.empty() ? "" : ",") + item;
    if (!select.empty())
        emit("$select", select);
    if (!q.where.empty())
        emit("$where", q.where);
    if (!q.group.empty())
        emit("$group", q.group);
    if (!q.having.empty())
        emit("$having", q.having);
    if (!q.order.empty())
        emit("$order", q.order);
    if (q.limit)
        emit("$limit", std::to_string(*q.limit));
    if (q.offset > 0)
        emit("$offset", std::to_string(q.offset));
}

std::string trim_trailing_slashes(std::string_view base) {
    while (!base.empty() && base.back() == '/')
        base.remove_suffix(1);
    return std::string(base);
}

} // namespace

std::string quote_literal(std::string_view text) {
    std::string out = "'";
    for (char c : text) {
        if (c == '\0')
            throw Error(ErrorKind::Conversion, "a SoQL string literal cannot contain a NUL byte");
        out += c;
        if (c == '\'')
            out += '\'';
    }
    out += '\'';
    return out;
}

std::string quote_identifier(std::string_view field) {
    if (is_plain_identifier(field) || is_system_field(field))
        return std::string(field);
    std::string out = "`";
    for (char c : field) {
        if (c == '`')
            out += '`'; // a backtick inside a quoted identifier is doubled
        out += c;
    }
    out += '`';
    return out;
}

std::string percent_encode(std::string_view text) {
    static const char hex[] = "0123456789ABCDEF";
    std::string out;
    out.reserve(text.size() * 3 / 2);
    for (char ch : text) {
        auto c = static_cast<unsigned char>(ch);
        bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                          (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~';
        if (unreserved) {
            out += ch;
        } else {
            out += '%';
            out += hex[c >> 4];
            out += hex[c & 15];
        }
    }
    return out;
}

std::string SoqlQuery::to_query_string() const {
    std::string qs;
    for_each_parameter(*this, [&qs](const char *name, const std::string &value) {
        qs += (qs.empty() ? "" : "&") + std::string(name) + "=" + percent_encode(value);
    });
    return qs;
}

std::string describe_query(const SoqlQuery &query) {
    std::string text;
    for_each_parameter(query, [&text](const char *name, const std::string &value) {
        text += (text.empty() ? "" : "&") + std::string(name) + "=" + value;
    });
    return text;
}

std::string build_resource_url(std::string_view base_url, std::string_view dataset,
                               std::string_view format, const SoqlQuery &query) {
    std::string url = trim_trailing_slashes(base_url) + "/resource/" + std::string(dataset) +
                      "." + std::string(format);
    std::string qs = query.to_query_string();
    if (!qs.empty())
        url += "?" + qs;
    return url;
}

std::string build_metadata_url(std::string_view base_url, std::string_view dataset) {
    return trim_trailing_slashes(base_url) + "/api/views/" + std::string(dataset) + ".json";
}

} // namespace socrata
