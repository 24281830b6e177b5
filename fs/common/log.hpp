// Logging: one line per event, with a level, to stderr or a file. Never log a token.
#pragma once

#include <cstdio>
#include <string>

namespace hubfs::log {

enum class Level { debug = 0, info = 1, warn = 2, error = 3 };

// Parses "debug|info|warn|error"; false when unknown.
bool parse_level(const std::string& name, Level& out);
void set_level(Level level);
// Sends the log to a file (appending); throws std::runtime_error if it cannot be opened.
void set_file(const std::string& path);
bool enabled(Level level);
void write(Level level, const char* fmt, ...) __attribute__((format(printf, 2, 3)));

}  // namespace hubfs::log

#define HUBFS_LOG(level, ...)                                                        \
    do {                                                                             \
        if (::hubfs::log::enabled(::hubfs::log::Level::level))                       \
            ::hubfs::log::write(::hubfs::log::Level::level, __VA_ARGS__);           \
    } while (0)
