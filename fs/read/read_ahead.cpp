#include "fs/read/read_ahead.hpp"

#include <algorithm>

namespace hubfs::fs {

bool ReadAhead::goes_on(uint64_t start) const {
    // A first read alone says nothing (a header peek, `head -c`, `file`): the second, going on
    // where it stopped, opens the window, then at full width at once.
    if (!started_) return false;
    // Reads sent together arrive in any order: one just before the run's lowest, or within the
    // run, goes on as much as one right after its furthest.
    const uint64_t near = window_ ? std::max(opts_.slack, opts_.reorder) : opts_.slack;
    const uint64_t low = window_ ? next_offset_ : run_from_;
    return start + near >= low && start <= next_offset_ + near;
}

ReadAhead::Plan ReadAhead::on_read(uint64_t start, uint64_t end, uint64_t file_size, uint64_t chunk) {
    Plan plan;
    if (chunk == 0 || end <= start) return plan;
    if (!goes_on(start)) {
        jumped_ = jumped_ || started_;
        lone_ = jumped_ || start != 0;
        run_ = 0;
        started_ = true;
        window_ = 0;
        asked_ = 0;
        run_from_ = start;
        next_offset_ = end;
        return plan;
    }
    ++run_;
    lone_ = false;
    run_from_ = std::min(run_from_, start);
    next_offset_ = std::max(next_offset_, end);
    if (!window_ && jumped_ && run_ < 2) return plan;  // a random reader needs one more read to be a stream
    // Plans run from the furthest read, whatever order the reads came in.
    const uint64_t last_read = (next_offset_ - 1) / chunk;
    // Once the reader is within half a window of what was asked for, ask for more, with a
    // window twice as large.
    if (window_ && next_offset_ + window_ / 2 < asked_ * chunk) return plan;
    window_ = window_ ? std::min(window_ * 2, opts_.max) : std::min(opts_.initial, opts_.max);
    const uint64_t to = (std::min(file_size, next_offset_ + window_) + chunk - 1) / chunk;  // one past the last
    const uint64_t from = std::max(last_read + 1, asked_);
    if (to <= from) return plan;
    asked_ = to;
    // Enough requests to keep `parallel` connections busy over the new stretch, none larger
    // than max_request, none smaller than a chunk.
    const uint64_t stretch = to - from;
    const uint64_t per_request = std::max<uint64_t>(1, std::min(opts_.max_request / chunk, stretch / std::max<uint64_t>(1, opts_.parallel)));
    plan.first = from;
    plan.last = to - 1;
    plan.request_chunks = std::max<uint64_t>(1, per_request);
    return plan;
}

void ReadAhead::asked_until(uint64_t next) { asked_ = std::min(asked_, next); }

}  // namespace hubfs::fs
