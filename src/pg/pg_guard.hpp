// The C++/Postgres error boundary. Everything that crosses it goes through this file.
//
// Two rules, two tools:
//  1. A Postgres ERROR is a longjmp; it must never skip C++ frames that own objects. Every call
//     into Postgres made from C++ goes through pg::call(), which runs it under PG_TRY in a frame
//     that owns nothing and turns the error into a C++ exception (pg::PgError).
//  2. A C++ exception must never unwind through Postgres frames. Every extern "C" entry point
//     runs its body through pg::entry(), which catches everything, lets the C++ objects die,
//     and only then re-raises the error the Postgres way (ereport / ReThrowError).
#pragma once

#include "pg_headers.hpp"

#include <exception>
#include <string>
#include <type_traits>

namespace socrata {
class Error;
}

namespace socrata::pg {

// A Postgres ERROR caught by pg::call(). Owns a copy of the ErrorData (palloc'd in the memory
// context that was current when the error was caught).
class PgError : public std::exception {
  public:
    explicit PgError(ErrorData *data) noexcept : data_(data) {}
    const char *what() const noexcept override;
    ErrorData *data() const noexcept { return data_; }

  private:
    ErrorData *data_;
};

// Runs fn(arg) under PG_TRY. Returns nullptr, or the caught error (already flushed).
// The frame holds no C++ objects, so the longjmp skips nothing it should not.
ErrorData *run_catching_pg_error(void (*fn)(void *), void *arg) noexcept;

// Calls f(), which calls Postgres; a Postgres ERROR comes out as PgError. f must not own
// C++ objects with destructors itself (pass them in by pointer or reference). A C++ exception
// out of f (a pg::call nested in it, a bad_alloc) is caught before it reaches the noexcept
// run_catching_pg_error, and thrown again once that has returned.
template <typename F> decltype(auto) call(F &&f) {
    using Value = decltype(f());
    if constexpr (std::is_void_v<Value>) {
        call([&f] {
            f();
            return 0;
        });
    } else {
        static_assert(std::is_trivially_copyable_v<Value>,
                      "pg::call returns plain Postgres values only");
        struct CallFrame {
            std::remove_reference_t<F> *fn;
            Value value;
            std::exception_ptr thrown;
        };
        CallFrame frame{&f, Value{}, nullptr};
        auto trampoline = [](void *p) {
            auto *fr = static_cast<CallFrame *>(p);
            try {
                fr->value = (*fr->fn)();
            } catch (...) {
                fr->thrown = std::current_exception();
            }
        };
        if (ErrorData *err = run_catching_pg_error(trampoline, &frame))
            throw PgError(err);
        if (frame.thrown)
            std::rethrow_exception(frame.thrown);
        return frame.value;
    }
}

// True when Postgres wants the current statement to stop (query cancel, statement_timeout,
// termination, a client gone: client_connection_check_interval). Reads the flags the signal
// handlers set and, when the connection check is due, polls the client's socket; the backend's
// thread only. CHECK_FOR_INTERRUPTS later raises the matching error.
bool cancel_requested() noexcept;

// What an entry point caught, held in plain C memory so no C++ object is alive when it is
// re-raised. Filled by capture_current_exception(), consumed by raise_captured().
struct CapturedError {
    ErrorData *pg_error = nullptr; // a Postgres error to re-throw as is
    int sqlstate = 0;
    char *message = nullptr; // malloc'd
    char *detail = nullptr;
    char *hint = nullptr;
    bool cancelled = false;
};

CapturedError capture_current_exception() noexcept;
[[noreturn]] void raise_captured(CapturedError &captured);

// A part of error's text (its message, detail or hint) as the database shows it: the portal's
// words are UTF-8, and a database in another encoding gets them converted. May call Postgres.
std::string text_for_database(const Error &error, const std::string &text);

// Runs body() and turns any C++ exception into a Postgres ERROR after the exception object
// and everything body() owned are gone.
template <typename F> decltype(auto) entry(F &&body) noexcept {
    CapturedError captured;
    try {
        return body();
    } catch (...) {
        captured = capture_current_exception();
    }
    raise_captured(captured);
}

} // namespace socrata::pg
