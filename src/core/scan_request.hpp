// What one foreign scan asks of Socrata, independent of paging: the SoQL clauses. Built by the
// planner, carried in the plan, rendered into request URLs page by page by PageFetcher.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace socrata {

struct ScanRequest {
    // $select items in slot order (field identifiers or aggregate expressions, SoQL text).
    std::vector<std::string> select;
    std::string where;       // empty = none
    std::string order;       // empty = none (keyset paging orders by :id itself)
    std::string group;       // empty = none
    std::int64_t limit = -1; // -1 = all rows
    std::int64_t offset = 0;
    // Page with `$where=:id > last` ordered by :id (cheap on Socrata at any depth). Offset
    // paging is used when the rows have another order or are aggregates.
    bool keyset = true;
    // Ask for `.csv` instead of `.json`: the same values as text, about half the bytes, and
    // cheaper to produce and to parse. Only for fields whose CSV text equals their JSON value
    // (the planner decides, from the dataset's field types); nested types need JSON.
    bool csv = false;
    // Every select item is a field that `$select=*` returns (the dataset's metadata lists it)
    // or one named besides `*` (star_leaves_out): a list too long for the URL is then sent as
    // those and `*` (select_for_url).
    bool star_returns_all = false;
};

} // namespace socrata
