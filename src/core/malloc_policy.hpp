// How a backend that loads the wrapper asks glibc to give large freed blocks back to the system.
//
// glibc serves a request of 128 kB or more with a mapping of its own, unmapped when freed, and
// smaller ones from its heap, which keeps what is freed inside it resident. By default it also
// raises that limit to the size of each mapped block freed (up to 32 MB), for the rest of the
// process. A backend frees blocks of several megabytes early (the wrapper's page buffers,
// PostgreSQL's sort and hash memory): from then on requests of those sizes came from the heap
// and stayed resident after each statement, under the next statement's own memory. At 1M rows
// the first load's peak was 12 MB higher for it, and a sync of a 10,000-row batch 3 MB higher
// than one of 1,000 (docs/benchmark.md, "glibc's mmap threshold"). Fixing the limit at its
// starting value keeps each statement's peak its own.
#pragma once

namespace socrata {

// Whether the environment already sets the threshold (MALLOC_MMAP_THRESHOLD_, or the
// glibc.malloc.mmap_threshold tunable in GLIBC_TUNABLES): a server's own choice wins.
bool environment_sets_mmap_threshold(const char *malloc_mmap_threshold, const char *glibc_tunables);

// Fixes glibc's mmap threshold at 128 kB for this process unless the environment sets it;
// returns whether it did (false without glibc).
bool fix_mmap_threshold();

} // namespace socrata
