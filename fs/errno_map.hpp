// The one place where failures become errno values (and a log line).
#pragma once

#include <stdexcept>
#include <string>

namespace hubfs::fs {

// A failure of the filesystem's own rules (a write to a tag, a rename across repositories...),
// with the errno it means.
struct FsError : std::runtime_error {
    FsError(int err, const std::string& what) : std::runtime_error(what), errnum(err) {}
    int errnum;
};

// Call inside a catch block: maps the exception being handled to an errno and logs it,
// with `what` saying which operation failed. WouldWait (network_wait.hpp) is no failure: it
// is rethrown, so the operation is computed again where it may wait.
int errno_from_current_exception(const std::string& what);

}  // namespace hubfs::fs
