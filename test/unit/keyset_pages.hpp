// JSON pages of numbered rows for the fetcher tests: what a keyset-paged Socrata scan returns.
#pragma once

#include <cstdio>
#include <string>

namespace socrata::test {

// The :id of row n: row-<n>, zero-padded so that :id order is n order.
inline std::string row_id(int n) {
    char id[16];
    std::snprintf(id, sizeof id, "row-%05d", n);
    return id;
}

// A JSON page of rows n = first..last with their :id.
inline std::string rows_body(int first, int last) {
    std::string body = "[";
    for (int n = first; n <= last; ++n)
        body += std::string(n > first ? "," : "") + R"({"n":")" + std::to_string(n) +
                R"(",":id":")" + row_id(n) + R"("})";
    return body + "]";
}

// The same rows as a CSV page: a header naming the fields, then one record per row.
inline std::string rows_csv(int first, int last) {
    std::string body = "n,:id\n";
    for (int n = first; n <= last; ++n)
        body += std::to_string(n) + "," + row_id(n) + "\n";
    return body;
}

// The head of a 200 JSON response announcing all of `body`, and the body up to `end`: the rest
// is still to come (or never comes, if the connection closes).
inline std::string response_up_to(const std::string &body, std::size_t end) {
    return "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(body.size()) +
           "\r\nContent-Type: application/json\r\n\r\n" + body.substr(0, end);
}

} // namespace socrata::test
