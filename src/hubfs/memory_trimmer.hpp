// Hands the heaps' free pages back to the kernel once a second (malloc_trim). glibc keeps what
// a thread frees in its arena, and the read path's chunks (1 MiB each, hundreds a second, held
// for a while by other threads) leave holes between small allocations that it never returns:
// a 4 GiB stream's heaps grew to 130-230 MiB while at most 90-100 MiB was in use. Trimming once
// a second held a 10 GiB stream's peak RSS to 115-117 MB (was 202-209); the chunk pool
// (fs/read/chunk_pool.hpp) keeps the buffers in use from being trimmed and faulted in again.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

namespace hubfs {

class MemoryTrimmer {
public:
    explicit MemoryTrimmer(std::chrono::milliseconds every = std::chrono::seconds(1));
    ~MemoryTrimmer();
    MemoryTrimmer(const MemoryTrimmer&) = delete;
    MemoryTrimmer& operator=(const MemoryTrimmer&) = delete;

private:
    std::mutex mutex_;
    std::condition_variable wake_;
    bool stop_ = false;
    std::thread thread_;
};

}  // namespace hubfs
