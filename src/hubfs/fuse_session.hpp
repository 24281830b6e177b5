// Owns a libfuse low-level session: created, mounted, looped, unmounted, destroyed.
#pragma once

#define FUSE_USE_VERSION 35
#include <fuse_lowlevel.h>

#include <string>
#include <vector>

namespace hubfs {

class FuseSession {
public:
    // args: libfuse options such as {"-o", "max_read=1048576"}. Throws std::runtime_error.
    FuseSession(const fuse_lowlevel_ops& ops, void* userdata, const std::vector<std::string>& args);
    ~FuseSession();
    FuseSession(const FuseSession&) = delete;
    FuseSession& operator=(const FuseSession&) = delete;

    void mount(const std::string& mountpoint);  // throws std::runtime_error
    // Lets go of the mount point, if still mounted (after the loop: nothing serves it any more).
    void unmount();
    // After mount: requests are read and replies written through `io` (on the same /dev/fuse,
    // which it returns). Throws std::runtime_error.
    int use_custom_io(const fuse_custom_io& io);
    // Serves requests on several threads until unmounted or a signal asks to stop.
    int loop(unsigned max_threads);
    fuse_session* get() const { return se_; }

private:
    fuse_session* se_ = nullptr;
    bool mounted_ = false;
    bool signals_ = false;
};

}  // namespace hubfs
