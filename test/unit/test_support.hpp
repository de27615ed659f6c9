// Helpers shared by the unit tests: fixture loading and row collection.
#pragma once

#include "row_view.hpp"

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

} // namespace socrata::test
