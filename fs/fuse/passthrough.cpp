#include "passthrough.hpp"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "fs/common/log.hpp"

namespace hubfs::fs {

namespace {

// The kernel's FUSE protocol (uapi linux/fuse.h, 7.40), newer than Debian 12's headers.
constexpr uint32_t kOpcodeOpen = 14;
constexpr uint32_t kOpcodeInit = 26;
constexpr uint32_t kOpcodeCreate = 35;
constexpr size_t kEntryOutSize = 128;  // fuse_entry_out, before a CREATE reply's fuse_open_out
constexpr uint32_t kInitExt = 1u << 30;            // FUSE_INIT_EXT: flags2 is valid
constexpr uint32_t kWritebackCache = 1u << 16;     // FUSE_WRITEBACK_CACHE: excludes passthrough
constexpr uint32_t kPassthroughFlag2 = 1u << (37 - 32);  // FUSE_PASSTHROUGH, in flags2
constexpr uint32_t kOpenDirectIo = 1u << 0;        // FOPEN_DIRECT_IO
constexpr uint32_t kOpenNoFlush = 1u << 5;         // FOPEN_NOFLUSH
constexpr uint32_t kOpenParallelWrites = 1u << 6;  // FOPEN_PARALLEL_DIRECT_WRITES
constexpr uint32_t kOpenPassthrough = 1u << 7;     // FOPEN_PASSTHROUGH

struct InHeader {
    uint32_t len, opcode;
    uint64_t unique, nodeid;
    uint32_t uid, gid, pid;
    uint16_t total_extlen, padding;
};
struct InitIn {
    uint32_t major, minor, max_readahead, flags, flags2;
};
struct OutHeader {
    uint32_t len;
    int32_t error;
    uint64_t unique;
};
struct InitOut {
    uint32_t major, minor, max_readahead, flags;
    uint16_t max_background, congestion_threshold;
    uint32_t max_write, time_gran;
    uint16_t max_pages, map_alignment;
    uint32_t flags2, max_stack_depth;
    uint32_t unused[6];
};
struct OpenOut {
    uint64_t fh;
    uint32_t open_flags;
    int32_t backing_id;
};
struct BackingMap {
    int32_t fd;
    uint32_t flags;
    uint64_t padding;
};
static_assert(sizeof(InHeader) == 40 && sizeof(OutHeader) == 16);
static_assert(sizeof(InitOut) == 64 && sizeof(OpenOut) == 16 && sizeof(BackingMap) == 16);

const unsigned long kBackingOpen = _IOW(229, 1, BackingMap);
const unsigned long kBackingClose = _IOW(229, 2, uint32_t);

// Flags the kernel accepts together with FOPEN_PASSTHROUGH (others fail the open).
constexpr uint32_t kPassthroughMask = kOpenPassthrough | kOpenDirectIo | kOpenParallelWrites | kOpenNoFlush;

// The reply's header, and the `Body` at `at` in its body, if it is a successful reply in the
// usual two pieces.
template <class Body>
bool split_reply(const iovec* iov, int count, size_t at, OutHeader& head, Body& body) {
    if (count != 2 || iov[0].iov_len != sizeof head || iov[1].iov_len < at + sizeof body) return false;
    std::memcpy(&head, iov[0].iov_base, sizeof head);
    if (head.error != 0) return false;
    std::memcpy(&body, static_cast<const char*>(iov[1].iov_base) + at, sizeof body);
    return true;
}

// The reply with `body` at `at` in its body (the body copied into `scratch`).
template <class Body>
void with_body(const iovec* iov, size_t at, const Body& body, Passthrough::Scratch& scratch) {
    std::memcpy(scratch.body, iov[1].iov_base, iov[1].iov_len);
    std::memcpy(scratch.body + at, &body, sizeof body);
    scratch.iov[0] = iov[0];
    scratch.iov[1] = iovec{scratch.body, iov[1].iov_len};
}

}  // namespace

void Passthrough::saw_request(const void* buf, size_t len) {
    if (!wanted_ || len < sizeof(InHeader)) return;
    InHeader h;
    std::memcpy(&h, buf, sizeof h);
    if (h.opcode == kOpcodeOpen || h.opcode == kOpcodeCreate) {
        std::lock_guard lock(mu_);
        open_requests_[h.unique] = h.opcode == kOpcodeCreate ? kEntryOutSize : 0;
        opens_in_flight_.fetch_add(1);
    } else if (h.opcode == kOpcodeInit && len >= sizeof h + sizeof(InitIn)) {
        InitIn in;
        std::memcpy(&in, static_cast<const char*>(buf) + sizeof h, sizeof in);
        offered_ = (in.flags & kInitExt) && (in.flags2 & kPassthroughFlag2);
        init_unique_ = h.unique;
    }
}

const iovec* Passthrough::before_reply(const iovec* iov, int count, Scratch& scratch) {
    if (!wanted_) return iov;
    if (init_unique_.load() != 0 && patch_init(iov, count, scratch)) return scratch.iov;
    if (opens_in_flight_.load() > 0 && patch_open(iov, count, scratch)) return scratch.iov;
    return iov;
}

bool Passthrough::patch_init(const iovec* iov, int count, Scratch& scratch) {
    OutHeader head;
    if (count < 1 || iov[0].iov_len != sizeof head) return false;
    std::memcpy(&head, iov[0].iov_base, sizeof head);
    if (head.unique != init_unique_.load()) return false;
    init_unique_ = 0;
    InitOut out;
    if (!offered_ || !split_reply(iov, count, 0, head, out) || iov[1].iov_len > sizeof scratch.body ||
        (out.flags & kWritebackCache)) {
        HUBFS_LOG(info, "passthrough: off (the kernel does not offer it)");
        return false;
    }
    out.flags |= kInitExt;
    out.flags2 |= kPassthroughFlag2;
    out.max_stack_depth = 1;  // backing files are on a plain filesystem, not a stacked one
    active_ = true;
    HUBFS_LOG(info, "passthrough: on (fully cached files are read by the kernel from the disk cache)");
    with_body(iov, 0, out, scratch);
    return true;
}

bool Passthrough::patch_open(const iovec* iov, int count, Scratch& scratch) {
    OutHeader head;
    if (count < 1 || iov[0].iov_len != sizeof head) return false;
    std::memcpy(&head, iov[0].iov_base, sizeof head);
    std::lock_guard lock(mu_);
    auto req = open_requests_.find(head.unique);
    if (req == open_requests_.end()) return false;
    const size_t at = req->second;
    open_requests_.erase(req);
    opens_in_flight_.fetch_sub(1);
    OpenOut out;
    if (!split_reply(iov, count, at, head, out) || iov[1].iov_len > sizeof scratch.body) return false;
    auto h = handles_.find(out.fh);
    if (h == handles_.end() || !h->second.grant) return false;
    out.open_flags = (out.open_flags & kPassthroughMask) | kOpenPassthrough;
    if (h->second.grant->through_daemon) out.open_flags |= kOpenDirectIo;
    out.backing_id = h->second.grant->backing_id;
    with_body(iov, at, out, scratch);
    return true;
}

int32_t Passthrough::register_backing(int fd) {
    BackingMap map{fd, 0, 0};
    int id = ::ioctl(device_, kBackingOpen, &map);
    if (id > 0) return id;
    const int err = errno;
    HUBFS_LOG(warn, "passthrough: the kernel refused a backing file (%s); reads go through hubfs", std::strerror(err));
    if (err == EPERM || err == ENOTTY || err == EINVAL) active_ = false;  // never will: stop asking
    return 0;
}

void Passthrough::unregister_backing(int32_t id) {
    uint32_t raw = static_cast<uint32_t>(id);
    if (::ioctl(device_, kBackingClose, &raw) != 0)
        HUBFS_LOG(warn, "passthrough: cannot release backing id %d (%s)", id, std::strerror(errno));
}

std::optional<Passthrough::Grant> Passthrough::decide(fuse_ino_t ino, uint64_t fh, const std::string& content, int backing_fd) {
    std::lock_guard lock(mu_);
    InodeOpens& in = inodes_[ino];
    std::optional<Grant> grant;
    if (in.passthrough > 0) {
        // The kernel requires passthrough with the same backing file for every open now.
        grant = Grant{in.backing_id, !(backing_fd >= 0 && content == in.content)};
    } else if (backing_fd >= 0 && in.plain == 0 && active_.load()) {
        if (int32_t id = register_backing(backing_fd)) {
            in.backing_id = id;
            in.content = content;
            grant = Grant{id, false};
        }
    }
    ++(grant ? in.passthrough : in.plain);
    handles_[fh] = HandleOpen{ino, grant};
    return grant;
}

void Passthrough::closed(uint64_t fh) {
    std::lock_guard lock(mu_);
    auto h = handles_.find(fh);
    if (h == handles_.end()) return;
    auto in = inodes_.find(h->second.ino);
    if (in != inodes_.end()) {
        InodeOpens& o = in->second;
        if (h->second.grant) {
            // The kernel dropped its own hold of the backing file before it sent the release.
            if (--o.passthrough == 0) unregister_backing(o.backing_id);
        } else {
            --o.plain;
        }
        if (o.passthrough == 0 && o.plain == 0) inodes_.erase(in);
    }
    handles_.erase(h);
}

}  // namespace hubfs::fs
