// Feeds staged files' running digests (running_hash.hpp) on a thread of its own, so a `cp` into
// the mount does not wait for the sha256 of each write (~0.8 ms per MiB) before its next write:
// the write is answered once its bytes are in the staged file, and a copy of them is hashed
// behind it, in the order the writes came. What waits is bounded (`max_queued` bytes: a writer
// ahead of the hashing waits for it); a seal waits until its file's digests have caught up.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

namespace hubfs::fs {

class RunningHash;

class BackgroundHasher {
public:
    explicit BackgroundHasher(size_t max_queued = 32u << 20);
    ~BackgroundHasher();  // hashes what is queued, then stops
    BackgroundHasher(const BackgroundHasher&) = delete;
    BackgroundHasher& operator=(const BackgroundHasher&) = delete;

    // Feeds a copy of `bytes` to `hash` after everything queued for it before.
    void feed(const std::shared_ptr<RunningHash>& hash, std::string_view bytes);
    // Returns once everything queued for `hash` has been fed to it.
    void wait(const RunningHash& hash);

private:
    struct Task {
        std::shared_ptr<RunningHash> hash;
        std::string bytes;
    };
    void run();

    const size_t max_queued_;
    std::mutex mutex_;
    std::condition_variable work_, room_, done_;
    std::deque<Task> queue_;
    size_t queued_bytes_ = 0;
    std::map<const RunningHash*, size_t> pending_;  // tasks queued or being hashed, per digest
    bool stopping_ = false;
    std::thread thread_;
};

}  // namespace hubfs::fs
