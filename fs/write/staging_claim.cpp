#include "fs/write/staging_claim.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <system_error>

namespace hubfs::fs {
namespace {

constexpr int kMaxSlots = 64;

}  // namespace

StagingClaim::StagingClaim(const std::filesystem::path& staging_root) {
    std::filesystem::create_directories(staging_root);
    std::filesystem::permissions(staging_root, std::filesystem::perms::owner_all);
    for (int slot = 0; slot < kMaxSlots; ++slot) {
        auto lock_path = staging_root / (std::to_string(slot) + ".lock");
        UniqueFd fd(::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600));
        if (!fd) throw std::system_error(errno, std::generic_category(), "open " + lock_path.string());
        if (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
            if (errno == EWOULDBLOCK) continue;  // a live mount stages there
            throw std::system_error(errno, std::generic_category(), "lock " + lock_path.string());
        }
        // Who holds it, for people looking at the folder (the lock is what counts).
        std::string pid = std::to_string(::getpid()) + "\n";
        if (::ftruncate(fd.get(), 0) == 0) (void)!::pwrite(fd.get(), pid.data(), pid.size(), 0);
        dir_ = staging_root / std::to_string(slot);
        slot_ = slot;
        lock_ = std::move(fd);
        std::filesystem::create_directories(dir_);
        std::filesystem::permissions(dir_, std::filesystem::perms::owner_all);
        return;
    }
    throw std::runtime_error("all " + std::to_string(kMaxSlots) + " staging slots of " + staging_root.string() +
                             " are held by running mounts");
}

}  // namespace hubfs::fs
