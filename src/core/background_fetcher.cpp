#include "background_fetcher.hpp"

#include "error.hpp"

#include <chrono>
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
                                     std::function<bool()> caller_cancelled)
    : fetcher_(fetcher), cancel_flag_(cancel_flag), caller_cancelled_(std::move(caller_cancelled)) {
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
    std::unique_lock<std::mutex> lock(mutex_);
    for (;;) {
        changed_.wait(lock,
                      [this] { return state_ == State::Fetching || state_ == State::Stopping; });
        if (state_ == State::Stopping)
            return;
        lock.unlock();
        bool has_rows = false;
        std::exception_ptr error;
        try {
            has_rows = fetcher_.next(buffer_);
        } catch (...) {
            error = std::current_exception();
        }
        lock.lock();
        if (state_ == State::Stopping)
            return;
        has_rows_ = has_rows;
        error_ = error;
        state_ = error ? State::Failed : has_rows ? State::Ready : State::Finished;
        changed_.notify_all();
    }
}

bool BackgroundFetcher::next(Page &page) {
    std::unique_lock<std::mutex> lock(mutex_);
    while (state_ == State::Fetching) {
        changed_.wait_for(lock, std::chrono::milliseconds(50));
        if (state_ == State::Fetching && caller_cancelled_ && caller_cancelled_())
            cancel_flag_ = true; // the worker's transfer stops and reports Cancelled
    }
    switch (state_) {
    case State::Ready:
        std::swap(page, buffer_);
        state_ = State::Fetching; // the page after this one, while the caller works
        lock.unlock();
        changed_.notify_all();
        return true;
    case State::Finished:
        return false;
    case State::Failed:
        std::rethrow_exception(error_);
    default:
        throw Error(ErrorKind::Protocol, "page fetcher used after it was stopped");
    }
}

} // namespace socrata
