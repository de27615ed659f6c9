#include "malloc_policy.hpp"

#include <cstdlib>
#include <cstring>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace socrata {

namespace {
constexpr int kMmapThresholdBytes = 128 * 1024; // glibc's starting value
}

bool environment_sets_mmap_threshold(const char *malloc_mmap_threshold,
                                     const char *glibc_tunables) {
    return malloc_mmap_threshold != nullptr ||
           (glibc_tunables != nullptr &&
            std::strstr(glibc_tunables, "glibc.malloc.mmap_threshold") != nullptr);
}

bool fix_mmap_threshold() {
#if defined(__GLIBC__)
    if (environment_sets_mmap_threshold(std::getenv("MALLOC_MMAP_THRESHOLD_"),
                                        std::getenv("GLIBC_TUNABLES")))
        return false;
    return mallopt(M_MMAP_THRESHOLD, kMmapThresholdBytes) == 1;
#else
    return false;
#endif
}

} // namespace socrata
