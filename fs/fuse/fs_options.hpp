// How a mount is set up: its options, and what writes need (absent for a read-only mount).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <set>
#include <string>

#include "fs/hub_path.hpp"
#include "fs/read/read_ahead.hpp"
#include "fs/write/committer.hpp"
#include "fs/write/staging_area.hpp"
#include "fs/writer.hpp"

namespace hubfs::fs {

struct FsOptions {
    std::optional<RepoSpec> single_repo;      // mount one repository at the root
    std::chrono::seconds revision_ttl{30};
    uid_t uid = 0;
    gid_t gid = 0;
    // 1 MiB, the cache's chunk: an application's 1 MiB read stays one request (below it the kernel
    // splits each in two, which looks like a stream and opens read-ahead on random reads). libfuse
    // splices a reply (disk-cache bytes, fs/fuse/reply_pieces) only if its header, data and a page
    // per buffer fit one pipe: above 1 MiB, which needs CAP_SYS_RESOURCE or a larger
    // /proc/sys/fs/pipe-max-size; else it copies the bytes through memory.
    uint32_t max_read = 1u << 20;
    uint32_t kernel_readahead = 8u << 20;     // how far the kernel reads ahead (src/hubfs/kernel_readahead.hpp)
    uint64_t cache_limit = 0;                 // for statfs
    ReadAheadOptions read_ahead;              // each open file's (bounded by --memory-limit)
    std::set<std::string> own_namespaces;     // the token's user and organisations: exist even without repos
    bool xattrs = true;                       // false: getxattr and listxattr answer ENOSYS, so the kernel asks no more
    bool passthrough = true;                  // false: never FUSE passthrough (fs/fuse/passthrough.hpp)
};

// What writes need; absent for a read-only mount.
struct WriteSupport {
    StagingArea& staging;
    Writer& writer;
    Committer& committer;
};

}  // namespace hubfs::fs
