// Tells the kernel to forget names and attributes it caches, from a thread of its own: a
// notification sent from a thread that serves requests can deadlock on locks the kernel holds
// for that very request (see DESIGN.md, "FUSE invalidation deadlocks").
#pragma once

#define FUSE_USE_VERSION 35
#include <fuse_lowlevel.h>

#include <condition_variable>
#include <deque>
#include <mutex>
#include <string>
#include <thread>

namespace hubfs::fs {

class KernelInvalidator {
public:
    KernelInvalidator() = default;
    ~KernelInvalidator() { detach(); }
    KernelInvalidator(const KernelInvalidator&) = delete;
    KernelInvalidator& operator=(const KernelInvalidator&) = delete;

    void attach(fuse_session* session);  // starts the thread
    void detach();                       // before the session goes: drops what is queued
    void entry(fuse_ino_t parent, const std::string& name);  // no-op before attach
    void inode(fuse_ino_t ino);

private:
    struct Job {
        fuse_ino_t ino = 0;
        std::string name;  // empty: the inode's attributes and pages
    };
    void push(Job job);
    void run();

    std::mutex mutex_;
    std::condition_variable wake_;
    std::deque<Job> jobs_;
    fuse_session* session_ = nullptr;
    bool stopping_ = false;
    std::thread thread_;
};

}  // namespace hubfs::fs
