#include "cron_schedule.hpp"

#include <cstdlib>
#include <sstream>

namespace localhub {
namespace {

struct Field {
    int lo, hi;
};
constexpr Field kFields[5] = {{0, 59}, {0, 23}, {1, 31}, {1, 12}, {0, 7}};

bool number(const std::string& s, int& out) {
    if (s.empty() || s.size() > 2) return false;
    for (char c : s)
        if (c < '0' || c > '9') return false;
    out = std::atoi(s.c_str());
    return true;
}

// One comma-separated item: "*", "N", "A-B", each optionally "/STEP".
bool parse_item(const std::string& item, Field f, std::vector<bool>& allowed) {
    std::string range = item;
    int step = 1;
    if (auto slash = item.find('/'); slash != std::string::npos) {
        range = item.substr(0, slash);
        if (!number(item.substr(slash + 1), step) || step == 0) return false;
    }
    int a, b;
    if (range == "*") {
        a = f.lo;
        b = f.hi;
    } else if (auto dash = range.find('-'); dash != std::string::npos) {
        if (!number(range.substr(0, dash), a) || !number(range.substr(dash + 1), b)) return false;
    } else {
        if (!number(range, a)) return false;
        b = item.find('/') != std::string::npos ? f.hi : a;
    }
    if (a < f.lo || b > f.hi || a > b) return false;
    for (int v = a; v <= b; v += step) allowed[v] = true;
    return true;
}

}  // namespace

std::optional<CronSchedule> CronSchedule::parse(const std::string& text) {
    static const std::pair<const char*, const char*> kMacros[] = {
        {"@hourly", "0 * * * *"}, {"@daily", "0 0 * * *"},   {"@midnight", "0 0 * * *"}, {"@weekly", "0 0 * * 0"},
        {"@monthly", "0 0 1 * *"}, {"@yearly", "0 0 1 1 *"}, {"@annually", "0 0 1 1 *"}};
    std::string spec = text;
    for (const auto& [name, expansion] : kMacros)
        if (text == name) spec = expansion;
    std::istringstream in(spec);
    std::vector<std::string> parts;
    for (std::string p; in >> p;) parts.push_back(p);
    if (parts.size() != 5) return std::nullopt;
    CronSchedule s;
    for (int f = 0; f < 5; ++f) {
        std::vector<bool> allowed(kFields[f].hi + 1, false);
        std::string item;
        std::istringstream items(parts[f]);
        bool any = false;
        while (std::getline(items, item, ',')) {
            if (!parse_item(item, kFields[f], allowed)) return std::nullopt;
            any = true;
        }
        if (!any) return std::nullopt;
        if (f == 4 && allowed[7]) allowed[0] = true;  // 7 is Sunday too
        s.allowed_.push_back(std::move(allowed));
    }
    s.dom_star_ = parts[2] == "*";
    s.dow_star_ = parts[4] == "*";
    return s;
}

bool CronSchedule::matches(const std::tm& t) const {
    if (!allowed_[0][t.tm_min] || !allowed_[1][t.tm_hour] || !allowed_[3][t.tm_mon + 1]) return false;
    bool dom = allowed_[2][t.tm_mday], dow = allowed_[4][t.tm_wday];
    // Classic cron: when both day fields are restricted, either one matching is enough.
    if (!dom_star_ && !dow_star_) return dom || dow;
    return dom && dow;
}

}  // namespace localhub
