// Helpers shared by the unit tests: fixture loading, row collection and decoder driving.
#pragma once

#include "error.hpp"
#include "row_view.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstddef>

#include <fstream>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace socrata::test {

// `make unit` runs the binary from test/unit; running it from the repo root works too.
inline std::string read_fixture(const std::string &name) {
    for (const char *dir : {"fixtures/", "test/unit/fixtures/"}) {
        std::ifstream in(std::string(dir) + name, std::ios::binary);
        if (in) {
            std::ostringstream s;
            s << in.rdbuf();
            return s.str();
        }
    }
    throw std::runtime_error("fixture not found: " + name);
}

// A decoded value copied out of the row view, comparable in assertions.
struct Cell {
    ValueKind kind = ValueKind::Null;
    std::string text;
    bool operator==(const Cell &o) const { return kind == o.kind && text == o.text; }
};

inline std::ostream &operator<<(std::ostream &os, const Cell &c) {
    return os << to_string(c.kind) << ":" << c.text;
}

using Rows = std::vector<std::vector<Cell>>;

// Checks RowView::block's promise for each slot of the row; returns how many values are not
// null.
inline std::size_t expect_values_in_block(const RowView &row) {
    std::size_t values = 0;
    for (std::size_t slot = 0; slot < row.size(); ++slot) {
        EXPECT_TRUE(row.in_block(slot)) << "slot " << slot;
        values += !row[slot].is_null();
    }
    return values;
}

// Callback that copies every row (views are only valid during the callback).
inline RowCallback collect_into(Rows &rows) {
    return [&rows](const RowView &row) {
        std::vector<Cell> cells;
        for (std::size_t i = 0; i < row.size(); ++i)
            cells.push_back(Cell{row[i].kind, std::string(row[i].text)});
        rows.push_back(std::move(cells));
    };
}

inline Cell str(std::string s) {
    return Cell{ValueKind::String, std::move(s)};
}
inline Cell num(std::string s) {
    return Cell{ValueKind::Number, std::move(s)};
}
inline Cell boolean(bool b) {
    return Cell{ValueKind::Bool, b ? "true" : "false"};
}
inline Cell object(std::string s) {
    return Cell{ValueKind::Object, std::move(s)};
}
inline Cell array(std::string s) {
    return Cell{ValueKind::Array, std::move(s)};
}
inline Cell null() {
    return Cell{};
}

// Decodes `body` with a row decoder (JsonRowDecoder, CsvRowDecoder) fed in chunks of the given
// sizes (cycled; none = one piece), and checks the decoder's own row and byte counts.
template <class Decoder>
Rows decode_with(const std::string &body, const std::vector<std::string> &fields,
                 const std::vector<std::size_t> &chunks = {}) {
    Rows rows;
    Decoder d(fields, collect_into(rows), "https://example.test/resource/abcd-1234.json");
    if (chunks.empty()) {
        d.feed(body);
    } else {
        std::size_t pos = 0, i = 0;
        while (pos < body.size()) {
            std::size_t n = std::min(chunks[i++ % chunks.size()], body.size() - pos);
            d.feed(body.data() + pos, n);
            pos += n;
        }
    }
    d.finish();
    EXPECT_EQ(d.rows(), rows.size());
    EXPECT_EQ(d.bytes_consumed(), body.size());
    return rows;
}

// The Error a row decoder throws on `body` fed in one piece (fails the test if none is thrown).
template <class Decoder>
Error decode_error_with(const std::string &body, const std::vector<std::string> &fields,
                        DecoderLimits limits) {
    Rows rows;
    Decoder d(fields, collect_into(rows), "", limits);
    try {
        d.feed(body);
        d.finish();
    } catch (const Error &e) {
        return e;
    }
    ADD_FAILURE() << "no error for body: " << body;
    return Error(ErrorKind::Protocol, "none");
}

} // namespace socrata::test
