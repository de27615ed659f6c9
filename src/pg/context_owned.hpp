// C++ objects whose lifetime follows a Postgres memory context. State that lives across FDW
// callbacks (planner info, scan state) is deleted when its context is reset or deleted,
// which also happens on ERROR, when EndForeignScan is never called.
#pragma once

#include "pg_guard.hpp"

namespace socrata::pg {

template <typename T> void delete_context_owned(void *object) noexcept {
    delete static_cast<T *>(object); // destructors of these types do not throw
}

template <typename T, typename... Args>
T *new_context_owned(MemoryContext context, Args &&...args) {
    auto object = std::make_unique<T>(std::forward<Args>(args)...);
    auto *callback = static_cast<MemoryContextCallback *>(
        pg::call([&] { return MemoryContextAlloc(context, sizeof(MemoryContextCallback)); }));
    callback->func = delete_context_owned<T>;
    callback->arg = object.get();
    pg::call([&] { MemoryContextRegisterResetCallback(context, callback); });
    return object.release();
}

} // namespace socrata::pg
