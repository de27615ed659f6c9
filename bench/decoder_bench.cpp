// Throughput of the row decoders on the bulk-load path, on a body shaped like the portal's
// crimes responses. Not part of `make`; build and run from the repository root with:
//
//   g++ -std=c++17 -O2 -Isrc/core bench/decoder_bench.cpp src/core/json_row_decoder.cpp
//       src/core/csv_row_decoder.cpp src/core/field_slot_map.cpp src/core/row_view.cpp
//       src/core/error.cpp src/core/soda_error.cpp src/core/text_snippet.cpp
//       src/core/ascii_case.cpp src/core/fast_values.cpp -o build/decoder_bench &&
//       build/decoder_bench [path/to/crimes.csv]
//
// The CSV (default ../shared/data/crimes.csv, real City of Chicago rows) is decoded once with
// CsvRowDecoder and re-encoded in SODA's JSON wire form: numbers as strings, checkboxes as
// booleans, missing values omitted, `location` as a GeoJSON point, rows separated by "\n,"; and
// in CSV with every non-null cell quoted, as the portal's exporter writes it.
// Times are process CPU time (best of 5), so other load on the machine distorts them less.
#include "csv_row_decoder.hpp"
#include "json_row_decoder.hpp"

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

using namespace socrata;

namespace {

std::string read_file(const std::string &path) {
    std::ifstream in(path, std::ios::binary);
    if (!in)
        return {};
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

void append_json_string(std::string &out, std::string_view s) {
    out += '"';
    for (char c : s) {
        if (c == '"' || c == '\\')
            out += '\\';
        out += c;
    }
    out += '"';
}

const std::vector<std::string> kFields = {
    "id",           "case_number",    "date",        "block",
    "iucr",         "primary_type",   "description", "location_description",
    "arrest",       "domestic",       "beat",        "district",
    "ward",         "community_area", "fbi_code",    "x_coordinate",
    "y_coordinate", "year",           "updated_on",  "latitude",
    "longitude"};

// SODA JSON for the rows of a crimes CSV export.
std::string json_body_from_csv(const std::string &csv) {
    std::string body = "[";
    bool first = true;
    CsvRowDecoder d(kFields, [&](const RowView &row) {
        body += first ? "{" : "\n,{";
        first = false;
        bool any = false;
        for (std::size_t i = 0; i < row.size(); ++i) {
            if (row[i].is_null())
                continue;
            body += any ? "," : "";
            any = true;
            append_json_string(body, kFields[i]);
            body += ':';
            if (kFields[i] == "arrest" || kFields[i] == "domestic")
                body += row[i].text;
            else
                append_json_string(body, row[i].text);
        }
        if (!row[19].is_null() && !row[20].is_null()) {
            body += any ? "," : "";
            body += "\"location\":{\"type\":\"Point\",\"coordinates\":[";
            body += row[20].text;
            body += ',';
            body += row[19].text;
            body += "]}";
        }
        body += '}';
    });
    d.feed(csv);
    d.finish();
    body += "]\n";
    return body;
}

// The same rows as the portal's CSV exporter writes them (soda-fountain's CsvExporter): the
// header and every non-null cell quoted, a null as nothing.
std::string quoted_csv_body_from_csv(const std::string &csv) {
    std::string body;
    auto cell = [&body](std::string_view s) {
        body += '"';
        for (char c : s) {
            if (c == '"')
                body += '"';
            body += c;
        }
        body += '"';
    };
    for (std::size_t i = 0; i < kFields.size(); ++i) {
        body += i ? "," : "";
        cell(kFields[i]);
    }
    body += '\n';
    CsvRowDecoder d(kFields, [&](const RowView &row) {
        for (std::size_t i = 0; i < row.size(); ++i) {
            body += i ? "," : "";
            if (!row[i].is_null())
                cell(row[i].text);
        }
        body += '\n';
    });
    d.feed(csv);
    d.finish();
    return body;
}

template <typename Decoder>
double best_mb_per_s(const std::string &body, const std::vector<std::string> &fields,
                     std::size_t chunk, std::uint64_t &rows) {
    double best = 1e30;
    for (int rep = 0; rep < 5; ++rep) {
        std::uint64_t sink = 0;
        const std::clock_t start = std::clock();
        Decoder d(fields, [&](const RowView &row) { sink += row[0].text.size(); });
        for (std::size_t pos = 0; pos < body.size(); pos += chunk)
            d.feed(body.data() + pos, std::min(chunk, body.size() - pos));
        d.finish();
        best = std::min(best, double(std::clock() - start) / CLOCKS_PER_SEC);
        rows = d.rows();
        if (sink == 0)
            std::printf("(no values?)\n");
    }
    return double(body.size()) / best / 1e6;
}

} // namespace

int main(int argc, char **argv) {
    const std::string path = argc > 1 ? argv[1] : "../shared/data/crimes.csv";
    const std::string csv = read_file(path);
    if (csv.empty()) {
        std::fprintf(stderr, "cannot read %s (pass the path of crimes.csv)\n", path.c_str());
        return 1;
    }
    const std::string json = json_body_from_csv(csv);
    const std::string quoted = quoted_csv_body_from_csv(csv);
    std::vector<std::string> all = kFields;
    all.push_back("location");
    const std::vector<std::string> two = {"id", "date"};

    std::uint64_t rows = 0;
    std::printf("JSON body: %.1f MB; CSV body: %.1f MB; CSV, every cell quoted: %.1f MB\n",
                json.size() / 1e6, csv.size() / 1e6, quoted.size() / 1e6);
    for (std::size_t chunk : {std::size_t(16384), std::size_t(1) << 20}) {
        double mbs = best_mb_per_s<JsonRowDecoder>(json, all, chunk, rows);
        std::printf("json, %2zu fields, %7zu-byte chunks: %6.0f MB/s (%llu rows)\n", all.size(),
                    chunk, mbs, static_cast<unsigned long long>(rows));
        mbs = best_mb_per_s<JsonRowDecoder>(json, two, chunk, rows);
        std::printf("json, %2zu fields, %7zu-byte chunks: %6.0f MB/s\n", two.size(), chunk, mbs);
        mbs = best_mb_per_s<CsvRowDecoder>(csv, kFields, chunk, rows);
        std::printf("csv,  %2zu fields, %7zu-byte chunks: %6.0f MB/s (%llu rows)\n", kFields.size(),
                    chunk, mbs, static_cast<unsigned long long>(rows));
        const double plain_rows_s = mbs * 1e6 / double(csv.size()) * double(rows);
        mbs = best_mb_per_s<CsvRowDecoder>(quoted, kFields, chunk, rows);
        std::printf("csv quoted, %2zu fields, %7zu-byte chunks: %6.0f MB/s (%llu rows); rows/s "
                    "%.2fx the unquoted body's\n",
                    kFields.size(), chunk, mbs, static_cast<unsigned long long>(rows),
                    mbs * 1e6 / double(quoted.size()) * double(rows) / plain_rows_s);
    }
    return 0;
}
