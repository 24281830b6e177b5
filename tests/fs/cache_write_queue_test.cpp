// CacheWriteQueue: a content's chunks go to one cache writer at a time, in the order they came;
// other contents go to other writers meanwhile.
#include <doctest/doctest.h>

#include <memory>

#include "fs/read/cache_write_queue.hpp"

using namespace hubfs::fs;

namespace {

CacheWrite chunk(const std::string& id, uint64_t index) {
    return CacheWrite{id, index, 100, std::make_shared<const std::string>("x"), 0, id + ":" + std::to_string(index)};
}

std::vector<uint64_t> indexes(const std::vector<CacheWrite>& batch) {
    std::vector<uint64_t> out;
    for (const auto& w : batch) out.push_back(w.index);
    return out;
}

}  // namespace

TEST_CASE("a content held by one writer is not given to another until released") {
    CacheWriteQueue q;
    CHECK_FALSE(q.ready());
    q.push(chunk("a", 0));
    q.push(chunk("a", 1));
    auto first = q.take(16);
    CHECK(indexes(first) == std::vector<uint64_t>{0, 1});
    q.push(chunk("a", 2));  // arrives while the first writer is still writing a's chunks
    CHECK_FALSE(q.ready());
    CHECK(q.take(16).empty());
    CHECK_FALSE(q.empty());
    q.release(first);
    CHECK(q.ready());
    CHECK(indexes(q.take(16)) == std::vector<uint64_t>{2});
    CHECK(q.empty());
}

TEST_CASE("files read at once are written by different writers; a batch is one content's, oldest first, up to the cap") {
    CacheWriteQueue q;
    q.push(chunk("a", 0));
    q.push(chunk("b", 0));
    q.push(chunk("a", 1));
    q.push(chunk("b", 1));
    q.push(chunk("a", 2));
    auto w1 = q.take(2);
    CHECK(w1.front().content_id == "a");
    CHECK(indexes(w1) == std::vector<uint64_t>{0, 1});
    auto w2 = q.take(16);
    CHECK(w2.front().content_id == "b");
    CHECK(indexes(w2) == std::vector<uint64_t>{0, 1});
    CHECK_FALSE(q.ready());  // a's last chunk waits for the writer that holds a
    q.release(w1);
    auto w3 = q.take(16);
    CHECK(w3.front().content_id == "a");
    CHECK(indexes(w3) == std::vector<uint64_t>{2});
    CHECK(q.take(0).empty());
}
