// The C++/Postgres error boundary: see pg_guard.hpp for the two rules it enforces.
#include "error.hpp"
#include "pg_guard.hpp"

#include <cstdlib>
#include <new>

namespace socrata::pg {

const char *PgError::what() const noexcept {
    return data_ && data_->message ? data_->message : "PostgreSQL error";
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
        caught = CopyErrorData();
        FlushErrorState();
    }
    PG_END_TRY();
    return caught;
}

namespace {

char *copy_c_string(const std::string &s) noexcept {
    if (s.empty())
        return nullptr;
    return strdup(s.c_str()); // malloc: may fail quietly, then the part is just left out
}

int sqlstate_for(const Error &e) noexcept {
    switch (e.kind()) {
    case ErrorKind::InvalidOption:
        return ERRCODE_FDW_INVALID_OPTION_NAME;
    case ErrorKind::Cancelled:
        return ERRCODE_QUERY_CANCELED;
    case ErrorKind::Conversion:
        return ERRCODE_FDW_INVALID_DATA_TYPE;
    case ErrorKind::Network:
        return ERRCODE_FDW_UNABLE_TO_ESTABLISH_CONNECTION;
    case ErrorKind::Http:
    case ErrorKind::BadResponse:
    case ErrorKind::Protocol:
    default:
        return ERRCODE_FDW_ERROR;
    }
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
        c.message = copy_c_string(e.what());
        c.detail = copy_c_string(e.detail());
        c.hint = copy_c_string(e.hint());
    } catch (const std::bad_alloc &) {
        c.sqlstate = ERRCODE_OUT_OF_MEMORY;
        c.message = strdup("out of memory in socrata_fdw");
    } catch (const std::exception &e) {
        c.sqlstate = ERRCODE_INTERNAL_ERROR;
        c.message = copy_c_string(std::string("socrata_fdw internal error: ") + e.what());
    } catch (...) {
        c.sqlstate = ERRCODE_INTERNAL_ERROR;
        c.message = strdup("socrata_fdw internal error: unknown exception");
    }
    return c;
}

void raise_captured(CapturedError &c) {
    if (c.pg_error)
        ReThrowError(c.pg_error); // keeps SQLSTATE, detail, hint, context

    // Move the texts from malloc to palloc so nothing leaks when ereport longjmps.
    char *message = c.message ? pstrdup(c.message) : pstrdup("socrata_fdw error");
    char *detail = c.detail ? pstrdup(c.detail) : nullptr;
    char *hint = c.hint ? pstrdup(c.hint) : nullptr;
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
