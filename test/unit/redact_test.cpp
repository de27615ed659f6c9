#include "redact.hpp"
#include "text_snippet.hpp"

#include <gtest/gtest.h>

using namespace socrata;

TEST(Redact, ReplacesEveryOccurrenceOfTheSecret) {
    EXPECT_EQ(redact("token s3cr3t and s3cr3t again", "s3cr3t"), "token *** and *** again");
    EXPECT_EQ(redact("nothing here", "s3cr3t"), "nothing here");
    EXPECT_EQ(redact("", "s3cr3t"), "");
    EXPECT_EQ(redact("s3cr3ts3cr3t", "s3cr3t"), "******");
    // The percent-encoded form is masked too.
    EXPECT_EQ(redact("q=a%2Fb%3D", "a/b="), "q=***");
}

TEST(Redact, MasksEightOrMoreBytesOfASecretThatACutLeft) {
    // The JSON decoder quotes 40 bytes at a bad offset: a token echoed in the body and cut
    // there keeps its first bytes, or (a quote that starts inside it) its last ones.
    const std::string secret = "AbCdEfGh12345678";
    const std::string body = std::string(30, 'x') + secret + " tail";
    const std::string quoted = printable_snippet(body, 40);
    ASSERT_EQ(quoted, "\"" + std::string(30, 'x') + "AbCdEfGh12...\"");
    EXPECT_EQ(redact("Text at that offset: " + quoted + ".", secret),
              "Text at that offset: \"" + std::string(30, 'x') + "***...\".");
    const std::string tail = secret + "\x01 rest of the body";
    const std::string from_inside = printable_snippet(std::string_view(tail).substr(5), 40);
    ASSERT_EQ(from_inside, "\"fGh12345678\\x01 rest of the body\"");
    EXPECT_EQ(redact(from_inside, secret), "\"***\\x01 rest of the body\"");
    // jsonb's context line quotes the text before the error from a cut: "...<the rest>".
    EXPECT_EQ(redact("JSON data, line 1: ...fGh12345678\", \"x\":\\u0000...", secret),
              "JSON data, line 1: ...***\", \"x\":\\u0000...");
}

// Fewer than 8 bytes of the secret are left, even next to a cut mark or a quote: the text there
// may be the user's (a literal that a 400 body echoes). Masking 4 bytes there told a user, one
// statement of guesses at a time, the token of a mapping they cannot read (helper-79).
TEST(Redact, IsNoOracleForPiecesOfTheSecret) {
    const std::string secret = "AbCdEfGh12345678";
    for (const char *text :
         {"\"xxAbCdEfG...\"", "...zzzz...dEfG...qqqq...", "'...AbCd...'", "\"5678 x\"", "...345678",
          "AbCdEfG...AbCd...", "%27...2345678%27", "cut... 5678"})
        EXPECT_EQ(redact(text, secret), text);
    EXPECT_EQ(redact("...2345678...", secret), "...2345678...");
    EXPECT_EQ(redact("...12345678...", secret), "...***...");
}

// A URL the wrapper builds holds the user's values, never the token (it goes in a header):
// only a whole token is masked there, so that EXPLAIN VERBOSE tests no guess at a piece of it,
// however long, in any letter case (helper-83: 8 bytes in a row were masked, found locally in
// hours of EXPLAINs).
TEST(Redact, WholeOnlyMasksNoPieces) {
    const std::string secret = "Tk9Q7mPz3XkaBc42";
    EXPECT_EQ(redact_whole("$where=x='aaaaq7mpz3xkaaaa'", secret), "$where=x='aaaaq7mpz3xkaaaa'");
    EXPECT_EQ(redact_whole("$where=x='...Q7mPz3XkaBc42...'", secret),
              "$where=x='...Q7mPz3XkaBc42...'");
    EXPECT_EQ(redact_whole("x=Tk9Q7mPz3XkaBc42&y", secret), "x=***&y");
    EXPECT_EQ(redact_whole("?$$app_token=abc"), "?$$app_token=***");
    EXPECT_EQ(redact("$where=x='aaaaq7mpz3xkaaaa'", secret), "$where=x='aaaa***aaa'");
}

// printable_snippet escapes '"' and '\\' in what it quotes, so a token holding them is also
// looked for in that form.
TEST(Redact, MasksASecretInTheFormAQuoteEscapesItIn) {
    const std::string secret = "ab\"cd\\1234";
    const std::string quoted = printable_snippet("x " + secret + " y");
    ASSERT_EQ(quoted, "\"x ab\\\"cd\\\\1234 y\"");
    EXPECT_EQ(redact(quoted, secret), "\"x *** y\"");
    EXPECT_EQ(redact("x " + secret + " y", secret), "x *** y");
}

// A server may echo the token changed (helper-46's portal echoed a piece of it and its lower
// case): any run of 8 bytes or more of it goes, in any letter case; 7 stay.
TEST(Redact, MasksLongRunsOfTheSecretInAnyLetterCase) {
    const std::string token = "Tk9SecretXYZ42aBc";
    EXPECT_EQ(redact("mid=9SecretXYZ42a lower=tk9secretxyz42abc upper=TK9SECRETXYZ42ABC", token),
              "mid=*** lower=*** upper=***");
    EXPECT_EQ(redact("a 8-run SecretXY here", token), "a 8-run *** here");
    EXPECT_EQ(redact("a 7-run SecretX here", token), "a 7-run SecretX here");
    EXPECT_EQ(redact("ordinary text about secrets", token), "ordinary text about secrets");
    // A secret shorter than 8 bytes is masked only whole.
    EXPECT_EQ(redact("abcdefg ABCDEFG", "abcdefg"), "*** ABCDEFG");
}

TEST(Redact, EmptySecretChangesNothingElse) {
    EXPECT_EQ(redact("https://data.cityofchicago.org/resource/ijzp-q8t2.json?$limit=5"),
              "https://data.cityofchicago.org/resource/ijzp-q8t2.json?$limit=5");
}

TEST(Redact, MasksAppTokenParametersWithoutKnowingTheSecret) {
    EXPECT_EQ(redact("https://x.org/resource/abcd-1234.json?$$app_token=AbC123&$limit=5"),
              "https://x.org/resource/abcd-1234.json?$$app_token=***&$limit=5");
    EXPECT_EQ(redact("https://x.org/r.json?%24%24app_token=AbC123#f"),
              "https://x.org/r.json?%24%24app_token=***#f");
    EXPECT_EQ(redact("https://x.org/r.json?$$APP_TOKEN=AbC123"),
              "https://x.org/r.json?$$APP_TOKEN=***");
}

TEST(Redact, MasksAppTokenHeaders) {
    EXPECT_EQ(redact("X-App-Token: AbC123\r\nAccept: */*"), "X-App-Token: ***\r\nAccept: */*");
    EXPECT_EQ(redact("x-app-token:AbC123"), "x-app-token:***");
    EXPECT_EQ(redact("headers: [X-APP-TOKEN: AbC123, Accept: x]"),
              "headers: [X-APP-TOKEN: ***, Accept: x]");
}

TEST(Redact, MasksAKeyRightAfterAnEmptyValue) {
    // An empty value is skipped by its own length (none), not the mask's: a key starting in
    // the three bytes after it was once missed (found by fuzzing).
    EXPECT_EQ(redact("app_token=&app_token=abcdef"), "app_token=&app_token=***");
    EXPECT_EQ(redact("X-App-Token:\r\nX-App-Token: s3cr3tT0ken"),
              "X-App-Token:\r\nX-App-Token: ***");
    EXPECT_EQ(redact("$$app_token=&$$app_token=x"), "$$app_token=&$$app_token=***");
}

// libcurl quotes a malformed proxy URL from the server's environment whole, password included.
TEST(Redact, MasksAUrlsUserNameAndPassword) {
    EXPECT_EQ(redact("Unsupported proxy syntax in 'http://puser:Pa#ss@proxy:3128'"),
              "Unsupported proxy syntax in 'http://***@proxy:3128'");
    EXPECT_EQ(redact("x http://u:p/w@h/a@b y https://h/ok"), "x http://***@b y https://h/ok");
    EXPECT_EQ(redact("\"https://u:pw@h\", \"https://@h\""), "\"https://***@h\", \"https://@h\"");
    EXPECT_EQ(redact("https://data.cityofchicago.org/resource/x.json?$where=a%40b"),
              "https://data.cityofchicago.org/resource/x.json?$where=a%40b");
    // No user name and password: a list after a URL, a URL in a query, a user without one.
    for (const char *text : {"https://example.org/a,contact:me@example.org",
                             "Location: https://host/x?next=https://other@evil",
                             "mailto via https://user@example.org/"})
        EXPECT_EQ(redact(text), text);
}

TEST(Redact, SecretAndPatternsTogether) {
    const std::string out =
        redact("GET /r.json?$$app_token=tok1 X-App-Token: tok1 body mentions tok1", "tok1");
    EXPECT_EQ(out.find("tok1"), std::string::npos) << out;
}

TEST(Redact, RedactedErrorKeepsKindAndStatus) {
    Error e = redacted(Error::http(403, "no s3cr3t", "detail s3cr3t", "hint s3cr3t"), "s3cr3t");
    EXPECT_EQ(e.kind(), ErrorKind::Http);
    EXPECT_EQ(e.http_status(), 403);
    EXPECT_STREQ(e.what(), "no ***");
    EXPECT_EQ(e.detail(), "detail ***");
    EXPECT_EQ(e.hint(), "hint ***");
    try {
        redacting_errors("s3cr3t", [] { throw Error(ErrorKind::BadResponse, "near s3cr3t"); });
        FAIL() << "expected an error";
    } catch (const Error &thrown) {
        EXPECT_EQ(thrown.kind(), ErrorKind::BadResponse);
        EXPECT_STREQ(thrown.what(), "near ***");
    }
}
