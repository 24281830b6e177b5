#include "fs/read/cache_write_queue.hpp"

#include <algorithm>

namespace hubfs::fs {

bool CacheWriteQueue::ready() const {
    return std::any_of(queue_.begin(), queue_.end(), [&](const CacheWrite& w) { return free(w); });
}

std::vector<CacheWrite> CacheWriteQueue::take(size_t cap) {
    std::vector<CacheWrite> batch;
    if (cap == 0) return batch;
    auto first = std::find_if(queue_.begin(), queue_.end(), [&](const CacheWrite& w) { return free(w); });
    if (first == queue_.end()) return batch;
    const std::string id = first->content_id;
    held_.insert(id);
    for (auto it = first; it != queue_.end() && batch.size() < cap;) {
        if (it->content_id != id) {
            ++it;
            continue;
        }
        batch.push_back(std::move(*it));
        it = queue_.erase(it);
    }
    return batch;
}

void CacheWriteQueue::release(const std::vector<CacheWrite>& batch) {
    if (!batch.empty()) held_.erase(batch.front().content_id);
}

}  // namespace hubfs::fs
