// Push decoder for a SODA 2.1 `.json` body: a top-level array of flat objects, one per row.
// Bytes arrive from libcurl in chunks split anywhere (inside escapes, UTF-8 sequences, numbers,
// literals), so all parse state lives in members and feed() resumes exactly where it stopped.
// Memory is bounded by one row: wanted values are appended to one reused buffer, unknown fields
// are validated and skipped without copying.
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

class JsonRowDecoder {
  public:
    // slot_fields: the field name for each output slot (duplicates allowed).
    // source: where the body came from (a redacted URL), quoted in error details.
    JsonRowDecoder(const std::vector<std::string> &slot_fields, RowCallback on_row,
                   std::string source = {}, DecoderLimits limits = {});

    // Throws Error(BadResponse) on malformed input; exceptions from the callback pass through.
    void feed(const char *data, std::size_t size);
    void feed(std::string_view chunk) { feed(chunk.data(), chunk.size()); }
    // Call once after the last chunk: throws if the body was empty, truncated or an error object.
    void finish();

    std::uint64_t rows() const noexcept { return rows_; }
    std::uint64_t bytes_consumed() const noexcept { return consumed_; }
    // Of rows(), those read by the fast path (decode_plain_row), and how many rows it tried:
    // for tests and benchmarks.
    std::uint64_t plain_rows() const noexcept { return plain_rows_; }
    std::uint64_t plain_tries() const noexcept { return plain_tries_; }
    // The fast path is on by default; off, every row is read byte by byte (tests compare the
    // two: the rows, and every error, must be the same).
    void use_fast_path(bool on) noexcept { fast_path_ = on; }

  private:
    enum class State : std::uint8_t {
        BodyStart,   // before the top-level value
        ErrorObject, // the body is an object, i.e. a Socrata error: collect it for finish()
        ArrayFirst,  // after '[': a value or ']'
        ObjectFirst, // after '{': a key or '}'
        ObjectKey,   // after ',' inside an object: a key
        Colon,       // after a key
        Value,       // after ':' or after ',' inside an array
        AfterValue,  // ',' or the closing bracket
        String,      // inside a string (sub-state in str_step_)
        Number,      // inside a number (sub-state in num_step_)
        Literal,     // inside true/false/null
        Done,        // after the closing ']': only whitespace may follow
    };
    enum class StrStep : std::uint8_t { Plain, Escape, Hex, LowBackslash, LowU, LowHex };
    enum class StrMode : std::uint8_t { Skip, Unescape, Verbatim };
    enum class NumStep : std::uint8_t { Minus, Zero, Int, Dot, Frac, E, ESign, Exp };

    // Where the current row keeps one wanted field's value inside row_buf_.
    struct FieldRef {
        ValueKind kind;
        std::size_t offset;
        std::size_t length;
    };

    // One step of feed() in each state (p < end); returns where the next step begins.
    const char *on_body_start(const char *p, const char *end);
    const char *on_array_first(const char *p, const char *end);
    const char *on_object_first(const char *p, const char *end);
    const char *on_object_key(const char *p, const char *end);
    const char *on_colon(const char *p, const char *end);
    const char *on_after_value(const char *p, const char *end);
    const char *on_number(const char *p, const char *end);
    const char *begin_value(const char *p, const char *end);
    const char *begin_key(const char *p, const char *end);
    // Clears the current row's values.
    void start_row();
    // The fast path for a row whose bytes are all in this chunk, p just after its '{', in the
    // shape the portal sends: plain keys, strings without escapes or non-ASCII, literals,
    // plain numbers, compact GeoJSON points. Decodes and emits it and returns the byte after
    // its '}'; on anything else returns nullptr having emitted nothing, and the row is read
    // again by the byte-by-byte steps, which give the same rows and every error. It took the
    // fetch thread of a 300,000-row scan from 1.91 G to 1.38 G instructions with the changes
    // around it (docs/benchmark.md, "Session 45").
    const char *decode_plain_row(const char *p, const char *end);
    // The closing quote of a key whose name is whole in [s, end) without escapes or
    // non-ASCII, with its field (or kNotWanted) in `field`; nullptr if the name is not so.
    const char *match_plain_key(const char *s, const char *end, int &field);
    // Records a wanted value read whole from the chunk, NUL-terminated in row_buf_.
    void keep_plain_value(int field, ValueKind kind, const char *p, std::size_t n);
    void begin_string(StrMode mode, ByteBuffer *out, bool is_key);
    const char *scan_string(const char *p, const char *end, bool &done);
    const char *scan_escape(const char *p, const char *end);
    void finish_string(const char *end);
    const char *scan_number(const char *p, const char *end, bool &done);
    const char *scan_literal(const char *p, const char *end, bool &done);
    void finish_literal(const char *end);
    // The length of literal_ ("true", "false" or "null").
    std::size_t literal_length() const noexcept { return literal_[0] == 'f' ? 5 : 4; }
    void open_container(const char *p, char type);
    void close_container(const char *p, char type);
    // Records the wanted value just read. `end` is where it ended (the byte after it, in this
    // chunk or at its end): the offset a row-size error names. finish_string/_literal pass it on.
    void end_field_value(ValueKind kind, const char *end);
    void emit_row();
    // Append n bytes of a value. A size error is reported at the bytes' offset, so the two-argument
    // forms take bytes of the current chunk; bytes from elsewhere (a literal's spelling, an
    // escape's character) come with `at`, the chunk position they stand for.
    void append_raw(const char *p, std::size_t n) { append_raw(p, n, p); }
    void append_raw(const char *bytes, std::size_t n, const char *at);
    void append_str(const char *p, std::size_t n) { append_str(p, n, p); }
    void append_str(const char *bytes, std::size_t n, const char *at);
    void append_code_point(std::uint32_t cp, const char *p);
    bool capturing() const noexcept { return capture_depth_ != 0; }

    [[noreturn]] void fail(const char *p, const std::string &what);
    // A value or row past its limit. Out of line, with its arguments in registers, so that the
    // size checks on the hot path keep no stack frame.
    [[noreturn]] void fail_too_large(const char *p, const char *what, std::size_t limit);
    std::string position_detail(const char *p) const;

    FieldSlotMap fields_;
    RowCallback on_row_;
    std::string source_;
    DecoderLimits limits_;

    State state_ = State::BodyStart;
    bool failed_ = false;
    std::vector<char> stack_; // 'a' or 'o' per open container; size() is the depth

    // Current row.
    ByteBuffer row_buf_;         // the wanted values, each followed by a NUL (RowView::block)
    std::vector<FieldRef> refs_; // per distinct field
    std::vector<FieldValue> slot_values_; // per output slot, rebuilt at each row end
    int cur_field_ = FieldSlotMap::kNotWanted;
    // Key guessing (match_plain_key): next_key_[k + 2] is the field whose key followed field k's
    // key last time (k = kRowStart at a row's start); after an unwanted or escaped key (kNotWanted)
    // nothing is guessed.
    static constexpr int kRowStart = -2;
    int prev_key_ = kRowStart;
    std::vector<int> next_key_;
    std::size_t capture_depth_ = 0; // depth of the captured object/array value, 0 if none
    std::size_t value_start_ = 0;   // row_buf_ offset where the captured value begins
    std::uint64_t row_offset_ = 0;

    // Current string.
    StrStep str_step_ = StrStep::Plain;
    StrMode str_mode_ = StrMode::Skip;
    ByteBuffer *str_out_ = nullptr;
    std::size_t str_base_ = 0; // str_out_->size() at the start of the value, for the size limit
    bool str_is_key_ = false;
    std::uint32_t hex_ = 0;
    int hex_digits_ = 0;
    std::uint32_t high_surrogate_ = 0;
    Utf8Validator utf8_;
    ByteBuffer key_buf_; // a key that could not be matched in place

    // Current number / literal.
    NumStep num_step_ = NumStep::Minus;
    const char *literal_ = nullptr;
    std::size_t literal_pos_ = 0;

    ErrorObjectBody error_body_;

    // Position bookkeeping: offset of byte p is consumed_ + (p - chunk_).
    const char *chunk_ = nullptr;
    const char *chunk_end_ = nullptr;
    std::uint64_t consumed_ = 0;
    std::uint64_t rows_ = 0;
    std::uint64_t plain_rows_ = 0;
    std::uint64_t plain_tries_ = 0;
    bool fast_path_ = true;
    // The fast path's give-ups since it last took a row. Rows it gives up on late (non-ASCII
    // or escaped text near a row's end) are read twice: after kPlainMissesToPause give-ups in
    // a row, only every kPlainRetryEvery-th row tries it, until one is taken (review
    // helper-89: such rows cost 63% more instructions when every one was tried).
    static constexpr unsigned kPlainMissesToPause = 4;
    static constexpr std::uint64_t kPlainRetryEvery = 32;
    unsigned plain_misses_ = 0;
};

} // namespace socrata
