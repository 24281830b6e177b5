// The operations of a commit (Python CommitOperationAdd / Delete / Copy).
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <variant>

namespace hubfs::api {

struct CommitOperationAdd {
    std::string path_in_repo;
    // The new content: bytes held in memory, or a file read (streamed) at upload time.
    std::variant<std::string, std::filesystem::path> content;
    // A file's size and sha256 the caller computed already (hubfs hashes staged files as they
    // are written): the commit does not read the file to hash it. Ignored when the size differs.
    struct Known {
        uint64_t size = 0;
        std::string sha256;
    };
    std::optional<Known> known{};

    static CommitOperationAdd from_bytes(std::string path_in_repo, std::string bytes) {
        return {std::move(path_in_repo), std::move(bytes)};
    }
    static CommitOperationAdd from_file(std::string path_in_repo, std::filesystem::path file) {
        return {std::move(path_in_repo), std::move(file)};
    }
};

struct CommitOperationDelete {
    std::string path_in_repo;
    bool is_folder = false;  // deletes everything under path_in_repo
};

struct CommitOperationCopy {
    std::string src_path_in_repo;
    std::string path_in_repo;
    std::optional<std::string> src_revision{};  // default: the commit's revision
};

using CommitOperation = std::variant<CommitOperationAdd, CommitOperationDelete, CommitOperationCopy>;

}  // namespace hubfs::api
