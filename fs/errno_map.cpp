#include "fs/errno_map.hpp"

#include <cerrno>
#include <exception>
#include <new>
#include <system_error>

#include "fs/common/log.hpp"
#include "fs/network_wait.hpp"
#include "fs/remote.hpp"

namespace hubfs::fs {

int errno_from_current_exception(const std::string& what) {
    try {
        throw;
    } catch (const WouldWait&) {
        throw;  // not a failure: the request is computed again where it may wait
    } catch (const FsError& e) {
        HUBFS_LOG(debug, "%s: %s", what.c_str(), e.what());
        return e.errnum;
    } catch (const RemoteError& e) {
        switch (e.kind) {
            case RemoteError::Kind::not_found:
                HUBFS_LOG(debug, "%s: %s", what.c_str(), e.what());
                return ENOENT;
            case RemoteError::Kind::access_denied:
                HUBFS_LOG(warn, "%s: access denied: %s", what.c_str(), e.what());
                return EACCES;
            case RemoteError::Kind::invalid:
                HUBFS_LOG(warn, "%s: %s", what.c_str(), e.what());
                return EINVAL;
            case RemoteError::Kind::conflict:
                HUBFS_LOG(warn, "%s: %s", what.c_str(), e.what());
                return ESTALE;
            case RemoteError::Kind::unavailable:
            case RemoteError::Kind::other:
                HUBFS_LOG(error, "%s: %s", what.c_str(), e.what());
                return EIO;
        }
    } catch (const std::system_error& e) {
        HUBFS_LOG(error, "%s: %s", what.c_str(), e.what());
        return e.code().category() == std::generic_category() || e.code().category() == std::system_category()
                   ? e.code().value()
                   : EIO;
    } catch (const std::bad_alloc&) {
        HUBFS_LOG(error, "%s: out of memory", what.c_str());
        return ENOMEM;
    } catch (const std::exception& e) {
        HUBFS_LOG(error, "%s: %s", what.c_str(), e.what());
        return EIO;
    } catch (...) {
        HUBFS_LOG(error, "%s: unknown failure", what.c_str());
        return EIO;
    }
    return EIO;
}

}  // namespace hubfs::fs
