// A lone read's bytes. A read that is not part of a stream (fio's random reads, a footer or a
// header peeked at) of a chunk neither cached nor being fetched gets only the pages it covers,
// rounded to `page` bytes, in one ranged GET, rather than its whole chunk (or two chunks, if it
// straddles them): a random 4 KiB read costs 64 KiB, not 1 MiB. The piece answers that read
// only: it is not stored in the disk cache, whose chunks are whole and checked by their XXH3,
// nor kept in memory. A read whose pages would cover its chunks whole takes the chunks instead.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "fs/read/chunk_fetcher.hpp"

namespace hubfs::fs {

struct PieceOptions {
    size_t workers = 4;          // lone reads fetched at once (random readers are few and wait on each)
    uint64_t page = 64ull << 10;  // a piece starts and ends on these (the last at the file's end)
};

class PieceFetcher {
public:
    struct Span {
        uint64_t offset = 0, length = 0;  // length 0: take whole chunks instead
    };
    using Done = std::function<void(ChunkFetcher::Chunk, std::exception_ptr)>;

    PieceFetcher(Remote& remote, uint64_t chunk_size, PieceOptions opts = {});
    ~PieceFetcher();
    PieceFetcher(const PieceFetcher&) = delete;
    PieceFetcher& operator=(const PieceFetcher&) = delete;

    uint64_t page() const { return opts_.page; }
    // What a lone read of [start, end) of a file of file_size bytes fetches.
    Span span(uint64_t start, uint64_t end, uint64_t file_size) const;
    // Calls done(bytes of span, error) from a worker once fetched; done must not throw.
    void fetch_async(const FileSource& src, Span span, Done done);

private:
    struct Job {
        FileSource src;
        Span span;
        Done done;
    };
    void worker();

    Remote& remote_;
    uint64_t chunk_size_;
    PieceOptions opts_;
    std::mutex mutex_;
    std::condition_variable ready_;
    std::deque<Job> jobs_;
    bool stopping_ = false;
    std::vector<std::thread> workers_;
};

}  // namespace hubfs::fs
