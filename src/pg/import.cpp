// IMPORT FOREIGN SCHEMA: foreign tables from dataset metadata.
#include "fdw_callbacks.hpp"
#include "error.hpp"
#include "pg_guard.hpp"

namespace socrata::pg {

List *import_foreign_schema(ImportForeignSchemaStmt *, Oid) {
    return pg::entry([&]() -> List * {
        throw Error(ErrorKind::Protocol, "IMPORT FOREIGN SCHEMA is not supported yet");
    });
}

} // namespace socrata::pg
