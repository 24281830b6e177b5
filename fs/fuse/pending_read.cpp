#include "fs/fuse/pending_read.hpp"

#include <algorithm>
#include <cerrno>

#include "fs/common/log.hpp"
#include "fs/errno_map.hpp"
#include "fs/fuse/reply_pieces.hpp"

namespace hubfs::fs {

std::shared_ptr<PendingReads::Read> PendingReads::track(Request req, const FileSource& src, uint64_t start, uint64_t end,
                                                       uint64_t chunk_size, uint64_t first,
                                                       std::vector<ChunkFetcher::Chunk> have) {
    const fuse_req_t raw = req.raw();
    auto r = std::make_shared<Read>(std::move(req));
    r->start = start;
    r->end = end;
    r->chunk_size = chunk_size;
    r->first = first;
    r->chunks = std::move(have);
    r->missing = static_cast<size_t>(std::count(r->chunks.begin(), r->chunks.end(), nullptr));
    r->what = src.repo.key() + "/" + src.path;
    r->since = std::chrono::steady_clock::now();
    {
        std::lock_guard lock(mutex_);
        reads_[raw] = r;
    }
    // Before any fetch can answer it: once answered, the request must not be touched again.
    // (If the reader was already interrupted, on_interrupt answers it right here.)
    fuse_req_interrupt_func(raw, &PendingReads::on_interrupt, this);
    return r;
}

void PendingReads::start(Request req, ChunkFetcher& fetcher, const FileSource& src, uint64_t start, uint64_t end,
                         std::vector<ChunkFetcher::Chunk> have) {
    auto r = track(std::move(req), src, start, end, fetcher.chunk_size(), start / fetcher.chunk_size(), std::move(have));
    for (size_t k = 0; k < r->chunks.size(); ++k) {
        if (r->chunks[k]) continue;
        uint64_t index = r->first + k;
        try {
            fetcher.get_async(src, index, [this, r, index](ChunkFetcher::Chunk c, std::exception_ptr e) {
                arrived(r, index, std::move(c), std::move(e));
            });
        } catch (...) {
            arrived(r, index, nullptr, std::current_exception());  // answered once, here
            return;
        }
    }
}

void PendingReads::start_piece(Request req, PieceFetcher& pieces, const FileSource& src, uint64_t start, uint64_t end,
                               PieceFetcher::Span span) {
    // The piece is one "chunk" of page-sized chunks: it starts on a page (reply_from_chunks).
    auto r = track(std::move(req), src, start, end, pieces.page(), span.offset / pieces.page(), {nullptr});
    pieces.fetch_async(src, span, [this, r](ChunkFetcher::Chunk c, std::exception_ptr e) {
        arrived(r, r->first, std::move(c), std::move(e));
    });
}

void PendingReads::arrived(const std::shared_ptr<Read>& r, uint64_t index, ChunkFetcher::Chunk chunk,
                           std::exception_ptr error) {
    // Replies happen under the lock, so abandon_all() never races one; libfuse takes none of
    // its own locks around a reply that on_interrupt could hold while waiting for ours.
    std::lock_guard lock(mutex_);
    auto it = reads_.find(r->req.raw());
    if (it == reads_.end() || it->second != r) return;  // answered already (interrupted)
    if (error) {
        reads_.erase(it);
        int err = EIO;
        try {
            std::rethrow_exception(error);
        } catch (...) {
            err = errno_from_current_exception("read " + r->what);
        }
        r->req.err(err);
        return;
    }
    auto& slot = r->chunks[index - r->first];
    if (slot) return;
    slot = std::move(chunk);
    if (--r->missing > 0) return;
    reads_.erase(it);
    reply_from_chunks(r->req, r->chunks, r->first, r->chunk_size, r->start, r->end);
}

void PendingReads::on_interrupt(fuse_req_t req, void* self) {
    auto* reads = static_cast<PendingReads*>(self);
    std::lock_guard lock(reads->mutex_);
    auto it = reads->reads_.find(req);
    if (it == reads->reads_.end()) return;
    HUBFS_LOG(info, "read of %s interrupted by the reader after %lld ms", it->second->what.c_str(),
              static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                         std::chrono::steady_clock::now() - it->second->since)
                                         .count()));
    it->second->req.err(EINTR);
    reads->reads_.erase(it);
}

void PendingReads::abandon_all() {
    std::lock_guard lock(mutex_);
    for (auto& [raw, r] : reads_) r->req.err(EIO);
    reads_.clear();
}

size_t PendingReads::size() {
    std::lock_guard lock(mutex_);
    return reads_.size();
}

}  // namespace hubfs::fs
