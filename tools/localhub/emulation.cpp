#include "emulation.hpp"

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
    unsigned long long v = std::stoull(value, &used);
    if (used != value.size()) throw std::invalid_argument("--fault " + key + " must be a whole number");
    return v;
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
            else throw std::invalid_argument("--fault: unknown key '" + key + "'");
        } catch (const std::invalid_argument&) {
            throw;
        } catch (const std::exception&) {
            throw std::invalid_argument("--fault: bad value for '" + key + "'");
        }
    }
    return out;
}

FaultInjector::FaultInjector(FaultSpec spec) : spec_(spec), rng_(spec.seed) {}

bool FaultInjector::draw(double share) {
    if (share <= 0) return false;
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

std::optional<uint64_t> FaultInjector::draw_reset() {
    std::lock_guard lock(mutex_);
    if (draw(spec_.reset_share)) return spec_.reset_after;
    return std::nullopt;
}

}  // namespace localhub
