// The libfuse operations table: every callback runs its HubFs handler through guarded() or
// parkable(), where an exception that escapes a handler becomes the request's one errno reply
// and a request that would wait for the Hub is parked off the FUSE thread.
#include <fcntl.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <functional>
#include <optional>
#include <string>

#include "fs/errno_map.hpp"
#include "fs/fuse/hubfs.hpp"
#include "fs/network_wait.hpp"

namespace hubfs::fs {
namespace {

HubFs& self(fuse_req_t req) { return *static_cast<HubFs*>(fuse_req_userdata(req)); }

}  // namespace

// Every request goes through here, as a Request (request.hpp) the handler answers through: an
// exception that escapes a handler becomes its errno reply unless it replied already, a handler
// that neither replied nor handed the request over answers EIO, and nothing ends the process
// with std::terminate. So each request gets exactly one reply.
template <typename Handler>
void guarded(fuse_req_t raw, const char* what, Handler&& handler) {
    Request req(raw);
    answer_errors(req, what, [&] { handler(self(raw), req); });
}

// The same for requests that may need the Hub (opens, xattrs, changes, fsync): the handler
// runs on the FUSE thread with network waits forbidden; one that would wait (WouldWait, thrown
// before it changed anything or replied) runs again from the start on a thread of its own, as
// `owned()`: a copy of the call that outlives the kernel's arguments, given the request. So no
// FUSE thread waits for the Hub.
template <typename Handler, typename Owned>
void parkable(fuse_req_t raw, const char* what, Handler&& handler, Owned&& owned) {
    Request req(raw);
    HubFs& fs = self(raw);
    try {
        NoNetworkWaits here;
        handler(fs, req);
    } catch (const WouldWait&) {
        if (req.done()) return req.fail(what, std::current_exception());  // a bug: logged, not rerun
        fs.parked_requests().run_again(std::move(req), what,
                                       [&fs, call = std::function<void(HubFs&, Request&)>(owned())](Request& r) {
                                           call(fs, r);
                                       });
    } catch (...) {
        req.fail(what, std::current_exception());
    }
}

fuse_custom_io HubFs::custom_io() {
    fuse_custom_io io{};
    io.read = [](int fd, void* buf, size_t len, void* userdata) -> ssize_t {
        const ssize_t n = ::read(fd, buf, len);
        if (n > 0) static_cast<HubFs*>(userdata)->passthrough_.saw_request(buf, static_cast<size_t>(n));
        return n;
    };
    io.writev = [](int fd, iovec* iov, int count, void* userdata) -> ssize_t {
        Passthrough::Scratch scratch;
        return ::writev(fd, static_cast<HubFs*>(userdata)->passthrough_.before_reply(iov, count, scratch), count);
    };
    // Without it libfuse would copy the disk cache's bytes instead of splicing them (reply_pieces).
    io.splice_send = [](int in, off_t* in_off, int out, off_t* out_off, size_t len, unsigned flags, void*) -> ssize_t {
        return ::splice(in, in_off, out, out_off, len, flags);
    };
    return io;
}

const fuse_lowlevel_ops& HubFs::operations() {
    static const fuse_lowlevel_ops ops = [] {
        fuse_lowlevel_ops o{};
        add_read_operations(o);
        add_write_operations(o);
        return o;
    }();
    return ops;
}

void HubFs::add_read_operations(fuse_lowlevel_ops& o) {
    o.init = [](void* userdata, fuse_conn_info* conn) { static_cast<HubFs*>(userdata)->init(conn); };
    o.lookup = [](fuse_req_t r, fuse_ino_t p, const char* n) { guarded(r, "lookup", [&](HubFs& fs, Request& q) { fs.lookup(q, p, n); }); };
    o.forget = [](fuse_req_t r, fuse_ino_t i, uint64_t n) {
        self(r).forget(i, n);
        Request(r).none();
    };
    o.forget_multi = [](fuse_req_t r, size_t count, fuse_forget_data* list) {
        for (size_t k = 0; k < count; ++k) self(r).forget(list[k].ino, list[k].nlookup);
        Request(r).none();
    };
    o.getattr = [](fuse_req_t r, fuse_ino_t i, fuse_file_info*) { guarded(r, "getattr", [&](HubFs& fs, Request& q) { fs.getattr(q, i); }); };
    o.opendir = [](fuse_req_t r, fuse_ino_t i, fuse_file_info* fi) { guarded(r, "opendir", [&](HubFs& fs, Request& q) { fs.opendir(q, i, fi); }); };
    o.readdir = [](fuse_req_t r, fuse_ino_t i, size_t s, off_t off, fuse_file_info* fi) {
        guarded(r, "readdir", [&](HubFs& fs, Request& q) { fs.readdir(q, i, s, off, fi, false); });
    };
    o.readdirplus = [](fuse_req_t r, fuse_ino_t i, size_t s, off_t off, fuse_file_info* fi) {
        guarded(r, "readdirplus", [&](HubFs& fs, Request& q) { fs.readdir(q, i, s, off, fi, true); });
    };
    o.releasedir = [](fuse_req_t r, fuse_ino_t, fuse_file_info* fi) { guarded(r, "releasedir", [&](HubFs& fs, Request& q) { fs.releasedir(q, fi); }); };
    o.open = [](fuse_req_t r, fuse_ino_t i, fuse_file_info* fi) {
        parkable(r, "open", [&](HubFs& fs, Request& q) { fs.open(q, i, fi); },
                 [&] { return [i, info = *fi](HubFs& fs, Request& q) mutable { fs.open(q, i, &info); }; });
    };
    o.read = [](fuse_req_t r, fuse_ino_t, size_t s, off_t off, fuse_file_info* fi) {
        guarded(r, "read", [&](HubFs& fs, Request& q) { fs.read(q, s, off, fi); });
    };
    o.release = [](fuse_req_t r, fuse_ino_t, fuse_file_info* fi) { guarded(r, "release", [&](HubFs& fs, Request& q) { fs.release(q, fi); }); };
    o.statfs = [](fuse_req_t r, fuse_ino_t) { guarded(r, "statfs", [&](HubFs& fs, Request& q) { fs.statfs(q); }); };
    o.getxattr = [](fuse_req_t r, fuse_ino_t i, const char* n, size_t s) {
        parkable(r, "getxattr", [&](HubFs& fs, Request& q) { fs.getxattr(q, i, n, s); },
                 [&] { return [i, name = std::string(n), s](HubFs& fs, Request& q) { fs.getxattr(q, i, name.c_str(), s); }; });
    };
    o.listxattr = [](fuse_req_t r, fuse_ino_t i, size_t s) {
        parkable(r, "listxattr", [&](HubFs& fs, Request& q) { fs.listxattr(q, i, s); },
                 [&] { return [i, s](HubFs& fs, Request& q) { fs.listxattr(q, i, s); }; });
    };
}

void HubFs::add_write_operations(fuse_lowlevel_ops& o) {
    o.create = [](fuse_req_t r, fuse_ino_t p, const char* n, mode_t m, fuse_file_info* fi) {
        parkable(r, "create", [&](HubFs& fs, Request& q) { fs.create(q, p, n, m, fi); }, [&] {
            return [p, name = std::string(n), m, info = *fi](HubFs& fs, Request& q) mutable { fs.create(q, p, name.c_str(), m, &info); };
        });
    };
    o.write = [](fuse_req_t r, fuse_ino_t, const char* b, size_t s, off_t off, fuse_file_info* fi) {
        parkable(r, "write", [&](HubFs& fs, Request& q) { fs.write(q, b, s, off, fi); }, [&] {  // only a control file's write waits
            return [bytes = std::string(b, s), off, info = *fi](HubFs& fs, Request& q) mutable {
                fs.write(q, bytes.data(), bytes.size(), off, &info);
            };
        });
    };
    o.setattr = [](fuse_req_t r, fuse_ino_t i, struct stat* a, int to_set, fuse_file_info* fi) {
        parkable(r, "setattr", [&](HubFs& fs, Request& q) { fs.setattr(q, i, a, to_set, fi); }, [&] {
            std::optional<fuse_file_info> info;
            if (fi) info = *fi;
            return [i, attr = *a, to_set, info](HubFs& fs, Request& q) mutable {
                fs.setattr(q, i, &attr, to_set, info ? &*info : nullptr);
            };
        });
    };
    o.unlink = [](fuse_req_t r, fuse_ino_t p, const char* n) {
        parkable(r, "unlink", [&](HubFs& fs, Request& q) { fs.unlink(q, p, n); },
                 [&] { return [p, name = std::string(n)](HubFs& fs, Request& q) { fs.unlink(q, p, name.c_str()); }; });
    };
    o.mkdir = [](fuse_req_t r, fuse_ino_t p, const char* n, mode_t m) {
        parkable(r, "mkdir", [&](HubFs& fs, Request& q) { fs.mkdir(q, p, n, m); },
                 [&] { return [p, name = std::string(n), m](HubFs& fs, Request& q) { fs.mkdir(q, p, name.c_str(), m); }; });
    };
    o.rmdir = [](fuse_req_t r, fuse_ino_t p, const char* n) {
        parkable(r, "rmdir", [&](HubFs& fs, Request& q) { fs.rmdir(q, p, n); },
                 [&] { return [p, name = std::string(n)](HubFs& fs, Request& q) { fs.rmdir(q, p, name.c_str()); }; });
    };
    o.rename = [](fuse_req_t r, fuse_ino_t p, const char* n, fuse_ino_t np, const char* nn, unsigned flags) {
        parkable(r, "rename", [&](HubFs& fs, Request& q) { fs.rename(q, p, n, np, nn, flags); }, [&] {
            return [p, name = std::string(n), np, new_name = std::string(nn), flags](HubFs& fs, Request& q) {
                fs.rename(q, p, name.c_str(), np, new_name.c_str(), flags);
            };
        });
    };
    o.flush = [](fuse_req_t r, fuse_ino_t, fuse_file_info* fi) { guarded(r, "flush", [&](HubFs& fs, Request& q) { fs.flush(q, fi); }); };
    o.fsync = [](fuse_req_t r, fuse_ino_t i, int, fuse_file_info* fi) {
        parkable(r, "fsync", [&](HubFs& fs, Request& q) { fs.fsync(q, i, fi); },
                 [&] { return [i, info = *fi](HubFs& fs, Request& q) mutable { fs.fsync(q, i, &info); }; });
    };
    o.fsyncdir = [](fuse_req_t r, fuse_ino_t i, int, fuse_file_info*) {
        parkable(r, "fsyncdir", [&](HubFs& fs, Request& q) { fs.fsync(q, i, nullptr); },
                 [&] { return [i](HubFs& fs, Request& q) { fs.fsync(q, i, nullptr); }; });
    };
    o.mknod = [](fuse_req_t r, fuse_ino_t p, const char* n, mode_t m, dev_t d) {
        parkable(r, "mknod", [&](HubFs& fs, Request& q) { fs.mknod(q, p, n, m, d); },
                 [&] { return [p, name = std::string(n), m, d](HubFs& fs, Request& q) { fs.mknod(q, p, name.c_str(), m, d); }; });
    };
    o.symlink = [](fuse_req_t r, const char* t, fuse_ino_t p, const char* n) {
        parkable(r, "symlink", [&](HubFs& fs, Request& q) { fs.symlink(q, t, p, n); }, [&] {
            return [target = std::string(t), p, name = std::string(n)](HubFs& fs, Request& q) {
                fs.symlink(q, target.c_str(), p, name.c_str());
            };
        });
    };
    o.readlink = [](fuse_req_t r, fuse_ino_t i) { guarded(r, "readlink", [&](HubFs& fs, Request& q) { fs.readlink(q, i); }); };
    // A hard link would be two names of one file; the Hub stores each path's bytes apart.
    o.link = [](fuse_req_t r, fuse_ino_t, fuse_ino_t, const char*) { Request(r).err(EPERM); };
}

}  // namespace hubfs::fs
