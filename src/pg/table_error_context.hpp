// The CONTEXT line of an error raised while rows of a foreign table are read, or while the
// planner asks the portal about it (its metadata, a remote row count):
//
//   CONTEXT:  reading foreign table public.crimes (dataset ijzp-q8t2)
//   CONTEXT:  planning a scan of foreign table public.crimes (dataset ijzp-q8t2)
//
// An HTTP, paging or network error names a URL or a dataset, not the table: in a join of two
// foreign tables, or in a warehouse sync that reads several, the line says which one failed.
//
// The callback must be on Postgres' error_context_stack when the error is raised, and
// pg::entry() raises the C++ errors it caught after its body has returned: so the callbacks push
// it in their own frame, around pg::entry(), and pop it after. The text is built beforehand, so
// the callback itself does nothing but format it (no catalog lookups while an error is raised).
#pragma once

#include "pg_headers.hpp"
#include "table_options.hpp"

namespace socrata::pg {

// The line's text for `table`, palloc'd in the current memory context. Call them from C++ (they
// use pg::call), before the reading or the planning starts.
char *reading_table_context(const ForeignTableInfo &table);
char *planning_table_context(const ForeignTableInfo &table);

// Puts `text` on error_context_stack for the errors raised until pop_error_context(callback);
// a null text adds nothing. `callback` must live in the frame that pops it.
void push_error_context(ErrorContextCallback &callback, const char *text) noexcept;
void pop_error_context(ErrorContextCallback &callback) noexcept;

} // namespace socrata::pg
