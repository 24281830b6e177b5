#include "fs/read/chunk_pool.hpp"

#include <mutex>
#include <vector>

namespace hubfs::fs {

struct ChunkPool::State {
    uint64_t buffer_size = 0, keep_bytes = 0;
    std::mutex mutex;
    std::vector<std::string> free;  // each with capacity >= buffer_size
    uint64_t kept = 0;

    void give(std::string&& s) {
        // A short buffer (a file's last chunk, a small file) would be grown again on reuse.
        if (s.capacity() < buffer_size) return;
        std::lock_guard lock(mutex);
        if (kept + s.capacity() > keep_bytes) return;  // freed outside the lock, by the caller's string
        kept += s.capacity();
        s.clear();
        free.push_back(std::move(s));
    }
};

ChunkPool::ChunkPool(uint64_t buffer_size, uint64_t keep_bytes) : state_(std::make_shared<State>()) {
    state_->buffer_size = buffer_size;
    state_->keep_bytes = keep_bytes;
}

std::string ChunkPool::take(uint64_t size) {
    std::string s;
    {
        std::lock_guard lock(state_->mutex);
        if (!state_->free.empty()) {
            s = std::move(state_->free.back());
            state_->free.pop_back();
            state_->kept -= s.capacity();
        }
    }
    s.reserve(size);
    return s;
}

ChunkPool::Chunk ChunkPool::share(std::string&& bytes) {
    // The deleter holds the state, so a chunk still read after the pool is gone frees safely.
    return Chunk(new std::string(std::move(bytes)), [state = state_](const std::string* p) {
        state->give(std::move(*const_cast<std::string*>(p)));
        delete p;
    });
}

void ChunkPool::give(std::string&& bytes) {
    std::string s = std::move(bytes);
    state_->give(std::move(s));
}

uint64_t ChunkPool::kept_bytes() const {
    std::lock_guard lock(state_->mutex);
    return state_->kept;
}

}  // namespace hubfs::fs
