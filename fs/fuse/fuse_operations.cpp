// The libfuse operations table: every callback runs its HubFs handler through guarded() or
// parkable(), where an exception that escapes a handler becomes the request's one errno reply
// and a request that would wait for the Hub is parked off the FUSE thread.
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

// Every request goes through here: an exception that escapes a handler (which replies last, so
// it has not replied yet) becomes its errno, and the request is answered once, never dropped
// and never allowed to end the process with std::terminate.
template <typename Handler>
void guarded(fuse_req_t req, const char* what, Handler&& handler) {
    try {
        handler(self(req));
    } catch (...) {
        fuse_reply_err(req, errno_from_current_exception(what));
    }
}

// The same for requests that may need the Hub (opens, xattrs, changes, fsync): the handler
// runs on the FUSE thread with network waits forbidden; one that would wait (WouldWait, thrown
// before it changed anything) runs again from the start on a thread of its own, as `owned()`:
// a copy of the call that outlives the kernel's arguments. So no FUSE thread waits for the Hub.
template <typename Handler, typename Owned>
void parkable(fuse_req_t req, const char* what, Handler&& handler, Owned&& owned) {
    try {
        NoNetworkWaits here;
        handler(self(req));
    } catch (const WouldWait&) {
        HubFs& fs = self(req);
        fs.parked_requests().run_again(req, what, [&fs, call = std::function<void(HubFs&)>(owned())] { call(fs); });
    } catch (...) {
        fuse_reply_err(req, errno_from_current_exception(what));
    }
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
    o.lookup = [](fuse_req_t r, fuse_ino_t p, const char* n) { guarded(r, "lookup", [&](HubFs& fs) { fs.lookup(r, p, n); }); };
    o.forget = [](fuse_req_t r, fuse_ino_t i, uint64_t n) {
        self(r).forget(i, n);
        fuse_reply_none(r);
    };
    o.forget_multi = [](fuse_req_t r, size_t count, fuse_forget_data* list) {
        for (size_t k = 0; k < count; ++k) self(r).forget(list[k].ino, list[k].nlookup);
        fuse_reply_none(r);
    };
    o.getattr = [](fuse_req_t r, fuse_ino_t i, fuse_file_info*) { guarded(r, "getattr", [&](HubFs& fs) { fs.getattr(r, i); }); };
    o.opendir = [](fuse_req_t r, fuse_ino_t i, fuse_file_info* fi) { guarded(r, "opendir", [&](HubFs& fs) { fs.opendir(r, i, fi); }); };
    o.readdir = [](fuse_req_t r, fuse_ino_t i, size_t s, off_t off, fuse_file_info* fi) {
        guarded(r, "readdir", [&](HubFs& fs) { fs.readdir(r, i, s, off, fi, false); });
    };
    o.readdirplus = [](fuse_req_t r, fuse_ino_t i, size_t s, off_t off, fuse_file_info* fi) {
        guarded(r, "readdirplus", [&](HubFs& fs) { fs.readdir(r, i, s, off, fi, true); });
    };
    o.releasedir = [](fuse_req_t r, fuse_ino_t, fuse_file_info* fi) { guarded(r, "releasedir", [&](HubFs& fs) { fs.releasedir(r, fi); }); };
    o.open = [](fuse_req_t r, fuse_ino_t i, fuse_file_info* fi) {
        parkable(r, "open", [&](HubFs& fs) { fs.open(r, i, fi); },
                 [&] { return [r, i, info = *fi](HubFs& fs) mutable { fs.open(r, i, &info); }; });
    };
    o.read = [](fuse_req_t r, fuse_ino_t, size_t s, off_t off, fuse_file_info* fi) {
        guarded(r, "read", [&](HubFs& fs) { fs.read(r, s, off, fi); });
    };
    o.release = [](fuse_req_t r, fuse_ino_t, fuse_file_info* fi) { guarded(r, "release", [&](HubFs& fs) { fs.release(r, fi); }); };
    o.statfs = [](fuse_req_t r, fuse_ino_t) { guarded(r, "statfs", [&](HubFs& fs) { fs.statfs(r); }); };
    o.getxattr = [](fuse_req_t r, fuse_ino_t i, const char* n, size_t s) {
        parkable(r, "getxattr", [&](HubFs& fs) { fs.getxattr(r, i, n, s); },
                 [&] { return [r, i, name = std::string(n), s](HubFs& fs) { fs.getxattr(r, i, name.c_str(), s); }; });
    };
    o.listxattr = [](fuse_req_t r, fuse_ino_t i, size_t s) {
        parkable(r, "listxattr", [&](HubFs& fs) { fs.listxattr(r, i, s); },
                 [&] { return [r, i, s](HubFs& fs) { fs.listxattr(r, i, s); }; });
    };
}

void HubFs::add_write_operations(fuse_lowlevel_ops& o) {
    o.create = [](fuse_req_t r, fuse_ino_t p, const char* n, mode_t m, fuse_file_info* fi) {
        parkable(r, "create", [&](HubFs& fs) { fs.create(r, p, n, m, fi); }, [&] {
            return [r, p, name = std::string(n), m, info = *fi](HubFs& fs) mutable { fs.create(r, p, name.c_str(), m, &info); };
        });
    };
    o.write = [](fuse_req_t r, fuse_ino_t, const char* b, size_t s, off_t off, fuse_file_info* fi) {
        parkable(r, "write", [&](HubFs& fs) { fs.write(r, b, s, off, fi); }, [&] {  // only a control file's write waits
            return [r, bytes = std::string(b, s), off, info = *fi](HubFs& fs) mutable {
                fs.write(r, bytes.data(), bytes.size(), off, &info);
            };
        });
    };
    o.setattr = [](fuse_req_t r, fuse_ino_t i, struct stat* a, int to_set, fuse_file_info* fi) {
        parkable(r, "setattr", [&](HubFs& fs) { fs.setattr(r, i, a, to_set, fi); }, [&] {
            std::optional<fuse_file_info> info;
            if (fi) info = *fi;
            return [r, i, attr = *a, to_set, info](HubFs& fs) mutable {
                fs.setattr(r, i, &attr, to_set, info ? &*info : nullptr);
            };
        });
    };
    o.unlink = [](fuse_req_t r, fuse_ino_t p, const char* n) {
        parkable(r, "unlink", [&](HubFs& fs) { fs.unlink(r, p, n); },
                 [&] { return [r, p, name = std::string(n)](HubFs& fs) { fs.unlink(r, p, name.c_str()); }; });
    };
    o.mkdir = [](fuse_req_t r, fuse_ino_t p, const char* n, mode_t m) {
        parkable(r, "mkdir", [&](HubFs& fs) { fs.mkdir(r, p, n, m); },
                 [&] { return [r, p, name = std::string(n), m](HubFs& fs) { fs.mkdir(r, p, name.c_str(), m); }; });
    };
    o.rmdir = [](fuse_req_t r, fuse_ino_t p, const char* n) {
        parkable(r, "rmdir", [&](HubFs& fs) { fs.rmdir(r, p, n); },
                 [&] { return [r, p, name = std::string(n)](HubFs& fs) { fs.rmdir(r, p, name.c_str()); }; });
    };
    o.rename = [](fuse_req_t r, fuse_ino_t p, const char* n, fuse_ino_t np, const char* nn, unsigned flags) {
        parkable(r, "rename", [&](HubFs& fs) { fs.rename(r, p, n, np, nn, flags); }, [&] {
            return [r, p, name = std::string(n), np, new_name = std::string(nn), flags](HubFs& fs) {
                fs.rename(r, p, name.c_str(), np, new_name.c_str(), flags);
            };
        });
    };
    o.flush = [](fuse_req_t r, fuse_ino_t, fuse_file_info* fi) { guarded(r, "flush", [&](HubFs& fs) { fs.flush(r, fi); }); };
    o.fsync = [](fuse_req_t r, fuse_ino_t i, int, fuse_file_info* fi) {
        parkable(r, "fsync", [&](HubFs& fs) { fs.fsync(r, i, fi); },
                 [&] { return [r, i, info = *fi](HubFs& fs) mutable { fs.fsync(r, i, &info); }; });
    };
    o.fsyncdir = [](fuse_req_t r, fuse_ino_t i, int, fuse_file_info*) {
        parkable(r, "fsyncdir", [&](HubFs& fs) { fs.fsync(r, i, nullptr); },
                 [&] { return [r, i](HubFs& fs) { fs.fsync(r, i, nullptr); }; });
    };
    o.mknod = [](fuse_req_t r, fuse_ino_t p, const char* n, mode_t m, dev_t d) {
        parkable(r, "mknod", [&](HubFs& fs) { fs.mknod(r, p, n, m, d); },
                 [&] { return [r, p, name = std::string(n), m, d](HubFs& fs) { fs.mknod(r, p, name.c_str(), m, d); }; });
    };
    o.symlink = [](fuse_req_t r, const char* t, fuse_ino_t p, const char* n) {
        parkable(r, "symlink", [&](HubFs& fs) { fs.symlink(r, t, p, n); }, [&] {
            return [r, target = std::string(t), p, name = std::string(n)](HubFs& fs) {
                fs.symlink(r, target.c_str(), p, name.c_str());
            };
        });
    };
    o.readlink = [](fuse_req_t r, fuse_ino_t i) { guarded(r, "readlink", [&](HubFs& fs) { fs.readlink(r, i); }); };
    // A hard link would be two names of one file; the Hub stores each path's bytes apart.
    o.link = [](fuse_req_t r, fuse_ino_t, fuse_ino_t, const char*) { fuse_reply_err(r, EPERM); };
}

}  // namespace hubfs::fs
