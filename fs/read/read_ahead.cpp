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

void ReadAhead::drop() {
    window_ = 0;
    asked_ = 0;
    share_.leave();
}

ReadAhead::Plan ReadAhead::on_read(uint64_t start, uint64_t end, uint64_t file_size, uint64_t chunk) {
    Plan plan;
    if (chunk == 0 || end <= start) return plan;
    if (!goes_on(start)) {
        jumped_ = jumped_ || started_;
        lone_ = jumped_ || start != 0;
        run_ = 0;
        started_ = true;
        drop();
        run_from_ = start;
        next_offset_ = end;
        // A first read at the start of a large file likely begins a stream: it counts in the
        // share from now, so streams started together size their first windows as shares of the
        // budget. Counted from their second reads, the first streams took whole windows and the
        // budget refused the last ones, which then went on in one-chunk GETs.
        if (!lone_ && file_size > end + opts_.initial) share_ = StreamShare(opts_.streams);
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
    if (!share_.held()) share_ = StreamShare(opts_.streams);
    // This stream's share of the budget and of the connections (see the header).
    const uint64_t n = std::max<uint64_t>(1, opts_.streams->load());
    const uint64_t max = std::max(opts_.max / n, chunk);
    const uint64_t parallel = std::max<uint64_t>(1, (opts_.parallel + n - 1) / n);
    window_ = window_ ? std::min(window_ * 2, max) : std::min(opts_.initial, max);
    const uint64_t to = (std::min(file_size, next_offset_ + window_) + chunk - 1) / chunk;  // one past the last
    if (to * chunk >= file_size) share_.leave();  // nothing more to ask for: leave the budget to others
    const uint64_t from = std::max(last_read + 1, asked_);
    if (to <= from) return plan;
    asked_ = to;
    // `parallel` requests over the new stretch (more if they would be larger than max_request),
    // none smaller than a chunk.
    const uint64_t stretch = to - from;
    const uint64_t per_request = std::max<uint64_t>(1, std::min(opts_.max_request / chunk, (stretch + parallel - 1) / parallel));
    plan.first = from;
    plan.last = to - 1;
    plan.request_chunks = std::max<uint64_t>(1, per_request);
    return plan;
}

void ReadAhead::asked_until(uint64_t next) { asked_ = std::min(asked_, next); }

}  // namespace hubfs::fs
