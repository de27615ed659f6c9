// The remote row counts the planner asks for when use_remote_estimate is on, kept per backend.
// Each count is an HTTP round trip (and a count(*) over millions of rows at the portal), so a
// session that plans the same scan again should not pay for it again; but a session can live for
// days (pgAdmin, a pooler) while the dataset grows, and a query's WHERE holds its literals, so
// every distinct value would add an entry. Hence: an entry is trusted for max_age only, and the
// cache keeps at most `capacity` of them, dropping the least recently used. Pure logic with the
// clock passed in, so both limits are unit-tested.
#pragma once

#include <chrono>
#include <cstddef>
#include <list>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>

namespace socrata {

class RowCountCache {
  public:
    using Clock = std::chrono::steady_clock;

    static constexpr std::size_t kDefaultCapacity = 256;
    static constexpr std::chrono::seconds kDefaultMaxAge{600};

    explicit RowCountCache(std::size_t capacity = kDefaultCapacity,
                           Clock::duration max_age = kDefaultMaxAge);

    // The count stored under key, unless it is older than max_age (then it is dropped).
    std::optional<double> find(const std::string &key, Clock::time_point now);

    // Stores (or replaces) the count under key, evicting the least recently used entry if full.
    void store(const std::string &key, double count, Clock::time_point now);

    std::size_t size() const { return entries_.size(); }

  private:
    struct Entry {
        std::string key;
        double count;
        Clock::time_point stored_at;
    };
    using Entries = std::list<Entry>; // most recently used first

    std::size_t capacity_;
    Clock::duration max_age_;
    Entries entries_;
    std::unordered_map<std::string, Entries::iterator> index_;
};

} // namespace socrata
