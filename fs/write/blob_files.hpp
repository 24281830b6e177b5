// The staged files' folder (<slot>/files/), with its file-system work off the request path: a
// background thread keeps a few new empty files ready for the next creates, and removes the files
// a commit or a change left behind. On this kind of disk an ext4 inode allocation costs ~0.2 ms
// and an unlink waits for its discard: a `cp -r` of small files paid the first per file, and the
// fsync of a commit the second per committed file. A crash leaves at most unreferenced files,
// which the next start sweeps (StagingArea::load).
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace hubfs::fs {

class BlobFiles {
public:
    // Starts the thread; `ready` files are kept made ahead.
    explicit BlobFiles(std::filesystem::path dir, size_t ready = 32);
    ~BlobFiles();  // removes what is queued and the ready files nothing took
    BlobFiles(const BlobFiles&) = delete;
    BlobFiles& operator=(const BlobFiles&) = delete;

    std::filesystem::path path(const std::string& name) const { return dir_ / name; }
    // A new empty file's name: a ready one, or one made now.
    std::string make();
    // Removes the file soon (the caller no longer uses the name).
    void remove(const std::string& name);
    // Waits until every removal asked for so far is done.
    void settle();

private:
    std::string make_now() const;
    void run();

    const std::filesystem::path dir_;
    const size_t ready_target_;
    std::mutex mutex_;
    mutable std::mutex create_mutex_;  // held by make_now()
    std::condition_variable wake_, settled_;
    std::deque<std::string> ready_;
    std::vector<std::string> doomed_;
    bool removing_ = false;  // the thread holds removals taken from doomed_
    bool stopping_ = false;
    std::thread thread_;
};

}  // namespace hubfs::fs
