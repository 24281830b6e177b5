// The one place where failures become errno values (and a log line).
#pragma once

#include <cerrno>
#include <stdexcept>
#include <string>
#include <system_error>

namespace hubfs::fs {

// A failure of the filesystem's own rules (a write to a tag, a rename across repositories...),
// with the errno it means.
struct FsError : std::runtime_error {
    FsError(int err, const std::string& what) : std::runtime_error(what), errnum(err) {}
    int errnum;
};

// A system call failed: throws its errno (errno_from_current_exception answers with it).
[[noreturn]] inline void fail_errno(const std::string& what) {
    throw std::system_error(errno, std::generic_category(), what);
}

// Call inside a catch block: maps the exception being handled to an errno and logs it,
// with `what` saying which operation failed. WouldWait (network_wait.hpp) is no failure: it
// is rethrown, so the operation is computed again where it may wait.
int errno_from_current_exception(const std::string& what);

}  // namespace hubfs::fs
