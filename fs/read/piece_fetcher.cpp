#include "fs/read/piece_fetcher.hpp"

#include <algorithm>

#include "fs/common/log.hpp"

namespace hubfs::fs {

PieceFetcher::PieceFetcher(Remote& remote, uint64_t chunk_size, PieceOptions opts)
    : remote_(remote), chunk_size_(chunk_size), opts_(opts) {
    if (opts_.page == 0 || opts_.page > chunk_size_ || chunk_size_ % opts_.page) opts_.page = chunk_size_;
    for (size_t i = 0; i < std::max<size_t>(1, opts_.workers); ++i) workers_.emplace_back([this] { worker(); });
}

PieceFetcher::~PieceFetcher() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    ready_.notify_all();
    for (auto& t : workers_) t.join();
}

PieceFetcher::Span PieceFetcher::span(uint64_t start, uint64_t end, uint64_t file_size) const {
    end = std::min(end, file_size);
    if (start >= end) return {};
    const uint64_t from = start / opts_.page * opts_.page;
    const uint64_t to = std::min(file_size, (end + opts_.page - 1) / opts_.page * opts_.page);
    // The chunks the read touches, whole: if the pages are all of them, they are worth caching.
    const uint64_t chunks_from = start / chunk_size_ * chunk_size_;
    const uint64_t chunks_to = std::min(file_size, ((end - 1) / chunk_size_ + 1) * chunk_size_);
    if (from == chunks_from && to == chunks_to) return {};
    return {from, to - from};
}

void PieceFetcher::fetch_async(const FileSource& src, Span span, Done done) {
    {
        std::lock_guard lock(mutex_);
        if (!stopping_) {
            jobs_.push_back(Job{src, span, std::move(done)});
            ready_.notify_one();
            return;
        }
    }
    done(nullptr, std::make_exception_ptr(RemoteError(RemoteError::Kind::unavailable, "filesystem is shutting down")));
}

void PieceFetcher::worker() {
    for (;;) {
        Job job;
        {
            std::unique_lock lock(mutex_);
            ready_.wait(lock, [&] { return stopping_ || !jobs_.empty(); });
            if (jobs_.empty()) return;
            job = std::move(jobs_.front());
            jobs_.pop_front();
        }
        if (stopping_) {  // nobody waits on a fetcher that goes away
            job.done(nullptr, std::make_exception_ptr(RemoteError(RemoteError::Kind::unavailable, "filesystem is shutting down")));
            continue;
        }
        auto bytes = std::make_shared<std::string>();
        bytes->reserve(job.span.length);
        try {
            remote_.read_range(job.src.repo, job.src.commit, job.src.path, job.src.entry, job.span.offset, job.span.length,
                               [&](const char* p, size_t n) {
                                   if (bytes->size() + n > job.span.length)
                                       throw RemoteError(RemoteError::Kind::other, "server sent more bytes than asked");
                                   bytes->append(p, n);
                               });
            if (bytes->size() != job.span.length)
                throw RemoteError(RemoteError::Kind::unavailable, "short read of " + job.src.path);
        } catch (...) {
            auto error = std::current_exception();
            try {
                throw;
            } catch (const std::exception& e) {
                HUBFS_LOG(warn, "fetch of %s [%llu, +%llu) failed: %s", job.src.path.c_str(),
                          static_cast<unsigned long long>(job.span.offset),
                          static_cast<unsigned long long>(job.span.length), e.what());
            } catch (...) {
            }
            job.done(nullptr, error);
            continue;
        }
        job.done(std::move(bytes), nullptr);
    }
}

}  // namespace hubfs::fs
