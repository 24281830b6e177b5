#include "memory_trimmer.hpp"

#include <malloc.h>

namespace hubfs {

MemoryTrimmer::MemoryTrimmer(std::chrono::milliseconds every)
    : thread_([this, every] {
          std::unique_lock lock(mutex_);
          while (!wake_.wait_for(lock, every, [this] { return stop_; })) {
              lock.unlock();
              malloc_trim(0);
              lock.lock();
          }
      }) {}

MemoryTrimmer::~MemoryTrimmer() {
    {
        std::lock_guard lock(mutex_);
        stop_ = true;
    }
    wake_.notify_all();
    thread_.join();
}

}  // namespace hubfs
