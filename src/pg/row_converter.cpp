#include "row_converter.hpp"

#include "database_encoding.hpp"
#include "fast_values.hpp"
#include "numeric_layout.hpp"
#include "redact.hpp"
#include "text_snippet.hpp"
#include "value_text.hpp"

extern "C" {
#include "mb/pg_wchar.h"
}

namespace socrata::pg {

namespace {

// The type's input function, looked up once, in `context`; its I/O parameter in *ioparam.
FmgrInfo *input_function_for(Oid type, MemoryContext context, Oid *ioparam) {
    return pg::call([&] {
        Oid func;
        getTypeInputInfo(type, &func, ioparam);
        auto *flinfo = static_cast<FmgrInfo *>(MemoryContextAlloc(context, sizeof(FmgrInfo)));
        fmgr_info_cxt(func, flinfo, context);
        return flinfo;
    });
}

// The jsonb that jsonb_in builds from {"type":"Point","coordinates":[x,y]}, byte for byte, each
// coordinate the numeric numeric_in reads from its digits, with the scale it was written with.
// The bytes are laid out here as convertToJsonb lays out that value (jsonb.h documents the
// format, which is on disk and so fixed): converting a JsonbValue tree was a tenth of a
// full-row scan's instructions. pg_regress 09 compares the stored bytes with jsonb_in's.
//   header  object, 2 pairs
//   JEntry  key "type"          its end offset (every 32nd child stores one; the first does)
//   JEntry  key "coordinates"   length
//   JEntry  value "Point"       length
//   JEntry  value, the array    length, with any padding inside it
//   "type" "coordinates" "Point"   (keys shortest first, then the values in the same order)
//   header  array, 2 elements   (at offset 44 of the datum: already 4-byte aligned)
//   JEntry  x, numeric          its end offset; JEntry  y, numeric   length with its padding
//   x's varlena, padding to 4 bytes, y's varlena
Datum geojson_point_jsonb(const std::array<ScaledDecimal, 2> &coordinates) {
    // Each coordinate's numeric laid out in place (numeric_layout.hpp), or built by numeric.c
    // if its short format cannot hold it.
    NumericLayout layouts[2];
    Numeric built[2] = {nullptr, nullptr};
    uint32 sizes[2];
    for (int i = 0; i < 2; ++i) {
        if (numeric_layout(coordinates[i].digits, coordinates[i].scale, layouts[i])) {
            sizes[i] = VARHDRSZ + layouts[i].bytes();
        } else {
            built[i] = int64_div_fast_to_numeric(coordinates[i].digits, coordinates[i].scale);
            sizes[i] = VARSIZE_ANY(built[i]);
        }
    }
    constexpr uint32 kArrayAt = VARHDRSZ + 5 * sizeof(uint32) + 4 + 11 + 5; // 44
    constexpr uint32 kNumbersAt = kArrayAt + 3 * sizeof(uint32);            // 56
    static_assert(kArrayAt == 44 && kArrayAt % 4 == 0, "the array needs no padding before it");
    const uint32 x_size = sizes[0];
    const uint32 y_size = sizes[1];
    const uint32 y_pad = INTALIGN(kNumbersAt + x_size) - (kNumbersAt + x_size);
    const uint32 total = kNumbersAt + x_size + y_pad + y_size;
    char *out = static_cast<char *>(palloc(total));
    auto put = [out](uint32 at, uint32 word) { memcpy(out + at, &word, sizeof word); };
    put(VARHDRSZ, 2 | JB_FOBJECT);
    put(VARHDRSZ + 4, JENTRY_HAS_OFF | JENTRY_ISSTRING | 4);
    put(VARHDRSZ + 8, JENTRY_ISSTRING | 11);
    put(VARHDRSZ + 12, JENTRY_ISSTRING | 5);
    put(VARHDRSZ + 16, JENTRY_ISCONTAINER | (total - kArrayAt));
    memcpy(out + VARHDRSZ + 20, "typecoordinatesPoint", 20);
    put(kArrayAt, 2 | JB_FARRAY);
    put(kArrayAt + 4, JENTRY_HAS_OFF | JENTRY_ISNUMERIC | x_size);
    put(kArrayAt + 8, JENTRY_ISNUMERIC | (y_pad + y_size));
    const uint32 at[2] = {kNumbersAt, kNumbersAt + x_size + y_pad};
    memset(out + kNumbersAt + x_size, 0, y_pad);
    for (int i = 0; i < 2; ++i) {
        if (built[i] != nullptr) {
            memcpy(out + at[i], built[i], sizes[i]);
        } else {
            SET_VARSIZE(out + at[i], sizes[i]);
            memcpy(out + at[i] + VARHDRSZ, layouts[i].words, layouts[i].bytes());
        }
    }
    SET_VARSIZE(out, total);
    return PointerGetDatum(out);
}

// The numeric numeric_in gives for an integer's digits (scale 0).
Datum integer_numeric(int64 value) {
    NumericLayout layout;
    if (!numeric_layout(value, 0, layout))
        return NumericGetDatum(int64_to_numeric(value));
    char *out = static_cast<char *>(palloc(VARHDRSZ + layout.bytes()));
    SET_VARSIZE(out, VARHDRSZ + layout.bytes());
    memcpy(out + VARHDRSZ, layout.words, layout.bytes());
    return PointerGetDatum(out);
}

} // namespace

RowConverter::Fast RowConverter::fast_path_for(Oid type, int32 typmod, bool server_is_utf8) {
    switch (type) {
    case INT2OID:
        return Fast::Int2;
    case INT4OID:
        return Fast::Int4;
    case INT8OID:
        return Fast::Int8;
    case BOOLOID:
        return Fast::Bool;
    case FLOAT8OID:
        return Fast::Float8;
    case NUMERICOID:
        // Integral values (coordinates, counts): no typmod, so no rounding to apply.
        return typmod < 0 ? Fast::NumericInteger : Fast::None;
    case TIMESTAMPOID:
        return typmod < 0 ? Fast::Timestamp : Fast::None; // typmod: let Postgres round
    case TIMESTAMPTZOID:
        return typmod < 0 ? Fast::TimestampTz : Fast::None;
    case TEXTOID:
        return server_is_utf8 ? Fast::Text : Fast::None;
    case JSONBOID:
        return Fast::JsonbPoint;
    default:
        return Fast::None;
    }
}

RowConverter::TextForm RowConverter::text_form_for(Oid base_type) {
    if (base_type == JSONBOID || base_type == JSONOID)
        return TextForm::Json;
    return base_type == POINTOID ? TextForm::Point : TextForm::AsIs;
}

RowConverter::RowConverter(TupleDesc desc, const std::vector<int> &columns,
                           const std::vector<int> &items, MemoryContext context, std::string secret,
                           const std::vector<int> &divisors)
    : natts_(desc->natts), secret_(std::move(secret)) {
    server_is_utf8_ = database_is_utf8();
    for (std::size_t i = 0; i < columns.size(); ++i) {
        Form_pg_attribute attr = TupleDescAttr(desc, columns[i]);
        Column c;
        c.column = columns[i];
        c.item = items.at(i);
        c.divisor = i < divisors.size() ? divisors[i] : -1;
        c.name = NameStr(attr->attname);
        c.typmod = attr->atttypmod;
        Oid type = attr->atttypid;
        // A domain's value is read as its base type's (then its input function checks it).
        Oid base = pg::call([&] { return getBaseType(type); });
        c.is_domain = base != type;
        c.form = text_form_for(base);
        c.fast = fast_path_for(type, c.typmod, server_is_utf8_);
        c.input = input_function_for(type, context, &c.ioparam);
        columns_.push_back(std::move(c));
    }
    prepared_.resize(columns_.size());
    scratch_.resize(columns_.size());
}

RowConverter::InvalidValueText
RowConverter::invalid_value_text(std::size_t column, const Page &page, std::size_t row,
                                 const std::string &relname, std::string_view reason,
                                 const std::string &where, std::string_view more) const {
    const Column &c = columns_.at(column);
    // Quoted as any untrusted text in a message is: cut on a character boundary, control bytes
    // escaped. The reason, kept as the detail, may quote the whole value. Both are the server's
    // bytes, which could echo the app token: masked before they are cut. Both are UTF-8 here: a
    // database in another encoding gets them converted, with what it lacks written as \uXXXX.
    const std::string value = page.kind(row, c.item) == ValueKind::Null
                                  ? std::string("null") // (a domain's NOT NULL)
                                  : database_text_from_utf8(printable_snippet(
                                        redact(page.text(row, c.item), secret_), 200));
    const std::string shown_reason =
        database_text_from_utf8(printable_text(redact(reason, secret_), 400));
    std::string detail =
        shown_reason + " (" + database_text_from_utf8(redact(where, secret_)) + ").";
    if (!more.empty())
        detail += " " + database_text_from_utf8(printable_text(redact(more, secret_), 400));
    return {"invalid value for column \"" + c.name + "\" of foreign table " + relname + ": " +
                value,
            std::move(detail)};
}

void RowConverter::raise_conversion_error(PgError &error, const Page &page, std::size_t row,
                                          const std::string &relname, const std::string &where) {
    ErrorData *data = error.data();
    // Only a value the column's type (or a domain's CHECK) rejects is the value's fault. A cancel
    // or timeout that lands in an input function, or running out of memory there, keeps its own
    // message and SQLSTATE; so does an input function that refuses a value under another class
    // (tsvector's syntax error, regclass's unknown relation). Either way its words may quote the
    // portal's text, which could echo the app token: masked.
    // (jsonb's input function also adds a context line quoting the text around the error.)
    mask_secret(data);
    int category = ERRCODE_TO_CATEGORY(data->sqlerrcode);
    if (category != ERRCODE_DATA_EXCEPTION && category != ERRCODE_INTEGRITY_CONSTRAINT_VIOLATION)
        throw error;
    // The input function's message and detail (json's 'Token "x" is invalid.') are in the
    // database's encoding, and may quote the value.
    const char *message = data->message ? data->message : "";
    const std::string reason = utf8_from_database(message, strlen(message));
    const char *detail = data->detail ? data->detail : "";
    const std::string more = utf8_from_database(detail, strlen(detail));
    const InvalidValueText text =
        invalid_value_text(converting_, page, row, relname, reason, where, more);
    // A character the database cannot hold is no type mismatch: in UTF-8, only \u0000 is one
    // (jsonb refuses it; json keeps escapes as sent). A domain's CHECK refuses values of the
    // right type.
    const char *hint = "Check the column's type against the dataset's field type; declare it "
                       "text to see the raw values.";
    if (data->sqlerrcode == ERRCODE_UNTRANSLATABLE_CHARACTER)
        hint = server_is_utf8_ ? "PostgreSQL text and jsonb cannot hold \\u0000; a json column "
                                 "keeps the value as it came."
                               : "The portal's text is UTF-8; a database in another encoding "
                                 "can hold only the characters that encoding has.";
    else if (category == ERRCODE_INTEGRITY_CONSTRAINT_VIOLATION)
        hint = "The column's domain refuses the value; declare the column with the domain's "
               "base type to read every value.";
    pg::call([&] {
        data->message = pstrdup(text.message.c_str());
        data->detail = pstrdup(text.detail.c_str());
        data->hint = pstrdup(hint);
    });
    throw error;
}

void RowConverter::mask_secret(ErrorData *data) const {
    if (secret_.empty())
        return;
    for (char **part : {&data->message, &data->detail, &data->hint, &data->context}) {
        if (!*part)
            continue;
        const std::string masked = redact(*part, secret_);
        if (masked != *part)
            *part = pg::call([&] { return pstrdup(masked.c_str()); });
    }
}

void RowConverter::raise_point_error(const Error &error, const Page &page, std::size_t row,
                                     const std::string &relname, const std::string &where,
                                     std::size_t column) const {
    InvalidValueText text = invalid_value_text(column, page, row, relname, error.detail(), where);
    throw Error(ErrorKind::Conversion, text.message, std::move(text.detail), error.hint());
}

void RowConverter::convert(const Page &page, std::size_t row, Datum *values, bool *nulls,
                           MemoryContext target, const std::string &relname,
                           std::size_t value_slots, std::uint64_t row_number) {
    convert_row(page, row, values, nulls, nullptr, target, relname, value_slots, row_number);
}

void RowConverter::convert(const Page &page, std::size_t row, TupleTableSlot *slot,
                           MemoryContext target, const std::string &relname,
                           std::size_t value_slots, std::uint64_t row_number) {
    convert_row(page, row, slot->tts_values, slot->tts_isnull, slot, target, relname, value_slots,
                row_number);
}

void RowConverter::convert_row(const Page &page, std::size_t row, Datum *values, bool *nulls,
                               TupleTableSlot *slot, MemoryContext target,
                               const std::string &relname, std::size_t value_slots,
                               std::uint64_t row_number) {
    prepare_values(page, row, relname, value_slots, row_number);
    try {
        build_datums(values, nulls, target, slot);
    } catch (PgError &error) {
        raise_conversion_error(error, page, row, relname,
                               describe_row_position(page, row, value_slots, row_number));
    }
}

// Inlined: it runs once per value, in the scan's innermost loop.
[[gnu::always_inline]] inline bool RowConverter::read_fast(Fast fast, std::string_view text,
                                                           Datum &out) {
    switch (fast) {
    case Fast::Int2:
        if (auto v = parse_integer(text, PG_INT16_MIN, PG_INT16_MAX))
            return out = Int16GetDatum(static_cast<int16>(*v)), true;
        break;
    case Fast::Int4:
        if (auto v = parse_integer(text, PG_INT32_MIN, PG_INT32_MAX))
            return out = Int32GetDatum(static_cast<int32>(*v)), true;
        break;
    case Fast::Int8:
        if (auto v = parse_integer(text, PG_INT64_MIN, PG_INT64_MAX))
            return out = Int64GetDatum(*v), true;
        break;
    case Fast::Bool:
        if (auto v = parse_checkbox(text))
            return out = BoolGetDatum(*v), true;
        break;
    case Fast::Timestamp:
        if (auto v = parse_floating_timestamp(text))
            return out = TimestampGetDatum(*v), true;
        break;
    case Fast::TimestampTz:
        if (auto v = parse_fixed_timestamp(text))
            return out = TimestampTzGetDatum(*v), true;
        break;
    case Fast::Float8:
        if (auto v = parse_double(text))
            return out = Float8GetDatum(*v), true;
        break;
    case Fast::NumericInteger:
        // The int64 for now; the numeric is allocated in build_datums, under the guard.
        if (auto v = parse_integer(text, PG_INT64_MIN, PG_INT64_MAX))
            return out = Int64GetDatum(*v), true;
        break;
    case Fast::Text:
    case Fast::JsonbPoint: // read in prepare_values: it needs the value's kind
    case Fast::None:
        break;
    }
    return false;
}

[[gnu::always_inline]] inline bool RowConverter::read_fast_or_repeat(Prepared &v, Fast fast,
                                                                     std::string_view text) {
    if (text.size() == v.last_length && memcmp(text.data(), v.last_text, text.size()) == 0) {
        v.ready = v.last_value;
        return true;
    }
    if (!read_fast(fast, text, v.ready))
        return false;
    if (text.size() <= sizeof v.last_text) {
        memcpy(v.last_text, text.data(), text.size());
        v.last_length = text.size();
        v.last_value = v.ready;
    }
    return true;
}

inline void RowConverter::prepare_text(std::size_t i, ValueKind kind, std::string_view text) {
    Prepared &v = prepared_[i];
    switch (columns_[i].form) {
    case TextForm::Json:
        v.text = json_text_for(kind, text, scratch_[i]);
        v.length = scratch_[i].size();
        break;
    case TextForm::Point:
        v.text = point_text_for(kind, text, scratch_[i]);
        v.length = scratch_[i].size();
        break;
    case TextForm::AsIs:
        v.text = text.data(); // a page's values are NUL-terminated
        v.length = text.size();
        break;
    }
}

void RowConverter::prepare_values(const Page &page, std::size_t row, const std::string &relname,
                                  std::size_t value_slots, std::uint64_t row_number) {
    // Locals, not members, in the loop: a store through char or bool may alias anything, and
    // would make the compiler load the members again for every value.
    const std::size_t n = columns_.size();
    const Column *const columns = columns_.data();
    Prepared *const prepared = prepared_.data();
    std::size_t text_bytes = 0;
    for (std::size_t i = 0; i < n; ++i) {
        const Column &c = columns[i];
        Prepared &v = prepared[i];
        v.text = nullptr;
        v.is_ready = false;
        const ValueKind kind = page.kind(row, c.item);
        if (kind == ValueKind::Null)
            continue;
        if (c.divisor >= 0) {
            // sum / count; no rows (count 0 or absent) is NULL, as avg over nothing.
            if (page.kind(row, c.divisor) != ValueKind::Null && page.text(row, c.divisor) != "0") {
                v.text = page.c_str(row, c.item);
                v.divisor_text = page.c_str(row, c.divisor);
            }
            continue;
        }
        const std::string_view text = page.text(row, c.item);
        if (c.fast == Fast::Text) {
            v.text = text.data(); // NUL-terminated in the page
            v.length = text.size();
            // The row's text Datums share one allocation (build_datums), int-aligned each.
            text_bytes += INTALIGN(VARHDRSZ + text.size());
            continue;
        }
        if (c.fast == Fast::JsonbPoint && kind == ValueKind::Object) {
            if (auto point = parse_compact_geojson_point(text)) {
                v.point = *point;
                v.is_ready = true;
                continue;
            }
        } else if (c.fast == Fast::Timestamp || c.fast == Fast::TimestampTz
                       ? read_fast_or_repeat(v, c.fast, text)
                       : read_fast(c.fast, text, v.ready)) {
            v.is_ready = true;
            continue;
        }
        if (c.form != TextForm::Point) {
            prepare_text(i, kind, text);
            continue;
        }
        try {
            prepare_text(i, kind, text);
        } catch (const Error &error) {
            raise_point_error(error, page, row, relname,
                              describe_row_position(page, row, value_slots, row_number), i);
        }
    }
    text_bytes_ = text_bytes;
}

void RowConverter::build_datums(Datum *values, bool *nulls, MemoryContext target,
                                TupleTableSlot *slot) {
    pg::call([&] {
        if (slot)
            ExecClearTuple(slot);
        std::fill(nulls, nulls + natts_, true);
        MemoryContext old = MemoryContextSwitchTo(target);
        // The row's text Datums share one allocation, as the values of a deformed heap tuple
        // share its memory: one palloc per row instead of one per text value (about ten in the
        // crimes dataset), made at the row's first text value. Huge: several columns may read
        // the same 64 MB value (column_name), so together they can pass palloc's 1 GB where
        // each alone would not (review helper-85).
        char *text_space = nullptr;
        const std::size_t n = columns_.size();
        const Column *const columns = columns_.data();
        const Prepared *const prepared = prepared_.data();
        for (std::size_t i = 0; i < n; ++i) {
            const Column &c = columns[i];
            const Prepared &v = prepared[i];
            converting_ = static_cast<int>(i);
            if (v.is_ready) {
                if (c.fast == Fast::NumericInteger) // the numeric numeric_in gives (scale 0)
                    values[c.column] = integer_numeric(DatumGetInt64(v.ready));
                else if (c.fast == Fast::JsonbPoint)
                    values[c.column] = geojson_point_jsonb(v.point);
                else
                    values[c.column] = v.ready;
            } else if (!v.text) {
                // A NULL goes through a domain's input function too, as COPY does: it checks
                // the domain's NOT NULL (and its CHECKs).
                if (c.is_domain)
                    InputFunctionCall(c.input, nullptr, c.ioparam, c.typmod);
                continue;
            } else if (c.divisor >= 0) {
                Datum sum = DirectFunctionCall3(numeric_in, CStringGetDatum(v.text),
                                                ObjectIdGetDatum(InvalidOid), Int32GetDatum(-1));
                Datum count = DirectFunctionCall3(numeric_in, CStringGetDatum(v.divisor_text),
                                                  ObjectIdGetDatum(InvalidOid), Int32GetDatum(-1));
                values[c.column] = DirectFunctionCall2(numeric_div, sum, count);
            } else if (c.fast == Fast::Text) {
                if (text_space == nullptr)
                    text_space = static_cast<char *>(
                        MemoryContextAllocHuge(CurrentMemoryContext, text_bytes_));
                text *value = reinterpret_cast<text *>(text_space);
                SET_VARSIZE(value, VARHDRSZ + v.length);
                memcpy(VARDATA(value), v.text, v.length);
                text_space += INTALIGN(VARHDRSZ + v.length);
                values[c.column] = PointerGetDatum(value);
            } else {
                // The portal speaks UTF-8; a database in another encoding gets converted
                // text (an error names the character that has no equivalent).
                char *input = const_cast<char *>(v.text);
                if (!server_is_utf8_)
                    input = pg_any_to_server(input, static_cast<int>(v.length), PG_UTF8);
                values[c.column] = InputFunctionCall(c.input, input, c.ioparam, c.typmod);
            }
            nulls[c.column] = false;
        }
        MemoryContextSwitchTo(old);
        if (slot)
            ExecStoreVirtualTuple(slot);
    });
}

} // namespace socrata::pg
