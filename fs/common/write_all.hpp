// Writes all of a buffer at an offset of a file, through short writes and EINTR.
#pragma once

#include <sys/types.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <string_view>
#include <system_error>

namespace hubfs {

// Throws std::system_error (`what` names the operation) on the first failing pwrite.
inline void write_all(int fd, std::string_view data, uint64_t offset, const char* what) {
    size_t done = 0;
    while (done < data.size()) {
        ssize_t n = ::pwrite(fd, data.data() + done, data.size() - done, static_cast<off_t>(offset + done));
        if (n < 0) {
            if (errno == EINTR) continue;
            throw std::system_error(errno, std::generic_category(), what);
        }
        done += static_cast<size_t>(n);
    }
}

}  // namespace hubfs
