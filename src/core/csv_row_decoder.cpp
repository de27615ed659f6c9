#include "csv_row_decoder.hpp"

#include "byte_scan.hpp"
#include "decoder_support.hpp"
#include "error.hpp"
#include "text_snippet.hpp"

namespace socrata {

namespace {

constexpr int kHeaderTarget = -2; // the current field is a header name

} // namespace

CsvRowDecoder::CsvRowDecoder(const std::vector<std::string> &slot_fields, RowCallback on_row,
                             std::string source, DecoderLimits limits)
    : fields_(slot_fields), on_row_(std::move(on_row)), source_(std::move(source)),
      limits_(limits) {
    refs_.resize(fields_.field_count(), FieldRef{0, 0, false});
    slot_values_.resize(fields_.slot_count());
}

// The state steps below each take the bytes from p that their state reads and return where
// the next step begins. feed() runs one per field boundary, chunk end and non-ASCII byte
// inside a field, so they are forced inline: the calls would cost more than the short steps
// (a delimiter, a quote) themselves.
[[gnu::always_inline]] inline const char *CsvRowDecoder::on_field_start(const char *p) {
    if (!record_started_)
        begin_record(p);
    begin_field();
    if (*p == '"') {
        state_ = State::Quoted;
        return p + 1;
    }
    state_ = State::Unquoted; // a delimiter here is an empty field
    return p;
}

// At a ',' or a line end that ends a field (quoted or not).
[[gnu::always_inline]] inline const char *CsvRowDecoder::end_field_at(const char *p, bool quoted) {
    const char c = *p;
    end_field(p, quoted);
    if (c == ',') {
        state_ = State::FieldStart;
    } else {
        end_record(p);
        state_ = c == '\r' ? State::AfterCR : State::FieldStart;
    }
    return p + 1;
}

[[gnu::always_inline]] inline const char *CsvRowDecoder::on_unquoted(const char *p,
                                                                     const char *end) {
    if (utf8_.in_sequence())
        return take_utf8_byte(p);
    const char *s = p;
    p = find_csv_unquoted_special(p, end, ',');
    append(s, std::size_t(p - s));
    if (p == end)
        return p;
    const char c = *p;
    if (c == ',' || c == '\n' || c == '\r')
        return end_field_at(p, false);
    if (c == '"')
        fail(p, "'\"' inside an unquoted field");
    if (c == '\0')
        fail_on_nul(p);
    return take_utf8_byte(p);
}

[[gnu::always_inline]] inline const char *CsvRowDecoder::on_quoted(const char *p, const char *end) {
    if (utf8_.in_sequence())
        return take_utf8_byte(p);
    const char *s = p;
    p = find_csv_quoted_special(p, end);
    append(s, std::size_t(p - s));
    if (p == end)
        return p;
    if (*p == '"') {
        state_ = State::QuoteInQuoted;
        return p + 1;
    }
    if (*p == '\0')
        fail_on_nul(p);
    return take_utf8_byte(p);
}

[[gnu::always_inline]] inline const char *CsvRowDecoder::on_quote_in_quoted(const char *p) {
    const char c = *p;
    if (c == '"') { // an escaped quote
        append(p, 1);
        state_ = State::Quoted;
        return p + 1;
    }
    if (c == ',' || c == '\n' || c == '\r')
        return end_field_at(p, true);
    fail(p, "expected ',' or a line end after a closing '\"'");
}

void CsvRowDecoder::feed(const char *data, std::size_t size) {
    if (failed_)
        throw_used_after_error("CSV");
    chunk_ = data;
    const char *p = data;
    const char *const end = data + size;
    try {
        while (p < end) {
            switch (state_) {
            case State::BodyStart:
                state_ = *p == '{' ? State::ErrorObject : State::FieldStart;
                break;
            case State::ErrorObject:
                error_body_.append(p, std::size_t(end - p));
                p = end;
                break;
            case State::FieldStart:
                p = on_field_start(p);
                break;
            case State::Unquoted:
                p = on_unquoted(p, end);
                break;
            case State::Quoted:
                p = on_quoted(p, end);
                break;
            case State::QuoteInQuoted:
                p = on_quote_in_quoted(p);
                break;
            case State::AfterCR:
                if (*p == '\n')
                    ++p;
                state_ = State::FieldStart;
                break;
            }
        }
    } catch (...) {
        failed_ = true;
        throw;
    }
    consumed_ += size;
}

void CsvRowDecoder::finish(bool end_marked) {
    if (failed_)
        throw_used_after_error("CSV");
    chunk_ = nullptr;
    failed_ = true; // whatever happens below, the decoder is finished
    const std::string from = response_from(source_);
    switch (state_) {
    case State::BodyStart:
        throw Error(ErrorKind::BadResponse, "empty response body: expected a CSV header line",
                    from);
    case State::ErrorObject:
        throw error_body_.to_error("CSV rows", source_);
    case State::Quoted:
        throw Error(ErrorKind::BadResponse,
                    "truncated response body: it ended at byte offset " +
                        std::to_string(consumed_) + " inside a quoted field of " + record_name(),
                    from, kCutShortHint);
    case State::Unquoted:
    case State::QuoteInQuoted:
    case State::FieldStart:
        if (record_started_) { // a last record without a line end
            if (!end_marked) {
                std::string detail = from;
                add_sentence(detail, kBodyEndNotMarked);
                throw Error(ErrorKind::BadResponse,
                            "truncated response body: it ended at byte offset " +
                                std::to_string(consumed_) + " inside " + record_name(),
                            detail, kCutShortHint);
            }
            if (state_ == State::FieldStart) // it ends with a delimiter: an empty last field
                begin_field();
            end_field(nullptr, state_ == State::QuoteInQuoted);
            end_record(nullptr);
        }
        break;
    case State::AfterCR:
        break;
    }
    if (in_header_)
        throw Error(ErrorKind::BadResponse, "CSV response has no header line", from);
    failed_ = false;
}

std::string CsvRowDecoder::record_name() const {
    return in_header_ ? std::string("the header") : "record " + std::to_string(rows_ + 1);
}

// Where the field at col_ goes: the header, its column's slot, or nowhere.
void CsvRowDecoder::begin_field() {
    target_ = in_header_                    ? kHeaderTarget
              : col_ < column_field_.size() ? column_field_[col_]
                                            : FieldSlotMap::kNotWanted;
    field_start_ = in_header_ ? header_buf_.size() : row_buf_.size();
}

void CsvRowDecoder::begin_record(const char *p) {
    record_started_ = true;
    record_offset_ = consumed_ + std::uint64_t(p - chunk_);
    col_ = 0;
    if (!in_header_) {
        row_buf_.clear();
        for (FieldRef &r : refs_)
            r.present = false;
    }
}

void CsvRowDecoder::append(const char *p, std::size_t n) {
    if (n == 0)
        return;
    if (target_ == kHeaderTarget) {
        header_buf_.append(p, n);
        if (header_buf_.size() - field_start_ > limits_.max_value_bytes)
            fail(p, too_large("header field", limits_.max_value_bytes));
    } else if (target_ >= 0) {
        row_buf_.append(p, n);
        if (row_buf_.size() - field_start_ > limits_.max_value_bytes)
            fail(p, too_large("value", limits_.max_value_bytes));
    }
}

void CsvRowDecoder::fail_on_nul(const char *p) {
    // Text would end at it (values are kept NUL-terminated, and Postgres text cannot hold one).
    fail(p, "a NUL byte (0x00) in a value, which PostgreSQL text cannot store");
}

const char *CsvRowDecoder::take_utf8_byte(const char *p) {
    if (!utf8_.push(static_cast<unsigned char>(*p)))
        fail(p, "invalid UTF-8");
    append(p, 1);
    return p + 1;
}

void CsvRowDecoder::end_field(const char *p, bool quoted) {
    if (utf8_.in_sequence())
        fail(p, "invalid UTF-8: a field ends inside a multi-byte character");
    if (in_header_) {
        if (header_.size() >= kMaxColumns)
            fail(p, "more than " + std::to_string(kMaxColumns) + " columns in the header");
        header_.emplace_back(header_buf_.data() + field_start_, header_buf_.size() - field_start_);
    } else {
        if (col_ >= column_field_.size())
            fail(p, "record " + std::to_string(rows_ + 1) + " has more fields than the " +
                        std::to_string(column_field_.size()) + " in the header");
        if (target_ >= 0) {
            FieldRef &r = refs_[std::size_t(target_)];
            r.offset = field_start_;
            r.length = row_buf_.size() - field_start_;
            r.present = quoted || r.length != 0; // empty and unquoted = NULL; "" = ''
            // Terminated in the row buffer, so the row goes into a Page as one block
            // (RowView::block).
            row_buf_.push_back('\0');
        }
        if (row_buf_.size() > limits_.max_row_bytes)
            fail(p, too_large("row", limits_.max_row_bytes));
    }
    ++col_;
}

void CsvRowDecoder::end_record(const char *p) {
    record_started_ = false;
    if (in_header_) {
        column_field_.resize(header_.size());
        std::vector<bool> in_header(fields_.field_count(), false);
        for (std::size_t i = 0; i < header_.size(); ++i) {
            column_field_[i] = fields_.find(header_[i].data(), header_[i].size());
            if (column_field_[i] != FieldSlotMap::kNotWanted)
                in_header[std::size_t(column_field_[i])] = true;
        }
        // The portal's CSV has a header cell for every field the request names (and for each
        // that `*` stands for): a body without one is another answer, such as a maintenance
        // page served with status 200, whose rows would otherwise read as NULLs.
        for (std::size_t f = 0; f < in_header.size(); ++f)
            if (!in_header[f])
                fail_missing_field(fields_.field_name(int(f)));
        in_header_ = false;
        return;
    }
    if (col_ != column_field_.size())
        fail(p, "record " + std::to_string(rows_ + 1) + " has " + std::to_string(col_) +
                    " fields but the header has " + std::to_string(column_field_.size()));
    emit_row();
}

void CsvRowDecoder::emit_row() {
    // Locals, not members, in the loop: a store of a kind (one byte) may alias anything.
    const char *const base = row_buf_.data();
    const std::size_t slots = slot_values_.size();
    FieldValue *const values = slot_values_.data();
    const FieldRef *const refs = refs_.data();
    const int *const slot_field = fields_.slot_fields();
    for (std::size_t i = 0; i < slots; ++i) {
        const FieldRef &r = refs[slot_field[i]];
        values[i] = r.present
                        ? FieldValue{ValueKind::String, std::string_view(base + r.offset, r.length)}
                        : FieldValue{};
    }
    const RowView row(slot_values_.data(), slot_values_.size(), rows_, record_offset_,
                      row_buf_.view());
    ++rows_;
    on_row_(row);
}

std::string CsvRowDecoder::position_detail() const {
    std::string out = in_header_ ? "In the header" : "In record " + std::to_string(rows_ + 1);
    if (in_header_ || col_ < header_.size())
        out += ", field " + std::to_string(col_ + 1);
    if (!in_header_ && col_ < header_.size())
        out += " (" + printable_snippet(header_[col_], 60) + ")";
    out += ".";
    add_sentence(out, response_from(source_));
    return out;
}

void CsvRowDecoder::fail_missing_field(const std::string &field) {
    failed_ = true;
    std::string fields;
    for (const std::string &name : header_)
        fields += (fields.empty() ? "" : ", ") + name;
    std::string detail = "Its header's fields: " + printable_snippet(fields, 200) + ".";
    add_sentence(detail, response_from(source_));
    throw Error(ErrorKind::BadResponse,
                "malformed CSV in response body: the header has no field " +
                    printable_snippet(field, 100) + ", which the request asked for",
                detail);
}

void CsvRowDecoder::fail(const char *p, const std::string &what) {
    failed_ = true;
    const std::string where =
        p != nullptr && chunk_ != nullptr
            ? "at byte offset " + std::to_string(consumed_ + std::uint64_t(p - chunk_))
            : "at the end of the body (byte offset " + std::to_string(consumed_) + ")";
    throw Error(ErrorKind::BadResponse, "malformed CSV in response body " + where + ": " + what,
                position_detail());
}

} // namespace socrata
