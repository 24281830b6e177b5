// The batching helpers behind write_chunk's throughput: every item is committed exactly once, by
// a leader that may be another thread, and a failed commit reaches every writer in its group.
#include "fs/cache/group_commit.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <stdexcept>
#include <thread>
#include <vector>

using hubfs::cache::GroupCommit;

namespace {

struct Item {
    int value = 0;
    int committed = 0;  // written only by the leader that committed it
};

}  // namespace

TEST_CASE("group commit: each item once, grouped under contention") {
    GroupCommit<Item> gc;
    std::atomic<int> commits{0}, items_seen{0};
    std::vector<std::thread> threads;
    std::vector<Item> items(8 * 200);
    for (int t = 0; t < 8; ++t) {
        threads.emplace_back([&, t] {
            for (int k = 0; k < 200; ++k) {
                Item& it = items[t * 200 + k];
                it.value = t * 1000 + k;
                gc.submit(it, [&](const std::vector<Item*>& batch) {
                    ++commits;
                    for (Item* i : batch) {
                        ++i->committed;
                        ++items_seen;
                    }
                    std::this_thread::sleep_for(std::chrono::microseconds(200));  // like a sync
                });
                CHECK(it.committed == 1);  // visible to its writer once submit returns
            }
        });
    }
    for (auto& th : threads) th.join();
    CHECK(items_seen == 1600);
    CHECK(commits < 1600);  // some grouping happened
    for (const Item& it : items) CHECK(it.committed == 1);
}

TEST_CASE("group commit: a failed commit is reported to every writer of the group") {
    GroupCommit<Item> gc;
    std::atomic<int> failures{0}, successes{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 6; ++t) {
        threads.emplace_back([&, t] {
            for (int k = 0; k < 100; ++k) {
                Item it;
                it.value = (t + k) % 2;  // odd values poison their group
                try {
                    gc.submit(it, [](const std::vector<Item*>& batch) {
                        for (Item* i : batch)
                            if (i->value) throw std::runtime_error("sync failed");
                    });
                    ++successes;
                    CHECK(it.value == 0);
                } catch (const std::runtime_error&) {
                    ++failures;
                }
            }
        });
    }
    for (auto& th : threads) th.join();
    CHECK(failures + successes == 600);
    CHECK(failures >= 300);  // every odd item fails, plus even ones that shared its group
}
