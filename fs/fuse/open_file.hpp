// What a file handle (fuse_file_info::fh) holds: one of three kinds, so each handler says what
// it does for each kind and a handle cannot mix them (a control file with a staged copy, a
// writer without its branch's bytes).
#pragma once

#define FUSE_USE_VERSION 35
#include <fuse_lowlevel.h>
#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <variant>

#include "fs/common/unique_fd.hpp"
#include "fs/control/control_entry.hpp"
#include "fs/read/chunk_fetcher.hpp"
#include "fs/read/read_ahead.hpp"
#include "fs/write/staging_area.hpp"

namespace hubfs::fs {

// A file of a commit, read through the chunk fetcher. The handle pins the commit: a reader
// never sees a mix of two versions.
struct CommittedHandle {
    FileSource src;
    std::mutex mutex;
    ReadAhead read_ahead;  // which chunks a reader of this handle gets fetched ahead
    ChunkFetcher::Chunk last_chunk;
    uint64_t last_index = UINT64_MAX;
};

// A file staged in this mount (written, not yet committed): its bytes are read and written
// through fd. Open for writing when branch is set.
struct StagedHandle {
    UniqueFd fd;
    std::string blob;
    std::shared_ptr<StagingArea::Branch> branch;  // set for handles open for writing
    uint64_t marked_generation = UINT64_MAX;      // commit generation at which writes marked it dirty
    std::atomic<bool> wrote{false};               // changed through this handle since its last seal
    // Who last wrote through it (thread, and its process): a close by another process (a
    // child closing inherited descriptors at exec) does not seal the file mid-write.
    std::atomic<pid_t> writer_thread{0}, writer_process{0};
};

// A control file (control/control_entry.hpp): it, and what it showed when opened.
struct ControlHandle {
    std::shared_ptr<const ControlFile> file;
    std::string text;
};

using OpenFile = std::variant<CommittedHandle, StagedHandle, ControlHandle>;

// The handle the kernel passes back with each request on an open file.
inline OpenFile& open_file(const fuse_file_info* fi) { return *reinterpret_cast<OpenFile*>(fi->fh); }

}  // namespace hubfs::fs
