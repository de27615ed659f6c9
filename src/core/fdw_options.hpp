// The options socrata_fdw accepts, where each may be set, its default, and how the values of
// one foreign table's server, user mapping and table combine into the settings of a scan.
// Pure C++ so the validator's rules are unit-tested without a server.
#pragma once

#include "option_values.hpp"

#include <string>
#include <utility>
#include <vector>

namespace socrata {

// The catalog an option list comes from (mirrors the validator's catalog argument).
enum class OptionScope { Wrapper, Server, UserMapping, Table, Column };

using OptionList = std::vector<std::pair<std::string, std::string>>;

// Settings of one scan, after defaults. Times in milliseconds.
struct ScanSettings {
    std::string base_url = "https://data.cityofchicago.org";
    std::string dataset;   // 4x4 id, e.g. ijzp-q8t2
    std::string app_token; // secret: never printed, never logged
    int request_timeout_ms = 300000;
    int connect_timeout_ms = 30000;
    int stall_timeout_ms = 60000;
    int page_size = 10000;
    // How many runs of consecutive rows (in :id order, at random offsets) ANALYZE samples a
    // dataset larger than its sample in: one request each. Rows are in the order the portal
    // added them, which follows their dates in most datasets, so a few long runs see a few
    // stretches of time only; more, shorter runs see more of them, at a request each.
    int analyze_sample_runs = 30;
    int max_retries = 5;
    int retry_delay_ms = 500;
    int max_retry_delay_ms = 30000;
    bool use_gzip = true;
    ResponseFormat response_format = ResponseFormat::Auto;
    bool use_remote_estimate = false;
    // Whether the portal compares and sorts text by code point, as Postgres' C collation does.
    // Not known of the real portal (its Postgres indexes text with text_pattern_ops, which
    // suggests a locale's order): text ranges, min/max and ORDER BY on text stay local unless a
    // server or table says so.
    bool text_code_point_order = false;
};

// The key of a per-backend cache of the portal's answers for a dataset (its metadata, row
// counts): the portal, the dataset and the app token, since after SET ROLE what one user's
// token could see (a private dataset) is not another user's.
std::string portal_cache_key(const ScanSettings &settings);

// Throws Error(InvalidOption) naming the option, the value and where it may be used, with a
// hint listing the valid options of that scope.
void validate_option(OptionScope scope, const std::string &name, const std::string &value);

// Checks a whole list: each option valid and known, none repeated, required ones present
// (dataset on a table).
void validate_options(OptionScope scope, const OptionList &options);

// Applies server, then user mapping, then table options over the defaults.
ScanSettings make_scan_settings(const OptionList &server, const OptionList &user_mapping,
                                const OptionList &table);

// The SODA field a column reads: its column_name option, else the column's own name.
std::string field_name_for_column(const std::string &column_name, const OptionList &column);

} // namespace socrata
