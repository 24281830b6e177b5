#include "emulation.hpp"

#include <poll.h>
#include <regex.h>

#include <sstream>
#include <stdexcept>

namespace localhub {
namespace {

double parse_share(const std::string& key, const std::string& value) {
    size_t used = 0;
    double v = std::stod(value, &used);
    if (used != value.size() || v < 0 || v > 1)
        throw std::invalid_argument("--fault " + key + " must be a share between 0 and 1");
    return v;
}

uint64_t parse_count(const std::string& key, const std::string& value) {
    size_t used = 0;
    if (value.empty() || value[0] == '-') throw std::invalid_argument("--fault " + key + " must be a whole number");
    unsigned long long v = std::stoull(value, &used);
    if (used != value.size()) throw std::invalid_argument("--fault " + key + " must be a whole number");
    return v;
}

// The client hung up, or our side was shut down (stop): nothing more to send.
bool peer_gone(int fd) {
    pollfd p{fd, POLLRDHUP, 0};
    int n = ::poll(&p, 1, 0);
    return n > 0 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL));
}

}  // namespace

FaultSpec FaultSpec::parse(const std::string& spec) {
    FaultSpec out;
    std::stringstream in(spec);
    std::string item;
    while (std::getline(in, item, ',')) {
        if (item.empty()) continue;
        auto eq = item.find('=');
        if (eq == std::string::npos) throw std::invalid_argument("--fault item '" + item + "' is not key=value");
        std::string key = item.substr(0, eq), value = item.substr(eq + 1);
        try {
            if (key == "seed") out.seed = parse_count(key, value);
            else if (key == "reset") out.reset_share = parse_share(key, value);
            else if (key == "reset-after") out.reset_after = parse_count(key, value);
            else if (key == "500") out.share_500 = parse_share(key, value);
            else if (key == "503") out.share_503 = parse_share(key, value);
            else if (key == "429") out.share_429 = parse_share(key, value);
            else if (key == "retry-after") out.retry_after_s = static_cast<int>(parse_count(key, value));
            else if (key == "max") out.max_faults = parse_count(key, value);
            else if (key == "stall") out.stall_share = parse_share(key, value);
            else if (key == "stall-body") out.stall_body_share = parse_share(key, value);
            else if (key == "stall-after") out.stall_after = parse_count(key, value);
            else if (key == "slow") out.slow_share = parse_share(key, value);
            else if (key == "slow-rate") out.slow_rate = std::max<uint64_t>(1, parse_count(key, value));
            else if (key == "close") out.close_share = parse_share(key, value);
            else if (key == "close-after") out.close_after = parse_count(key, value);
            else if (key == "armed") out.armed = parse_count(key, value) != 0;
            else if (key == "host") {
                if (value != "api" && value != "blob" && value != "any")
                    throw std::invalid_argument("--fault host must be api, blob or any");
                out.host = value;
            } else throw std::invalid_argument("--fault: unknown key '" + key + "'");
        } catch (const std::invalid_argument&) {
            throw;
        } catch (const std::exception&) {
            throw std::invalid_argument("--fault: bad value for '" + key + "'");
        }
    }
    return out;
}

const char* BodyPlan::name() const {
    switch (kind) {
        case BodyFault::none: return "";
        case BodyFault::reset: return "reset";
        case BodyFault::stall: return "stall-body";
        case BodyFault::slow: return "slow";
        case BodyFault::close: return "close";
    }
    return "";
}

// POSIX regex (not std::regex: smaller, and free of GCC 12's false warnings under sanitizers).
struct FaultInjector::PathFilter {
    regex_t re;
    explicit PathFilter(const std::string& pattern) {
        if (int e = ::regcomp(&re, pattern.c_str(), REG_EXTENDED | REG_NOSUB); e != 0) {
            char why[256];
            ::regerror(e, &re, why, sizeof why);
            throw std::invalid_argument("--fault-paths: not a regular expression: " + std::string(why));
        }
    }
    ~PathFilter() { ::regfree(&re); }
    PathFilter(const PathFilter&) = delete;
    PathFilter& operator=(const PathFilter&) = delete;
    bool search(const std::string& s) const { return ::regexec(&re, s.c_str(), 0, nullptr, 0) == 0; }
};

FaultInjector::FaultInjector(FaultSpec spec) : spec_(spec), rng_(spec.seed), armed_(spec.armed) {
    if (!spec_.paths.empty()) paths_ = std::make_unique<PathFilter>(spec_.paths);
}

FaultInjector::~FaultInjector() = default;

bool FaultInjector::applies(const std::string& listener, const std::string& raw_path) const {
    if (spec_.host != "any" && spec_.host != listener) return false;
    return !paths_ || paths_->search(raw_path);
}

bool FaultInjector::draw(double share) {
    if (share <= 0 || !armed_) return false;
    if (spec_.max_faults && injected_ >= *spec_.max_faults) return false;
    bool hit = std::uniform_real_distribution<double>(0, 1)(rng_) < share;
    if (hit) ++injected_;
    return hit;
}

std::optional<int> FaultInjector::draw_status() {
    std::lock_guard lock(mutex_);
    if (draw(spec_.share_429)) return 429;
    if (draw(spec_.share_503)) return 503;
    if (draw(spec_.share_500)) return 500;
    return std::nullopt;
}

bool FaultInjector::draw_stall() {
    std::lock_guard lock(mutex_);
    return draw(spec_.stall_share);
}

BodyPlan FaultInjector::draw_body(const std::string& listener, const std::string& method, int status) {
    std::lock_guard lock(mutex_);
    if (listener == "blob" && method == "GET" && (status == 200 || status == 206) && draw(spec_.reset_share))
        return {BodyFault::reset, spec_.reset_after, 0};
    if (draw(spec_.stall_body_share)) return {BodyFault::stall, spec_.stall_after, 0};
    if (draw(spec_.slow_share)) return {BodyFault::slow, 0, spec_.slow_rate};
    if (draw(spec_.close_share)) return {BodyFault::close, spec_.close_after, 0};
    return {};
}

void FaultInjector::set_armed(bool armed) {
    {
        std::lock_guard lock(mutex_);
        armed_ = armed;
    }
    changed_.notify_all();
}

bool FaultInjector::armed() const {
    std::lock_guard lock(mutex_);
    return armed_;
}

bool FaultInjector::hold(int fd) {
    std::unique_lock lock(mutex_);
    while (armed_) {
        // Wakes now and then to notice a client that hung up, or a shutdown by stop().
        changed_.wait_for(lock, std::chrono::milliseconds(200));
        if (armed_ && peer_gone(fd)) return false;
    }
    return !peer_gone(fd);
}

void FaultInjector::pause(std::chrono::steady_clock::duration d) {
    std::unique_lock lock(mutex_);
    changed_.wait_for(lock, d, [this] { return !armed_; });
}

}  // namespace localhub
