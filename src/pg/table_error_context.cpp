#include "table_error_context.hpp"

#include "pg_guard.hpp"
#include "table_options.hpp"

namespace socrata::pg {

namespace {

// Called by Postgres while it raises an error: plain C calls only, nothing that can throw.
void add_context_line(void *arg) {
    errcontext("%s", static_cast<const char *>(arg));
}

} // namespace

char *reading_table_context(Oid relid) {
    std::string dataset;
    for (const auto &[name, value] :
         to_option_list(pg::call([&] { return GetForeignTable(relid)->options; })))
        if (name == "dataset")
            dataset = value;
    const std::string relname = pg::call([&] {
        return quote_qualified_identifier(get_namespace_name(get_rel_namespace(relid)),
                                          get_rel_name(relid));
    });
    const std::string text =
        "reading foreign table " + relname + (dataset.empty() ? "" : " (dataset " + dataset + ")");
    return pg::call([&] { return pstrdup(text.c_str()); });
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
