#include "table_error_context.hpp"

#include "pg_guard.hpp"

namespace socrata::pg {

namespace {

// Called by Postgres while it raises an error: plain C calls only, nothing that can throw.
void add_context_line(void *arg) {
    errcontext("%s", static_cast<const char *>(arg));
}

char *table_context(const char *activity, const ForeignTableInfo &table) {
    const std::string text = std::string(activity) + " foreign table " + table.relname +
                             " (dataset " + table.settings.dataset + ")";
    return pg::call([&] { return pstrdup(text.c_str()); });
}

} // namespace

char *reading_table_context(const ForeignTableInfo &table) {
    return table_context("reading", table);
}

char *planning_table_context(const ForeignTableInfo &table) {
    return table_context("planning a scan of", table);
}

void push_error_context(ErrorContextCallback &callback, const char *text) noexcept {
    callback.callback = add_context_line;
    callback.arg = const_cast<char *>(text);
    callback.previous = error_context_stack;
    if (text)
        error_context_stack = &callback;
}

void pop_error_context(ErrorContextCallback &callback) noexcept {
    // As Postgres does: the stack as it was at the push, whether or not this one was pushed.
    Assert(error_context_stack == &callback || error_context_stack == callback.previous);
    error_context_stack = callback.previous;
}

} // namespace socrata::pg
