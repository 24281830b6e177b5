// Group commit of chunk records. A record costs an LMDB commit, and a commit costs a sync of the
// index (milliseconds on common disks) under LMDB's single writer lock, so committing chunk by
// chunk would cap a process at a few hundred chunks per second whatever the number of threads.
// Instead, writers whose bytes are durable queue their records; one of them (the leader) commits
// everything queued in one transaction while the others wait, and whoever queues meanwhile forms
// the next group.
#pragma once

#include <algorithm>
#include <condition_variable>
#include <exception>
#include <functional>
#include <mutex>
#include <utility>
#include <vector>

namespace hubfs::cache {

template <typename Item>
class GroupCommit {
public:
    using CommitFn = std::function<void(const std::vector<Item*>&)>;

    // Queues `item` and returns once a leader (this thread or another) has passed it to `commit`,
    // which must handle any thread's items and report per-item outcomes in the items. If `commit`
    // throws, the exception is rethrown in every thread whose item was in that group.
    void submit(Item& item, const CommitFn& commit) { submit_all({&item}, commit); }

    // The same for several items of one thread at once (a batch of chunks: one sync for all).
    void submit_all(const std::vector<Item*>& mine, const CommitFn& commit) {
        std::vector<Slot> slots(mine.begin(), mine.end());
        std::unique_lock lock(mu_);
        for (Slot& s : slots) queue_.push_back(&s);
        auto all_done = [&] { return std::all_of(slots.begin(), slots.end(), [](const Slot& s) { return s.done; }); };
        while (!all_done()) {
            if (leading_) {
                cv_.wait(lock);
                continue;
            }
            leading_ = true;  // our slots are in the queue: they are in this group
            std::vector<Slot*> group = std::exchange(queue_, {});
            lock.unlock();
            std::vector<Item*> items;
            items.reserve(group.size());
            for (Slot* s : group) items.push_back(s->item);
            std::exception_ptr error;
            try {
                commit(items);
            } catch (...) {
                error = std::current_exception();
            }
            lock.lock();
            for (Slot* s : group) {
                s->done = true;
                s->error = error;
            }
            leading_ = false;
            cv_.notify_all();
        }
        for (const Slot& s : slots)
            if (s.error) std::rethrow_exception(s.error);
    }

private:
    struct Slot {
        explicit Slot(Item* i) : item(i) {}
        Item* item;
        bool done = false;
        std::exception_ptr error;
    };

    std::mutex mu_;
    std::condition_variable cv_;
    std::vector<Slot*> queue_;
    bool leading_ = false;
};

}  // namespace hubfs::cache
