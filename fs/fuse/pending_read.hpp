// Reads that wait for the network do not hold a FUSE worker thread: the request is kept here
// and answered by the thread that completes the last chunk it needs (the low-level API allows
// a reply from any thread). A reader interrupted meanwhile (Ctrl-C, kill -9) is answered EINTR
// at once; its fetches go on for the cache. So a stalled Hub holds pending requests, never the
// threads that serve cached bytes, listings and attributes.
#pragma once

#define FUSE_USE_VERSION 35
#include <fuse_lowlevel.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "fs/fuse/request.hpp"
#include "fs/read/chunk_fetcher.hpp"
#include "fs/read/piece_fetcher.hpp"

namespace hubfs::fs {

class PendingReads {
public:
    // Answers `req` with bytes [start, end) of the file once chunks first.. are all here;
    // `have` holds those already at hand (null where one must be fetched). req is handed over:
    // kept here until a fetch, an interrupt or abandon_all() answers it.
    void start(Request req, ChunkFetcher& fetcher, const FileSource& src, uint64_t start, uint64_t end,
               std::vector<ChunkFetcher::Chunk> have);
    // The same for a lone read: answered from the one piece `span` fetched for it.
    void start_piece(Request req, PieceFetcher& pieces, const FileSource& src, uint64_t start, uint64_t end,
                     PieceFetcher::Span span);
    // At unmount, before the session goes: answers what is still pending with EIO.
    void abandon_all();
    size_t size();

private:
    struct Read {
        explicit Read(Request r) : req(std::move(r)) {}
        Request req;
        uint64_t start, end, first, chunk_size;
        std::vector<ChunkFetcher::Chunk> chunks;
        size_t missing = 0;
        std::string what;
        std::chrono::steady_clock::time_point since;
    };
    // Keeps req until it is answered (chunks [first, ...) of chunk_size bytes; null ones missing).
    std::shared_ptr<Read> track(Request req, const FileSource& src, uint64_t start, uint64_t end, uint64_t chunk_size,
                                uint64_t first, std::vector<ChunkFetcher::Chunk> have);
    static void on_interrupt(fuse_req_t req, void* self);
    void arrived(const std::shared_ptr<Read>& r, uint64_t index, ChunkFetcher::Chunk chunk, std::exception_ptr error);

    std::mutex mutex_;
    std::unordered_map<fuse_req_t, std::shared_ptr<Read>> reads_;  // not yet answered
};


}  // namespace hubfs::fs
