#include "row_count_cache.hpp"

namespace socrata {

RowCountCache::RowCountCache(std::size_t capacity, Clock::duration max_age)
    : capacity_(capacity > 0 ? capacity : 1), max_age_(max_age) {}

std::optional<double> RowCountCache::find(const std::string &key, Clock::time_point now) {
    auto found = index_.find(key);
    if (found == index_.end())
        return std::nullopt;
    Entries::iterator entry = found->second;
    if (now - entry->stored_at > max_age_) {
        entries_.erase(entry);
        index_.erase(found);
        return std::nullopt;
    }
    entries_.splice(entries_.begin(), entries_, entry);
    return entry->count;
}

void RowCountCache::store(const std::string &key, double count, Clock::time_point now) {
    if (auto found = index_.find(key); found != index_.end()) {
        found->second->count = count;
        found->second->stored_at = now;
        entries_.splice(entries_.begin(), entries_, found->second);
        return;
    }
    if (entries_.size() >= capacity_) {
        index_.erase(entries_.back().key);
        entries_.pop_back();
    }
    entries_.push_front(Entry{key, count, now});
    index_.emplace(key, entries_.begin());
}

} // namespace socrata
