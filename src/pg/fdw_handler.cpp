// The extension's entry: module magic, what loading the library does, and the FDW handler that
// lists the callbacks.
#include "fdw_callbacks.hpp"
#include "malloc_policy.hpp"
#include "pg_guard.hpp"

extern "C" {
PG_MODULE_MAGIC;

PGDLLEXPORT void _PG_init(void);

PGDLLEXPORT Datum socrata_fdw_handler(PG_FUNCTION_ARGS);
PG_FUNCTION_INFO_V1(socrata_fdw_handler);
}

namespace pg = socrata::pg;

// Runs once per backend, when the library is loaded (the first foreign scan or call into it).
void _PG_init(void) {
    socrata::fix_mmap_threshold(); // cannot throw
}

// Each callback is a plain function pointer handed to Postgres; the pg::entry boundary lives
// inside each implementation, so nothing here can throw.
Datum socrata_fdw_handler(PG_FUNCTION_ARGS) {
    FdwRoutine *routine = makeNode(FdwRoutine);

    routine->GetForeignRelSize = pg::get_foreign_rel_size;
    routine->GetForeignPaths = pg::get_foreign_paths;
    routine->GetForeignPlan = pg::get_foreign_plan;
    routine->GetForeignUpperPaths = pg::get_foreign_upper_paths;

    routine->BeginForeignScan = pg::begin_foreign_scan;
    routine->IterateForeignScan = pg::iterate_foreign_scan;
    routine->ReScanForeignScan = pg::rescan_foreign_scan;
    routine->EndForeignScan = pg::end_foreign_scan;
    routine->ExplainForeignScan = pg::explain_foreign_scan;

    routine->AnalyzeForeignTable = pg::analyze_foreign_table;
    routine->ImportForeignSchema = pg::import_foreign_schema;

    PG_RETURN_POINTER(routine);
}
