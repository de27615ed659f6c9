// JSON pages of numbered rows for the fetcher tests: what a keyset-paged Socrata scan returns.
#pragma once

#include <cstdio>
#include <string>

namespace socrata::test {

// A JSON page of rows n = first..last with :id row-<n>, zero-padded so that :id order is n order.
inline std::string rows_body(int first, int last) {
    std::string body = "[";
    for (int n = first; n <= last; ++n) {
        char id[16];
        std::snprintf(id, sizeof id, "row-%05d", n);
        body += std::string(n > first ? "," : "") + R"({"n":")" + std::to_string(n) +
                R"(",":id":")" + id + R"("})";
    }
    return body + "]";
}

// The head of a 200 JSON response announcing all of `body`, and the body up to `end`: the rest
// is still to come (or never comes, if the connection closes).
inline std::string response_up_to(const std::string &body, std::size_t end) {
    return "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(body.size()) +
           "\r\nContent-Type: application/json\r\n\r\n" + body.substr(0, end);
}

} // namespace socrata::test
