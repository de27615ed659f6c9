#include "estimate.hpp"

#include "expiring_cache.hpp"
#include "fdw_options.hpp"
#include "pg_guard.hpp"
#include "row_count.hpp"

namespace socrata::pg {

namespace {

// Socrata datasets are usually large; without statistics assume a sizeable table so the
// planner prefers plans that scan it once.
constexpr double kDefaultRows = 100000.0;

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

double estimate_rows(PlannerInfo *root, RelOptInfo *baserel, const RelPlanInfo &info) {
    const ScanSettings &settings = info.table.settings;
    bool has_runtime_values = info.runtime_values != NIL;

    if (settings.use_remote_estimate && !has_runtime_values) {
        // The remote count already applies the pushed conditions; only local ones remain.
        double rows = remote_row_count(settings, info.where);
        Selectivity local = pg::call([&] {
            return clauselist_selectivity(root, info.local_conds, baserel->relid, JOIN_INNER,
                                          nullptr);
        });
        return std::max(1.0, rows * local);
    }
    double tuples = baserel->tuples > 0 ? baserel->tuples : kDefaultRows;
    Selectivity all = pg::call([&] {
        return clauselist_selectivity(root, baserel->baserestrictinfo, baserel->relid, JOIN_INNER,
                                      nullptr);
    });
    return std::max(1.0, tuples * all);
}

} // namespace socrata::pg
