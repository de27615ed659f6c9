// Letter case and character classes of protocol text, whatever the backend's locale.
#include "ascii_case.hpp"
#include "error.hpp"
#include "option_values.hpp"
#include "soql.hpp"

#include <gtest/gtest.h>

#include <cctype>
#include <clocale>
#include <cstdlib>
#include <string>

using namespace socrata;

TEST(AsciiCase, FindsALowercaseNeedleInAnyLetterCase) {
    EXPECT_EQ(find_ignoring_case("<HTML><Title>x", "<title>"), 6u);
    EXPECT_EQ(find_ignoring_case("a App_Token=1 app_token=2", "app_token=", 3), 14u);
    EXPECT_EQ(find_ignoring_case("abc", "abcd"), std::string_view::npos);
    EXPECT_EQ(find_ignoring_case("", ""), 0u);
    // Only ASCII letters fold: the bytes of "É" (C3 89) never match "é" (C3 A9).
    EXPECT_EQ(find_ignoring_case("\xC3\x89", "\xC3\xA9"), std::string_view::npos);
}

TEST(AsciiCase, LowercasesAndComparesAsciiLettersOnly) {
    EXPECT_EQ(ascii_lowercase("X-Socrata-RequestId: ÀB"), "x-socrata-requestid: Àb");
    EXPECT_TRUE(equals_ignoring_case("Chunked", "CHUNKED"));
    EXPECT_FALSE(equals_ignoring_case("\xC9", "\xE9"));
    EXPECT_FALSE(equals_ignoring_case("ab", "abc"));
    EXPECT_TRUE(is_ascii_letter('q') && is_ascii_letter('Q') && !is_ascii_letter('\xC9'));
    EXPECT_TRUE(is_ascii_alnum('7') && !is_ascii_alnum('_'));
    EXPECT_TRUE(is_ascii_space('\t') && is_ascii_space('\r') && !is_ascii_space('\xA0'));
    EXPECT_TRUE(is_ascii_digit('0') && is_ascii_digit('9') && !is_ascii_digit('/') &&
                !is_ascii_digit(':'));
    EXPECT_TRUE(is_ascii_hex_digit('f') && is_ascii_hex_digit('F') && is_ascii_hex_digit('0') &&
                !is_ascii_hex_digit('g') && !is_ascii_hex_digit('\xB2'));
}

namespace {

// The backend runs in the database's LC_CTYPE. Turkish in ISO-8859-9 is the hard case for
// <cctype>: tolower('I') is the dotless i (0xFD), and 0xC9 (É) is a letter. Built into a
// temporary directory (LOCPATH) when this machine has localedef and the locale's sources.
class TurkishSingleByteLocale : public ::testing::Test {
  protected:
    void SetUp() override {
        char dir[] = "/tmp/ascii_case_locale_XXXXXX";
        if (!mkdtemp(dir))
            GTEST_SKIP() << "no temporary directory";
        dir_ = dir;
        const std::string build =
            "localedef -i tr_TR -f ISO-8859-9 " + dir_ + "/tr_TR.ISO-8859-9 >/dev/null 2>&1";
        setenv("LOCPATH", dir_.c_str(), 1);
        if (std::system(build.c_str()) != 0 || !std::setlocale(LC_CTYPE, "tr_TR.ISO-8859-9"))
            GTEST_SKIP() << "cannot build the tr_TR.ISO-8859-9 locale here";
        switched_ = true;
    }
    void TearDown() override {
        if (switched_)
            std::setlocale(LC_CTYPE, "C");
        unsetenv("LOCPATH");
        if (!dir_.empty())
            std::system(("rm -rf " + dir_).c_str());
    }

  private:
    std::string dir_;
    bool switched_ = false;
};

} // namespace

TEST_F(TurkishSingleByteLocale, ProtocolTextIsReadTheSameWay) {
    // The premise: <cctype> differs here.
    ASSERT_NE(std::tolower('I'), 'i');
    ASSERT_TRUE(std::isalpha(0xC9));
    // Header names, SoQL keywords and option values with an 'I' still match.
    EXPECT_EQ(ascii_lowercase("X-Socrata-RequestId"), "x-socrata-requestid");
    EXPECT_TRUE(equals_ignoring_case("LIMIT", "limit"));
    EXPECT_EQ(find_ignoring_case("Transfer-Encoding: CHUNKED, IDENTITY", "identity"), 28u);
    EXPECT_TRUE(is_soql_keyword("LIMIT"));
    EXPECT_TRUE(is_soql_keyword("DISTINCT"));
    // A byte that is a letter in this locale is still not one in a URL.
    EXPECT_THROW(validate_base_url("http://portal\xC9.example/"), Error);
    EXPECT_THROW(validate_base_url("http://portal.example/d\xC9ta"), Error);
    // Scheme and host fold to ASCII lower case, the dotless i never.
    EXPECT_EQ(validate_base_url("HTTP://DATA.CITY.Example/Data"), "http://data.city.example/Data");
}
