#include "fs/write/blob_files.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <random>
#include <system_error>

#include "fs/common/log.hpp"

namespace hubfs::fs {
namespace {

std::string random_name() {
    static thread_local std::mt19937_64 rng{std::random_device{}()};
    char buf[33];
    std::snprintf(buf, sizeof buf, "%016llx%016llx", static_cast<unsigned long long>(rng()),
                  static_cast<unsigned long long>(rng()));
    return buf;
}

}  // namespace

BlobFiles::BlobFiles(std::filesystem::path dir, size_t ready) : dir_(std::move(dir)), ready_target_(ready) {
    thread_ = std::thread([this] { run(); });
}

BlobFiles::~BlobFiles() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    settled_.notify_all();
    thread_.join();
    std::error_code ec;
    for (const auto& name : doomed_) std::filesystem::remove(path(name), ec);
    for (const auto& name : ready_) std::filesystem::remove(path(name), ec);
}

std::string BlobFiles::make_now() const {
    // One create at a time: each takes the folder's lock, and the kernel lets a thread that
    // waits for it spin while the holder allocates an inode (up to ~1 ms on a disk that frees
    // many: 14-19% of the daemon's CPU during a `cp -r` went there). A mutex's waiters sleep.
    std::lock_guard one_at_a_time(create_mutex_);
    for (;;) {
        std::string name = random_name();
        int fd = ::open(path(name).c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600);
        if (fd >= 0) {
            ::close(fd);
            return name;
        }
        if (errno != EEXIST) throw std::system_error(errno, std::generic_category(), "create staged file");
    }
}

std::string BlobFiles::make() {
    {
        std::lock_guard lock(mutex_);
        if (!ready_.empty()) {
            std::string name = std::move(ready_.front());
            ready_.pop_front();
            wake_.notify_all();  // make another
            return name;
        }
    }
    wake_.notify_all();
    return make_now();
}

void BlobFiles::remove(const std::string& name) {
    if (name.empty()) return;
    {
        std::lock_guard lock(mutex_);
        doomed_.push_back(name);
    }
    wake_.notify_all();
}

void BlobFiles::settle() {
    std::unique_lock lock(mutex_);
    settled_.wait(lock, [&] { return (doomed_.empty() && !removing_) || stopping_; });
}

void BlobFiles::run() {
    std::unique_lock lock(mutex_);
    for (;;) {
        wake_.wait(lock, [&] { return stopping_ || !doomed_.empty() || ready_.size() < ready_target_; });
        if (stopping_) return;
        if (!doomed_.empty()) {  // removals first: they hold disk space
            std::vector<std::string> now;
            now.swap(doomed_);
            removing_ = true;
            lock.unlock();
            std::error_code ec;
            for (const auto& name : now) std::filesystem::remove(path(name), ec);
            lock.lock();
            removing_ = false;
            settled_.notify_all();
            continue;
        }
        lock.unlock();
        std::string name;
        try {
            name = make_now();
        } catch (const std::exception& e) {
            HUBFS_LOG(warn, "staging: cannot make a staged file ahead: %s", e.what());
            lock.lock();
            wake_.wait_for(lock, std::chrono::seconds(1), [&] { return stopping_ || !doomed_.empty(); });
            continue;
        }
        lock.lock();
        ready_.push_back(std::move(name));
    }
}

}  // namespace hubfs::fs
