// Keeping the app token out of every message, log line and EXPLAIN output. URLs and headers
// pass through redact() before they are put into any text a user or log can see.
#pragma once

#include <string>
#include <string_view>

namespace socrata {

// Replaces every occurrence of `secret` (raw and percent-encoded) with "***", and also the
// value after "app_token=" (covers "$$app_token=" and "%24%24app_token=") and after
// "X-App-Token:" (any letter case), even when the secret is not given.
std::string redact(std::string_view text, std::string_view secret = {});

} // namespace socrata
