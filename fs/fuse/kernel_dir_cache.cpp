#include "fs/fuse/kernel_dir_cache.hpp"

#include <xxhash.h>

namespace hubfs::fs {

void KernelDirCache::Digest::add(std::string_view name, const struct stat& st) {
    // Order matters (it is the readdir order), so each entry is chained onto the digest so far.
    const uint64_t fixed[] = {h_, static_cast<uint64_t>(st.st_ino), static_cast<uint64_t>(st.st_size),
                              static_cast<uint64_t>(st.st_mtim.tv_sec), static_cast<uint64_t>(st.st_mtim.tv_nsec),
                              static_cast<uint64_t>(st.st_mode)};
    uint64_t seed = XXH3_64bits(fixed, sizeof fixed);
    h_ = XXH3_64bits_withSeed(name.data(), name.size(), seed);
}

bool KernelDirCache::keep(uint64_t ino, uint64_t digest) {
    std::lock_guard lock(mutex_);
    auto [it, fresh] = served_.try_emplace(ino, digest);
    if (fresh) return false;
    bool same = it->second == digest;
    it->second = digest;
    return same;
}

void KernelDirCache::forget(uint64_t ino) {
    std::lock_guard lock(mutex_);
    served_.erase(ino);
}

}  // namespace hubfs::fs
