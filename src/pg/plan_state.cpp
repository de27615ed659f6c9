#include "plan_state.hpp"

#include "pg_guard.hpp"

#include <algorithm>

namespace socrata::pg {

namespace {

// fdw_private is a flat list: [select items (List of String), where, order, group, limit,
// offset, keyset ("1"/"0"), csv ("1"/"0"), star returns all ("1"/"0"), slot columns (IntList),
// slot items (IntList), slot divisors (IntList), null-rejecting values (IntList), converted
// values (IntList: index and conversion, in turn), dataset label].
enum PlanItem {
    Select,
    Where,
    Order,
    Group,
    Limit,
    Offset,
    Keyset,
    Csv,
    StarReturnsAll,
    SlotColumns,
    SlotItems,
    SlotDivisors,
    NullRejecting,
    Converted,
    Label,
    Count
};

Node *string_node(const std::string &s) {
    return pg::call([&] { return reinterpret_cast<Node *>(makeString(pstrdup(s.c_str()))); });
}

std::string string_at(List *list, int index) {
    return strVal(list_nth(list, index));
}

Node *int_list_node(const std::vector<int> &values) {
    List *list = NIL;
    for (int value : values)
        list = pg::call([&] { return lappend_int(list, value); });
    return reinterpret_cast<Node *>(list);
}

std::vector<int> ints_at(List *list, int index) {
    std::vector<int> values;
    ListCell *cell;
    foreach (cell, static_cast<List *>(list_nth(list, index)))
        values.push_back(lfirst_int(cell));
    return values;
}

} // namespace

void ScanPlan::add_column(const std::string &item, int column) {
    auto found = std::find(request.select.begin(), request.select.end(), item);
    if (found == request.select.end())
        found = request.select.insert(request.select.end(), item);
    slot_columns.push_back(column);
    slot_items.push_back(static_cast<int>(found - request.select.begin()));
}

void RowScanColumns::add(const ColumnInfo &column, int position) {
    plan_.add_column(soql_field(table_, column), position);
    fields_.push_back(column.field);
    into_json_ = into_json_ || column.takes_json();
}

void RowScanColumns::choose_response_form(const RemoteSchema *remote) const {
    plan_.request.csv = use_csv(table_.settings.response_format, remote, fields_, into_json_);
    plan_.request.star_returns_all = star_returns_all(remote, fields_);
}

DeparseContext deparse_context_for(PlannerInfo *root, RelOptInfo *rel, const RelPlanInfo &info) {
    DeparseContext ctx;
    ctx.root = root;
    ctx.rel = rel;
    ctx.table = &info.table;
    ctx.remote = info.remote.get();
    return ctx;
}

List *scan_plan_to_list(const ScanPlan &plan) {
    List *select = NIL;
    for (const auto &item : plan.request.select) {
        Node *node = string_node(item); // its own pg::call: never nest one inside another
        select = pg::call([&] { return lappend(select, node); });
    }
    std::vector<int> divisors;
    for (std::size_t i = 0; i < plan.slot_items.size(); ++i)
        divisors.push_back(i < plan.slot_divisors.size() ? plan.slot_divisors[i] : -1);
    std::vector<int> converted;
    for (const ConvertedValue &value : plan.converted_values) {
        converted.push_back(value.index);
        converted.push_back(static_cast<int>(value.conversion));
    }

    Node *items[Count] = {
        reinterpret_cast<Node *>(select),
        string_node(plan.request.where),
        string_node(plan.request.order),
        string_node(plan.request.group),
        string_node(std::to_string(plan.request.limit)),
        string_node(std::to_string(plan.request.offset)),
        string_node(plan.request.keyset ? "1" : "0"),
        string_node(plan.request.csv ? "1" : "0"),
        string_node(plan.request.star_returns_all ? "1" : "0"),
        int_list_node(plan.slot_columns),
        int_list_node(plan.slot_items),
        int_list_node(divisors),
        int_list_node(plan.null_rejecting_values),
        int_list_node(converted),
        string_node(plan.dataset_label),
    };
    List *list = NIL;
    for (Node *item : items)
        list = pg::call([&] { return lappend(list, item); });
    return list;
}

ScanPlan scan_plan_from_list(List *list) {
    ScanPlan plan;
    ListCell *cell;
    foreach (cell, static_cast<List *>(list_nth(list, Select)))
        plan.request.select.emplace_back(strVal(lfirst(cell)));
    plan.request.where = string_at(list, Where);
    plan.request.order = string_at(list, Order);
    plan.request.group = string_at(list, Group);
    plan.request.limit = std::stoll(string_at(list, Limit));
    plan.request.offset = std::stoll(string_at(list, Offset));
    plan.request.keyset = string_at(list, Keyset) == "1";
    plan.request.csv = string_at(list, Csv) == "1";
    plan.request.star_returns_all = string_at(list, StarReturnsAll) == "1";
    plan.slot_columns = ints_at(list, SlotColumns);
    plan.slot_items = ints_at(list, SlotItems);
    plan.slot_divisors = ints_at(list, SlotDivisors);
    plan.null_rejecting_values = ints_at(list, NullRejecting);
    std::vector<int> converted = ints_at(list, Converted);
    for (std::size_t i = 0; i + 1 < converted.size(); i += 2)
        plan.converted_values.push_back(
            {converted[i], static_cast<ValueConversion>(converted[i + 1])});
    plan.dataset_label = string_at(list, Label);
    return plan;
}

} // namespace socrata::pg
