// libFuzzer harness: CsvRowDecoder (src/core/csv_row_decoder.*).
//
// Input: byte 0 = options (bits 0-2: how many chunk-size bytes follow; bit 3: tiny limits;
// bit 4: the second field list; bit 5: finish(end_marked = false)), then those chunk-size
// bytes, then the response body. The body is decoded split into the chunks and in one piece,
// and checked:
//  - only socrata::Error escapes; every value is readable (ASan), a String of valid UTF-8
//    without NUL, or Null with no text;
//  - the outcome (rows, header, error or not) does not depend on where the chunks split;
//  - with the default limits, rows and success equal those of a small reference parser of the
//    format the header comment documents (RFC 4180; LF, CRLF or CR line ends; empty unquoted
//    field = NULL, "" = empty string; one header record, naming every field asked for; same field
//    count in every record).
#include "fuzz_support.hpp"

#include "csv_row_decoder.hpp"

#include <map>
#include <optional>

using namespace socrata;
using fuzz::Cell;
using fuzz::Rows;

namespace {

const std::vector<std::string> kFieldsB = {"a", "b", "c", "a,b", "x\"y", "\xC3\xA9", "line\nbreak"};

// The fields to ask for: the names on the body's first line, split at its commas with their
// quotes dropped (every other one, the first twice). A header that lacks one is an error, so
// fixed names would stop nearly every input at its header; these are mostly the header's own
// (not always: a quoted comma splits a name, which exercises that error too).
std::vector<std::string> fields_from_first_line(std::string_view body) {
    const std::string_view line = body.substr(0, body.find_first_of("\r\n"));
    std::vector<std::string> names;
    std::size_t start = 0;
    for (std::size_t i = 0; i <= line.size(); ++i) {
        if (i < line.size() && line[i] != ',')
            continue;
        std::string name;
        for (char c : line.substr(start, i - start))
            if (c != '"')
                name += c;
        names.push_back(std::move(name));
        start = i + 1;
    }
    std::vector<std::string> fields;
    for (std::size_t i = 0; i < names.size(); i += 2)
        fields.push_back(names[i]);
    fields.push_back(names.front());
    return fields;
}

struct Outcome {
    Rows rows;
    std::vector<std::string> header;
    bool ok = true;
    std::string what;
};

Outcome decode(std::string_view body, const std::vector<std::string> &fields,
               const std::vector<std::size_t> &sizes, const DecoderLimits &limits,
               bool end_marked) {
    Outcome out;
    CsvRowDecoder d(
        fields,
        [&](const RowView &row) {
            FUZZ_CHECK(row.size() == fields.size(), "row has the wrong number of slots");
            FUZZ_CHECK(row.row_index() == out.rows.size(), "row_index out of sequence");
            FUZZ_CHECK(row.byte_offset() < body.size(), "row byte_offset past the body");
            std::vector<Cell> cells;
            for (std::size_t i = 0; i < row.size(); ++i) {
                const FieldValue &v = row[i];
                fuzz::touch_every_byte(v.text);
                if (v.kind == ValueKind::Null) {
                    FUZZ_CHECK(v.text.empty(), "null with text");
                } else {
                    FUZZ_CHECK(row.in_block(i),
                               "a value outside its row's block, or not terminated there");
                    FUZZ_CHECK(v.kind == ValueKind::String, "CSV value not a String");
                    FUZZ_CHECK(fuzz::valid_utf8(v.text), "value not valid UTF-8");
                    FUZZ_CHECK(v.text.find('\0') == std::string_view::npos, "value holds NUL");
                }
                cells.push_back(Cell{v.kind, std::string(v.text)});
            }
            out.rows.push_back(std::move(cells));
        },
        "https://example.test/resource/abcd-1234.csv", limits);
    try {
        fuzz::feed_in_chunks(body, sizes, [&](const char *p, std::size_t n) { d.feed(p, n); });
        d.finish(end_marked);
        FUZZ_CHECK(d.bytes_consumed() == body.size(), "bytes_consumed differs from body size");
    } catch (const Error &e) {
        out.ok = false;
        out.what = e.what();
        FUZZ_CHECK(e.kind() == ErrorKind::BadResponse,
                   std::string("unexpected error kind ") + to_string(e.kind()) + ": " + e.what());
        try {
            d.feed("a", 1);
            FUZZ_CHECK(false, "decoder accepted more input after an error");
        } catch (const Error &again) {
            FUZZ_CHECK(again.kind() == ErrorKind::Internal, again.what());
        }
    }
    out.header = d.header();
    FUZZ_CHECK(d.rows() == out.rows.size(), "rows() differs from rows handed on");
    return out;
}

// The reference: the documented format, parsed the slow obvious way.
struct RefField {
    std::string text;
    bool quoted;
};

Outcome reference(std::string_view body, const std::vector<std::string> &fields, bool end_marked) {
    Outcome out;
    auto fail = [&](const char *why) {
        out.ok = false;
        out.what = why;
        return out;
    };
    if (body.empty())
        return fail("empty");
    if (body[0] == '{')
        return fail("error object");
    bool have_header = false;
    std::map<std::string, std::size_t> column_of; // last column of each name
    std::size_t i = 0;
    while (i < body.size()) {
        // One record.
        std::vector<RefField> rec;
        bool record_ended_by_newline = false;
        for (;;) {
            RefField f{{}, false};
            if (i < body.size() && body[i] == '"') {
                f.quoted = true;
                ++i;
                for (;;) {
                    if (i >= body.size())
                        return fail("ended inside quotes");
                    if (body[i] == '"') {
                        if (i + 1 < body.size() && body[i + 1] == '"') {
                            f.text += '"';
                            i += 2;
                            continue;
                        }
                        ++i;
                        break;
                    }
                    f.text += body[i++];
                }
                if (i < body.size() && body[i] != ',' && body[i] != '\n' && body[i] != '\r')
                    return fail("junk after closing quote");
            } else {
                while (i < body.size() && body[i] != ',' && body[i] != '\n' && body[i] != '\r') {
                    if (body[i] == '"')
                        return fail("quote in unquoted");
                    f.text += body[i++];
                }
            }
            if (f.text.find('\0') != std::string::npos || !fuzz::valid_utf8(f.text))
                return fail("NUL or bad UTF-8");
            if (!have_header && rec.size() >= CsvRowDecoder::kMaxColumns)
                return fail("too many columns");
            if (have_header && rec.size() >= out.header.size())
                return fail("more fields than the header");
            rec.push_back(std::move(f));
            if (i >= body.size())
                break;
            if (body[i] == ',') {
                ++i;
                continue; // (a ',' at the very end: one more, empty field follows)
            }
            // a line end
            if (body[i] == '\r' && i + 1 < body.size() && body[i + 1] == '\n')
                ++i;
            ++i;
            record_ended_by_newline = true;
            break;
        }
        if (!record_ended_by_newline && !end_marked)
            return fail("last record without line end, body end not marked");
        if (!have_header) {
            have_header = true;
            for (const auto &f : rec)
                out.header.push_back(f.text);
            for (std::size_t c = 0; c < out.header.size(); ++c)
                column_of[out.header[c]] = c;
            // The portal's header names every field asked for: one it lacks is an error.
            for (const auto &name : fields)
                if (column_of.count(name) == 0)
                    return fail("a wanted field missing from the header");
            continue;
        }
        if (rec.size() != out.header.size())
            return fail("field count");
        std::vector<Cell> cells;
        for (const auto &name : fields) {
            const RefField &f = rec[column_of.at(name)];
            if (f.quoted || !f.text.empty())
                cells.push_back(Cell{ValueKind::String, f.text});
            else
                cells.push_back(Cell{ValueKind::Null, {}});
        }
        out.rows.push_back(std::move(cells));
    }
    if (!have_header)
        return fail("no header");
    return out;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
    fuzz::Input in(data, size);
    const std::uint8_t opts = in.byte();
    const std::vector<std::size_t> sizes = fuzz::chunk_sizes(in, opts & 7);
    const bool tiny = opts & 8;
    const bool end_marked = !(opts & 32);
    const std::string_view body = in.rest();
    const std::vector<std::string> fields = (opts & 16) ? kFieldsB : fields_from_first_line(body);

    DecoderLimits limits;
    if (tiny) {
        limits.max_value_bytes = 8;
        limits.max_row_bytes = 20;
    }
    const Outcome split = decode(body, fields, sizes, limits, end_marked);
    const Outcome whole = decode(body, fields, {}, limits, end_marked);
    FUZZ_CHECK(split.rows == whole.rows, "rows depend on chunking:\nsplit:\n" +
                                             fuzz::show(split.rows) + "whole:\n" +
                                             fuzz::show(whole.rows));
    FUZZ_CHECK(split.ok == whole.ok,
               "outcome depends on chunking: split: " + split.what + " / whole: " + whole.what);
    FUZZ_CHECK(split.header == whole.header, "header depends on chunking");
    if (!tiny) {
        const Outcome ref = reference(body, fields, end_marked);
        FUZZ_CHECK(whole.ok == ref.ok, "decoder " + std::string(whole.ok ? "accepted" : "refused") +
                                           " (" + whole.what +
                                           "), reference says: " + (ref.ok ? "ok" : ref.what));
        FUZZ_CHECK(whole.rows == ref.rows, "rows differ from the reference:\ndecoder:\n" +
                                               fuzz::show(whole.rows) + "reference:\n" +
                                               fuzz::show(ref.rows));
        if (whole.ok)
            FUZZ_CHECK(whole.header == ref.header, "header differs from the reference");
    }
    return 0;
}
