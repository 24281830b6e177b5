// Answers a read from chunks at hand: those in memory as buffers, those in the disk cache as
// file-descriptor buffers, which libfuse splices from the blob file to the kernel (with
// FUSE_CAP_SPLICE_WRITE) instead of copying them through this process.
#pragma once

#define FUSE_USE_VERSION 35
#include <fuse_lowlevel.h>

#include <cstdint>
#include <vector>

#include "fs/fuse/request.hpp"
#include "fs/read/chunk_fetcher.hpp"

namespace hubfs::fs {

// Answers req with [start, end) of the file; pieces[k] is chunk first + k, every one here().
// The blob files stay open until the reply returns (the pieces own them).
void reply_from_pieces(Request& req, const std::vector<ChunkFetcher::Piece>& pieces, uint64_t first,
                       uint64_t chunk_size, uint64_t start, uint64_t end);

}  // namespace hubfs::fs
