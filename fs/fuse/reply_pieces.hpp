// Answers a read from chunks at hand: those in memory as buffers, those in the disk cache as
// file-descriptor buffers, which libfuse splices from the blob file to the kernel (with
// FUSE_CAP_SPLICE_WRITE) instead of copying them through this process.
// libfuse splices only through a pipe that holds the whole reply. Pipes are limited to
// /proc/sys/fs/pipe-max-size (1 MiB by default) unless the process has CAP_SYS_RESOURCE (a user,
// a container's root), and a 1 MiB read's reply is a little more: libfuse then falls back to a
// fresh malloc'd buffer per reply, pread and writev (measured: half of a cold stream's page
// faults). So hubfs asks whether a pipe can hold a reply (splice_fits) and otherwise reads disk
// pieces into reused buffers itself (ChunkFetcher::read_span) before replying.
#pragma once

#define FUSE_USE_VERSION 35
#include <fuse_lowlevel.h>

#include <cstdint>
#include <vector>

#include "fs/fuse/request.hpp"
#include "fs/read/chunk_fetcher.hpp"

namespace hubfs::fs {

// Whether libfuse can splice a reply of `bytes` from `buffers` file buffers (its pipe's size
// heuristic: a page per buffer, one for the header, one more, and the bytes).
bool splice_fits(size_t bytes, size_t buffers);

// Answers req with [start, end) of the file; pieces[k] is chunk first + k, every one here().
// The blob files stay open until the reply returns (the pieces own them). Disk pieces are
// spliced, or with `read_disk` read into its reused buffers (just the bytes asked for).
void reply_from_pieces(Request& req, const std::vector<ChunkFetcher::Piece>& pieces, uint64_t first,
                       uint64_t chunk_size, uint64_t start, uint64_t end, ChunkFetcher* read_disk);

// The same from chunks all in memory (first is the index of chunks[0]): one writev into them.
void reply_from_chunks(Request& req, const std::vector<ChunkFetcher::Chunk>& chunks, uint64_t first,
                       uint64_t chunk_size, uint64_t start, uint64_t end);

}  // namespace hubfs::fs
