#include "fuse_session.hpp"

#include <memory>
#include <stdexcept>

// With FUSE_USE_VERSION 35, fuse_session_loop_mt is the 3.2 entry point, which reads its argument
// as the old two-field config: a config from fuse_loop_cfg_create() there means clone_fd on and
// max_idle_threads 0, so libfuse started (and ended) a thread, with its own /dev/fuse, for almost
// every request (7 per file of a `cp -r`), and ignored max_threads. The 3.12 entry point (exported
// by libfuse >= 3.12) takes the config as made.
extern "C" int fuse_session_loop_mt_312(struct fuse_session* se, struct fuse_loop_config* config);

namespace hubfs {

FuseSession::FuseSession(const fuse_lowlevel_ops& ops, void* userdata, const std::vector<std::string>& args) {
    std::vector<std::string> all{"hubfs"};
    all.insert(all.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : all) argv.push_back(a.data());
    fuse_args fargs = FUSE_ARGS_INIT(static_cast<int>(argv.size()), argv.data());
    se_ = fuse_session_new(&fargs, &ops, sizeof ops, userdata);
    fuse_opt_free_args(&fargs);
    if (!se_) throw std::runtime_error("cannot create the FUSE session (bad options?)");
}

FuseSession::~FuseSession() {
    if (signals_) fuse_remove_signal_handlers(se_);
    unmount();
    fuse_session_destroy(se_);
}

void FuseSession::unmount() {
    if (mounted_) fuse_session_unmount(se_);
    mounted_ = false;
}

void FuseSession::mount(const std::string& mountpoint) {
    if (fuse_session_mount(se_, mountpoint.c_str()) != 0)
        throw std::runtime_error("cannot mount on " + mountpoint + " (is /dev/fuse available, and are you root or is fusermount3 installed?)");
    mounted_ = true;
    if (fuse_set_signal_handlers(se_) == 0) signals_ = true;
}

int FuseSession::use_custom_io(const fuse_custom_io& io) {
    const int fd = fuse_session_fd(se_);
    if (fuse_session_custom_io(se_, &io, fd) != 0) throw std::runtime_error("libfuse refused the custom I/O hooks");
    return fd;
}

int FuseSession::loop(unsigned max_threads) {
    std::unique_ptr<fuse_loop_config, void (*)(fuse_loop_config*)> cfg(fuse_loop_cfg_create(), fuse_loop_cfg_destroy);
    fuse_loop_cfg_set_max_threads(cfg.get(), max_threads);
    fuse_loop_cfg_set_clone_fd(cfg.get(), 0);
    return fuse_session_loop_mt_312(se_, cfg.get());
}

}  // namespace hubfs
