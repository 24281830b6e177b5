#include "log.hpp"

#include <atomic>
#include <cstdarg>
#include <ctime>
#include <mutex>
#include <stdexcept>

namespace hubfs::log {
namespace {

// Process-wide logging settings: set once at start-up, read by every thread.
struct Sink {
    std::atomic<int> level{static_cast<int>(Level::info)};
    std::mutex mutex;
    FILE* file = nullptr;  // nullptr: stderr
};

Sink& sink() {
    static Sink s;
    return s;
}

const char* name_of(Level l) {
    switch (l) {
        case Level::debug: return "debug";
        case Level::info: return "info";
        case Level::warn: return "warn";
        case Level::error: return "error";
    }
    return "info";
}

}  // namespace

bool parse_level(const std::string& name, Level& out) {
    for (Level l : {Level::debug, Level::info, Level::warn, Level::error})
        if (name == name_of(l)) {
            out = l;
            return true;
        }
    return false;
}

void set_level(Level level) { sink().level = static_cast<int>(level); }

void set_file(const std::string& path) {
    FILE* f = std::fopen(path.c_str(), "a");
    if (!f) throw std::runtime_error("cannot open log file " + path);
    std::lock_guard lock(sink().mutex);
    if (sink().file) std::fclose(sink().file);
    sink().file = f;
}

bool enabled(Level level) { return static_cast<int>(level) >= sink().level.load(std::memory_order_relaxed); }

void write(Level level, const char* fmt, ...) {
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    std::vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    std::tm tm{};
    gmtime_r(&ts.tv_sec, &tm);
    char when[32];
    std::strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
    std::lock_guard lock(sink().mutex);
    FILE* out = sink().file ? sink().file : stderr;
    std::fprintf(out, "%s.%03ldZ hubfs %s: %s\n", when, ts.tv_nsec / 1000000, name_of(level), msg);
    std::fflush(out);
}

}  // namespace hubfs::log
