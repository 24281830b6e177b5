#include "checked_chunks.hpp"

#include <fstream>
#include <sstream>
#include <xxhash.h>

namespace hubfs::cache {

uint64_t boot_hash(const std::string& override) {
    std::string id = override;
    if (id.empty()) {
        std::ifstream in("/proc/sys/kernel/random/boot_id");
        std::getline(in, id);
    }
    // Without a boot id nothing is trusted across processes: every process checks once.
    if (id.empty()) return 0;
    const uint64_t h = XXH3_64bits(id.data(), id.size());
    return h == 0 ? 1 : h;  // 0 means "no boot" in a stamp
}

}  // namespace hubfs::cache
