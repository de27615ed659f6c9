#include "json_row_decoder.hpp"

#include "byte_scan.hpp"
#include "decoder_support.hpp"
#include "error.hpp"
#include "fast_values.hpp"
#include "text_snippet.hpp"

#include <algorithm>
#include <cstring>

namespace socrata {

namespace {

inline bool is_ws(char c) {
    // One compare for the bytes that follow most tokens (none of them blank).
    return static_cast<unsigned char>(c) <= ' ' &&
           (c == ' ' || c == '\n' || c == '\r' || c == '\t');
}

inline const char *skip_ws(const char *p, const char *end) {
    while (p < end && is_ws(*p))
        ++p;
    return p;
}

inline int hex_value(unsigned char c) {
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

inline bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

constexpr const char kTrue[] = "true";
constexpr const char kFalse[] = "false";
constexpr const char kNull[] = "null";

} // namespace

JsonRowDecoder::JsonRowDecoder(const std::vector<std::string> &slot_fields, RowCallback on_row,
                               std::string source, DecoderLimits limits)
    : fields_(slot_fields), on_row_(std::move(on_row)), source_(std::move(source)),
      limits_(limits) {
    refs_.resize(fields_.field_count(), FieldRef{ValueKind::Null, 0, 0});
    slot_values_.resize(fields_.slot_count());
    next_key_.assign(fields_.field_count() + 2, FieldSlotMap::kNotWanted);
    stack_.reserve(std::size_t(std::max(limits_.max_depth, 2)));
}

// The state steps below each read from p (p < end) what their state expects and return where
// the next step begins. feed() runs one or more per value, so they are forced inline: the calls
// would cost more than the short steps (a ',', a ':') themselves.

[[gnu::always_inline]] inline const char *JsonRowDecoder::on_array_first(const char *p,
                                                                         const char *end) {
    p = skip_ws(p, end);
    if (p == end)
        return p;
    if (*p == ']') {
        close_container(p, 'a');
        return p + 1;
    }
    return begin_value(p, end);
}

[[gnu::always_inline]] inline const char *JsonRowDecoder::on_object_first(const char *p,
                                                                          const char *end) {
    p = skip_ws(p, end);
    if (p == end)
        return p;
    if (*p == '"')
        return begin_key(p, end);
    if (*p != '}')
        fail(p, "expected a field name or '}'");
    close_container(p, 'o');
    return p + 1;
}

[[gnu::always_inline]] inline const char *JsonRowDecoder::on_object_key(const char *p,
                                                                        const char *end) {
    p = skip_ws(p, end);
    if (p == end)
        return p;
    if (*p != '"')
        fail(p, "expected a field name after ','");
    return begin_key(p, end);
}

[[gnu::always_inline]] inline const char *JsonRowDecoder::on_colon(const char *p, const char *end) {
    p = skip_ws(p, end);
    if (p == end)
        return p;
    if (*p != ':')
        fail(p, "expected ':' after a field name");
    if (capturing())
        append_raw(p, 1);
    ++p;
    state_ = State::Value;
    // The value usually follows at once: skip a trip through feed()'s switch.
    p = skip_ws(p, end);
    if (p != end)
        p = begin_value(p, end);
    return p;
}

[[gnu::always_inline]] inline const char *JsonRowDecoder::on_after_value(const char *p,
                                                                         const char *end) {
    p = skip_ws(p, end);
    if (p == end)
        return p;
    if (*p == ',') {
        if (capturing())
            append_raw(p, 1);
        ++p;
        if (stack_.back() != 'o') {
            state_ = State::Value;
            return p;
        }
        state_ = State::ObjectKey;
        // The key usually follows at once: skip a trip through feed()'s switch.
        p = skip_ws(p, end);
        if (p != end && *p == '"')
            p = begin_key(p, end);
        return p;
    }
    if (*p == '}' && stack_.back() == 'o') {
        close_container(p, 'o');
        return p + 1;
    }
    if (*p == ']' && stack_.back() == 'a') {
        close_container(p, 'a');
        return p + 1;
    }
    fail(p, stack_.back() == 'o' ? "expected ',' or '}' after a value"
                                 : "expected ',' or ']' after a value");
}

[[gnu::always_inline]] inline const char *JsonRowDecoder::on_number(const char *p,
                                                                    const char *end) {
    bool done = false;
    p = scan_number(p, end, done);
    if (done) {
        if (!capturing() && stack_.size() == 2 && cur_field_ >= 0)
            end_field_value(ValueKind::Number, p);
        state_ = State::AfterValue;
    }
    return p;
}

void JsonRowDecoder::feed(const char *data, std::size_t size) {
    if (failed_)
        throw_used_after_error("JSON");
    chunk_ = data;
    chunk_end_ = data + size;
    const char *p = data;
    const char *const end = data + size;
    try {
        while (p < end) {
            switch (state_) {
            case State::BodyStart:
                p = on_body_start(p, end);
                break;
            case State::ErrorObject:
                error_body_.append(p, std::size_t(end - p));
                p = end;
                break;
            case State::ArrayFirst:
                p = on_array_first(p, end);
                break;
            case State::Value:
                p = skip_ws(p, end);
                if (p != end)
                    p = begin_value(p, end);
                break;
            case State::ObjectFirst:
                p = on_object_first(p, end);
                break;
            case State::ObjectKey:
                p = on_object_key(p, end);
                break;
            case State::Colon:
                p = on_colon(p, end);
                break;
            case State::AfterValue:
                p = on_after_value(p, end);
                break;
            case State::String: {
                bool done = false;
                p = scan_string(p, end, done);
                if (done)
                    finish_string(p);
                break;
            }
            case State::Number:
                p = on_number(p, end);
                break;
            case State::Literal: {
                bool done = false;
                p = scan_literal(p, end, done);
                if (done)
                    finish_literal(p);
                break;
            }
            case State::Done:
                p = skip_ws(p, end);
                if (p != end)
                    fail(p, "unexpected data after the end of the row array");
                break;
            }
        }
    } catch (...) {
        failed_ = true;
        throw;
    }
    consumed_ += size;
}

void JsonRowDecoder::finish() {
    if (failed_)
        throw_used_after_error("JSON");
    failed_ = true; // whatever happens below, the decoder is finished
    switch (state_) {
    case State::Done:
        failed_ = false;
        return;
    case State::BodyStart:
        throw Error(ErrorKind::BadResponse, "empty response body: expected a JSON array of rows",
                    response_from(source_));
    case State::ErrorObject:
        throw error_body_.to_error("rows", source_);
    default:
        break;
    }
    std::string where = stack_.size() >= 2
                            ? "inside row " + std::to_string(rows_ + 1)
                            : "after " + std::to_string(rows_) + " rows, before the closing ']'";
    throw Error(ErrorKind::BadResponse,
                "truncated response body: it ended at byte offset " + std::to_string(consumed_) +
                    " " + where,
                response_from(source_), kCutShortHint);
}

const char *JsonRowDecoder::on_body_start(const char *p, const char *end) {
    p = skip_ws(p, end);
    if (p == end)
        return p;
    if (*p == '[') {
        stack_.push_back('a');
        state_ = State::ArrayFirst;
        return p + 1;
    }
    if (*p == '{') {
        state_ = State::ErrorObject; // collected whole, reported by finish()
        return p;
    }
    fail(p, "expected '[' at the start of the response body");
}

const char *JsonRowDecoder::begin_value(const char *p, const char *end) {
    const std::size_t depth = stack_.size();
    const char c = *p;
    if (depth == 1) {
        if (c != '{')
            fail(p, "expected '{' to start row " + std::to_string(rows_ + 1));
        row_offset_ = consumed_ + std::uint64_t(p - chunk_);
        start_row();
        if (fast_path_ && (plain_misses_ < kPlainMissesToPause || rows_ % kPlainRetryEvery == 0)) {
            ++plain_tries_;
            if (const char *after = decode_plain_row(p + 1, end)) {
                plain_misses_ = 0;
                return after;
            }
            ++plain_misses_;
            start_row(); // what the fast path read is read again, byte by byte
        }
        open_container(p, 'o');
        return p + 1;
    }
    const bool field_value = depth == 2 && cur_field_ >= 0; // a wanted value starts here
    if (field_value)
        value_start_ = row_buf_.size();
    switch (c) {
    case '"': {
        if (!capturing()) {
            // Fast path: the whole string is in this chunk and has no escapes or non-ASCII.
            const char *q = find_json_string_special(p + 1, end);
            if (q < end && *q == '"') {
                if (field_value) {
                    if (std::size_t(q - p - 1) > limits_.max_value_bytes)
                        fail_too_large(p, "value", limits_.max_value_bytes);
                    row_buf_.append(p + 1, std::size_t(q - p - 1));
                    end_field_value(ValueKind::String, q + 1);
                }
                state_ = State::AfterValue;
                return q + 1;
            }
        }
        if (field_value) {
            begin_string(StrMode::Unescape, &row_buf_, false);
        } else if (capturing()) {
            begin_string(StrMode::Verbatim, &row_buf_, false);
            append_raw(p, 1);
        } else {
            begin_string(StrMode::Skip, nullptr, false);
        }
        bool done = false;
        const char *q = scan_string(p + 1, end, done);
        if (done)
            finish_string(q);
        return q;
    }
    case '{':
        // The point's object and array would sit at depth + 1 and + 2: within the limit, as
        // open_container would check on the slow path (review helper-84).
        if (field_value && !capturing() && depth + 2 <= std::size_t(limits_.max_depth)) {
            // Fast path: the portal's compact GeoJSON point (a `point` field), whole in this
            // chunk, is already the compact text a captured value becomes: copy it at once.
            const std::size_t n = compact_geojson_point_length(p, end);
            if (n != 0 && n <= limits_.max_value_bytes) {
                row_buf_.append(p, n);
                end_field_value(ValueKind::Object, p + n);
                state_ = State::AfterValue;
                return p + n;
            }
        }
        [[fallthrough]];
    case '[':
        if (field_value)
            capture_depth_ = depth + 1;
        open_container(p, c == '{' ? 'o' : 'a');
        return p + 1;
    case 't':
    case 'f':
    case 'n':
        literal_ = c == 't' ? kTrue : c == 'f' ? kFalse : kNull;
        // Fast path: the whole literal is in this chunk (two booleans in every crimes row):
        // matched at once, then finished as the byte-by-byte path finishes it.
        if (const std::size_t n = literal_length();
            std::size_t(end - p) >= n && same_bytes(p, literal_, n)) {
            finish_literal(p + n);
            return p + n;
        }
        literal_pos_ = 1;
        state_ = State::Literal;
        return p + 1;
    default:
        if (c == '-' || is_digit(c)) {
            num_step_ = c == '-' ? NumStep::Minus : c == '0' ? NumStep::Zero : NumStep::Int;
            if (field_value || capturing())
                append_raw(p, 1);
            state_ = State::Number;
            return p + 1;
        }
        fail(p, "expected a value");
    }
}

void JsonRowDecoder::start_row() {
    row_buf_.clear();
    for (FieldRef &r : refs_)
        r.kind = ValueKind::Null;
    cur_field_ = FieldSlotMap::kNotWanted;
    prev_key_ = kRowStart;
}

[[gnu::always_inline]] inline const char *
JsonRowDecoder::match_plain_key(const char *s, const char *end, int &field) {
    // Rows send their keys in the same order (a null value's key is left out): first try the
    // key that followed the previous one last time, one compare instead of a scan for the
    // closing quote, a hash and a probe.
    // After an unwanted key nothing is guessed: unwanted keys vary, and a wrong guess costs.
    const std::size_t after = std::size_t(prev_key_ + 2);
    const int guess = prev_key_ == FieldSlotMap::kNotWanted ? -1 : next_key_[after];
    if (guess >= 0) {
        const std::string &name = fields_.field_name(guess);
        if (std::size_t(end - s) > name.size() && s[name.size()] == '"' &&
            same_bytes(s, name.data(), name.size())) {
            field = guess;
            return s + name.size();
        }
    }
    const char *q = find_json_string_special(s, end);
    if (q == end || *q != '"')
        return nullptr;
    field = fields_.find(s, std::size_t(q - s));
    // Only a key matched here is guessed: its name is on the wire as it is (no escapes,
    // ASCII), so a raw compare is an exact one.
    if (field >= 0 && prev_key_ != FieldSlotMap::kNotWanted)
        next_key_[after] = field;
    return q;
}

[[gnu::always_inline]] inline void JsonRowDecoder::keep_plain_value(int field, ValueKind kind,
                                                                    const char *p, std::size_t n) {
    FieldRef &r = refs_[std::size_t(field)];
    r.kind = kind;
    r.offset = row_buf_.size();
    r.length = n;
    row_buf_.append(p, n);
    row_buf_.push_back('\0');
}

const char *JsonRowDecoder::decode_plain_row(const char *p, const char *end) {
    // The row's members sit at depth 2, a point's array at depth 4: the slow path's checks.
    if (limits_.max_depth < 4)
        return nullptr;
    p = skip_ws(p, end);
    if (p == end)
        return nullptr;
    if (*p != '}') {
        for (;;) {
            if (*p != '"')
                return nullptr;
            int field = FieldSlotMap::kNotWanted;
            const char *q = match_plain_key(p + 1, end, field);
            if (q == nullptr || std::size_t(q - p - 1) > limits_.max_value_bytes)
                return nullptr;
            prev_key_ = field;
            p = skip_ws(q + 1, end);
            if (p == end || *p != ':')
                return nullptr;
            p = skip_ws(p + 1, end);
            if (p == end)
                return nullptr;
            const bool wanted = field >= 0;
            switch (*p) {
            case '"': {
                q = find_json_string_special(p + 1, end);
                if (q == end || *q != '"')
                    return nullptr;
                const std::size_t n = std::size_t(q - p - 1);
                if (wanted) {
                    if (n > limits_.max_value_bytes)
                        return nullptr;
                    keep_plain_value(field, ValueKind::String, p + 1, n);
                }
                p = q + 1;
                break;
            }
            case 't':
            case 'f':
            case 'n': {
                const char *literal = *p == 't' ? kTrue : *p == 'f' ? kFalse : kNull;
                const std::size_t n = *p == 'f' ? 5 : 4;
                if (std::size_t(end - p) < n || !same_bytes(p, literal, n))
                    return nullptr;
                if (wanted && n > limits_.max_value_bytes)
                    return nullptr;
                if (wanted) {
                    if (literal == kNull)
                        refs_[std::size_t(field)].kind = ValueKind::Null;
                    else
                        keep_plain_value(field, ValueKind::Bool, literal, n);
                }
                p += n;
                break;
            }
            case '{': {
                // Only the portal's compact GeoJSON point, wanted; any other object is read
                // by the slow path.
                const std::size_t n = wanted ? compact_geojson_point_length(p, end) : 0;
                if (n == 0 || n > limits_.max_value_bytes)
                    return nullptr;
                keep_plain_value(field, ValueKind::Object, p, n);
                p += n;
                break;
            }
            default: {
                // A plain number; an exponent, or anything JSON rejects, is left to the slow
                // path.
                const std::size_t n = plain_json_number_length(p, end);
                if (n == 0 || (wanted && n > limits_.max_value_bytes))
                    return nullptr;
                if (wanted)
                    keep_plain_value(field, ValueKind::Number, p, n);
                p += n;
                break;
            }
            }
            if (row_buf_.size() > limits_.max_row_bytes)
                return nullptr;
            p = skip_ws(p, end);
            if (p == end)
                return nullptr;
            if (*p == '}')
                break;
            if (*p != ',')
                return nullptr;
            p = skip_ws(p + 1, end);
            if (p == end)
                return nullptr;
        }
    }
    state_ = State::AfterValue;
    ++plain_rows_;
    emit_row();
    return p + 1;
}

const char *JsonRowDecoder::begin_key(const char *p, const char *end) {
    if (stack_.size() == 2) {
        const char *s = p + 1;
        int field = FieldSlotMap::kNotWanted;
        const char *q = match_plain_key(s, end, field);
        if (q != nullptr && std::size_t(q - s) > limits_.max_value_bytes)
            // Limited like a name that arrives in pieces (append_str), though nothing is
            // copied; the error names the field before it, as it does then.
            fail_too_large(p, "field name", limits_.max_value_bytes);
        if (q != nullptr) {
            cur_field_ = field;
            prev_key_ = cur_field_;
            state_ = State::Colon;
            // The colon and value usually follow at once: skip a trip through the switch.
            q = skip_ws(q + 1, end);
            if (q != end && *q == ':') {
                ++q;
                state_ = State::Value;
                q = skip_ws(q, end);
                if (q != end)
                    q = begin_value(q, end);
            }
            return q;
        }
        prev_key_ = FieldSlotMap::kNotWanted; // no guess for the key after this one
        key_buf_.clear();
        begin_string(StrMode::Unescape, &key_buf_, true);
    } else if (capturing()) {
        begin_string(StrMode::Verbatim, &row_buf_, true);
        append_raw(p, 1);
    } else {
        begin_string(StrMode::Skip, nullptr, true);
    }
    return p + 1;
}

void JsonRowDecoder::begin_string(StrMode mode, ByteBuffer *out, bool is_key) {
    state_ = State::String;
    str_step_ = StrStep::Plain;
    str_mode_ = mode;
    str_out_ = out;
    str_is_key_ = is_key;
    // Raw values are limited as a whole, so their strings count from the raw value's start.
    str_base_ = out == nullptr ? 0 : (mode == StrMode::Verbatim ? value_start_ : out->size());
    utf8_.reset();
}

const char *JsonRowDecoder::scan_string(const char *p, const char *end, bool &done) {
    for (;;) {
        if (str_step_ != StrStep::Plain) {
            p = scan_escape(p, end);
            if (str_step_ != StrStep::Plain)
                return p; // chunk ended inside the escape
            continue;
        }
        if (utf8_.in_sequence()) {
            if (p == end)
                return p;
            if (!utf8_.push(static_cast<unsigned char>(*p)))
                fail(p, "invalid UTF-8 in string");
            append_str(p, 1);
            ++p;
            continue;
        }
        const char *s = p;
        p = find_json_string_special(p, end);
        if (p != s)
            append_str(s, std::size_t(p - s));
        if (p == end)
            return p;
        const unsigned char c = static_cast<unsigned char>(*p);
        if (c == '"') {
            if (str_mode_ == StrMode::Verbatim)
                append_str(p, 1);
            done = true;
            return p + 1;
        }
        if (c == '\\') {
            if (str_mode_ == StrMode::Verbatim)
                append_str(p, 1);
            str_step_ = StrStep::Escape;
            ++p;
            continue;
        }
        if (c >= 0x80) {
            if (!utf8_.push(c))
                fail(p, "invalid UTF-8 in string");
            append_str(p, 1);
            ++p;
            continue;
        }
        fail(p, "unescaped control character in string");
    }
}

const char *JsonRowDecoder::scan_escape(const char *p, const char *end) {
    while (p < end && str_step_ != StrStep::Plain) {
        const unsigned char c = static_cast<unsigned char>(*p);
        switch (str_step_) {
        case StrStep::Escape: {
            char out;
            switch (c) {
            case '"':
            case '\\':
            case '/':
                out = char(c);
                break;
            case 'b':
                out = '\b';
                break;
            case 'f':
                out = '\f';
                break;
            case 'n':
                out = '\n';
                break;
            case 'r':
                out = '\r';
                break;
            case 't':
                out = '\t';
                break;
            case 'u':
                if (str_mode_ == StrMode::Verbatim)
                    append_str(p, 1);
                str_step_ = StrStep::Hex;
                hex_ = 0;
                hex_digits_ = 0;
                ++p;
                continue;
            default:
                fail(p, "invalid escape sequence in string");
            }
            if (str_mode_ == StrMode::Unescape)
                append_str(&out, 1, p);
            else if (str_mode_ == StrMode::Verbatim)
                append_str(p, 1);
            str_step_ = StrStep::Plain;
            ++p;
            break;
        }
        case StrStep::Hex:
        case StrStep::LowHex: {
            const int d = hex_value(c);
            if (d < 0)
                fail(p, "expected four hex digits after \\u");
            if (str_mode_ == StrMode::Verbatim)
                append_str(p, 1);
            hex_ = hex_ * 16 + std::uint32_t(d);
            ++p;
            if (++hex_digits_ < 4)
                break;
            if (str_step_ == StrStep::Hex) {
                if (hex_ >= 0xD800 && hex_ <= 0xDBFF) {
                    high_surrogate_ = hex_;
                    str_step_ = StrStep::LowBackslash;
                } else if (hex_ >= 0xDC00 && hex_ <= 0xDFFF) {
                    fail(p - 1, "unpaired UTF-16 low surrogate in \\u escape");
                } else {
                    append_code_point(hex_, p - 1);
                    str_step_ = StrStep::Plain;
                }
            } else {
                if (hex_ < 0xDC00 || hex_ > 0xDFFF)
                    fail(p - 1, "UTF-16 high surrogate not followed by a low surrogate");
                append_code_point(0x10000 + ((high_surrogate_ - 0xD800) << 10) + (hex_ - 0xDC00),
                                  p - 1);
                str_step_ = StrStep::Plain;
            }
            break;
        }
        case StrStep::LowBackslash:
        case StrStep::LowU:
            if (c != (str_step_ == StrStep::LowBackslash ? '\\' : 'u'))
                fail(p, "UTF-16 high surrogate not followed by a low surrogate");
            if (str_mode_ == StrMode::Verbatim)
                append_str(p, 1);
            if (str_step_ == StrStep::LowU) {
                hex_ = 0;
                hex_digits_ = 0;
                str_step_ = StrStep::LowHex;
            } else {
                str_step_ = StrStep::LowU;
            }
            ++p;
            break;
        case StrStep::Plain:
            break;
        }
    }
    return p;
}

void JsonRowDecoder::append_code_point(std::uint32_t cp, const char *p) {
    if (str_mode_ != StrMode::Unescape)
        return;
    if (cp == 0 && !str_is_key_) {
        // Postgres text cannot hold NUL; refusing is what Postgres' own json->text does.
        failed_ = true;
        throw Error(ErrorKind::Untranslatable,
                    "string value contains \\u0000, which PostgreSQL text cannot store",
                    position_detail(p));
    }
    char buf[4];
    std::size_t n;
    if (cp < 0x80) {
        buf[0] = char(cp);
        n = 1;
    } else if (cp < 0x800) {
        buf[0] = char(0xC0 | (cp >> 6));
        buf[1] = char(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        buf[0] = char(0xE0 | (cp >> 12));
        buf[1] = char(0x80 | ((cp >> 6) & 0x3F));
        buf[2] = char(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        buf[0] = char(0xF0 | (cp >> 18));
        buf[1] = char(0x80 | ((cp >> 12) & 0x3F));
        buf[2] = char(0x80 | ((cp >> 6) & 0x3F));
        buf[3] = char(0x80 | (cp & 0x3F));
        n = 4;
    }
    append_str(buf, n, p);
}

void JsonRowDecoder::finish_string(const char *end) {
    state_ = State::AfterValue;
    if (str_is_key_) {
        state_ = State::Colon;
        if (stack_.size() == 2)
            cur_field_ = fields_.find(key_buf_.data(), key_buf_.size());
        return;
    }
    if (stack_.size() == 2 && cur_field_ >= 0)
        end_field_value(ValueKind::String, end);
}

const char *JsonRowDecoder::scan_number(const char *p, const char *end, bool &done) {
    const char *s = p;
    for (; p < end; ++p) {
        const char c = *p;
        switch (num_step_) {
        case NumStep::Minus:
            if (c == '0')
                num_step_ = NumStep::Zero;
            else if (is_digit(c))
                num_step_ = NumStep::Int;
            else
                fail(p, "expected a digit after '-' in number");
            continue;
        case NumStep::Zero:
            if (c == '.')
                num_step_ = NumStep::Dot;
            else if (c == 'e' || c == 'E')
                num_step_ = NumStep::E;
            else if (is_digit(c))
                fail(p, "leading zero in number");
            else
                goto finished;
            continue;
        case NumStep::Int:
            if (is_digit(c))
                continue;
            if (c == '.')
                num_step_ = NumStep::Dot;
            else if (c == 'e' || c == 'E')
                num_step_ = NumStep::E;
            else
                goto finished;
            continue;
        case NumStep::Dot:
            if (!is_digit(c))
                fail(p, "expected a digit after '.' in number");
            num_step_ = NumStep::Frac;
            continue;
        case NumStep::Frac:
            if (is_digit(c))
                continue;
            if (c == 'e' || c == 'E')
                num_step_ = NumStep::E;
            else
                goto finished;
            continue;
        case NumStep::E:
            if (c == '+' || c == '-')
                num_step_ = NumStep::ESign;
            else if (is_digit(c))
                num_step_ = NumStep::Exp;
            else
                fail(p, "expected a digit in number exponent");
            continue;
        case NumStep::ESign:
            if (!is_digit(c))
                fail(p, "expected a digit in number exponent");
            num_step_ = NumStep::Exp;
            continue;
        case NumStep::Exp:
            if (is_digit(c))
                continue;
            goto finished;
        }
    }
    if (capturing() || (stack_.size() == 2 && cur_field_ >= 0))
        append_raw(s, std::size_t(p - s));
    return p;
finished:
    if (capturing() || (stack_.size() == 2 && cur_field_ >= 0))
        append_raw(s, std::size_t(p - s));
    done = true;
    return p; // the delimiter is left for AfterValue
}

const char *JsonRowDecoder::scan_literal(const char *p, const char *end, bool &done) {
    while (p < end && literal_[literal_pos_] != '\0') {
        if (*p != literal_[literal_pos_])
            fail(p, std::string("invalid literal: expected '") + literal_ + "'");
        ++p;
        ++literal_pos_;
    }
    done = literal_[literal_pos_] == '\0';
    return p;
}

void JsonRowDecoder::finish_literal(const char *end) {
    state_ = State::AfterValue;
    const std::size_t len = literal_length();
    // The bytes appended are the literal's spelling, not the body's; a size error points at its
    // first byte in this chunk (its start, or this chunk's if it began in an earlier one).
    const char *at = std::size_t(end - chunk_) >= len ? end - len : chunk_;
    if (capturing()) {
        append_raw(literal_, len, at);
    } else if (stack_.size() == 2 && cur_field_ >= 0) {
        if (literal_ == kNull) {
            refs_[std::size_t(cur_field_)].kind = ValueKind::Null;
        } else {
            append_raw(literal_, len, at);
            end_field_value(ValueKind::Bool, end);
        }
    }
}

void JsonRowDecoder::open_container(const char *p, char type) {
    if (stack_.size() >= std::size_t(limits_.max_depth))
        fail(p, "JSON nested deeper than " + std::to_string(limits_.max_depth) + " levels");
    if (capturing())
        append_raw(p, 1);
    stack_.push_back(type);
    state_ = type == 'o' ? State::ObjectFirst : State::ArrayFirst;
}

void JsonRowDecoder::close_container(const char *p, char type) {
    if (capturing())
        append_raw(p, 1);
    const std::size_t depth = stack_.size();
    stack_.pop_back();
    state_ = State::AfterValue;
    if (depth == capture_depth_) {
        capture_depth_ = 0;
        end_field_value(type == 'o' ? ValueKind::Object : ValueKind::Array, p + 1);
    } else if (depth == 2) {
        emit_row();
    } else if (depth == 1) {
        state_ = State::Done;
    }
}

void JsonRowDecoder::end_field_value(ValueKind kind, const char *end) {
    FieldRef &r = refs_[std::size_t(cur_field_)];
    r.kind = kind;
    r.offset = value_start_;
    r.length = row_buf_.size() - value_start_;
    // Terminated in the row buffer, so the row goes into a Page as one block (RowView::block).
    row_buf_.push_back('\0');
    if (row_buf_.size() > limits_.max_row_bytes)
        fail_too_large(end, "row", limits_.max_row_bytes);
}

void JsonRowDecoder::emit_row() {
    // Locals, not members, in the loop: a store of a kind (one byte) may alias anything, and
    // would make the compiler load the vectors' pointers again for every slot.
    const char *const base = row_buf_.data();
    const std::size_t slots = slot_values_.size();
    FieldValue *const values = slot_values_.data();
    const FieldRef *const refs = refs_.data();
    const int *const slot_field = fields_.slot_fields();
    for (std::size_t i = 0; i < slots; ++i) {
        const FieldRef &r = refs[slot_field[i]];
        values[i].kind = r.kind;
        values[i].text = r.kind == ValueKind::Null ? std::string_view()
                                                   : std::string_view(base + r.offset, r.length);
    }
    const RowView row(slot_values_.data(), slot_values_.size(), rows_, row_offset_,
                      row_buf_.view());
    ++rows_;
    cur_field_ = FieldSlotMap::kNotWanted;
    on_row_(row);
}

void JsonRowDecoder::append_raw(const char *bytes, std::size_t n, const char *at) {
    row_buf_.append(bytes, n);
    if (row_buf_.size() - value_start_ > limits_.max_value_bytes)
        fail_too_large(at, "value", limits_.max_value_bytes);
}

void JsonRowDecoder::append_str(const char *bytes, std::size_t n, const char *at) {
    if (str_out_ == nullptr)
        return;
    str_out_->append(bytes, n);
    if (str_out_->size() - str_base_ > limits_.max_value_bytes)
        fail_too_large(at, str_out_ == &key_buf_ ? "field name" : "value", limits_.max_value_bytes);
}

std::string JsonRowDecoder::position_detail(const char *p) const {
    std::string out;
    if (stack_.size() >= 2) {
        out = "In row " + std::to_string(rows_ + 1);
        if (cur_field_ >= 0)
            out += ", field \"" + fields_.field_name(cur_field_) + "\"";
        out += ".";
    }
    if (p != nullptr && p >= chunk_ && p < chunk_end_) {
        // Cut by printable_snippet, which marks a cut with "...". A quote that reaches the end
        // of this chunk is marked cut too, since the body may go on in the next one. (A token
        // the server echoed here is masked by redact() where 8 or more of its bytes show.)
        const std::string_view rest(p, std::size_t(chunk_end_ - p));
        std::string quoted = printable_snippet(rest, 40);
        if (rest.size() <= 40)
            quoted.insert(quoted.size() - 1, "...");
        add_sentence(out, "Text at that offset: " + quoted + ".");
    }
    add_sentence(out, response_from(source_));
    return out;
}

void JsonRowDecoder::fail_too_large(const char *p, const char *what, std::size_t limit) {
    fail(p, too_large(what, limit));
}

void JsonRowDecoder::fail(const char *p, const std::string &what) {
    failed_ = true;
    const std::uint64_t offset = consumed_ + std::uint64_t(p - chunk_);
    throw Error(ErrorKind::BadResponse,
                "malformed JSON in response body at byte offset " + std::to_string(offset) + ": " +
                    what,
                position_detail(p));
}

} // namespace socrata
