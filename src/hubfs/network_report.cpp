#include "network_report.hpp"

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace hubfs {
namespace {

std::string report_path(const std::string& cache_dir, pid_t pid) {
    return cache_dir + "/requests." + std::to_string(pid);
}

}  // namespace

NetworkReport::NetworkReport(std::shared_ptr<api::HostHealth> health, std::string cache_dir,
                             std::function<size_t()> pending_reads)
    : health_(std::move(health)), path_(report_path(cache_dir, getpid())), pending_reads_(std::move(pending_reads)) {
    thread_ = std::thread([this] { run(); });
}

NetworkReport::~NetworkReport() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    thread_.join();
    std::error_code ec;
    std::filesystem::remove(path_, ec);
}

std::string NetworkReport::text() {
    std::ostringstream out;
    auto now = api::HostHealth::Clock::now();
    for (const auto& host : health_->down_hosts()) out << "down: " << host << "\n";
    size_t shown = 0;
    auto flights = health_->in_flight();
    for (const auto& r : flights) {
        if (++shown > 10) {
            out << "... and " << flights.size() - 10 << " more requests\n";
            break;
        }
        auto age = std::chrono::duration_cast<std::chrono::milliseconds>(now - r.since).count();
        char line[64];
        std::snprintf(line, sizeof line, "in flight %6.1f s ", static_cast<double>(age) / 1000);
        out << line << r.origin << " " << r.what << "\n";
    }
    if (size_t n = pending_reads_ ? pending_reads_() : 0) out << "requests waiting for the network: " << n << "\n";
    return out.str();
}

void NetworkReport::run() {
    std::unique_lock lock(mutex_);
    while (!stopping_) {
        lock.unlock();
        std::string body = text();
        std::string tmp = path_ + ".tmp";
        {
            std::ofstream f(tmp, std::ios::trunc);
            f << body;
        }
        std::error_code ec;
        std::filesystem::rename(tmp, path_, ec);
        lock.lock();
        wake_.wait_for(lock, std::chrono::seconds(1), [this] { return stopping_; });
    }
}

std::string network_report_of(const std::string& cache_dir, pid_t pid) {
    if (cache_dir.empty()) return "";
    std::ifstream in(report_path(cache_dir, pid));
    std::string text, line;
    while (std::getline(in, line)) text += "  " + line + "\n";
    return text;
}

}  // namespace hubfs
