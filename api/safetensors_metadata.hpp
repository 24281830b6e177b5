// The header of a .safetensors file, read with ranged GETs (get_safetensors_metadata).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace hubfs::api {

struct TensorInfo {
    std::string dtype;
    std::vector<uint64_t> shape;
    uint64_t data_begin = 0;
    uint64_t data_end = 0;
    uint64_t parameter_count() const;
};

struct SafetensorsFileMetadata {
    std::map<std::string, std::string> metadata;  // "__metadata__"
    std::map<std::string, TensorInfo> tensors;
    std::map<std::string, uint64_t> parameter_count() const;  // per dtype
};

struct SafetensorsRepoMetadata {
    bool sharded = false;
    std::map<std::string, std::string> metadata;       // of model.safetensors.index.json
    std::map<std::string, std::string> weight_map;     // tensor -> file
    std::map<std::string, SafetensorsFileMetadata> files_metadata;
    std::map<std::string, uint64_t> parameter_count() const;
};

// Parses the JSON header of a safetensors file (the bytes after the 8-byte length).
SafetensorsFileMetadata parse_safetensors_header(const std::string& header_json);

}  // namespace hubfs::api
