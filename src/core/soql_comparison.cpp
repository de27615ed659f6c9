#include "soql_comparison.hpp"

#include "ascii_case.hpp"
#include "error.hpp"
#include "soql.hpp"

#include <array>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <optional>
#include <string>
#include <utility>

namespace socrata {

namespace {

// A placeholder: kStart, the value's index, kField, the operator, kField, the column, kEnd.
// None of these bytes can appear in a quoted identifier, nor outside a string literal.
constexpr char kStart = '\x01';
constexpr char kField = '\x1f';
constexpr char kEnd = '\x02';

constexpr std::array<std::pair<CompareOp, std::string_view>, 6> kSpellings{{
    {CompareOp::Eq, "="},
    {CompareOp::Ne, "!="},
    {CompareOp::Lt, "<"},
    {CompareOp::Le, "<="},
    {CompareOp::Gt, ">"},
    {CompareOp::Ge, ">="},
}};

// A decimal number as its sign, significant digits (no leading or trailing zeros) and the
// power of ten of the first digit; nullopt for anything else. "-0.0500" is {true, "5", -2}.
struct Decimal {
    bool negative = false;
    std::string digits;
    long exponent = 0;
    bool operator==(const Decimal &o) const {
        return negative == o.negative && digits == o.digits && exponent == o.exponent;
    }
};

std::optional<Decimal> parse_decimal(std::string_view text) {
    Decimal d;
    std::size_t i = 0;
    if (i < text.size() && (text[i] == '-' || text[i] == '+'))
        d.negative = text[i++] == '-';
    long point = -1; // digits before the decimal point
    long seen = 0;
    for (; i < text.size(); ++i) {
        char c = text[i];
        if (c == '.' && point < 0) {
            point = seen;
        } else if (is_ascii_digit(c)) {
            d.digits += c;
            ++seen;
        } else {
            break;
        }
    }
    if (seen == 0)
        return std::nullopt;
    if (point < 0)
        point = seen;
    long exp10 = 0;
    if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
        std::string_view rest = text.substr(i + 1);
        if (rest.size() > 1 && rest[0] == '+' && rest[1] != '-')
            rest.remove_prefix(1);
        auto [end, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), exp10);
        // (Far past any double: the sum below must not overflow.)
        if (ec != std::errc() || end != rest.data() + rest.size() || exp10 > 100000 ||
            exp10 < -100000)
            return std::nullopt;
    } else if (i != text.size()) {
        return std::nullopt;
    }
    std::size_t first = d.digits.find_first_not_of('0');
    if (first == std::string::npos)
        return Decimal{}; // zero, whatever its sign
    std::size_t last = d.digits.find_last_not_of('0');
    d.exponent = point - 1 - static_cast<long>(first) + exp10;
    d.digits = d.digits.substr(first, last - first + 1);
    return d;
}

[[noreturn]] void malformed(std::string_view planned) {
    throw Error(ErrorKind::Internal, "malformed runtime comparison in a planned $where",
                "The plan holds " + std::to_string(planned.size()) + " bytes of $where.");
}

CompareOp op_from_spelling(std::string_view text, std::string_view planned) {
    for (const auto &[op, spelling] : kSpellings)
        if (spelling == text)
            return op;
    malformed(planned);
}

// Whether `column op value` holds for every non-null value of the column.
bool holds_for_all(CompareOp op, ComparedValue::Kind kind) {
    bool above = kind == ComparedValue::Kind::AboveAll;
    switch (op) {
    case CompareOp::Ne:
        return true;
    case CompareOp::Eq:
        return false;
    case CompareOp::Lt:
    case CompareOp::Le:
        return above;
    case CompareOp::Gt:
    case CompareOp::Ge:
        return !above;
    }
    return false;
}

// The position of the quote closing the string literal that opens at `open` ('' is a quote
// inside it).
std::size_t literal_end(std::string_view planned, std::size_t open) {
    for (std::size_t at = open + 1; at < planned.size(); ++at) {
        if (planned[at] != '\'')
            continue;
        if (at + 1 < planned.size() && planned[at + 1] == '\'')
            ++at; // a doubled quote
        else
            return at;
    }
    malformed(planned);
}

// Appends the comparison of the placeholder starting at `start`; returns its last position.
std::size_t render_placeholder(std::string_view planned, std::size_t start,
                               const std::vector<ComparedValue> &values, std::string &out) {
    std::size_t op_at = planned.find(kField, start);
    std::size_t column_at =
        op_at == std::string_view::npos ? op_at : planned.find(kField, op_at + 1);
    std::size_t end =
        column_at == std::string_view::npos ? column_at : planned.find(kEnd, column_at);
    if (end == std::string_view::npos || op_at == start + 1)
        malformed(planned);
    std::size_t index = 0;
    for (char digit : planned.substr(start + 1, op_at - start - 1)) {
        if (digit < '0' || digit > '9')
            malformed(planned);
        index = index * 10 + static_cast<std::size_t>(digit - '0');
    }
    if (index >= values.size())
        malformed(planned);
    CompareOp op = op_from_spelling(planned.substr(op_at + 1, column_at - op_at - 1), planned);
    out += comparison_soql(planned.substr(column_at + 1, end - column_at - 1), op, values[index]);
    return end;
}

} // namespace

std::string_view soql_spelling(CompareOp op) noexcept {
    for (const auto &[candidate, spelling] : kSpellings)
        if (candidate == op)
            return spelling;
    return "=";
}

CompareOp flipped(CompareOp op) noexcept {
    switch (op) {
    case CompareOp::Lt:
        return CompareOp::Gt;
    case CompareOp::Le:
        return CompareOp::Ge;
    case CompareOp::Gt:
        return CompareOp::Lt;
    case CompareOp::Ge:
        return CompareOp::Le;
    default:
        return op;
    }
}

bool is_row_id_literal(std::string_view literal) noexcept {
    if (literal == "null")
        return true;
    constexpr std::string_view kPrefix = "'row-";
    constexpr std::string_view kAlphabet = "23456789abcdefghijkmnpqrstuvwxyz";
    constexpr std::string_view kJoiners = "-._~";
    if (literal.size() != kPrefix.size() + 14 + 1 || literal.substr(0, kPrefix.size()) != kPrefix ||
        literal.back() != '\'')
        return false;
    std::string_view id = literal.substr(kPrefix.size(), 14);
    for (std::size_t i = 0; i < id.size(); ++i) {
        std::string_view allowed = (i == 4 || i == 9) ? kJoiners : kAlphabet;
        if (allowed.find(id[i]) == std::string_view::npos)
            return false;
    }
    return true;
}

bool reads_back_from_double(std::string_view literal) noexcept {
    if (literal == "null")
        return true;
    try {
        std::optional<Decimal> given = parse_decimal(literal);
        if (!given)
            return false;
        double d = std::strtod(std::string(literal).c_str(), nullptr);
        if (!std::isfinite(d))
            return false;
        // Scientific: in fixed notation to_chars writes a large whole double's exact digits
        // (2^55 as 36028797018963968), not its shortest ones (3.602879701896397e16).
        char shortest[64];
        auto [end, ec] =
            std::to_chars(shortest, shortest + sizeof shortest, d, std::chars_format::scientific);
        if (ec != std::errc())
            return false;
        return parse_decimal(std::string_view(shortest, std::size_t(end - shortest))) == given;
    } catch (...) { // std::string's allocation
        return false;
    }
}

std::string always_soql(std::string_view column, bool holds) {
    std::string col(column);
    return "(" + col + (holds ? " = " : " != ") + col + ")";
}

std::string comparison_soql(std::string_view column, CompareOp op, const ComparedValue &value) {
    std::string col(column);
    auto always = [&](bool holds) { return always_soql(column, holds); };
    auto plain = [&](CompareOp o) {
        return "(" + col + " " + std::string(soql_spelling(o)) + " " + value.literal + ")";
    };
    // Only = and != are sent for :id (its order is not that of its text).
    if (column == kRowIdField && value.kind == ComparedValue::Kind::Exact &&
        (op == CompareOp::Eq || op == CompareOp::Ne) && !is_row_id_literal(value.literal))
        return always(op == CompareOp::Ne);
    switch (value.kind) {
    case ComparedValue::Kind::Exact:
        return plain(op);
    case ComparedValue::Kind::Between:
        // No value of the column lies strictly between `literal` and the next one it can hold.
        switch (op) {
        case CompareOp::Eq:
            return always(false);
        case CompareOp::Ne:
            return always(true);
        case CompareOp::Lt:
        case CompareOp::Le:
            return plain(CompareOp::Le);
        case CompareOp::Gt:
        case CompareOp::Ge:
            return plain(CompareOp::Gt);
        }
        break;
    case ComparedValue::Kind::AboveAll:
    case ComparedValue::Kind::BelowAll:
        return always(holds_for_all(op, value.kind));
    }
    return plain(op);
}

std::string runtime_comparison(std::size_t index, std::string_view column, CompareOp op) {
    std::string out(1, kStart);
    out += std::to_string(index);
    out += kField;
    out += soql_spelling(op);
    out += kField;
    out += column;
    out += kEnd;
    return out;
}

std::string render_where(std::string_view planned, const std::vector<ComparedValue> &values) {
    std::string out;
    out.reserve(planned.size());
    for (std::size_t i = 0; i < planned.size(); ++i) {
        if (planned[i] == '\'') {
            std::size_t close = literal_end(planned, i);
            out.append(planned.substr(i, close - i + 1));
            i = close;
        } else if (planned[i] == kStart) {
            i = render_placeholder(planned, i, values, out);
        } else {
            out += planned[i];
        }
    }
    return out;
}

} // namespace socrata
