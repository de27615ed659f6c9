// Push decoder for a SODA 2.1 `.csv` body (RFC 4180): the first record names the fields, then
// one record per row; fields may be quoted, with "" for a quote and embedded newlines; records
// end with LF or CRLF. An empty unquoted field is NULL and a quoted one ("") the empty string:
// Socrata's CSV exporter quotes every non-null cell and writes a null as nothing (as COPY's CSV
// does). Every value comes back as ValueKind::String.
// Same contract as JsonRowDecoder: chunks split anywhere, memory bounded by one row.
//
// A body cut inside the last field of a record cannot be told from a final record without a
// trailing newline (which RFC 4180 allows); the HTTP layer catches short transfers, and a cut
// anywhere else shows up as a record with too few fields.
#pragma once

#include "byte_buffer.hpp"
#include "decoder_support.hpp"
#include "field_slot_map.hpp"
#include "row_view.hpp"
#include "utf8_validator.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace socrata {

class CsvRowDecoder {
  public:
    static constexpr std::size_t kMaxColumns = 10000;

    CsvRowDecoder(const std::vector<std::string> &slot_fields, RowCallback on_row,
                  std::string source = {}, DecoderLimits limits = {});

    // Throws Error(BadResponse) on malformed input; exceptions from the callback pass through.
    void feed(const char *data, std::size_t size);
    void feed(std::string_view chunk) { feed(chunk.data(), chunk.size()); }
    // Call once after the last chunk: completes a final record without a newline, throws if
    // the body was empty, ended inside a quoted field, or was a JSON error object.
    // `end_marked` false: nothing but the connection's close showed where the body ends
    // (BodyEnd::ConnectionClosed), so a last record without its line end was cut short, and
    // is an error rather than a record. The portal ends every record with one.
    void finish(bool end_marked = true);

    std::uint64_t rows() const noexcept { return rows_; }
    std::uint64_t bytes_consumed() const noexcept { return consumed_; }
    // Field names of the header record (empty until it has been read). A header that lacks a
    // wanted field is an error (BadResponse).
    const std::vector<std::string> &header() const noexcept { return header_; }

  private:
    enum class State : std::uint8_t {
        BodyStart,     // nothing read yet: a '{' means a JSON error object
        ErrorObject,   // collecting that object for finish()
        FieldStart,    // at the first byte of a field
        Unquoted,      // inside an unquoted field
        Quoted,        // inside a quoted field
        QuoteInQuoted, // after a '"' inside a quoted field: '"' (escaped quote) or the end
        AfterCR,       // after a CR that ended a record: swallow a following LF
    };
    struct FieldRef {
        std::size_t offset;
        std::size_t length;
        bool present;
    };

    // One step of feed() in each state (p < end); returns where the next step begins.
    const char *on_field_start(const char *p);
    const char *on_unquoted(const char *p, const char *end);
    const char *on_quoted(const char *p, const char *end);
    const char *on_quote_in_quoted(const char *p);
    const char *end_field_at(const char *p, bool quoted);

    void begin_record(const char *p);
    void begin_field();
    void append(const char *p, std::size_t n);
    const char *take_utf8_byte(const char *p);
    void end_field(const char *p, bool quoted);
    void end_record(const char *p);
    void emit_row();
    [[noreturn]] void fail(const char *p, const std::string &what);
    [[noreturn]] void fail_on_nul(const char *p);
    [[noreturn]] void fail_missing_field(const std::string &field);
    std::string position_detail() const;
    // "the header" or "record N": what the body ended inside.
    std::string record_name() const;

    FieldSlotMap fields_;
    RowCallback on_row_;
    std::string source_;
    DecoderLimits limits_;

    State state_ = State::BodyStart;
    bool failed_ = false;
    bool in_header_ = true;
    bool record_started_ = false;
    std::size_t col_ = 0; // index of the current field in its record
    std::vector<std::string> header_;
    std::vector<int> column_field_;         // column -> distinct wanted field, or kNotWanted
    int target_ = FieldSlotMap::kNotWanted; // where the current field's bytes go
    std::size_t field_start_ = 0;

    ByteBuffer row_buf_;
    ByteBuffer header_buf_;
    std::vector<FieldRef> refs_;
    std::vector<FieldValue> slot_values_;
    Utf8Validator utf8_;
    std::uint64_t record_offset_ = 0;

    ErrorObjectBody error_body_;
    const char *chunk_ = nullptr;
    std::uint64_t consumed_ = 0;
    std::uint64_t rows_ = 0;
};

} // namespace socrata
