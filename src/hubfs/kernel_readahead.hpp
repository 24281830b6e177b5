// How far the kernel reads ahead of a reader of the mount. Linux gives a FUSE mount 128 KiB
// (its bdi's read_ahead_kb), so a sequential reader sends the daemon one small read at a time
// and waits for each. A larger value lets the kernel keep several max_read-sized reads in flight
// (FUSE_CAP_ASYNC_READ), which the daemon answers in parallel: from the disk cache, reads that
// were one after another become concurrent. Random reads are unaffected (the kernel reads ahead
// only for sequential access); memory-mapped faults read around a fault by half of it.
#pragma once

#include <optional>
#include <string>

namespace hubfs {

// The "major:minor" device of the mount at mountpoint, from /proc/self/mountinfo (no stat: the
// caller may be the daemon itself before its loop runs, and a stat would wait on it).
std::optional<std::string> mount_device(const std::string& mountpoint);

// Raises the mount's read_ahead_kb to at least kib. Best effort: false if sysfs says no
// (not root, no bdi shown); the mount works either way.
bool raise_kernel_readahead(const std::string& mountpoint, unsigned kib);

}  // namespace hubfs
