// The FDW callbacks, one group per file; fdw_handler.cpp wires them into the FdwRoutine.
// Every one of them is an entry point from Postgres and runs its body through pg::entry(), but
// analyze_foreign_table, which only sets two values and cannot fail.
#pragma once

#include "pg_headers.hpp"

namespace socrata::pg {

// planner.cpp
void get_foreign_rel_size(PlannerInfo *root, RelOptInfo *baserel, Oid foreigntableid);
void get_foreign_paths(PlannerInfo *root, RelOptInfo *baserel, Oid foreigntableid);
ForeignScan *get_foreign_plan(PlannerInfo *root, RelOptInfo *baserel, Oid foreigntableid,
                              ForeignPath *best_path, List *tlist, List *scan_clauses,
                              Plan *outer_plan);

// upper_paths.cpp: aggregate, sort and limit relations (aggregate_paths.cpp, limit_paths.cpp);
// GetForeignPlan for them (get_foreign_plan forwards).
void get_foreign_upper_paths(PlannerInfo *root, UpperRelationKind stage, RelOptInfo *input_rel,
                             RelOptInfo *output_rel, void *extra);
ForeignScan *upper_foreign_plan(PlannerInfo *root, RelOptInfo *rel, Oid foreigntableid,
                                ForeignPath *best_path, List *tlist, List *scan_clauses,
                                Plan *outer_plan);

// scan.cpp
void begin_foreign_scan(ForeignScanState *node, int eflags);
TupleTableSlot *iterate_foreign_scan(ForeignScanState *node);
void rescan_foreign_scan(ForeignScanState *node);
void end_foreign_scan(ForeignScanState *node);
void explain_foreign_scan(ForeignScanState *node, ExplainState *es);

// analyze.cpp
bool analyze_foreign_table(Relation relation, AcquireSampleRowsFunc *func, BlockNumber *totalpages);

// import.cpp
List *import_foreign_schema(ImportForeignSchemaStmt *stmt, Oid serverOid);

} // namespace socrata::pg
