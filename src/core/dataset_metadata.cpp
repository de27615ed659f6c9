#include "dataset_metadata.hpp"

#include "ascii_case.hpp"
#include "error.hpp"
#include "json_member.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <set>

namespace socrata {

namespace {

constexpr std::size_t kMaxIdentifierBytes = 63; // NAMEDATALEN - 1

bool has_flag(const nlohmann::json &column, const char *flag) {
    auto it = column.find("flags");
    if (it == column.end() || !it->is_array())
        return false;
    for (const auto &f : *it)
        if (f.is_string() && f.get<std::string>() == flag)
            return true;
    return false;
}

bool in(std::string_view t, std::initializer_list<std::string_view> set) {
    return std::find(set.begin(), set.end(), t) != set.end();
}

} // namespace

DatasetMetadata parse_dataset_metadata(std::string_view json, std::string_view source) {
    const std::string from =
        source.empty() ? std::string() : "Metadata from " + std::string(source) + ".";
    nlohmann::json doc = nlohmann::json::parse(json.begin(), json.end(), nullptr, false);
    if (doc.is_discarded() || !doc.is_object())
        throw Error(ErrorKind::BadResponse, "dataset metadata is not a JSON object", from);
    // The older rows.json document nests the view under meta.view.
    auto meta = doc.find("meta");
    if (meta != doc.end() && meta->is_object() && meta->contains("view") &&
        (*meta)["view"].is_object()) {
        nlohmann::json view = std::move((*meta)["view"]);
        doc = std::move(view);
    }
    auto columns = doc.find("columns");
    if (columns == doc.end() || !columns->is_array())
        throw Error(ErrorKind::BadResponse, "dataset metadata has no \"columns\" array", from);

    DatasetMetadata out;
    out.id = string_member(doc, "id");
    out.name = string_member(doc, "name");
    out.description = string_member(doc, "description");
    std::vector<std::pair<long long, DatasetColumn>> ordered;
    for (const auto &c : *columns) {
        if (!c.is_object())
            continue;
        DatasetColumn col;
        col.field_name = string_member(c, "fieldName");
        col.data_type_name = string_member(c, "dataTypeName");
        col.display_name = string_member(c, "name");
        col.description = string_member(c, "description");
        if (col.field_name.empty() || col.data_type_name == "meta_data" || has_flag(c, "hidden"))
            continue; // never returned by /resource
        auto pos = c.find("position");
        const long long position = pos != c.end() && pos->is_number_integer()
                                       ? pos->get<long long>()
                                       : static_cast<long long>(ordered.size());
        ordered.emplace_back(position, std::move(col));
    }
    std::stable_sort(ordered.begin(), ordered.end(),
                     [](const auto &a, const auto &b) { return a.first < b.first; });
    for (auto &entry : ordered)
        out.columns.push_back(std::move(entry.second));
    return out;
}

std::string_view soql_type_for(std::string_view t) {
    if (t == "percent")
        return "number";
    if (in(t, {"email", "html"}))
        return "text";
    if (t == "date")
        return "fixed_timestamp";
    if (t == "calendar_date")
        return "floating_timestamp";
    return t;
}

bool csv_reads_like_json(std::string_view data_type_name) {
    // soda-fountain writes these with one renderer per SoQL type in both formats (CsvColumnRep,
    // JsonColumnRep).
    return in(soql_type_for(data_type_name), {"text", "number", "double", "money", "checkbox",
                                              "floating_timestamp", "fixed_timestamp"});
}

std::string postgres_type_for(std::string_view data_type_name) {
    // stars, flag, drop_down_list and dataset_link: older types, typed here by their values'
    // form only (their SoQL type is not known, so nothing else relies on them).
    const std::string_view t = soql_type_for(data_type_name);
    if (in(t, {"number", "money", "stars"}))
        return "numeric";
    if (t == "double")
        return "double precision";
    if (in(t, {"text", "flag", "drop_down_list", "dataset_link"}))
        return "text";
    if (t == "floating_timestamp")
        return "timestamp";
    if (t == "fixed_timestamp")
        return "timestamptz";
    if (in(t, {"checkbox", "boolean"}))
        return "boolean";
    return "jsonb"; // url, phone, location, point, ... and whatever is unknown
}

std::string postgres_column_name_for(std::string_view field) {
    if (field.size() >= 2 && field[0] == ':' && field[1] == '@')
        field.remove_prefix(2); // computed region columns: the name is unique without the ':@'
    std::string name;
    if (!field.empty() && field[0] == ':') {
        name = "row_"; // :id, :created_at, :updated_at, :version
        field.remove_prefix(1);
    }
    for (std::size_t i = 0; i < field.size(); ++i) {
        const unsigned char c = static_cast<unsigned char>(field[i]);
        if ((c & 0xC0) == 0x80)
            continue; // continuation byte: its character already became one '_'
        if (is_ascii_alnum(char(c)) || c == '_')
            name += ascii_lower(char(c));
        else
            name += '_';
    }
    if (name.empty())
        name = "column";
    if (is_ascii_digit(name[0]))
        name.insert(0, "_");
    // PostgreSQL's system column names cannot name a column (GIS datasets have xmin and xmax).
    for (const char *system : {"tableoid", "xmin", "cmin", "xmax", "cmax", "ctid"})
        if (name == system)
            name += '_';
    if (name.size() > kMaxIdentifierBytes)
        name.resize(kMaxIdentifierBytes);
    return name;
}

void make_unique_names(std::vector<std::string> &names) {
    std::set<std::string> used(names.begin(), names.end());
    std::set<std::string> kept;
    for (auto &name : names) {
        if (kept.insert(name).second)
            continue;
        for (int i = 2;; ++i) {
            const std::string suffix = "_" + std::to_string(i);
            std::string candidate =
                name.substr(0, std::min(name.size(), kMaxIdentifierBytes - suffix.size())) + suffix;
            if (!used.count(candidate)) {
                name = candidate;
                used.insert(candidate);
                kept.insert(candidate);
                break;
            }
        }
    }
}

} // namespace socrata
