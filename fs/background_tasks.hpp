// Runs refreshes off the caller's thread (a FUSE thread must not wait for a slow Hub): each
// task gets its own thread; finished ones are joined as new ones start, the rest at
// destruction (by then the mount has cancelled its transfers, so none waits long).
#pragma once

#include <atomic>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <thread>

namespace hubfs::fs {

class BackgroundTasks {
public:
    BackgroundTasks() = default;
    ~BackgroundTasks() {
        std::list<Task> running;
        {
            std::lock_guard lock(mutex_);
            running.swap(tasks_);
        }
        for (auto& t : running) t.thread.join();
    }
    BackgroundTasks(const BackgroundTasks&) = delete;
    BackgroundTasks& operator=(const BackgroundTasks&) = delete;

    // `task` must not throw.
    void run(std::function<void()> task) {
        std::lock_guard lock(mutex_);
        for (auto it = tasks_.begin(); it != tasks_.end();) {
            if (!*it->done) {
                ++it;
                continue;
            }
            it->thread.join();
            it = tasks_.erase(it);
        }
        auto done = std::make_shared<std::atomic<bool>>(false);
        tasks_.push_back({std::thread([task = std::move(task), done] {
                              task();
                              *done = true;
                          }),
                          done});
    }

private:
    struct Task {
        std::thread thread;
        std::shared_ptr<std::atomic<bool>> done;
    };
    std::mutex mutex_;
    std::list<Task> tasks_;
};

}  // namespace hubfs::fs
