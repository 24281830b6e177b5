// The read-ahead of one open file: which chunks to fetch before they are read. A stream that
// reads on where it stopped gets a window of bytes fetched ahead of it, split into enough ranged
// GETs to fill the link the way a download accelerator does (at least `parallel` of them from
// the first window, opened by the second read that goes on where the first stopped), the window doubling whenever the reader closes in on its end, up to `max`;
// a jump elsewhere (random access) drops the window, so random reads fetch only what they read.
// Once a reader has jumped, two reads in a row going on (three reads) reopen it: among many
// random reads two land side by side now and then, and a window opened on them is wasted.
// The kernel sends a stream's reads in parallel (its own read-ahead, a large pread split in
// max_read pieces) and they reach us out of order, up to tens of MiB apart: once a window is
// open, a read within `reorder` of the furthest one read is still the stream, not a jump (a
// window dropped on each such read never grew past its first size). A random reader has no
// window, so this tolerance never opens one for it.
// Streams read at once share the prefetch budget (`max` is its bound, fs/read/memory_limit): with
// n streams, each window is at most max / n and goes out as parallel / n GETs, so every stream
// keeps a window and requests as large as one stream's, where the first windows would take the
// whole budget and the others get what frees up, a chunk at a time. A stream counts from its
// first read at the start of a file larger than a first window, until it jumps, asks for its
// file's end, or is closed.
// Not thread-safe: its open file's lock guards it.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>

namespace hubfs::fs {

struct ReadAheadOptions {
    uint64_t initial = 32ull << 20;      // the first window of a stream
    uint64_t max = 256ull << 20;         // the window doubles up to this (a memory bound, too)
    uint64_t slack = 1ull << 20;         // the kernel splits and reorders reads: this near counts as "on"
    uint64_t reorder = 32ull << 20;      // with a window open: this near the furthest read counts as "on"
    uint64_t parallel = 16;              // each new stretch of window goes out as at least this many GETs
    uint64_t max_request = 16ull << 20;  // ... each no larger than this
    // Windows open at once, shared by every ReadAhead made from copies of these options.
    std::shared_ptr<std::atomic<uint64_t>> streams = std::make_shared<std::atomic<uint64_t>>(0);
};

// A stream's place among those sharing the budget, held while its window is open.
class StreamShare {
public:
    StreamShare() = default;
    explicit StreamShare(std::shared_ptr<std::atomic<uint64_t>> n) : n_(std::move(n)) { ++*n_; }
    StreamShare(StreamShare&& o) noexcept : n_(std::move(o.n_)) {}
    StreamShare& operator=(StreamShare&& o) noexcept {
        if (this != &o) {
            leave();
            n_ = std::move(o.n_);
        }
        return *this;
    }
    ~StreamShare() { leave(); }
    void leave() {
        if (n_) --*n_;
        n_.reset();
    }
    bool held() const { return n_ != nullptr; }

private:
    std::shared_ptr<std::atomic<uint64_t>> n_;
};

class ReadAhead {
public:
    // Chunks [first, last] to fetch, in requests of `request_chunks` chunks; none if request_chunks is 0.
    struct Plan {
        uint64_t first = 0, last = 0, request_chunks = 0;
        bool empty() const { return request_chunks == 0; }
    };

    explicit ReadAhead(ReadAheadOptions opts = {}) : opts_(opts) {}
    // A read of [start, end) of a file of file_size bytes in chunks of chunk bytes: what to fetch now.
    Plan on_read(uint64_t start, uint64_t end, uint64_t file_size, uint64_t chunk);
    // The fetcher took only the chunks below `next` (its memory budget was spent): they are
    // asked for again on the next read.
    void asked_until(uint64_t next);
    uint64_t window() const { return window_; }  // 0 while the reader looks random
    // The last read stands alone: it jumped away from the one before, or is a first read past the
    // file's start (a first read at 0 likely starts a stream). It may fetch just its pages.
    bool lone() const { return lone_; }

private:
    bool goes_on(uint64_t start) const;
    void drop();

    ReadAheadOptions opts_;
    bool started_ = false;
    uint64_t run_from_ = 0;     // the lowest offset read since the last jump
    uint64_t next_offset_ = 0;  // the furthest end read since the last jump: where a stream goes on
    uint64_t window_ = 0;
    uint64_t asked_ = 0;        // chunks below this index were asked for
    bool jumped_ = false;       // the reader has jumped at least once: a random reader
    uint64_t run_ = 0;          // reads in a row that went on where the one before stopped
    bool lone_ = false;
    StreamShare share_;         // held from a stream's first read while there is more to ask for
};

}  // namespace hubfs::fs
