#include "fs/fuse/kernel_invalidator.hpp"

namespace hubfs::fs {

void KernelInvalidator::attach(fuse_session* session) {
    std::lock_guard lock(mutex_);
    session_ = session;
    stopping_ = false;
    thread_ = std::thread([this] { run(); });
}

void KernelInvalidator::detach() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
        jobs_.clear();
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
    std::lock_guard lock(mutex_);
    session_ = nullptr;
}

void KernelInvalidator::entry(fuse_ino_t parent, const std::string& name) { push(Job{parent, name}); }

void KernelInvalidator::inode(fuse_ino_t ino) { push(Job{ino, {}}); }

void KernelInvalidator::push(Job job) {
    if (job.ino == 0) return;  // the kernel does not know it: nothing cached
    {
        std::lock_guard lock(mutex_);
        if (!session_ || stopping_) return;
        jobs_.push_back(std::move(job));
    }
    wake_.notify_one();
}

void KernelInvalidator::run() {
    std::unique_lock lock(mutex_);
    for (;;) {
        wake_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
        if (stopping_) return;
        Job job = std::move(jobs_.front());
        jobs_.pop_front();
        fuse_session* se = session_;
        lock.unlock();
        // Errors (ENOENT: the kernel already forgot it) change nothing.
        if (job.name.empty()) fuse_lowlevel_notify_inval_inode(se, job.ino, 0, 0);
        else fuse_lowlevel_notify_inval_entry(se, job.ino, job.name.c_str(), job.name.size());
        lock.lock();
    }
}

}  // namespace hubfs::fs
