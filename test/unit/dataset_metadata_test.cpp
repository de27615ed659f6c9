#include "dataset_metadata.hpp"
#include "error.hpp"
#include "test_support.hpp"

#include <gtest/gtest.h>

#include <set>

using namespace socrata;
using namespace socrata::test;

TEST(DatasetMetadata, ParsesRealViewDocument) {
    DatasetMetadata m =
        parse_dataset_metadata(read_fixture("socrata_views_metadata_6zsd-86xi.json"));
    EXPECT_EQ(m.id, "6zsd-86xi");
    EXPECT_EQ(m.name, "Crimes - 2001 to present");
    EXPECT_EQ(m.description.rfind("This dataset reflects reported incidents of crime", 0), 0u);
    ASSERT_EQ(m.columns.size(), 31u);
    // Sorted by position: "id" (1) comes before "case_number" (2) although listed after it.
    EXPECT_EQ(m.columns[0].field_name, "id");
    EXPECT_EQ(m.columns[0].data_type_name, "number");
    EXPECT_EQ(m.columns[0].display_name, "ID");
    EXPECT_EQ(m.columns[1].field_name, "case_number");
    const DatasetColumn &district = m.columns[11];
    EXPECT_EQ(district.field_name, "district");
    EXPECT_EQ(district.description, "District");
    EXPECT_EQ(m.columns[21].field_name, "location");
    EXPECT_EQ(m.columns[21].data_type_name, "point");
    EXPECT_EQ(m.columns.back().field_name, ":@computed_region_43wa_7qmu");
}

TEST(DatasetMetadata, ParsesOlderRowsJsonDocumentSkippingMetaColumns) {
    DatasetMetadata m = parse_dataset_metadata(read_fixture("rows_json_z8bn-74gv.json"));
    EXPECT_EQ(m.id, "z8bn-74gv");
    EXPECT_EQ(m.name, "Police Stations");
    ASSERT_EQ(m.columns.size(), 10u); // the 8 meta_data columns are not resource fields
    EXPECT_EQ(m.columns.front().field_name, "district");
    EXPECT_EQ(m.columns[5].data_type_name, "url");
    EXPECT_EQ(m.columns.back().field_name, "location");
}

TEST(DatasetMetadata, SkipsHiddenAndNamelessColumns) {
    DatasetMetadata m = parse_dataset_metadata(
        R"({"id":"abcd-1234","columns":[
             {"fieldName":"a","dataTypeName":"text","position":2},
             {"fieldName":"secret","dataTypeName":"text","position":1,"flags":["hidden"]},
             {"dataTypeName":"text","position":3},
             7,
             {"fieldName":"b","dataTypeName":"number"}]})");
    ASSERT_EQ(m.columns.size(), 2u);
    EXPECT_EQ(m.columns[0].field_name, "b"); // no position: its index (1) sorts first
    EXPECT_EQ(m.columns[1].field_name, "a");
}

TEST(DatasetMetadata, RejectsNonViews) {
    for (const char *bad : {"", "[]", "not json", "{\"id\":\"x\"}", "{\"columns\":{}}",
                            "{\"message\":\"You must be logged in\",\"error\":true}"}) {
        try {
            parse_dataset_metadata(bad, "https://x.test/api/views/abcd-1234.json");
            ADD_FAILURE() << "accepted " << bad;
        } catch (const Error &e) {
            EXPECT_EQ(e.kind(), ErrorKind::BadResponse);
            EXPECT_NE(e.detail().find("https://x.test/api/views"), std::string::npos);
        }
    }
}

TEST(PostgresTypeFor, MapsEverySodaType) {
    const std::pair<const char *, const char *> cases[] = {
        {"number", "numeric"},
        {"money", "numeric"},
        {"percent", "numeric"},
        {"stars", "numeric"},
        {"double", "double precision"},
        {"text", "text"},
        {"email", "text"},
        {"html", "text"},
        {"flag", "text"},
        {"drop_down_list", "text"},
        {"calendar_date", "timestamp"},
        {"floating_timestamp", "timestamp"},
        {"date", "timestamptz"},
        {"fixed_timestamp", "timestamptz"},
        {"checkbox", "boolean"},
        {"boolean", "boolean"},
        {"url", "jsonb"},
        {"phone", "jsonb"},
        {"location", "jsonb"},
        {"point", "jsonb"},
        {"line", "jsonb"},
        {"polygon", "jsonb"},
        {"multipoint", "jsonb"},
        {"multiline", "jsonb"},
        {"multipolygon", "jsonb"},
        {"some_future_type", "jsonb"},
    };
    for (const auto &[soda, pg] : cases)
        EXPECT_EQ(postgres_type_for(soda), pg) << soda;
}

TEST(SoqlTypeFor, NamesTheSoqlTypeBehindLegacyDataTypeNames) {
    EXPECT_EQ(soql_type_for("percent"), "number");
    EXPECT_EQ(soql_type_for("email"), "text");
    EXPECT_EQ(soql_type_for("html"), "text");
    EXPECT_EQ(soql_type_for("date"), "fixed_timestamp");
    EXPECT_EQ(soql_type_for("calendar_date"), "floating_timestamp");
    for (const char *same : {"number", "text", "money", "double", "checkbox", "point", "url",
                             "fixed_timestamp", "floating_timestamp", "stars", ""})
        EXPECT_EQ(soql_type_for(same), same) << same;
}

TEST(PostgresColumnNameFor, MakesUsableNames) {
    EXPECT_EQ(postgres_column_name_for("primary_type"), "primary_type");
    EXPECT_EQ(postgres_column_name_for(":@computed_region_awaf_s7ux"), "computed_region_awaf_s7ux");
    EXPECT_EQ(postgres_column_name_for(":id"), "row_id");
    EXPECT_EQ(postgres_column_name_for(":created_at"), "row_created_at");
    EXPECT_EQ(postgres_column_name_for(":updated_at"), "row_updated_at");
    EXPECT_EQ(postgres_column_name_for("_iucr"), "_iucr");
    EXPECT_EQ(postgres_column_name_for("case_"), "case_");
    EXPECT_EQ(postgres_column_name_for("location.latitude"), "location_latitude");
    EXPECT_EQ(postgres_column_name_for("Primary Type"), "primary_type");
    EXPECT_EQ(postgres_column_name_for("2020_count"), "_2020_count");
    // System column names are taken: a bounding box's xmin .. ymax.
    EXPECT_EQ(postgres_column_name_for("xmin"), "xmin_");
    EXPECT_EQ(postgres_column_name_for("XMAX"), "xmax_");
    EXPECT_EQ(postgres_column_name_for("ymin"), "ymin");
    EXPECT_EQ(postgres_column_name_for("ctid"), "ctid_");
    EXPECT_EQ(postgres_column_name_for("tableoid"), "tableoid_");
    EXPECT_EQ(postgres_column_name_for("xmin_"), "xmin_");
    EXPECT_EQ(postgres_column_name_for("caf\xC3\xA9-\xF0\x9F\x98\x80"), "caf___");
    EXPECT_EQ(postgres_column_name_for(""), "column");
    EXPECT_EQ(postgres_column_name_for(std::string(100, 'x')), std::string(63, 'x'));
}

TEST(MakeUniqueNames, SuffixesRepeatsWithinTheLengthLimit) {
    std::vector<std::string> names = {
        "a", "a", "a_2", "b", "a", std::string(63, 'z'), std::string(63, 'z')};
    make_unique_names(names);
    EXPECT_EQ(names[0], "a");
    EXPECT_EQ(names[1], "a_3"); // "a_2" is already taken by a later column
    EXPECT_EQ(names[2], "a_2");
    EXPECT_EQ(names[3], "b");
    EXPECT_EQ(names[4], "a_4");
    EXPECT_EQ(names[5], std::string(63, 'z'));
    EXPECT_EQ(names[6], std::string(61, 'z') + "_2");
    EXPECT_EQ(std::set<std::string>(names.begin(), names.end()).size(), names.size());
}

TEST(DatasetMetadata, ImportedNamesOfTheCrimesDatasetAreUnique) {
    DatasetMetadata m =
        parse_dataset_metadata(read_fixture("socrata_views_metadata_6zsd-86xi.json"));
    std::vector<std::string> names;
    for (const auto &c : m.columns)
        names.push_back(postgres_column_name_for(c.field_name));
    const std::vector<std::string> before = names;
    make_unique_names(names);
    EXPECT_EQ(names, before); // already unique, nothing renamed
    EXPECT_EQ(names.back(), "computed_region_43wa_7qmu");
}

TEST(DatasetMetadata, OnlyScalarTypesReadTheSameFromCsv) {
    for (const char *type :
         {"text", "email", "html", "number", "percent", "double", "money", "checkbox",
          "calendar_date", "floating_timestamp", "date", "fixed_timestamp"})
        EXPECT_TRUE(csv_reads_like_json(type)) << type;
    // Objects in JSON, other text in CSV (WKT, "url (description)"), or unknown.
    for (const char *type : {"point", "location", "url", "phone", "photo", "document", "blob",
                             "multipolygon", "line", "json", "", "Text"})
        EXPECT_FALSE(csv_reads_like_json(type)) << type;
}
