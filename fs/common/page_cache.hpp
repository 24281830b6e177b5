// Whether a file's bytes are all in the kernel's page cache (cachestat(2), Linux >= 6.5).
// Passthrough uses it: a kernel reading a cache blob file itself is 2-3x faster than hubfs when
// the pages are in memory, but 2-3x slower when they are only on disk (its read-ahead of one
// reader against hubfs's parallel chunk reads of a file written out of order).
#pragma once

#include <cstdint>

namespace hubfs::fs {

// False when some page is missing, or when the kernel cannot tell (no cachestat).
bool all_in_page_cache(int fd, uint64_t size);

}  // namespace hubfs::fs
