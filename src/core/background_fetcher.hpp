// Fetches pages on a worker thread while the caller turns rows into tuples, so waiting for the
// portal and decoding overlap with Postgres's work instead of adding to it. Rows are handed
// over as they are decoded, in chunks, for the first page: the caller starts on its first rows
// while the portal is still sending the rest, which is most of an incremental sync's wait
// (docs/benchmark.md). Later pages are handed over whole. The worker starts a page once the caller
// has taken every row fetched so far, so at most two pages are held, as before chunks.
//
// The worker never touches Postgres: it only runs the PageFetcher (libcurl + decoder). It is
// created with every signal blocked, so Postgres's signal handlers only ever run on the
// backend's own thread. Cancellation flows one way: the caller, while it waits, polls its own
// cancel check (query cancel, statement_timeout) and raises the flag the worker's transfers
// watch; the worker then stops within ~100 ms and next() rethrows its Cancelled error.
#pragma once

#include "page.hpp"
#include "page_fetcher.hpp"

#include <atomic>
#include <condition_variable>
#include <deque>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace socrata {

class BackgroundFetcher {
  public:
    static constexpr std::size_t kChunkRows = 1000;

    // `cancel_flag` must be the flag the fetcher's SodaClient checks; `caller_cancelled` is
    // polled on the caller's thread while it waits.
    BackgroundFetcher(PageFetcher &fetcher, std::atomic<bool> &cancel_flag,
                      std::function<bool()> caller_cancelled, std::size_t chunk_rows = kChunkRows);
    ~BackgroundFetcher(); // stops the worker (cancelling a transfer in flight) and joins it

    BackgroundFetcher(const BackgroundFetcher &) = delete;
    BackgroundFetcher &operator=(const BackgroundFetcher &) = delete;

    // The next chunk of rows (in order; see PageFetcher::next_in_chunks), or false after the last.
    // Rethrows what the worker caught, after the rows decoded before it. `page`'s memory is reused.
    bool next(Page &page);

    // Stops the worker now (idempotent); afterwards next() must not be called.
    void stop() noexcept;

  private:
    enum class State { Fetching, Finished, Failed, Stopping };

    void run() noexcept;
    void publish(Page &chunk); // on the worker: queues chunk's rows, gives back a spare page

    PageFetcher &fetcher_;
    std::atomic<bool> &cancel_flag_;
    std::function<bool()> caller_cancelled_;
    std::size_t chunk_rows_;

    std::mutex mutex_;
    std::condition_variable changed_;
    State state_ = State::Fetching;
    std::deque<Page> ready_;  // chunks decoded and not yet taken, in order
    std::vector<Page> spare_; // taken chunks, their memory reused for the next ones
    std::exception_ptr error_;
    std::thread worker_;
};

} // namespace socrata
