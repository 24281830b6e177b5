#include "fs/cache/chunk_checksum.hpp"

#include <xxhash.h>
#if defined(__x86_64__) || defined(__i386__)
#include <xxh_x86dispatch.h>
#endif

namespace hubfs::cache {

uint64_t chunk_checksum(const void* data, size_t size) {
#if defined(__x86_64__) || defined(__i386__)
    return XXH3_64bits_dispatch(data, size);
#else
    return XXH3_64bits(data, size);
#endif
}

}  // namespace hubfs::cache
