// HfApi: safetensors headers read with ranged GETs, never the tensors themselves.
#include "concurrent_tasks.hpp"
#include "errors.hpp"
#include "hf_api.hpp"
#include "hub_json.hpp"

#include <mutex>
#include <set>

namespace hubfs::api {

namespace {

constexpr uint64_t first_read = 100000;            // most headers fit: one request
constexpr uint64_t max_header_length = 25000000;   // as the Python client

uint64_t little_endian_u64(const std::string& bytes) {
    uint64_t value = 0;
    for (int i = 7; i >= 0; --i) value = (value << 8) | static_cast<unsigned char>(bytes[static_cast<size_t>(i)]);
    return value;
}

std::map<std::string, uint64_t> sum_counts(const std::map<std::string, TensorInfo>& tensors) {
    std::map<std::string, uint64_t> counts;
    for (const auto& [name, tensor] : tensors) counts[tensor.dtype] += tensor.parameter_count();
    return counts;
}

// A list of whole numbers, checked: a float or a negative (a hostile header) converted to
// uint64_t would be undefined behaviour (found by tests/fuzz).
std::vector<uint64_t> unsigned_list(const nlohmann::json& j, const std::string& tensor) {
    std::vector<uint64_t> out;
    if (!j.is_array()) throw InvalidResponseError(ErrorDetails{0, "bad numbers for tensor " + tensor, {}, {}});
    for (const auto& n : j) {
        if (!n.is_number_unsigned()) throw InvalidResponseError(ErrorDetails{0, "bad numbers for tensor " + tensor, {}, {}});
        out.push_back(n.get<uint64_t>());
    }
    return out;
}

}  // namespace

uint64_t TensorInfo::parameter_count() const {
    uint64_t count = 1;
    for (uint64_t dimension : shape) count *= dimension;
    return count;
}

std::map<std::string, uint64_t> SafetensorsFileMetadata::parameter_count() const { return sum_counts(tensors); }

std::map<std::string, uint64_t> SafetensorsRepoMetadata::parameter_count() const {
    std::map<std::string, uint64_t> counts;
    for (const auto& [file, metadata] : files_metadata)
        for (const auto& [dtype, count] : metadata.parameter_count()) counts[dtype] += count;
    return counts;
}

SafetensorsFileMetadata parse_safetensors_header(const std::string& header_json) {
    auto header = nlohmann::json::parse(header_json, nullptr, false);
    if (!header.is_object()) {
        throw InvalidResponseError(ErrorDetails{0, "safetensors header is not a JSON object", {}, {}});
    }
    SafetensorsFileMetadata metadata;
    for (const auto& [name, value] : header.items()) {
        if (name == "__metadata__") {
            for (const auto& [key, text] : value.items())
                if (text.is_string()) metadata.metadata[key] = text.get<std::string>();
            continue;
        }
        TensorInfo tensor;
        tensor.dtype = value.at("dtype").get<std::string>();
        tensor.shape = unsigned_list(value.at("shape"), name);
        auto offsets = unsigned_list(value.at("data_offsets"), name);
        if (offsets.size() != 2) throw InvalidResponseError(ErrorDetails{0, "bad data_offsets for " + name, {}, {}});
        tensor.data_begin = offsets[0];
        tensor.data_end = offsets[1];
        metadata.tensors.emplace(name, std::move(tensor));
    }
    return metadata;
}

SafetensorsFileMetadata HfApi::parse_safetensors_file_metadata(const Repo& repo, const std::string& filename,
                                                               const std::optional<std::string>& revision) {
    std::string url = hf_hub_url(repo, filename, revision);
    std::string start = download_range(url, 0, first_read);
    if (start.size() < 8) throw InvalidResponseError(ErrorDetails{0, filename + " is too short for safetensors", {}, url});
    uint64_t length = little_endian_u64(start);
    if (length > max_header_length)
        throw InvalidResponseError(ErrorDetails{0, filename + ": safetensors header too large", {}, url});
    std::string header = 8 + length <= start.size() ? start.substr(8, length) : download_range(url, 8, length);
    if (header.size() != length) throw InvalidResponseError(ErrorDetails{0, filename + ": truncated header", {}, url});
    return parse_safetensors_header(header);
}

SafetensorsRepoMetadata HfApi::get_safetensors_metadata(const Repo& repo, const std::optional<std::string>& revision) {
    SafetensorsRepoMetadata result;
    if (file_exists(repo, "model.safetensors", revision)) {
        auto file = parse_safetensors_file_metadata(repo, "model.safetensors", revision);
        for (const auto& [name, tensor] : file.tensors) result.weight_map[name] = "model.safetensors";
        result.files_metadata["model.safetensors"] = std::move(file);
        return result;
    }
    if (!file_exists(repo, "model.safetensors.index.json", revision)) {
        throw EntryNotFoundError(ErrorDetails{404, repo.id + " has neither model.safetensors nor "
                                                   "model.safetensors.index.json", {}, api_url(repo)});
    }
    result.sharded = true;
    auto index = parse_json_body(download_file(repo, "model.safetensors.index.json", revision), repo.id);
    if (auto it = index.find("metadata"); it != index.end() && it->is_object()) {
        for (const auto& [key, value] : it->items())
            result.metadata[key] = value.is_string() ? value.get<std::string>() : value.dump();
    }
    std::set<std::string> files;
    const nlohmann::json weight_map = index.value("weight_map", nlohmann::json::object());
    for (const auto& [tensor, file] : weight_map.items()) {
        result.weight_map[tensor] = file.get<std::string>();
        files.insert(file.get<std::string>());
    }
    std::mutex result_mutex;
    std::vector<std::function<void()>> reads;
    for (const auto& file : files) {
        reads.emplace_back([&, file] {
            auto metadata = parse_safetensors_file_metadata(repo, file, revision);
            std::lock_guard guard(result_mutex);
            result.files_metadata[file] = std::move(metadata);
        });
    }
    run_concurrently(reads, 8);
    return result;
}

}  // namespace hubfs::api
