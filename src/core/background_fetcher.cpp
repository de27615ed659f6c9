#include "background_fetcher.hpp"

#include "error.hpp"

#include <chrono>
#include <cstdint>
#include <csignal>
#include <pthread.h>

namespace socrata {

namespace {

// Starts a thread with every signal blocked; the caller's mask is restored afterwards.
template <typename F> std::thread start_without_signals(F &&body) {
    sigset_t all, previous;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &previous);
    std::thread thread;
    try {
        thread = std::thread(std::forward<F>(body));
    } catch (...) {
        pthread_sigmask(SIG_SETMASK, &previous, nullptr);
        throw;
    }
    pthread_sigmask(SIG_SETMASK, &previous, nullptr);
    return thread;
}

} // namespace

BackgroundFetcher::BackgroundFetcher(PageFetcher &fetcher, std::atomic<bool> &cancel_flag,
                                     std::function<bool()> caller_cancelled, std::size_t chunk_rows)
    : fetcher_(fetcher), cancel_flag_(cancel_flag), caller_cancelled_(std::move(caller_cancelled)),
      chunk_rows_(chunk_rows) {
    worker_ = start_without_signals([this] { run(); });
}

BackgroundFetcher::~BackgroundFetcher() {
    stop();
}

void BackgroundFetcher::stop() noexcept {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        if (state_ == State::Fetching)
            cancel_flag_ = true; // abandon the transfer in flight
        state_ = State::Stopping;
    }
    changed_.notify_all();
    if (worker_.joinable())
        worker_.join();
}

void BackgroundFetcher::run() noexcept {
    Page chunk;
    bool first_page = true;
    std::unique_lock<std::mutex> lock(mutex_);
    for (;;) {
        // The next page starts once the caller has taken every row fetched so far, so at most
        // two pages are held: the one the caller works on and the one being filled.
        changed_.wait(lock, [&] { return state_ == State::Stopping || ready_.empty(); });
        if (state_ == State::Stopping)
            return;
        if (!spare_.empty()) { // the page the caller just finished, rather than new memory
            chunk = std::move(spare_.back());
            spare_.pop_back();
        }
        lock.unlock();
        bool more = false;
        std::exception_ptr error;
        try {
            // Only the first page goes out in chunks: that is where the caller would otherwise
            // wait. Later pages are fetched while the caller works on earlier ones anyway, and
            // handing them over mid-page slowed a CPU-bound CSV scan by 20% on 2 cores.
            const std::size_t chunk_rows = first_page ? chunk_rows_ : SIZE_MAX;
            first_page = false;
            more = fetcher_.next_in_chunks(chunk, chunk_rows, [this](Page &c) { publish(c); });
        } catch (...) {
            error = std::current_exception();
        }
        lock.lock();
        if (state_ == State::Stopping)
            return;
        if (error || !more) {
            error_ = error;
            state_ = error ? State::Failed : State::Finished;
            changed_.notify_all();
            return;
        }
    }
}

void BackgroundFetcher::publish(Page &chunk) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (state_ == State::Stopping)
        throw Error(ErrorKind::Cancelled, "page fetch stopped");
    ready_.emplace_back();
    std::swap(ready_.back(), chunk);
    if (!spare_.empty()) {
        std::swap(chunk, spare_.back());
        spare_.pop_back();
    }
    changed_.notify_all();
}

bool BackgroundFetcher::next(Page &page) {
    std::unique_lock<std::mutex> lock(mutex_);
    while (ready_.empty() && state_ == State::Fetching) {
        changed_.wait_for(lock, std::chrono::milliseconds(50));
        if (ready_.empty() && state_ == State::Fetching && caller_cancelled_ && caller_cancelled_())
            cancel_flag_ = true; // the worker's transfer stops and reports Cancelled
    }
    if (!ready_.empty()) {
        std::swap(page, ready_.front());
        // The rows the caller is done with: their memory fills the next page. Two spares are
        // enough (the first page's chunks, then one page at a time); more would only hold memory.
        if (spare_.size() >= 2)
            spare_.erase(spare_.begin());
        spare_.push_back(std::move(ready_.front()));
        ready_.pop_front();
        changed_.notify_all(); // the worker may be waiting for the queue to empty
        return true;
    }
    switch (state_) {
    case State::Finished:
        return false;
    case State::Failed:
        std::rethrow_exception(error_);
    default:
        throw Error(ErrorKind::Internal, "page fetcher used after it was stopped");
    }
}

} // namespace socrata
