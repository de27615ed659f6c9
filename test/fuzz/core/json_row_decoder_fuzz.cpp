// libFuzzer harness: JsonRowDecoder (src/core/json_row_decoder.*).
//
// Input: byte 0 = options (bits 0-2: how many chunk-size bytes follow; bit 3: tiny limits;
// bit 4: the second field list), then those chunk-size bytes, then the response body.
// The body is decoded twice, once split into the chunks, once in one piece, and checked:
//  - only socrata::Error escapes (any other exception reaches libFuzzer as a crash);
//  - every value handed to the callback is readable (ASan), of its kind's form (String: valid
//    UTF-8 without NUL; Number: a JSON number; Bool: true/false; Object/Array: valid JSON),
//    and lies inside its row's block with a NUL after it (RowView::block);
//  - in one piece, rows go through the decoder's fast path (decode_plain_row) where they can,
//    split mostly through its byte-by-byte steps: the chunking check compares the two; and
//    each chunking again without the fast path gives the same rows and the same error text;
//  - the outcome (rows, and the error kind if any) does not depend on where the chunks split;
//  - with the default limits, a body the decoder accepts is valid JSON (nlohmann; unless only
//    a number out of a double's range makes nlohmann refuse it), an array of objects, and every
//    wanted value equals the member nlohmann reads (last duplicate wins);
//  - after an error, feed() and finish() throw Error(Internal).
#include "fuzz_support.hpp"

#include "json_row_decoder.hpp"

#include <nlohmann/json.hpp>

#include <optional>

using namespace socrata;
using fuzz::Cell;
using fuzz::Rows;

namespace {

const std::vector<std::string> kFieldsA = {"id", "date", "arrest", "location", "a",
                                           "b",  "",     "id",     ":id",      "primary_type"};
const std::vector<std::string> kFieldsB = {"a", "b", "c", "d",    "e",
                                           "f", "g", "h", "a\"b", "\xC3\xA9"};

// JSON's number grammar (RFC 8259 section 6), written apart from the decoder's.
bool is_json_number(std::string_view t) {
    std::size_t i = 0;
    auto digits = [&] { // skips a run of digits; how many
        const std::size_t from = i;
        while (i < t.size() && t[i] >= '0' && t[i] <= '9')
            ++i;
        return i - from;
    };
    if (i < t.size() && t[i] == '-')
        ++i;
    if (i < t.size() && t[i] == '0')
        ++i;
    else if (i >= t.size() || t[i] < '1' || t[i] > '9' || digits() == 0)
        return false;
    if (i < t.size() && t[i] == '.') {
        ++i;
        if (digits() == 0)
            return false;
    }
    if (i < t.size() && (t[i] == 'e' || t[i] == 'E')) {
        ++i;
        if (i < t.size() && (t[i] == '+' || t[i] == '-'))
            ++i;
        if (digits() == 0)
            return false;
    }
    return i == t.size();
}

void check_value(const FieldValue &v) {
    fuzz::touch_every_byte(v.text);
    const std::string t(v.text);
    switch (v.kind) {
    case ValueKind::Null:
        FUZZ_CHECK(v.text.empty(), "a null value with text: " + t);
        break;
    case ValueKind::String:
        FUZZ_CHECK(fuzz::valid_utf8(v.text), "string value is not valid UTF-8: " + t);
        FUZZ_CHECK(v.text.find('\0') == std::string_view::npos, "string value holds a NUL");
        break;
    case ValueKind::Number:
        FUZZ_CHECK(is_json_number(v.text), "number value is not a JSON number: " + t);
        break;
    case ValueKind::Bool:
        FUZZ_CHECK(t == "true" || t == "false", "bool value: " + t);
        break;
    case ValueKind::Object:
    case ValueKind::Array: {
        FUZZ_CHECK(!t.empty() && t.front() == (v.kind == ValueKind::Object ? '{' : '['),
                   "object/array value does not open with its bracket: " + t);
        bool valid = nlohmann::json::accept(t);
        if (!valid) { // a number past a double's range is valid JSON that nlohmann refuses
            try {
                [[maybe_unused]] const auto parsed = nlohmann::json::parse(t);
            } catch (const nlohmann::json::out_of_range &) {
                valid = true;
            } catch (const nlohmann::json::exception &) {
            }
        }
        FUZZ_CHECK(valid, "captured object/array is not valid JSON: " + t);
        break;
    }
    }
}

struct Outcome {
    Rows rows;
    std::optional<ErrorKind> error;
    std::string what;
    std::uint64_t rows_counted = 0;
};

Outcome decode(std::string_view body, const std::vector<std::string> &fields,
               const std::vector<std::size_t> &sizes, const DecoderLimits &limits,
               bool fast_path = true) {
    Outcome out;
    std::uint64_t last_offset = 0;
    JsonRowDecoder d(
        fields,
        [&](const RowView &row) {
            FUZZ_CHECK(row.size() == fields.size(), "row has the wrong number of slots");
            FUZZ_CHECK(row.row_index() == out.rows.size(), "row_index out of sequence");
            FUZZ_CHECK(row.byte_offset() < body.size(), "row byte_offset past the body");
            FUZZ_CHECK(out.rows.empty() || row.byte_offset() > last_offset,
                       "row byte_offset not increasing");
            last_offset = row.byte_offset();
            std::vector<Cell> cells;
            for (std::size_t i = 0; i < row.size(); ++i) {
                check_value(row[i]);
                FUZZ_CHECK(row.in_block(i),
                           "a value outside its row's block, or not terminated there");
                cells.push_back(Cell{row[i].kind, std::string(row[i].text)});
            }
            out.rows.push_back(std::move(cells));
        },
        "https://example.test/resource/abcd-1234.json", limits);
    d.use_fast_path(fast_path);
    try {
        fuzz::feed_in_chunks(body, sizes, [&](const char *p, std::size_t n) { d.feed(p, n); });
        d.finish();
        FUZZ_CHECK(d.bytes_consumed() == body.size(), "bytes_consumed differs from body size");
    } catch (const Error &e) {
        out.error = e.kind();
        out.what = e.what();
        FUZZ_CHECK(e.kind() == ErrorKind::BadResponse || e.kind() == ErrorKind::Untranslatable,
                   std::string("unexpected error kind ") + to_string(e.kind()) + ": " + e.what());
        // A decoder that failed refuses to go on.
        for (int i = 0; i < 2; ++i) {
            try {
                if (i == 0)
                    d.feed("[", 1);
                else
                    d.finish();
                FUZZ_CHECK(false, "decoder accepted more input after an error");
            } catch (const Error &again) {
                FUZZ_CHECK(again.kind() == ErrorKind::Internal,
                           std::string("after an error: ") + again.what());
            }
        }
    }
    out.rows_counted = d.rows();
    FUZZ_CHECK(out.rows_counted == out.rows.size(), "rows() differs from rows handed on");
    return out;
}

// With the default limits: what the decoder accepted, nlohmann must read the same way.
void compare_with_nlohmann(std::string_view body, const std::vector<std::string> &fields,
                           const Outcome &o) {
    const nlohmann::json doc = nlohmann::json::parse(body.begin(), body.end(), nullptr, false);
    if (!o.error) {
        if (doc.is_discarded()) {
            // JSON's grammar has no range for numbers, nlohmann's doubles do ("1e999"): a body
            // nlohmann refuses only for that is not compared.
            try {
                [[maybe_unused]] const auto parsed =
                    nlohmann::json::parse(body.begin(), body.end());
            } catch (const nlohmann::json::out_of_range &) {
                return;
            } catch (const nlohmann::json::exception &) {
            }
        }
        FUZZ_CHECK(!doc.is_discarded(), "decoder accepted a body nlohmann rejects");
        FUZZ_CHECK(doc.is_array(), "decoder accepted a body that is not an array");
        FUZZ_CHECK(doc.size() == o.rows.size(), "row count differs from the array's size");
        for (std::size_t r = 0; r < doc.size(); ++r) {
            const auto &obj = doc[r];
            FUZZ_CHECK(obj.is_object(), "decoder accepted an array element that is no object");
            for (std::size_t s = 0; s < fields.size(); ++s) {
                const Cell &c = o.rows[r][s];
                auto it = obj.find(fields[s]);
                if (it == obj.end() || it->is_null()) {
                    FUZZ_CHECK(c.kind == ValueKind::Null,
                               "field " + fields[s] + " absent/null but decoded as " + c.text);
                    continue;
                }
                switch (c.kind) {
                case ValueKind::Null:
                    FUZZ_CHECK(false, "field " + fields[s] + " present but decoded as null");
                    break;
                case ValueKind::String:
                    FUZZ_CHECK(it->is_string() && it->get<std::string>() == c.text,
                               "string differs for " + fields[s] + ": " + c.text);
                    break;
                case ValueKind::Bool:
                    FUZZ_CHECK(it->is_boolean() && (it->get<bool>() ? "true" : "false") == c.text,
                               "bool differs for " + fields[s]);
                    break;
                case ValueKind::Number:
                    FUZZ_CHECK(it->is_number(), "number kind differs for " + fields[s]);
                    FUZZ_CHECK(nlohmann::json::parse(c.text) == *it,
                               "number differs for " + fields[s] + ": " + c.text);
                    break;
                case ValueKind::Object:
                case ValueKind::Array:
                    FUZZ_CHECK(it->is_object() == (c.kind == ValueKind::Object) &&
                                   it->is_array() == (c.kind == ValueKind::Array),
                               "container kind differs for " + fields[s]);
                    FUZZ_CHECK(nlohmann::json::parse(c.text) == *it,
                               "container differs for " + fields[s] + ": " + c.text);
                    break;
                }
            }
        }
        return;
    }
    // The decoder refused a body: a well-formed array of objects is refused only for what the
    // decoder refuses on purpose (\u0000 in a value, nesting past its depth limit). (nlohmann's
    // lexer takes a NUL byte for the end of its input, so it accepts "[] \0junk": not compared.)
    if (body.find('\0') == std::string_view::npos && !doc.is_discarded() && doc.is_array() &&
        *o.error == ErrorKind::BadResponse) {
        bool all_objects = true;
        for (const auto &e : doc)
            all_objects = all_objects && e.is_object();
        if (all_objects)
            FUZZ_CHECK(o.what.find("nested deeper") != std::string::npos,
                       "decoder refused a valid array of objects: " + o.what);
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
    fuzz::Input in(data, size);
    const std::uint8_t opts = in.byte();
    const std::vector<std::size_t> sizes = fuzz::chunk_sizes(in, opts & 7);
    const bool tiny = opts & 8;
    const std::vector<std::string> &fields = (opts & 16) ? kFieldsB : kFieldsA;
    const std::string_view body = in.rest();

    DecoderLimits limits;
    if (tiny) {
        limits.max_value_bytes = 24;
        limits.max_row_bytes = 48;
        limits.max_depth = 4;
    }
    const Outcome split = decode(body, fields, sizes, limits);
    const Outcome whole = decode(body, fields, {}, limits);
    FUZZ_CHECK(split.rows == whole.rows, "rows depend on chunking:\nsplit (" + split.what + "):\n" +
                                             fuzz::show(split.rows) + "whole (" + whole.what +
                                             "):\n" + fuzz::show(whole.rows));
    FUZZ_CHECK(split.error == whole.error,
               "outcome depends on chunking: split: " + split.what + " / whole: " + whole.what);
    // The same chunks without the fast path: everything the same, error messages included.
    for (const auto &[with, chunks] :
         {std::make_pair(&split, sizes), std::make_pair(&whole, std::vector<std::size_t>{})}) {
        const Outcome without = decode(body, fields, chunks, limits, false);
        FUZZ_CHECK(with->rows == without.rows && with->error == without.error &&
                       with->what == without.what,
                   "the fast path changed the outcome: with: " + with->what + " / without: " +
                       without.what + "\n" + fuzz::show(with->rows) + fuzz::show(without.rows));
    }
    if (!tiny)
        compare_with_nlohmann(body, fields, whole);
    return 0;
}
