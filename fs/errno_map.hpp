// The one place where failures become errno values (and a log line).
#pragma once

#include <string>

namespace hubfs::fs {

// Call inside a catch block: maps the exception being handled to an errno and logs it,
// with `what` saying which operation failed.
int errno_from_current_exception(const std::string& what);

}  // namespace hubfs::fs
