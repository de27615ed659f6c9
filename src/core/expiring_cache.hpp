// What a backend remembers about a portal between queries: remote row counts for the planner
// (use_remote_estimate) and datasets' field types (pushdown). Asking again costs an HTTP round
// trip, so a session that plans the same scan again should not pay for it; but a session can
// live for days (pgAdmin, a pooler) while a dataset grows or changes its fields, and a count's
// key holds the query's literals, so every distinct value would add an entry. Hence: an entry
// is trusted for max_age only, and the cache keeps at most `capacity` of them, dropping the
// least recently used. Values are handed out as shared_ptr, so one that is dropped or replaced
// stays valid for whoever still holds it. Pure logic with the clock passed in, unit-tested.
#pragma once

#include <chrono>
#include <cstddef>
#include <list>
#include <memory>
#include <string>
#include <unordered_map>
#include <utility>

namespace socrata {

template <typename Value> class ExpiringCache {
  public:
    using Clock = std::chrono::steady_clock;

    ExpiringCache(std::size_t capacity, Clock::duration max_age)
        : capacity_(capacity > 0 ? capacity : 1), max_age_(max_age) {}

    // The value stored under key, or null if there is none or it is older than max_age (then
    // it is dropped).
    std::shared_ptr<const Value> find(const std::string &key, Clock::time_point now) {
        auto found = index_.find(key);
        if (found == index_.end())
            return nullptr;
        typename Entries::iterator entry = found->second;
        if (now - entry->stored_at > max_age_) {
            entries_.erase(entry);
            index_.erase(found);
            return nullptr;
        }
        entries_.splice(entries_.begin(), entries_, entry);
        return entry->value;
    }

    // Stores (or replaces) the value under key, evicting the least recently used entry if full.
    std::shared_ptr<const Value> store(const std::string &key, Value value, Clock::time_point now) {
        auto stored = std::make_shared<const Value>(std::move(value));
        if (auto found = index_.find(key); found != index_.end()) {
            found->second->value = stored;
            found->second->stored_at = now;
            entries_.splice(entries_.begin(), entries_, found->second);
            return stored;
        }
        if (entries_.size() >= capacity_) {
            index_.erase(entries_.back().key);
            entries_.pop_back();
        }
        entries_.push_front(Entry{key, stored, now});
        index_.emplace(key, entries_.begin());
        return stored;
    }

    std::size_t size() const { return entries_.size(); }

  private:
    struct Entry {
        std::string key;
        std::shared_ptr<const Value> value;
        Clock::time_point stored_at;
    };
    using Entries = std::list<Entry>; // most recently used first

    std::size_t capacity_;
    Clock::duration max_age_;
    Entries entries_;
    std::unordered_map<std::string, typename Entries::iterator> index_;
};

} // namespace socrata
