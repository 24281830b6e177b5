#include "fs/fuse/request.hpp"

#include <cerrno>

#include "fs/common/log.hpp"
#include "fs/errno_map.hpp"
#include "fs/network_wait.hpp"

namespace hubfs::fs {
namespace {

class FuseReplier final : public Replier {
public:
    int err(fuse_req_t req, int e) override { return fuse_reply_err(req, e); }
    void none(fuse_req_t req) override { fuse_reply_none(req); }
    int entry(fuse_req_t req, const fuse_entry_param* e) override { return fuse_reply_entry(req, e); }
    int create(fuse_req_t req, const fuse_entry_param* e, const fuse_file_info* fi) override {
        return fuse_reply_create(req, e, fi);
    }
    int attr(fuse_req_t req, const struct stat* a, double timeout) override { return fuse_reply_attr(req, a, timeout); }
    int readlink(fuse_req_t req, const char* link) override { return fuse_reply_readlink(req, link); }
    int open(fuse_req_t req, const fuse_file_info* fi) override { return fuse_reply_open(req, fi); }
    int write(fuse_req_t req, size_t count) override { return fuse_reply_write(req, count); }
    int buf(fuse_req_t req, const char* b, size_t size) override { return fuse_reply_buf(req, b, size); }
    int data(fuse_req_t req, fuse_bufvec* bufv, fuse_buf_copy_flags flags) override {
        return fuse_reply_data(req, bufv, flags);
    }
    int iov(fuse_req_t req, const iovec* v, int count) override { return fuse_reply_iov(req, v, count); }
    int statfs(fuse_req_t req, const struct statvfs* st) override { return fuse_reply_statfs(req, st); }
    int xattr(fuse_req_t req, size_t count) override { return fuse_reply_xattr(req, count); }
};

}  // namespace

Replier& fuse_replier() {
    static FuseReplier replier;
    return replier;
}

Request::Request(Request&& other) noexcept : req_(other.req_), replier_(other.replier_), answered_(other.answered_.load()) {
    other.req_ = nullptr;  // handed over: the old owner owes no reply
}

Request::~Request() {
    if (done()) return;
    HUBFS_LOG(error, "bug: a request was dropped without a reply; answering EIO");
    err(EIO);
}

bool Request::claim(const char* reply) {
    if (req_ == nullptr) {
        HUBFS_LOG(error, "bug: %s reply through a request handed over to another owner; not sent", reply);
        return false;
    }
    if (answered_.exchange(true)) {
        HUBFS_LOG(error, "bug: second reply (%s) to an answered request; not sent", reply);
        return false;
    }
    return true;
}

int Request::err(int e) { return claim("err") ? replier_->err(req_, e) : -EALREADY; }
void Request::none() {
    if (claim("none")) replier_->none(req_);
}
int Request::entry(const fuse_entry_param* e) { return claim("entry") ? replier_->entry(req_, e) : -EALREADY; }
int Request::create(const fuse_entry_param* e, const fuse_file_info* fi) {
    return claim("create") ? replier_->create(req_, e, fi) : -EALREADY;
}
int Request::attr(const struct stat* a, double timeout) {
    return claim("attr") ? replier_->attr(req_, a, timeout) : -EALREADY;
}
int Request::readlink(const char* link) { return claim("readlink") ? replier_->readlink(req_, link) : -EALREADY; }
int Request::open(const fuse_file_info* fi) { return claim("open") ? replier_->open(req_, fi) : -EALREADY; }
int Request::write(size_t count) { return claim("write") ? replier_->write(req_, count) : -EALREADY; }
int Request::buf(const char* b, size_t size) { return claim("buf") ? replier_->buf(req_, b, size) : -EALREADY; }
int Request::data(fuse_bufvec* bufv, fuse_buf_copy_flags flags) {
    return claim("data") ? replier_->data(req_, bufv, flags) : -EALREADY;
}
int Request::iov(const iovec* v, int count) { return claim("iov") ? replier_->iov(req_, v, count) : -EALREADY; }
int Request::statfs(const struct statvfs* st) { return claim("statfs") ? replier_->statfs(req_, st) : -EALREADY; }
int Request::xattr(size_t count) { return claim("xattr") ? replier_->xattr(req_, count) : -EALREADY; }

void Request::fail(const char* what, std::exception_ptr error) {
    int e = EIO;
    try {
        std::rethrow_exception(error);
    } catch (const WouldWait&) {  // only a handler that replied or handed over gets here with it
        HUBFS_LOG(error, "bug: %s would wait after its reply was sent or handed over", what);
    } catch (...) {
        e = errno_from_current_exception(what);
    }
    if (!done()) {
        err(e);
        return;
    }
    HUBFS_LOG(error, "bug: %s failed (errno %d) after its reply was sent or handed over", what, e);
}

}  // namespace hubfs::fs
