// Turning decoded SODA values into the Datums of a tuple, for the executor (scan.cpp) and
// ANALYZE (analyze.cpp). The common wire forms (integers, also into numeric, decimals into
// float8, checkboxes, floating timestamps, text, the portal's GeoJSON points into jsonb) take
// fast paths that build the Datum directly; everything else, and any value a fast path does not
// recognise, goes through the column type's input function, so values and error messages are
// exactly Postgres's own.
#pragma once

#include "error.hpp"
#include "fast_values.hpp"
#include "page.hpp"
#include "pg_guard.hpp"

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace socrata::pg {

class RowConverter {
  public:
    // Column columns[i] (0-based, of `desc`) reads select item items[i] of a page. Function
    // lookup data is allocated in `context`, which must outlive the converter.
    // divisors[i], when given and >= 0, is the item holding a count that item items[i] (a sum)
    // is divided by: a pushed-down avg() of integers, computed as Postgres's avg computes it.
    // `secret` (the app token) is masked in a rejected value's error: it quotes server bytes.
    RowConverter(TupleDesc desc, const std::vector<int> &columns, const std::vector<int> &items,
                 MemoryContext context, std::string secret, const std::vector<int> &divisors = {});

    // Fills values/nulls (all of desc's columns; columns not listed are NULL) from row `row`.
    // Datums are allocated in `target`. A value that does not fit its column raises a PgError
    // (a location a point column cannot read, a socrata::Error) naming the column, the value,
    // `relname` and the row (its :id when the page has one after `value_slots` items, else
    // `row_number`, its 1-based number in the scan's result, if known).
    void convert(const Page &page, std::size_t row, Datum *values, bool *nulls,
                 MemoryContext target, const std::string &relname, std::size_t value_slots,
                 std::uint64_t row_number = 0);
    // The same into a virtual tuple slot: cleared, filled and stored under the one guard that
    // builds the Datums (a guard per call was a visible share of a scan's per-row cost). The
    // slot is cleared only once the values are read: a value refused before that (a location
    // a point column cannot read) leaves it holding the previous row, which the error's abort
    // never reads (review helper-87).
    void convert(const Page &page, std::size_t row, TupleTableSlot *slot, MemoryContext target,
                 const std::string &relname, std::size_t value_slots, std::uint64_t row_number = 0);

  private:
    // Both convert()s: a slot, when given, is the one whose values and nulls are the arrays.
    void convert_row(const Page &page, std::size_t row, Datum *values, bool *nulls,
                     TupleTableSlot *slot, MemoryContext target, const std::string &relname,
                     std::size_t value_slots, std::uint64_t row_number);
    // The pure C++ half of convert: each value through its fast path into prepared_[i].ready, or
    // into the text its input function will read (.text, .length). The other arguments as
    // convert's, for a location's error.
    void prepare_values(const Page &page, std::size_t row, const std::string &relname,
                        std::size_t value_slots, std::uint64_t row_number);
    // The Postgres half, under one guard for the whole row: the Datums, in `target`. Throws
    // PgError, with converting_ naming the column. A slot, if not null, is cleared first and
    // stored as a virtual tuple last.
    void build_datums(Datum *values, bool *nulls, MemoryContext target, TupleTableSlot *slot);
    // The text value i's input function reads (prepared_[i].text, .length), in its column's
    // form. A location a point column cannot read raises socrata::Error.
    void prepare_text(std::size_t i, ValueKind kind, std::string_view text);

    enum class Fast {
        None,
        Int2,
        Int4,
        Int8,
        Bool,
        Timestamp,
        TimestampTz,
        Float8,
        NumericInteger,
        Text,
        JsonbPoint // a compact GeoJSON point, built as jsonb without parsing it again
    };
    enum class TextForm { AsIs, Json, Point };

    // The fast path for a column of the type (with its typmod), if it has one.
    static Fast fast_path_for(Oid type, int32 typmod, bool server_is_utf8);
    // How a value is written for the input function of a column of the (base) type.
    static TextForm text_form_for(Oid base_type);
    // The value as a Datum, if the fast path reads it; false sends it to the input function.
    static bool read_fast(Fast fast, std::string_view text, Datum &out);

    struct Column {
        int column = 0;
        int item = 0;
        int divisor = -1;
        std::string name;
        Fast fast = Fast::None;
        TextForm form = TextForm::AsIs;
        FmgrInfo *input = nullptr;
        Oid ioparam = InvalidOid;
        int32 typmod = -1;
        bool is_domain = false; // its input function also checks NULLs (NOT NULL, CHECK)
    };

    // An invalid value's message (the column, the table, the value) and detail (the reason,
    // the row), shared by both errors below.
    struct InvalidValueText {
        std::string message;
        std::string detail;
    };
    // reason: why the value was refused, as UTF-8; more: what the refusal said beyond it (an
    // input function's own detail), as UTF-8, after the row.
    InvalidValueText invalid_value_text(std::size_t column, const Page &page, std::size_t row,
                                        const std::string &relname, std::string_view reason,
                                        const std::string &where, std::string_view more = {}) const;
    [[noreturn]] void raise_conversion_error(PgError &error, const Page &page, std::size_t row,
                                             const std::string &relname, const std::string &where);
    // Masks the app token in every text of an error Postgres raised while reading a value.
    void mask_secret(ErrorData *data) const;
    // A location a point column cannot read (parse_location's error), worded the same way.
    [[noreturn]] void raise_point_error(const Error &error, const Page &page, std::size_t row,
                                        const std::string &relname, const std::string &where,
                                        std::size_t column) const;

    std::vector<Column> columns_;
    int natts_ = 0;
    bool server_is_utf8_ = true;
    std::string secret_;

    // Per-row scratch, one per column, reused: what prepare_values found for build_datums.
    struct Prepared {
        bool is_ready = false;              // `ready` (or `point`) holds the value
        Datum ready = 0;                    // a fast path's Datum (NumericInteger: the int64)
        const char *text = nullptr;         // else the C string for the input function; null: NULL
        std::size_t length = 0;             // its length
        const char *divisor_text = nullptr; // a pushed-down avg's count
        std::array<ScaledDecimal, 2> point; // a ready JsonbPoint's coordinates
        // A timestamp column's last value read by its fast path, and its text: rows come in
        // :id order, and most repeat the updated_on of the row before (71% of the real
        // sample's rows), so a compare stands in for a parse. SIZE_MAX: none yet.
        std::size_t last_length = SIZE_MAX;
        char last_text[32];
        Datum last_value = 0;
    };
    // read_fast through the column's last value (Prepared::last_text).
    static bool read_fast_or_repeat(Prepared &v, Fast fast, std::string_view text);
    std::vector<Prepared> prepared_;
    std::vector<std::string> scratch_; // texts rewritten for their input function
    std::size_t text_bytes_ = 0;       // what this row's text Datums take together
    int converting_ = -1;
};

} // namespace socrata::pg
