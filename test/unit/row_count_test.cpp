// The portal's count(*) for remote estimates and ANALYZE, against a loopback server.
#include "error.hpp"
#include "loopback_server.hpp"
#include "row_count.hpp"

#include <gtest/gtest.h>

#include <string>

using namespace socrata;
using socrata::test::http;
using socrata::test::LoopbackServer;

namespace {

double count_answered_with(const std::string &body, const std::string &app_token = {}) {
    LoopbackServer server([&](int fd, const std::string &, LoopbackServer &) {
        LoopbackServer::send_all(fd, http(200, body));
        return true;
    });
    ScanSettings settings;
    settings.base_url = server.url("");
    settings.dataset = "abcd-1234";
    settings.app_token = app_token;
    SodaClient client(settings, nullptr);
    return fetch_row_count(client, "year = 2015");
}

} // namespace

TEST(RowCount, ReadsThePortalsCount) {
    EXPECT_EQ(count_answered_with(R"([{"row_count":"42"}])"), 42.0);
    EXPECT_EQ(count_answered_with(R"([{"row_count":"8123456"}])"), 8123456.0);
    EXPECT_EQ(count_answered_with("[]"), 0.0); // no row: nothing counted
}

// A count that is not one (a proxy's rewrite, a portal change) is a clear error naming the
// dataset; it once came out as "socrata_fdw internal error: stod".
TEST(RowCount, AnythingButDigitsIsAnErrorNamingTheDataset) {
    for (const char *body :
         {R"([{"row_count":"forty-two"}])", R"([{"row_count":"-1"}])", R"([{"row_count":"1e999"}])",
          R"([{"row_count":""}])", R"([{"row_count":"4.5"}])"}) {
        try {
            count_answered_with(body);
            ADD_FAILURE() << "no error for " << body;
        } catch (const Error &e) {
            EXPECT_EQ(e.kind(), ErrorKind::BadResponse) << body;
            EXPECT_NE(std::string(e.what()).find("dataset \"abcd-1234\" is not a number"),
                      std::string::npos)
                << e.what();
        }
    }
    EXPECT_EQ(parse_row_count("0", "x"), 0.0);
    // A count that echoes the app token quotes it masked, as every portal text in an error.
    try {
        count_answered_with(R"([{"row_count":"n TOKEN-in-the-count-7"}])", "TOKEN-in-the-count-7");
        ADD_FAILURE() << "no error";
    } catch (const Error &e) {
        EXPECT_EQ(std::string(e.what()).find("TOKEN"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("\"n ***\""), std::string::npos) << e.what();
    }
    EXPECT_THROW(parse_row_count(std::string(21, '9'), "x"), Error);
}
