// What the planner decides about one foreign scan and how it travels to the executor.
// RelPlanInfo lives in RelOptInfo.fdw_private during planning; the plan itself carries only
// copyable Postgres nodes (fdw_private list + fdw_exprs), so prepared plans work.
#pragma once

#include "deparse.hpp"
#include "scan_request.hpp"

namespace socrata::pg {

struct RelPlanInfo {
    ForeignTableInfo table;
    std::shared_ptr<const RemoteSchema> remote; // null when unknown
    List *remote_conds = NIL;                   // RestrictInfos sent as $where
    List *local_conds = NIL;                    // RestrictInfos evaluated by Postgres
    List *narrowed_conds = NIL; // those of local_conds whose wider form is in `where`
    List *runtime_values = NIL;
    std::string where;
    std::vector<int> null_rejecting_values;       // see ScanPlan
    std::vector<ConvertedValue> converted_values; // see ScanPlan
    Bitmapset *attrs_used = nullptr; // columns the query needs (offset by FirstLowInvalid...)
    double rows = 0;
};

// What deparsing needs to know about the scanned relation, from its planning state.
DeparseContext deparse_context_for(PlannerInfo *root, RelOptInfo *rel, const RelPlanInfo &info);

// The executor's view of the plan: the request and the columns it fills. Entry i of
// slot_columns / slot_items says: column slot_columns[i] (0-based, of the scan tuple) takes
// the value of select item slot_items[i]. Two columns reading one field share one item.
struct ScanPlan {
    ScanRequest request;
    std::vector<int> slot_columns;
    std::vector<int> slot_items;
    // -1, or the select item holding a count that slot_items[i] (a sum) is divided by: a pushed
    // avg(), computed as Postgres computes it, numeric_div(sum, count).
    std::vector<int> slot_divisors;
    // Runtime values each compared with a column by a whole condition of the scan's WHERE: if
    // one is NULL no row matches, and the scan returns none without asking (a nested loop's
    // NULL keys, a NULL parameter). Never set for an aggregate, which has a row for no rows.
    std::vector<int> null_rejecting_values;
    // Runtime values the scan converts when it starts, before sending them: timestamptz
    // values as local-time bounds (deparse_widened_condition_into: their conditions stay local
    // too), timestamp and date values compared with a timestamptz column as instants.
    std::vector<ConvertedValue> converted_values;

    // Column `column` reads the SoQL select item `item`; an item asked for twice is selected
    // once (Socrata rejects duplicate names in $select).
    void add_column(const std::string &item, int column);
    std::string dataset_label; // for EXPLAIN and messages
};

// The table columns a row scan reads, added to its plan one by one, and then the form it asks
// for them in. Every row scan decides the same way: a plain scan, one under a pushed LIMIT, and
// ANALYZE's sample.
class RowScanColumns {
  public:
    RowScanColumns(ScanPlan &plan, const ForeignTableInfo &table) : plan_(plan), table_(table) {}

    // Column `position` (0-based, of the scan tuple) reads the table's column `column`.
    void add(const ColumnInfo &column, int position);
    // Sets the request's form for the columns added: CSV or JSON (use_csv, with the table's
    // response_format), and `*` when naming them all would make the URL too long
    // (star_returns_all).
    void choose_response_form(const RemoteSchema *remote) const;

  private:
    ScanPlan &plan_;
    const ForeignTableInfo &table_;
    std::vector<std::string> fields_;
    bool into_json_ = false; // a json or jsonb column reads JSON (use_csv)
};

List *scan_plan_to_list(const ScanPlan &plan);
ScanPlan scan_plan_from_list(List *list);

} // namespace socrata::pg
