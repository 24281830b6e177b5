// One FUSE request and its one reply. Every answer goes through a Request, which records that it
// was sent: a second reply is not sent (libfuse frees the request with the first, so a second
// would be a use after free) and is logged as a bug; a Request destroyed unanswered answers EIO
// and logs it, so no caller hangs. Moving a Request hands the duty to reply over to its new owner
// (a parked request, a pending read): the moved-from one owes nothing. The replies go through a
// Replier, fuse_reply_* for the kernel's requests, a fake in tests (tests/fs/request_test.cpp).
#pragma once

#define FUSE_USE_VERSION 35
#include <fuse_lowlevel.h>
#include <sys/statvfs.h>

#include <atomic>
#include <exception>

namespace hubfs::fs {

// Where replies go: one method per fuse_reply_* that hubfs uses, same arguments.
class Replier {
public:
    virtual ~Replier() = default;
    virtual int err(fuse_req_t req, int err) = 0;
    virtual void none(fuse_req_t req) = 0;
    virtual int entry(fuse_req_t req, const fuse_entry_param* e) = 0;
    virtual int create(fuse_req_t req, const fuse_entry_param* e, const fuse_file_info* fi) = 0;
    virtual int attr(fuse_req_t req, const struct stat* attr, double timeout) = 0;
    virtual int readlink(fuse_req_t req, const char* link) = 0;
    virtual int open(fuse_req_t req, const fuse_file_info* fi) = 0;
    virtual int write(fuse_req_t req, size_t count) = 0;
    virtual int buf(fuse_req_t req, const char* buf, size_t size) = 0;
    virtual int data(fuse_req_t req, fuse_bufvec* bufv, fuse_buf_copy_flags flags) = 0;
    virtual int iov(fuse_req_t req, const iovec* iov, int count) = 0;
    virtual int statfs(fuse_req_t req, const struct statvfs* st) = 0;
    virtual int xattr(fuse_req_t req, size_t count) = 0;
};

// The Replier of the kernel's requests: fuse_reply_*.
Replier& fuse_replier();

class Request {
public:
    explicit Request(fuse_req_t req, Replier& replier = fuse_replier()) : req_(req), replier_(&replier) {}
    Request(Request&& other) noexcept;
    Request& operator=(Request&&) = delete;
    Request(const Request&) = delete;
    Request& operator=(const Request&) = delete;
    ~Request();

    // The request for libfuse calls that are not replies (fuse_req_ctx, fuse_add_direntry).
    fuse_req_t raw() const { return req_; }
    const fuse_ctx* ctx() const { return fuse_req_ctx(req_); }
    // Answered, or handed over to another Request: nothing more may be sent through this one.
    bool done() const { return req_ == nullptr || answered_.load(); }

    // The replies: each returns what fuse_reply_* returns (0 if the kernel took it), -EALREADY
    // when the request was answered already (nothing sent).
    int err(int err);
    void none();
    int entry(const fuse_entry_param* e);
    int create(const fuse_entry_param* e, const fuse_file_info* fi);
    int attr(const struct stat* attr, double timeout);
    int readlink(const char* link);
    int open(const fuse_file_info* fi);
    int write(size_t count);
    int buf(const char* buf, size_t size);
    int data(fuse_bufvec* bufv, fuse_buf_copy_flags flags);
    int iov(const iovec* iov, int count);
    int statfs(const struct statvfs* st);
    int xattr(size_t count);

    // An exception escaped the handler: answers its errno if nothing was answered yet (a handler
    // replies last, so usually nothing was); else logs it, since the reply already went.
    void fail(const char* what, std::exception_ptr error);

private:
    // Marks the request answered; false (and a logged bug) if it already was.
    bool claim(const char* reply);

    fuse_req_t req_;
    Replier* replier_;
    std::atomic<bool> answered_{false};  // on_interrupt and a fetch thread may race for it
};

// Runs handler(); an exception it lets out becomes the request's errno reply if none was sent.
template <typename Handler>
void answer_errors(Request& req, const char* what, Handler&& handler) {
    try {
        handler();
    } catch (...) {
        req.fail(what, std::current_exception());
    }
}

}  // namespace hubfs::fs
