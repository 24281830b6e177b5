#include "fs/write/background_hasher.hpp"

#include "fs/write/running_hash.hpp"

namespace hubfs::fs {

BackgroundHasher::BackgroundHasher(size_t max_queued) : max_queued_(max_queued) {
    thread_ = std::thread([this] { run(); });
}

BackgroundHasher::~BackgroundHasher() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    work_.notify_all();
    thread_.join();
}

void BackgroundHasher::feed(const std::shared_ptr<RunningHash>& hash, std::string_view bytes) {
    Task task{hash, std::string(bytes)};  // copied before the lock: the FUSE buffer goes with the reply
    std::unique_lock lock(mutex_);
    // One write larger than the bound still goes (alone), so no writer waits forever.
    room_.wait(lock, [&] { return queued_bytes_ == 0 || queued_bytes_ + bytes.size() <= max_queued_; });
    queued_bytes_ += bytes.size();
    ++pending_[hash.get()];
    queue_.push_back(std::move(task));
    work_.notify_one();
}

void BackgroundHasher::wait(const RunningHash& hash) {
    std::unique_lock lock(mutex_);
    done_.wait(lock, [&] { return !pending_.count(&hash); });
}

void BackgroundHasher::run() {
    std::unique_lock lock(mutex_);
    for (;;) {
        work_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
        if (queue_.empty()) return;  // stopping, nothing left
        Task task = std::move(queue_.front());
        queue_.pop_front();
        lock.unlock();
        task.hash->update(task.bytes);  // in queue order: one thread, first in first out
        lock.lock();
        queued_bytes_ -= task.bytes.size();
        room_.notify_all();
        if (--pending_[task.hash.get()] == 0) {
            pending_.erase(task.hash.get());
            done_.notify_all();
        }
    }
}

}  // namespace hubfs::fs
