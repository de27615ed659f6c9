#include "estimate.hpp"

#include "datum_literal.hpp"
#include "error.hpp"
#include "expiring_cache.hpp"
#include "fdw_options.hpp"
#include "pg_guard.hpp"
#include "row_count.hpp"
#include "session_zone_values.hpp"

namespace socrata::pg {

namespace {

// Socrata datasets are usually large; without statistics assume a sizeable table so the
// planner prefers plans that scan it once.
constexpr double kDefaultRows = 100000.0;

// The pushed conditions for a count at planning time: `where` with its runtime values filled
// in, when each is a constant (converted in the planning session's TimeZone: the count is only
// an estimate); nullopt when one is known only when the scan starts, or has no SoQL form.
std::optional<std::string> where_with_constants(const RelPlanInfo &info) {
    std::vector<RuntimeValue> constants;
    ListCell *cell;
    foreach (cell, info.runtime_values) {
        auto *expr = static_cast<Expr *>(lfirst(cell));
        // (A NULL matches no row: the scan sends nothing, and no count is asked for it.)
        if (!IsA(expr, Const) || reinterpret_cast<Const *>(expr)->constisnull)
            return std::nullopt;
        const auto *constant = reinterpret_cast<const Const *>(expr);
        constants.push_back({constant->constvalue, false, constant->consttype});
    }
    convert_runtime_values(constants, info.converted_values);
    std::vector<ComparedValue> values;
    for (const RuntimeValue &v : constants) {
        try {
            values.push_back(compared_value_for_datum(v.value, false, v.type));
        } catch (const Error &) {
            return std::nullopt;
        }
    }
    return render_where(info.where, values);
}

} // namespace

double remote_row_count(const ScanSettings &settings, const std::string &where) {
    // Per backend; see expiring_cache.hpp for why entries age out and how many are kept.
    static ExpiringCache<double> counts(256, std::chrono::minutes(10));
    std::string key = portal_cache_key(settings) + "\n" + where;
    if (auto cached = counts.find(key, std::chrono::steady_clock::now()))
        return *cached;
    SodaClient client(settings, cancel_requested);
    double count = fetch_row_count(client, where);
    // Stamped after the fetch: a slow count is then trusted for max_age from when it arrived.
    counts.store(key, count, std::chrono::steady_clock::now());
    return count;
}

double table_rows(const RelOptInfo *baserel) {
    // reltuples is -1 until ANALYZE (PostgreSQL 14 on), and 0 after it found no row.
    return baserel->tuples >= 0 ? baserel->tuples : kDefaultRows;
}

double estimate_rows(PlannerInfo *root, RelOptInfo *baserel, const RelPlanInfo &info) {
    const ScanSettings &settings = info.table.settings;
    std::optional<std::string> where =
        settings.use_remote_estimate ? where_with_constants(info) : std::nullopt;
    if (where) {
        // The remote count already applies the pushed conditions, and the wider forms of the
        // narrowed ones (near enough to them for an estimate); only the other local ones remain.
        double rows = remote_row_count(settings, *where);
        Selectivity local = pg::call([&] {
            List *others = list_difference_ptr(info.local_conds, info.narrowed_conds);
            return clauselist_selectivity(root, others, baserel->relid, JOIN_INNER, nullptr);
        });
        return std::max(1.0, rows * local);
    }
    const double tuples = table_rows(baserel);
    Selectivity all = pg::call([&] {
        return clauselist_selectivity(root, baserel->baserestrictinfo, baserel->relid, JOIN_INNER,
                                      nullptr);
    });
    return std::max(1.0, tuples * all);
}

} // namespace socrata::pg
