// What `hubfs unmount` says while the mount it waits for uploads a commit: bytes sent, total
// and the time left at the rate seen so far, every few seconds (from the mount's status file).
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>

namespace hubfs {

class UploadProgress {
public:
    explicit UploadProgress(std::string staging_dir) : staging_dir_(std::move(staging_dir)) {}
    // Lines to print now, "" when there is nothing new to say.
    std::string poll();

private:
    using Clock = std::chrono::steady_clock;
    struct Seen {
        Clock::time_point at;
        uint64_t bytes = 0;
    };
    std::string staging_dir_;
    std::map<std::string, Seen> first_;  // per branch: when the upload was first seen, and how far
    Clock::time_point last_said_{};
};

}  // namespace hubfs
