// FUSE passthrough (Linux >= 6.9): a file whose bytes are all in the disk cache is opened with
// the cache's blob file as its backing file, so the kernel reads (and maps) that file itself;
// hubfs sees no read of it. Reads after a remount, and re-reads, then run at the local disk's
// page-cache speed instead of a FUSE round trip per MiB and a second copy in FUSE's page cache.
//
// libfuse 3.14 (Debian 12) predates passthrough, so hubfs speaks the two protocol additions
// itself through libfuse's custom I/O hooks (fuse_session_custom_io): it sees each request as
// read from /dev/fuse and each reply before it is written, and
//  - INIT: if the kernel offers FUSE_PASSTHROUGH, the reply accepts it (flag and stack depth);
//  - OPEN: a reply granted a backing file carries FOPEN_PASSTHROUGH and the backing id, which
//    FUSE_DEV_IOC_BACKING_OPEN gave for the blob file's descriptor.
// The kernel's rules (fs/fuse/iomode.c), which decide() follows:
//  - one backing file per inode: while any passthrough open of an inode lives, every open of it
//    must be a passthrough open with that same backing id (else the open fails with EIO);
//  - a passthrough open fails while the inode has an open in cached mode (a plain open).
// So an inode with a passthrough open gets passthrough for every later open too: when that open
// must not read the backing file (another content, or a writer), it also gets FOPEN_DIRECT_IO,
// so its reads and writes still come to hubfs (only an mmap of it maps the backing file).
#pragma once

#define FUSE_USE_VERSION 35
#include <fuse_lowlevel.h>
#include <sys/uio.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>

namespace hubfs::fs {

class Passthrough {
public:
    // wanted = false (--no-passthrough): never negotiated, every open is plain.
    explicit Passthrough(bool wanted) : wanted_(wanted) {}

    // /dev/fuse of the session: where backing files are registered.
    void set_device(int fuse_fd) { device_ = fuse_fd; }
    // True once the kernel accepted passthrough at INIT (and no backing registration was refused).
    bool active() const { return active_.load(); }

    struct Grant {
        int32_t backing_id = 0;
        bool through_daemon = false;  // FOPEN_DIRECT_IO too: reads and writes still come to hubfs
    };
    // How to answer an open of inode `ino` that will have handle `fh`. `content` names what this
    // open reads; `backing_fd` is the blob file holding all of it, or -1 (not all cached, a
    // staged file, open for writing). The open is counted until closed(fh). Call it right before
    // the reply; the reply then carries the grant (none: a plain open).
    std::optional<Grant> decide(fuse_ino_t ino, uint64_t fh, const std::string& content, int backing_fd);
    // The open with handle `fh` was released (or its reply failed). Unknown handles are ignored.
    void closed(uint64_t fh);

    // What the custom I/O hooks (HubFs::custom_io) do: see a request as read; see a reply about
    // to be written (patched into `scratch` when needed; returns the iovecs to write).
    void saw_request(const void* buf, size_t len);
    struct Scratch {
        iovec iov[2];
        unsigned char body[160];  // the largest reply patched: CREATE's entry and open
    };
    const iovec* before_reply(const iovec* iov, int count, Scratch& scratch);

private:
    struct InodeOpens {
        int32_t backing_id = 0;  // while passthrough opens > 0
        std::string content;     // what the backing file holds
        unsigned passthrough = 0, plain = 0;
    };
    struct HandleOpen {
        fuse_ino_t ino;
        std::optional<Grant> grant;
    };
    int32_t register_backing(int fd);  // > 0, or 0 if the kernel refused
    void unregister_backing(int32_t id);
    bool patch_init(const iovec* iov, int count, Scratch& scratch);
    bool patch_open(const iovec* iov, int count, Scratch& scratch);

    const bool wanted_;
    int device_ = -1;
    std::atomic<bool> offered_{false}, active_{false};
    std::atomic<uint64_t> init_unique_{0};
    std::atomic<int> opens_in_flight_{0};  // size of open_requests_, read without the lock

    std::mutex mu_;
    std::map<uint64_t, size_t> open_requests_;  // OPEN/CREATE requests not yet answered: where
                                                // their reply's fuse_open_out is
    std::map<fuse_ino_t, InodeOpens> inodes_;   // inodes with open handles
    std::map<uint64_t, HandleOpen> handles_;    // open handles, by fh
};

}  // namespace hubfs::fs
