// Fetches the next page on a worker thread while the caller turns the current one into tuples,
// so waiting for the portal overlaps with Postgres's work instead of adding to it.
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
#include <exception>
#include <functional>
#include <mutex>
#include <thread>

namespace socrata {

class BackgroundFetcher {
  public:
    // `cancel_flag` must be the flag the fetcher's SodaClient checks; `caller_cancelled` is
    // polled on the caller's thread while it waits.
    BackgroundFetcher(PageFetcher &fetcher, std::atomic<bool> &cancel_flag,
                      std::function<bool()> caller_cancelled);
    ~BackgroundFetcher(); // stops the worker (cancelling a transfer in flight) and joins it

    BackgroundFetcher(const BackgroundFetcher &) = delete;
    BackgroundFetcher &operator=(const BackgroundFetcher &) = delete;

    // Like PageFetcher::next: the next page, or false after the last. Rethrows what the
    // worker caught. Starts fetching the following page before returning.
    bool next(Page &page);

    // Stops the worker now (idempotent); afterwards next() must not be called.
    void stop() noexcept;

  private:
    enum class State { Fetching, Ready, Finished, Failed, Stopping };

    void run() noexcept;

    PageFetcher &fetcher_;
    std::atomic<bool> &cancel_flag_;
    std::function<bool()> caller_cancelled_;

    std::mutex mutex_;
    std::condition_variable changed_;
    State state_ = State::Fetching;
    Page buffer_; // written by the worker while Fetching, handed over when Ready
    bool has_rows_ = false;
    std::exception_ptr error_;
    std::thread worker_;
};

} // namespace socrata
