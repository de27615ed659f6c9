// The C++/Postgres error boundary: see pg_guard.hpp for the two rules it enforces.
#include "database_encoding.hpp"
#include "error.hpp"
#include "pg_guard.hpp"

// libpq/libpq.h declares it, but includes libpq-be.h and with it the GSSAPI headers, which a
// build machine need not have (PostgreSQL 14 and later export it with this signature).
extern "C" bool pq_check_connection(void);

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>

namespace socrata::pg {

const char *PgError::what() const noexcept {
    return data_ && data_->message ? data_->message : "PostgreSQL error";
}

namespace {

// What a caught error becomes when there is no memory left to copy it (the error itself is
// often an out-of-memory one). Never freed: nothing here frees a PgError's data.
ErrorData out_of_memory_error = [] {
    ErrorData e{};
    e.elevel = ERROR;
    e.sqlerrcode = ERRCODE_OUT_OF_MEMORY;
    e.message = const_cast<char *>("out of memory");
    e.assoc_context = nullptr;
    return e;
}();

// CopyErrorData allocates, and an error in PG_CATCH would longjmp to the next handler out,
// past the caller's C++ frames: so it gets a PG_TRY of its own.
ErrorData *copy_error_data() noexcept {
    ErrorData *volatile copy = nullptr;
    PG_TRY();
    { copy = CopyErrorData(); }
    PG_CATCH();
    { copy = &out_of_memory_error; }
    PG_END_TRY();
    return copy;
}

} // namespace

bool cancel_requested() noexcept {
    if (!InterruptPending)
        return false;
    if (QueryCancelPending || ProcDiePending)
        return true;
    // Postgres checks the client's socket (client_connection_check_interval) in
    // CHECK_FOR_INTERRUPTS, which a transfer waiting on the portal does not reach: a backend
    // whose client has gone went on waiting for a stalled response. A client gone stops the
    // transfer, and CHECK_FOR_INTERRUPTS then ends the backend; a client still there leaves the
    // check pending, for CHECK_FOR_INTERRUPTS to re-arm its timer.
    if (CheckClientConnectionPending) {
        try {
            return !call([] { return pq_check_connection(); });
        } catch (...) {
            return true; // the check failed: stop, and let CHECK_FOR_INTERRUPTS tell
        }
    }
    return false;
}

ErrorData *run_catching_pg_error(void (*fn)(void *), void *arg) noexcept {
    MemoryContext caller_context = CurrentMemoryContext;
    ErrorData *volatile caught = nullptr;
    PG_TRY();
    { fn(arg); }
    PG_CATCH();
    {
        // CopyErrorData must not run in ErrorContext; keep the copy where the caller was.
        MemoryContextSwitchTo(caller_context);
        caught = copy_error_data();
        FlushErrorState();
        MemoryContextSwitchTo(caller_context); // a failed copy may have left ErrorContext current
    }
    PG_END_TRY();
    return caught;
}

// The errors that quote the portal, whose text is UTF-8: an HTTP error, an undecodable response,
// and a broken paging contract (it names the rows). A database in another encoding gets their
// text converted (what it lacks as \uXXXX). The rest of their wording is ASCII.
std::string text_for_database(const Error &error, const std::string &text) {
    const ErrorKind kind = error.kind();
    if (kind == ErrorKind::Http || kind == ErrorKind::BadResponse || kind == ErrorKind::Protocol)
        return database_text_from_utf8(text);
    return text;
}

namespace {

char *copy_c_string(const char *s) noexcept {
    if (!s || !*s)
        return nullptr;
    return strdup(s); // malloc: may fail quietly, then the part is just left out
}

// The SQLSTATE a kind stands for: the FDW class (HV) where the SQL standard has a code for the
// case, the code an input function would raise for a value a column cannot hold, and XX000 for
// our own bugs, so that a caller can tell them apart without reading the message.
int sqlstate_for(const Error &e) noexcept {
    switch (e.kind()) {
    case ErrorKind::UnknownOption:
        return ERRCODE_FDW_INVALID_OPTION_NAME; // HV00D
    case ErrorKind::MissingOption:
        return ERRCODE_FDW_DYNAMIC_PARAMETER_VALUE_NEEDED; // HV002, as file_fdw's missing filename
    case ErrorKind::InvalidOption:
        return ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE; // HV024
    case ErrorKind::Cancelled:
        return ERRCODE_QUERY_CANCELED;
    case ErrorKind::Conversion:
        return ERRCODE_INVALID_TEXT_REPRESENTATION; // 22P02, as int4in's "twenty"
    case ErrorKind::Untranslatable:
        return ERRCODE_UNTRANSLATABLE_CHARACTER; // 22P05, as jsonb's \u0000 or a conversion
    case ErrorKind::Network:
        return ERRCODE_FDW_UNABLE_TO_ESTABLISH_CONNECTION; // HV00N
    case ErrorKind::Internal:
        return ERRCODE_INTERNAL_ERROR;
    case ErrorKind::Http:
    case ErrorKind::BadResponse:
    case ErrorKind::Protocol:
    default:
        return ERRCODE_FDW_ERROR; // HV000
    }
}

char *copy_text_for_database(const Error &error, const std::string &text) noexcept {
    try {
        return copy_c_string(text_for_database(error, text).c_str());
    } catch (...) {
        return copy_c_string(text.c_str());
    }
}

// A palloc'd copy of `text`, or nullptr if there is none or no memory for one (never raises).
char *copy_to_palloc(const char *text) {
    if (!text)
        return nullptr;
    const Size size = strlen(text) + 1;
    auto *copy = static_cast<char *>(palloc_extended(size, MCXT_ALLOC_NO_OOM));
    if (copy)
        memcpy(copy, text, size);
    return copy;
}

} // namespace

CapturedError capture_current_exception() noexcept {
    CapturedError c;
    try {
        throw;
    } catch (const PgError &e) {
        c.pg_error = e.data();
    } catch (const Error &e) {
        c.sqlstate = sqlstate_for(e);
        c.cancelled = e.kind() == ErrorKind::Cancelled;
        c.message = copy_text_for_database(e, e.what());
        c.detail = copy_text_for_database(e, e.detail());
        c.hint = copy_text_for_database(e, e.hint());
    } catch (const std::bad_alloc &) {
        c.sqlstate = ERRCODE_OUT_OF_MEMORY;
        c.message = strdup("out of memory in socrata_fdw");
    } catch (const std::exception &e) {
        c.sqlstate = ERRCODE_INTERNAL_ERROR;
        // No std::string here: building one could throw out of this noexcept function.
        static const char prefix[] = "socrata_fdw internal error: ";
        const char *what = e.what() ? e.what() : "";
        const std::size_t size = sizeof prefix + strlen(what);
        if (char *m = static_cast<char *>(malloc(size))) {
            snprintf(m, size, "%s%s", prefix, what);
            c.message = m;
        }
    } catch (...) {
        c.sqlstate = ERRCODE_INTERNAL_ERROR;
        c.message = strdup("socrata_fdw internal error: unknown exception");
    }
    return c;
}

void raise_captured(CapturedError &c) {
    if (c.pg_error)
        ReThrowError(c.pg_error); // keeps SQLSTATE, detail, hint, context

    // Move the texts from malloc to palloc so nothing leaks when ereport longjmps. The copies
    // must not raise before the free()s (pstrdup would, out of memory): a text that cannot be
    // copied is left out, and a message replaced by a fixed one.
    const char *message = copy_to_palloc(c.message);
    const char *detail = copy_to_palloc(c.detail);
    const char *hint = copy_to_palloc(c.hint);
    if (!message)
        message = c.message ? "socrata_fdw error (out of memory while reporting it)"
                            : "socrata_fdw error";
    free(c.message);
    free(c.detail);
    free(c.hint);

    // A transfer stopped by a cancel or statement_timeout: let Postgres report it in its
    // own words ("canceling statement due to statement timeout").
    if (c.cancelled)
        CHECK_FOR_INTERRUPTS();

    ereport(ERROR, (errcode(c.sqlstate), errmsg_internal("%s", message),
                    detail ? errdetail_internal("%s", detail) : 0, hint ? errhint("%s", hint) : 0));
    pg_unreachable();
}

} // namespace socrata::pg
