// The Git LFS batch request (POST .../info/lfs/objects/batch), checked: what lfs_batch needs of
// a client's JSON, and nothing a malformed body can make throw anything but a 400.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace localhub {

struct LfsBatchRequest {
    struct Object {
        std::string oid;     // as sent ("" when not a string)
        uint64_t size = 0;
        bool valid = false;  // a sha256 hex oid and an unsigned size
    };
    std::string operation;   // "upload" or "download"
    std::string ref;         // ref.name, "" when absent
    bool multipart = false;  // "multipart" among transfers
    std::vector<Object> objects;
};

// Throws HubError(400) for a body that is not a batch request.
LfsBatchRequest parse_lfs_batch(const nlohmann::json& body);

}  // namespace localhub
