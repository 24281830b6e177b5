#include "upload_progress.hpp"

#include "status_report.hpp"

namespace hubfs {

std::string UploadProgress::poll() {
    auto now = Clock::now();
    if (now - last_said_ < std::chrono::seconds(3)) return "";
    std::string out;
    for (const auto& b : read_branch_status(staging_dir_)) {
        if (b.state != "uploading" || b.total == 0) continue;
        auto [it, fresh] = first_.try_emplace(b.branch, Seen{now, b.uploaded});
        std::string line = "hubfs: committing " + b.branch + ": " + human_bytes(b.uploaded) + " / " + human_bytes(b.total) + " sent";
        double seconds = std::chrono::duration<double>(now - it->second.at).count();
        if (!fresh && seconds > 0.5 && b.uploaded > it->second.bytes) {
            double rate = static_cast<double>(b.uploaded - it->second.bytes) / seconds;
            line += ", about " + std::to_string(static_cast<long long>(static_cast<double>(b.total - b.uploaded) / rate) + 1) + " s left";
        }
        out += line + "\n";
    }
    if (!out.empty()) last_said_ = now;
    return out;
}

}  // namespace hubfs
