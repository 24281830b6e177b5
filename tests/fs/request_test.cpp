// Request without a kernel: every request gets exactly one reply, through a fake Replier that
// records what would have been sent.
#include <doctest/doctest.h>

#include <cerrno>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "fs/errno_map.hpp"
#include "fs/fuse/request.hpp"

using namespace hubfs::fs;

namespace {

// Records each reply as "kind" or "err N".
class FakeReplier final : public Replier {
public:
    std::vector<std::string> sent;

    int err(fuse_req_t, int e) override { return add("err " + std::to_string(e)); }
    void none(fuse_req_t) override { add("none"); }
    int entry(fuse_req_t, const fuse_entry_param*) override { return add("entry"); }
    int create(fuse_req_t, const fuse_entry_param*, const fuse_file_info*) override { return add("create"); }
    int attr(fuse_req_t, const struct stat*, double) override { return add("attr"); }
    int readlink(fuse_req_t, const char*) override { return add("readlink"); }
    int open(fuse_req_t, const fuse_file_info*) override { return add("open"); }
    int write(fuse_req_t, size_t) override { return add("write"); }
    int buf(fuse_req_t, const char*, size_t) override { return add("buf"); }
    int data(fuse_req_t, fuse_bufvec*, fuse_buf_copy_flags) override { return add("data"); }
    int iov(fuse_req_t, const iovec*, int) override { return add("iov"); }
    int statfs(fuse_req_t, const struct statvfs*) override { return add("statfs"); }
    int xattr(fuse_req_t, size_t) override { return add("xattr"); }

private:
    std::mutex mutex_;
    int add(std::string what) {
        std::lock_guard lock(mutex_);
        sent.push_back(std::move(what));
        return 0;
    }
};

// Never dereferenced: the fake replier only records.
fuse_req_t fake_req() { return reinterpret_cast<fuse_req_t>(0x1000); }

}  // namespace

TEST_CASE("a request sends its first reply and drops a second one") {
    FakeReplier sink;
    {
        Request req(fake_req(), sink);
        CHECK_FALSE(req.done());
        CHECK(req.buf("abc", 3) == 0);
        CHECK(req.done());
        CHECK(req.err(EIO) == -EALREADY);  // a second reply: not sent
        CHECK(req.write(3) == -EALREADY);
    }
    CHECK(sink.sent == std::vector<std::string>{"buf"});
}

TEST_CASE("a request dropped without a reply answers EIO, once") {
    FakeReplier sink;
    { Request req(fake_req(), sink); }
    CHECK(sink.sent == std::vector<std::string>{"err " + std::to_string(EIO)});
}

TEST_CASE("a request handed over owes nothing; its new owner answers it once") {
    FakeReplier sink;
    std::optional<Request> owner;
    {
        Request req(fake_req(), sink);
        owner.emplace(std::move(req));
        CHECK(req.done());
        CHECK(req.err(ENOENT) == -EALREADY);  // through the old owner: not sent
    }
    CHECK(sink.sent.empty());  // the old owner went without a reply
    CHECK_FALSE(owner->done());
    owner->entry(nullptr);
    owner.reset();
    CHECK(sink.sent == std::vector<std::string>{"entry"});
}

TEST_CASE("an exception that escapes a handler is answered only if nothing was") {
    FakeReplier sink;
    SUBCASE("before the reply: its errno") {
        {
            Request req(fake_req(), sink);
            answer_errors(req, "test", [] { throw FsError(ENOENT, "gone"); });
        }
        CHECK(sink.sent == std::vector<std::string>{"err " + std::to_string(ENOENT)});
    }
    SUBCASE("after the reply: nothing more") {
        {
            Request req(fake_req(), sink);
            answer_errors(req, "test", [&] {
                req.open(nullptr);
                throw std::runtime_error("after the reply");
            });
        }
        CHECK(sink.sent == std::vector<std::string>{"open"});
    }
    SUBCASE("after a hand-over: the new owner answers") {
        std::optional<Request> owner;
        {
            Request req(fake_req(), sink);
            answer_errors(req, "test", [&] {
                owner.emplace(std::move(req));
                throw FsError(EACCES, "after the hand-over");
            });
        }
        CHECK(sink.sent.empty());
        owner->attr(nullptr, 0);
        CHECK(sink.sent == std::vector<std::string>{"attr"});
    }
    SUBCASE("no exception, no reply: EIO when the request goes") {
        {
            Request req(fake_req(), sink);
            answer_errors(req, "test", [] {});
        }
        CHECK(sink.sent == std::vector<std::string>{"err " + std::to_string(EIO)});
    }
}

TEST_CASE("two threads racing to answer one request send one reply") {
    // A pending read: a fetch thread and an interrupt may both try to answer.
    for (int round = 0; round < 200; ++round) {
        FakeReplier sink;
        {
            Request req(fake_req(), sink);
            std::thread a([&] { req.err(EINTR); });
            std::thread b([&] { req.buf("x", 1); });
            a.join();
            b.join();
        }
        REQUIRE(sink.sent.size() == 1);
    }
}
