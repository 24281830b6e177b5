#include "chunk_fetcher.hpp"

#include <algorithm>

#include "common/log.hpp"

namespace hubfs::fs {

ChunkFetcher::ChunkFetcher(Remote& remote, cache::Cache& cache, FetcherOptions opts)
    : remote_(remote), cache_(cache), opts_(opts), chunk_size_(cache.chunk_size()) {
    for (size_t i = 0; i < std::max<size_t>(1, opts_.workers); ++i) workers_.emplace_back([this] { worker(); });
}

ChunkFetcher::~ChunkFetcher() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    work_ready_.notify_all();
    for (auto& t : workers_) t.join();
}

std::string ChunkFetcher::key(const FileSource& src, uint64_t index) const {
    return src.entry.content_id() + ":" + std::to_string(index);
}

uint64_t ChunkFetcher::chunk_bytes(const FileSource& src, uint64_t index) const {
    uint64_t start = index * chunk_size_;
    return start >= src.entry.size ? 0 : std::min<uint64_t>(chunk_size_, src.entry.size - start);
}

ChunkFetcher::Chunk ChunkFetcher::get(const FileSource& src, uint64_t index) {
    const std::string& id = src.entry.content_id();
    std::string bytes;
    if (cache_.read_chunk(id, index, bytes)) return std::make_shared<const std::string>(std::move(bytes));

    std::unique_lock lock(mutex_);
    auto k = key(src, index);
    auto it = in_flight_.find(k);
    std::shared_ptr<Slot> slot;
    if (it != in_flight_.end()) {
        slot = it->second;
    } else {
        slot = std::make_shared<Slot>();
        in_flight_[k] = slot;
        Job job{src, index, index, {slot}, chunk_bytes(src, index), false};
        urgent_.push_back(std::move(job));
        work_ready_.notify_one();
    }
    chunk_done_.wait(lock, [&] { return slot->done; });
    if (slot->error) std::rethrow_exception(slot->error);
    return slot->data;
}

void ChunkFetcher::prefetch(const FileSource& src, uint64_t first, uint64_t last) {
    uint64_t chunks = (src.entry.size + chunk_size_ - 1) / chunk_size_;
    if (chunks == 0) return;
    last = std::min(last, chunks - 1);
    const uint64_t per_job = std::max<uint64_t>(1, opts_.max_request / chunk_size_);
    std::lock_guard lock(mutex_);
    Job job;
    auto flush = [&] {
        if (job.slots.empty()) return;
        budget_used_ += job.bytes;
        background_.push_back(std::move(job));
        work_ready_.notify_one();
        job = Job{};
    };
    for (uint64_t i = first; i <= last; ++i) {
        auto k = key(src, i);
        bool skip = in_flight_.count(k) || cache_.has_chunk(src.entry.content_id(), i);
        if (skip || job.slots.size() >= per_job) flush();
        if (skip) continue;
        uint64_t bytes = chunk_bytes(src, i);
        if (budget_used_ + job.bytes + bytes > opts_.memory_budget) break;  // the budget is spent: stop here
        if (job.slots.empty()) job = Job{src, i, i, {}, 0, true};
        auto slot = std::make_shared<Slot>();
        in_flight_[k] = slot;
        job.slots.push_back(slot);
        job.last = i;
        job.bytes += bytes;
    }
    flush();
}

void ChunkFetcher::worker() {
    for (;;) {
        Job job;
        {
            std::unique_lock lock(mutex_);
            work_ready_.wait(lock, [&] { return stopping_ || !urgent_.empty() || !background_.empty(); });
            if (stopping_) {
                // Waiters must not hang on a fetcher that goes away.
                for (auto* q : {&urgent_, &background_})
                    for (auto& j : *q)
                        for (auto& s : j.slots) {
                            s->done = true;
                            s->error = std::make_exception_ptr(
                                RemoteError(RemoteError::Kind::unavailable, "filesystem is shutting down"));
                        }
                urgent_.clear();
                background_.clear();
                chunk_done_.notify_all();
                return;
            }
            auto& q = urgent_.empty() ? background_ : urgent_;
            job = std::move(q.front());
            q.pop_front();
        }
        run(job);
        if (job.prefetch) {
            std::lock_guard lock(mutex_);
            budget_used_ -= job.bytes;
        }
    }
}

void ChunkFetcher::run(Job& job) {
    const uint64_t offset = job.first * chunk_size_;
    const uint64_t end = std::min<uint64_t>((job.last + 1) * chunk_size_, job.src.entry.size);
    uint64_t index = job.first;
    std::string buf;
    buf.reserve(chunk_bytes(job.src, index));
    try {
        // Chunks are handed out as soon as each is complete, not at the end of the request.
        remote_.read_range(job.src.repo, job.src.commit, job.src.path, job.src.entry, offset, end - offset,
                           [&](const char* p, size_t n) {
                               while (n > 0) {
                                   uint64_t want = chunk_bytes(job.src, index) - buf.size();
                                   size_t take = static_cast<size_t>(std::min<uint64_t>(want, n));
                                   buf.append(p, take);
                                   p += take;
                                   n -= take;
                                   if (buf.size() == chunk_bytes(job.src, index)) {
                                       cache_.write_chunk(job.src.entry.content_id(), index, buf, job.src.entry.size);
                                       finish(job, index, std::make_shared<const std::string>(std::move(buf)), nullptr);
                                       buf = std::string();
                                       if (++index > job.last) {
                                           if (n > 0) throw RemoteError(RemoteError::Kind::other, "server sent more bytes than asked");
                                           return;
                                       }
                                       buf.reserve(chunk_bytes(job.src, index));
                                   }
                               }
                           });
        if (index <= job.last)
            throw RemoteError(RemoteError::Kind::unavailable, "short read of " + job.src.path);
    } catch (...) {
        auto error = std::current_exception();
        try {
            throw;
        } catch (const std::exception& e) {
            HUBFS_LOG(warn, "fetch of %s [%llu, %llu) failed: %s", job.src.path.c_str(),
                      static_cast<unsigned long long>(offset), static_cast<unsigned long long>(end), e.what());
        }
        for (; index <= job.last; ++index) finish(job, index, nullptr, error);
    }
}

void ChunkFetcher::finish(const Job& job, uint64_t index, Chunk data, std::exception_ptr error) {
    std::lock_guard lock(mutex_);
    auto& slot = job.slots[index - job.first];
    slot->done = true;
    slot->data = std::move(data);
    slot->error = error;
    in_flight_.erase(key(job.src, index));
    chunk_done_.notify_all();
}

}  // namespace hubfs::fs
