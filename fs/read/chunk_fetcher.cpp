#include "fs/read/chunk_fetcher.hpp"

#include <algorithm>

#include "fs/cache/blob_file.hpp"
#include "fs/cache/chunk_checksum.hpp"
#include "fs/common/log.hpp"

namespace hubfs::fs {
namespace {

// Chunks written to the disk cache in one go at most (one LMDB transaction each go). A batch
// holds its share of the write backlog until it is recorded, so it takes a quarter at most:
// fetches that wait for room in the backlog are not held up by one long batch.
constexpr uint64_t kWriteBatch = 16;

}  // namespace

ChunkFetcher::ChunkFetcher(Remote& remote, cache::Cache& cache, FetcherOptions opts)
    : remote_(remote), cache_(cache), opts_(opts), chunk_size_(cache.chunk_size()), pool_(chunk_size_, opts.pool_bytes) {
    for (size_t i = 0; i < std::max<size_t>(1, opts_.workers); ++i) workers_.emplace_back([this] { worker(); });
    for (size_t i = 0; i < std::max<size_t>(1, opts_.cache_writers); ++i) writers_.emplace_back([this] { writer(); });
}

ChunkFetcher::~ChunkFetcher() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    work_ready_.notify_all();
    for (auto& t : workers_) t.join();
    {
        std::lock_guard lock(mutex_);
        writers_stop_ = true;
    }
    write_ready_.notify_all();
    for (auto& t : writers_) t.join();  // what was fetched is written before we go
}

std::string ChunkFetcher::key(const FileSource& src, uint64_t index) const {
    return src.entry.content_id() + ":" + std::to_string(index);
}

uint64_t ChunkFetcher::chunk_bytes(const FileSource& src, uint64_t index) const {
    uint64_t start = index * chunk_size_;
    return start >= src.entry.size ? 0 : std::min<uint64_t>(chunk_size_, src.entry.size - start);
}

void ChunkFetcher::remember(const std::string& k, Chunk data) {
    if (recent_.count(k) || data->size() > opts_.recent_bytes) return;
    recent_order_.push_front(k);
    recent_used_ += data->size();
    recent_.emplace(k, std::make_pair(std::move(data), recent_order_.begin()));
    while (recent_used_ > opts_.recent_bytes) {
        auto oldest = recent_.find(recent_order_.back());
        recent_used_ -= oldest->second.first->size();
        recent_.erase(oldest);
        recent_order_.pop_back();
    }
}

ChunkFetcher::Chunk ChunkFetcher::recall(const std::string& k) {
    auto it = recent_.find(k);
    if (it == recent_.end()) return nullptr;
    recent_order_.splice(recent_order_.begin(), recent_order_, it->second.second);
    return it->second.first;
}

ChunkFetcher::Chunk ChunkFetcher::cached(const FileSource& src, uint64_t index) {
    {
        std::lock_guard lock(mutex_);
        if (auto c = recall(key(src, index))) return c;
    }
    std::string bytes = pool_.take(chunk_size_);
    if (cache_.read_chunk(src.entry.content_id(), index, bytes)) return pool_.share(std::move(bytes));
    pool_.give(std::move(bytes));
    return nullptr;
}

bool ChunkFetcher::fetching(const FileSource& src, uint64_t first, uint64_t last) {
    std::lock_guard lock(mutex_);
    for (uint64_t i = first; i <= last; ++i)
        if (in_flight_.count(key(src, i))) return true;
    return false;
}

ChunkFetcher::Piece ChunkFetcher::at_hand(const FileSource& src, uint64_t index) {
    {
        std::lock_guard lock(mutex_);
        if (auto c = recall(key(src, index))) return Piece{std::move(c), {}};
    }
    if (auto span = cache_.locate_chunk(src.entry.content_id(), index)) return Piece{nullptr, std::move(*span)};
    return Piece{};
}

ChunkFetcher::Chunk ChunkFetcher::read_span(const cache::ChunkSpan& span, uint64_t from, uint64_t length) {
    std::string bytes = pool_.take(chunk_size_);
    bytes.resize(length);
    if (span.file && span.file->read_exact(bytes.data(), bytes.size(), span.offset + from)) return pool_.share(std::move(bytes));
    pool_.give(std::move(bytes));
    return nullptr;
}

std::shared_ptr<ChunkFetcher::Slot> ChunkFetcher::slot_for(const FileSource& src, uint64_t index) {
    auto k = key(src, index);
    auto it = in_flight_.find(k);
    if (it != in_flight_.end()) return it->second;
    auto slot = std::make_shared<Slot>();
    in_flight_[k] = slot;
    urgent_.push_back(Job{src, index, index, {slot}, chunk_bytes(src, index), false, index, {}});
    work_ready_.notify_one();
    return slot;
}

ChunkFetcher::Chunk ChunkFetcher::get(const FileSource& src, uint64_t index) {
    if (auto c = cached(src, index)) return c;
    std::unique_lock lock(mutex_);
    auto slot = slot_for(src, index);
    chunk_done_.wait(lock, [&] { return slot->done; });
    if (slot->error) std::rethrow_exception(slot->error);
    return slot->data;
}

void ChunkFetcher::get_all(const FileSource& src, const std::function<void(uint64_t, const Chunk&)>& each) {
    const uint64_t size = src.entry.size;
    if (size > chunk_size_) prefetch(src, 1, (size - 1) / chunk_size_);
    for (uint64_t i = 0; i * chunk_size_ < size; ++i) each(i, get(src, i));
}

void ChunkFetcher::get_async(const FileSource& src, uint64_t index, Done done) {
    if (auto c = cached(src, index)) return done(c, nullptr);
    std::unique_lock lock(mutex_);
    auto slot = slot_for(src, index);
    if (!slot->done) {
        slot->waiters.push_back(std::move(done));
        return;
    }
    Chunk data = slot->data;  // fetched, on its way to the disk
    auto error = slot->error;
    lock.unlock();
    done(data, error);
}

std::vector<ChunkFetcher::Done> ChunkFetcher::complete(Slot& slot, Chunk data, std::exception_ptr error) {
    slot.done = true;
    slot.data = std::move(data);
    slot.error = std::move(error);
    return std::move(slot.waiters);
}

void ChunkFetcher::call(std::vector<Done>& waiters, const Slot& slot) {
    for (auto& w : waiters) w(slot.data, slot.error);
}

uint64_t ChunkFetcher::prefetch(const FileSource& src, uint64_t first, uint64_t last, uint64_t request_chunks) {
    uint64_t chunks = (src.entry.size + chunk_size_ - 1) / chunk_size_;
    if (chunks == 0) return first;
    last = std::min(last, chunks - 1);
    const uint64_t largest = std::max<uint64_t>(1, opts_.max_request / chunk_size_);
    const uint64_t per_job = request_chunks ? std::min(request_chunks, largest) : largest;
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
        if (budget_used_ + job.bytes + bytes > opts_.memory_budget) {  // the budget is spent: stop here
            flush();
            return i;
        }
        if (job.slots.empty()) job = Job{src, i, i, {}, 0, true, i, {}};
        auto slot = std::make_shared<Slot>();
        in_flight_[k] = slot;
        job.slots.push_back(slot);
        job.last = i;
        job.bytes += bytes;
    }
    flush();
    return last + 1;
}

void ChunkFetcher::worker() {
    for (;;) {
        std::vector<Job> batch;
        {
            std::unique_lock lock(mutex_);
            work_ready_.wait(lock, [&] { return stopping_ || !urgent_.empty() || !background_.empty(); });
            if (stopping_) {
                // Waiters must not hang on a fetcher that goes away.
                std::vector<std::pair<std::shared_ptr<Slot>, std::vector<Done>>> told;
                for (auto* q : {&urgent_, &background_})
                    for (auto& j : *q)
                        for (auto& s : j.slots)
                            told.emplace_back(s, complete(*s, nullptr, std::make_exception_ptr(RemoteError(
                                                          RemoteError::Kind::unavailable, "filesystem is shutting down"))));
                urgent_.clear();
                background_.clear();
                chunk_done_.notify_all();
                lock.unlock();
                for (auto& [slot, waiters] : told) call(waiters, *slot);
                return;
            }
            // Urgent jobs first, then prefetches, up to a batch's worth.
            while (batch.size() < std::max<size_t>(1, opts_.transfers_per_worker) && !(urgent_.empty() && background_.empty())) {
                auto& q = urgent_.empty() ? background_ : urgent_;
                batch.push_back(std::move(q.front()));
                q.pop_front();
            }
        }
        run(batch);
    }
}

void ChunkFetcher::run(std::vector<Job>& jobs) {
    std::vector<RangeRead> reads;
    reads.reserve(jobs.size());
    for (Job& job : jobs) {
        const uint64_t offset = job.first * chunk_size_;
        const uint64_t end = std::min<uint64_t>((job.last + 1) * chunk_size_, job.src.entry.size);
        job.next = job.first;
        job.buf = pool_.take(chunk_bytes(job.src, job.first));  // the chunk's final buffer, filled once
        reads.push_back(RangeRead{job.src.repo, job.src.commit, job.src.path, job.src.entry, offset, end - offset,
                                  [this, &job](const char* p, size_t n) { receive(job, p, n); }, nullptr});
    }
    remote_.read_ranges(reads);
    for (size_t j = 0; j < jobs.size(); ++j) {
        Job& job = jobs[j];
        std::exception_ptr error = reads[j].error;
        if (!error && job.next <= job.last)
            error = std::make_exception_ptr(RemoteError(RemoteError::Kind::unavailable, "short read of " + job.src.path));
        finish(job, error);
    }
}

void ChunkFetcher::receive(Job& job, const char* p, size_t n) {
    // Chunks are handed out as soon as each is complete, not at the end of the request.
    while (n > 0) {
        if (job.next > job.last) throw RemoteError(RemoteError::Kind::other, "server sent more bytes than asked");
        const uint64_t size = chunk_bytes(job.src, job.next);
        size_t take = static_cast<size_t>(std::min<uint64_t>(size - job.buf.size(), n));
        job.buf.append(p, take);
        p += take;
        n -= take;
        if (job.buf.size() < size) continue;
        // Hashed here, while the chunk is still in the CPU's cache, not later by the cache writer.
        const uint64_t checksum = cache::chunk_checksum(job.buf.data(), job.buf.size());
        deliver(job, job.next, pool_.share(std::move(job.buf)), nullptr, checksum);
        job.buf = std::string();
        if (++job.next > job.last) {
            release_budget(job);  // done: more read-ahead may start while the batch's others go on
            continue;
        }
        job.buf = pool_.take(chunk_bytes(job.src, job.next));
    }
}

void ChunkFetcher::finish(Job& job, std::exception_ptr error) {
    release_budget(job);
    if (!error) return;
    try {
        std::rethrow_exception(error);
    } catch (const std::exception& e) {
        HUBFS_LOG(warn, "fetch of %s chunks [%llu, %llu] failed: %s", job.src.path.c_str(),
                  static_cast<unsigned long long>(job.first), static_cast<unsigned long long>(job.last), e.what());
    } catch (...) {
    }
    for (; job.next <= job.last; ++job.next) deliver(job, job.next, nullptr, error);
}

void ChunkFetcher::release_budget(Job& job) {
    if (!job.prefetch) return;
    job.prefetch = false;
    std::lock_guard lock(mutex_);
    budget_used_ -= job.bytes;
}

void ChunkFetcher::deliver(const Job& job, uint64_t index, Chunk data, std::exception_ptr error, uint64_t checksum) {
    std::string k = key(job.src, index);
    const auto& slot = job.slots[index - job.first];
    std::vector<Done> waiters;
    {
        std::lock_guard lock(mutex_);
        waiters = complete(*slot, data, error);
        chunk_done_.notify_all();
        if (!error) remember(k, data);
    }
    call(waiters, *slot);  // pending reads are answered first, without the lock
    std::unique_lock lock(mutex_);
    // The disk write happens off the reader's path. If the disk falls behind, this fetch waits
    // for it (and so fetches no further): a chunk left uncached and gone from memory before
    // its reader came would be fetched again, and memory holds at most write_backlog of them.
    write_room_.wait(lock, [&] { return error || writers_stop_ || backlog_ == 0 || backlog_ + data->size() <= opts_.write_backlog; });
    if (error || writers_stop_) {
        in_flight_.erase(k);
        return;
    }
    backlog_ += data->size();
    writes_.push(CacheWrite{job.src.entry.content_id(), index, job.src.entry.size, data, checksum, k});
    write_ready_.notify_one();
}

void ChunkFetcher::writer() {
    for (;;) {
        // A content's queued chunks, up to a cap: one LMDB transaction (one sync) for the batch.
        std::vector<CacheWrite> batch;
        {
            std::unique_lock lock(mutex_);
            write_ready_.wait(lock, [&] { return writes_.ready() || (writers_stop_ && writes_.empty()); });
            if (!writes_.ready()) return;
            const uint64_t cap = std::clamp<uint64_t>(opts_.write_backlog / 4 / std::max<uint64_t>(1, chunk_size_), 1, kWriteBatch);
            batch = writes_.take(static_cast<size_t>(cap));
        }
        std::vector<cache::ChunkWrite> chunks;
        for (const auto& w : batch) chunks.push_back(cache::ChunkWrite{w.content_id, w.index, *w.data, w.total_size, w.checksum});
        std::vector<std::exception_ptr> errors;
        try {
            errors = cache_.write_chunks(chunks);
        } catch (...) {
            errors.assign(batch.size(), std::current_exception());
        }
        for (size_t i = 0; i < batch.size(); ++i) {
            if (!errors[i]) continue;
            try {
                std::rethrow_exception(errors[i]);
            } catch (const std::exception& e) {
                HUBFS_LOG(warn, "cannot cache chunk %llu of %s: %s", static_cast<unsigned long long>(batch[i].index),
                          batch[i].content_id.c_str(), e.what());
            }
        }
        std::lock_guard lock(mutex_);
        for (const auto& w : batch) {
            backlog_ -= w.data->size();
            in_flight_.erase(w.key);
        }
        writes_.release(batch);
        write_room_.notify_all();
        write_ready_.notify_all();  // the content is free for another writer again
    }
}
}  // namespace hubfs::fs
