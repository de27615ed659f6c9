#include "fdw_options.hpp"

#include "error.hpp"
#include "option_values.hpp"
#include "soql.hpp"
#include "text_snippet.hpp"

#include <algorithm>
#include <set>

namespace socrata {

namespace {

enum class ValueType { Url, Dataset, Token, Seconds, Milliseconds, Count, Bool, Format, FieldName };

struct OptionSpec {
    const char *name;
    std::vector<OptionScope> scopes;
    ValueType type;
    int min = 0;
    int max = 0;
};

// The single table of options: name, where it may appear, what its value must be.
const std::vector<OptionSpec> &option_specs() {
    using S = OptionScope;
    using T = ValueType;
    static const std::vector<OptionSpec> specs = {
        {"base_url", {S::Server}, T::Url},
        {"request_timeout", {S::Server}, T::Seconds, 0, 86400},
        {"connect_timeout", {S::Server}, T::Seconds, 1, 3600},
        {"stall_timeout", {S::Server}, T::Seconds, 1, 3600},
        {"page_size", {S::Server, S::Table}, T::Count, 1, 1000000},
        {"analyze_sample_runs", {S::Server, S::Table}, T::Count, 1, 1000},
        {"max_retries", {S::Server}, T::Count, 0, 100},
        {"retry_delay", {S::Server}, T::Milliseconds, 0, 600000},
        {"max_retry_delay", {S::Server}, T::Milliseconds, 0, 3600000},
        {"use_gzip", {S::Server}, T::Bool},
        {"response_format", {S::Server, S::Table}, T::Format},
        {"use_remote_estimate", {S::Server, S::Table}, T::Bool},
        {"text_code_point_order", {S::Server, S::Table}, T::Bool},
        {"app_token", {S::UserMapping}, T::Token},
        {"dataset", {S::Table}, T::Dataset},
        {"column_name", {S::Column}, T::FieldName},
    };
    return specs;
}

const char *scope_name(OptionScope scope) {
    switch (scope) {
    case OptionScope::Wrapper:
        return "foreign-data wrapper";
    case OptionScope::Server:
        return "server";
    case OptionScope::UserMapping:
        return "user mapping";
    case OptionScope::Table:
        return "foreign table";
    case OptionScope::Column:
        return "column";
    }
    return "object";
}

bool allowed_in(const OptionSpec &spec, OptionScope scope) {
    return std::find(spec.scopes.begin(), spec.scopes.end(), scope) != spec.scopes.end();
}

std::string valid_names(OptionScope scope) {
    std::string names;
    for (const auto &spec : option_specs()) {
        if (!allowed_in(spec, scope))
            continue;
        names += names.empty() ? "" : ", ";
        names += spec.name;
    }
    return names;
}

const OptionSpec *find_spec(const std::string &name) {
    for (const auto &spec : option_specs())
        if (name == spec.name)
            return &spec;
    return nullptr;
}

void check_value(const OptionSpec &spec, const std::string &value) {
    switch (spec.type) {
    case ValueType::Url:
        validate_base_url(value);
        break;
    case ValueType::Dataset:
        validate_dataset_id(spec.name, value);
        break;
    case ValueType::Token:
        // The token itself is never echoed back: only its shape is checked. It travels in an
        // HTTP header, where only visible ASCII is safe.
        if (value.empty() || std::any_of(value.begin(), value.end(), [](char c) {
                return static_cast<unsigned char>(c) <= 0x20 ||
                       static_cast<unsigned char>(c) >= 0x7F;
            }))
            throw Error(ErrorKind::InvalidOption,
                        "invalid value for option \"app_token\": it is empty or contains white "
                        "space, control or non-ASCII characters",
                        {}, "Copy the app token exactly as the portal shows it.");
        break;
    case ValueType::Seconds:
    case ValueType::Milliseconds:
    case ValueType::Count:
        parse_int_option(spec.name, value, spec.min, spec.max);
        break;
    case ValueType::Bool:
        parse_bool_option(spec.name, value);
        break;
    case ValueType::Format:
        parse_response_format_option(spec.name, value);
        break;
    case ValueType::FieldName:
        // Refused where it is set rather than by the first query that reads the column.
        try {
            quote_identifier(value);
        } catch (const Error &e) {
            throw Error(ErrorKind::InvalidOption,
                        "invalid value for option \"column_name\": " +
                            printable_snippet(value, 100),
                        e.detail(), e.hint());
        }
        break;
    }
}

} // namespace

void validate_option(OptionScope scope, const std::string &name, const std::string &value) {
    const OptionSpec *spec = find_spec(name);
    if (!spec || !allowed_in(*spec, scope)) {
        std::string hint = valid_names(scope);
        hint = hint.empty() ? "There are no valid options in this context."
                            : "Valid options in this context are: " + hint + ".";
        if (name == "app_token")
            hint = "Set app_token on a user mapping, where only its owner can read it.";
        throw Error(ErrorKind::UnknownOption,
                    std::string("invalid option \"") + name + "\" for a " + scope_name(scope), {},
                    hint);
    }
    check_value(*spec, value);
}

void validate_options(OptionScope scope, const OptionList &options) {
    std::set<std::string> seen;
    for (const auto &[name, value] : options) {
        validate_option(scope, name, value);
        if (!seen.insert(name).second)
            throw Error(ErrorKind::InvalidOption,
                        "option \"" + name + "\" is given more than once");
    }
    if (scope == OptionScope::Table && !seen.count("dataset"))
        throw Error(ErrorKind::MissingOption, "a socrata_fdw foreign table needs a \"dataset\"", {},
                    "Add OPTIONS (dataset '<4x4 id>'), e.g. dataset 'ijzp-q8t2'.");
}

std::string portal_cache_key(const ScanSettings &settings) {
    return settings.base_url + "\n" + settings.dataset + "\n" + settings.app_token;
}

ScanSettings make_scan_settings(const OptionList &server, const OptionList &user_mapping,
                                const OptionList &table) {
    ScanSettings s;
    auto apply = [&s](const OptionList &options) {
        for (const auto &[name, value] : options) {
            const OptionSpec *spec = find_spec(name);
            int number = 0;
            if (spec && (spec->type == ValueType::Seconds ||
                         spec->type == ValueType::Milliseconds || spec->type == ValueType::Count))
                // In range by the spec's int bounds, so the narrowing is exact.
                number = static_cast<int>(parse_int_option(name, value, spec->min, spec->max));
            if (name == "base_url")
                s.base_url = validate_base_url(value);
            else if (name == "dataset")
                s.dataset = value;
            else if (name == "app_token")
                s.app_token = value;
            else if (name == "request_timeout")
                s.request_timeout_ms = number * 1000;
            else if (name == "connect_timeout")
                s.connect_timeout_ms = number * 1000;
            else if (name == "stall_timeout")
                s.stall_timeout_ms = number * 1000;
            else if (name == "page_size")
                s.page_size = number;
            else if (name == "analyze_sample_runs")
                s.analyze_sample_runs = number;
            else if (name == "max_retries")
                s.max_retries = number;
            else if (name == "retry_delay")
                s.retry_delay_ms = number;
            else if (name == "max_retry_delay")
                s.max_retry_delay_ms = number;
            else if (name == "use_gzip")
                s.use_gzip = parse_bool_option(name, value);
            else if (name == "response_format")
                s.response_format = parse_response_format_option(name, value);
            else if (name == "use_remote_estimate")
                s.use_remote_estimate = parse_bool_option(name, value);
            else if (name == "text_code_point_order")
                s.text_code_point_order = parse_bool_option(name, value);
        }
    };
    apply(server);
    apply(user_mapping);
    apply(table);
    return s;
}

std::string field_name_for_column(const std::string &column_name, const OptionList &column) {
    for (const auto &[name, value] : column)
        if (name == "column_name")
            return value;
    return column_name;
}

} // namespace socrata
