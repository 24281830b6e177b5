#include "status_report.hpp"

#include "network_report.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>

#include "mount_registry.hpp"

namespace hubfs {

std::string human_bytes(uint64_t bytes) {
    char buf[32];
    if (bytes < 1024) std::snprintf(buf, sizeof buf, "%llu B", static_cast<unsigned long long>(bytes));
    else if (bytes < (1ull << 20)) std::snprintf(buf, sizeof buf, "%.1f KiB", static_cast<double>(bytes) / 1024);
    else if (bytes < (1ull << 30)) std::snprintf(buf, sizeof buf, "%.1f MiB", static_cast<double>(bytes) / (1 << 20));
    else std::snprintf(buf, sizeof buf, "%.2f GiB", static_cast<double>(bytes) / (1ull << 30));
    return buf;
}

namespace {

uint64_t disk_use(const std::string& dir) {
    uint64_t total = 0;
    std::error_code ec;
    for (auto it = std::filesystem::recursive_directory_iterator(dir, ec); !ec && it != std::filesystem::end(it);
         it.increment(ec)) {
        struct stat st {};
        if (it->is_regular_file(ec) && ::stat(it->path().c_str(), &st) == 0) total += static_cast<uint64_t>(st.st_blocks) * 512;
    }
    return total;
}

std::string state_cell(const BranchStatus& b) {
    if (b.state == "uploading" && b.total) return "uploading " + human_bytes(b.uploaded) + " / " + human_bytes(b.total);
    return b.state;
}

}  // namespace

std::vector<BranchStatus> read_branch_status(const std::string& staging_dir) {
    std::vector<BranchStatus> out;
    if (staging_dir.empty()) return out;
    std::ifstream in(staging_dir + "/status");
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto j = nlohmann::json::parse(text, nullptr, false);
    if (!j.is_array()) return out;
    for (const auto& e : j) {
        if (!e.is_object()) continue;
        BranchStatus b;
        b.branch = e.value("branch", std::string());
        b.changes = e.value("changes", uint64_t{0});
        b.bytes = e.value("bytes", uint64_t{0});
        b.local = e.value("local", uint64_t{0});
        b.state = e.value("state", std::string());
        b.uploaded = e.value("uploaded", uint64_t{0});
        b.total = e.value("total", uint64_t{0});
        b.last = e.value("last", std::string());
        out.push_back(std::move(b));
    }
    return out;
}

std::string staged_summary(const std::string& staging_dir) {
    std::string out;
    for (const auto& b : read_branch_status(staging_dir)) {
        if (b.changes == 0) continue;
        out += "  " + b.branch + ": " + std::to_string(b.changes) + " changes (" + human_bytes(b.bytes) + "), " + state_cell(b);
        if (!b.last.empty()) out += "; last: " + b.last;
        out += "\n";
    }
    return out;
}

std::string format_table(const std::vector<std::vector<std::string>>& rows) {
    std::vector<size_t> width;
    for (const auto& row : rows)
        for (size_t i = 0; i < row.size(); ++i) {
            if (width.size() <= i) width.push_back(0);
            width[i] = std::max(width[i], row[i].size());
        }
    std::string out;
    for (const auto& row : rows) {
        std::string line;
        for (size_t i = 0; i < row.size(); ++i) {
            line += row[i];
            if (i + 1 < row.size()) line += std::string(width[i] - row[i].size() + 2, ' ');
        }
        while (!line.empty() && line.back() == ' ') line.pop_back();
        out += line + "\n";
    }
    return out;
}

int run_status(bool json) {
    auto mounts = running_mounts();
    if (json) {
        nlohmann::json out = nlohmann::json::array();
        for (const auto& m : mounts) {
            nlohmann::json branches = nlohmann::json::array();
            for (const auto& b : read_branch_status(m.staging_dir))
                branches.push_back({{"branch", b.branch}, {"changes", b.changes}, {"bytes", b.bytes}, {"local", b.local},
                                    {"state", b.state}, {"uploaded", b.uploaded}, {"total", b.total}, {"last", b.last}});
            out.push_back({{"pid", m.pid}, {"mountpoint", m.mountpoint}, {"endpoint", m.endpoint},
                           {"repo", m.repo}, {"cache_dir", m.cache_dir}, {"cache_bytes", disk_use(m.cache_dir + "/data")},
                           {"branches", branches}, {"network", network_report_of(m.cache_dir, m.pid)}});
        }
        std::printf("%s\n", out.dump(2).c_str());
        return 0;
    }
    if (mounts.empty()) {
        std::printf("no hubfs mounts\n");
        return 0;
    }
    std::vector<std::vector<std::string>> rows = {{"MOUNTPOINT", "PID", "CACHE", "ENDPOINT", "REPO"}};
    std::vector<std::vector<std::string>> staged = {{"MOUNTPOINT", "BRANCH", "CHANGES", "BYTES", "STATE", "LAST"}};
    for (const auto& m : mounts) {
        rows.push_back({m.mountpoint, std::to_string(m.pid), human_bytes(disk_use(m.cache_dir + "/data")), m.endpoint,
                        m.repo.empty() ? "-" : m.repo});
        for (const auto& b : read_branch_status(m.staging_dir))
            staged.push_back({m.mountpoint, b.branch, std::to_string(b.changes), human_bytes(b.bytes), state_cell(b),
                              b.last.empty() ? "-" : b.last});
    }
    std::fputs(format_table(rows).c_str(), stdout);
    if (staged.size() > 1) std::fputs(("\n" + format_table(staged)).c_str(), stdout);
    else std::printf("\nnothing staged\n");
    for (const auto& m : mounts) {  // what each mount waits for on the network, if anything
        std::string waits = network_report_of(m.cache_dir, m.pid);
        if (!waits.empty()) std::printf("\n%s waits for:\n%s", m.mountpoint.c_str(), waits.c_str());
    }
    return 0;
}

}  // namespace hubfs
