// Uploads LFS objects before a commit: the git-lfs batch call, then basic (one PUT) or
// multipart (PUT per part, then a completion POST) transfers, several in flight.
#pragma once

#include "http_client.hpp"
#include "upload_source.hpp"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace hubfs::api {

struct LfsUploadRequest {
    std::string batch_url;                // {endpoint}/{prefix}{repo}.git/info/lfs/objects/batch
    std::optional<std::string> ref_name;  // the target branch; nullopt when opening a PR
    int max_in_flight = 4;
    // Called (from upload threads) with the byte count of each object or part once it is sent.
    std::function<void(uint64_t bytes)> on_sent{};
};

// Returns how many objects were actually sent (the others were already on the Hub).
size_t upload_lfs_objects(HttpClient& http, const LfsUploadRequest& request,
                          const std::vector<const UploadSource*>& sources);

}  // namespace hubfs::api
