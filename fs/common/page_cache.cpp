#include "fs/common/page_cache.hpp"

#include <sys/syscall.h>
#include <unistd.h>

#ifndef __NR_cachestat
#define __NR_cachestat 451  // the same number on every architecture
#endif

namespace hubfs::fs {

namespace {
// The kernel's struct cachestat_range and struct cachestat (include/uapi/linux/mman.h); glibc
// 2.36 has no wrapper.
struct CachestatRange {
    uint64_t off, len;
};
struct Cachestat {
    uint64_t nr_cache, nr_dirty, nr_writeback, nr_evicted, nr_recently_evicted;
};
}  // namespace

bool all_in_page_cache(int fd, uint64_t size) {
    if (size == 0) return true;
    CachestatRange range{0, size};
    Cachestat stat{};
    if (::syscall(__NR_cachestat, fd, &range, &stat, 0) != 0) return false;
    const uint64_t page = static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
    return stat.nr_cache >= (size + page - 1) / page;
}

}  // namespace hubfs::fs
