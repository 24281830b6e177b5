// HfApi: downloads into the standard Hugging Face cache, so files fetched by hubfs are shared
// with the Python and JS clients: {cache}/{models|datasets|spaces}--ns--name/
//   blobs/<etag>               the bytes, once per content
//   refs/<revision>            the commit a branch or tag pointed to
//   snapshots/<commit>/<path>  relative symlinks into blobs/
#include "concurrent_tasks.hpp"
#include "errors.hpp"
#include "file_lock.hpp"
#include "hf_api.hpp"
#include "digest.hpp"

#include <fstream>
#include <algorithm>
#include <system_error>

namespace hubfs::api {

namespace fs = std::filesystem;

namespace {

bool is_lower_hex(const std::string& text, size_t length) {
    return text.size() == length &&
           std::all_of(text.begin(), text.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

bool is_commit_hash(const std::string& revision) { return is_lower_hex(revision, 40); }
bool is_sha256(const std::string& etag) { return is_lower_hex(etag, 64); }

std::string repo_folder_name(const Repo& repo) {
    std::string name = std::string(to_string(repo.type)) + "s--" + repo.id;
    for (size_t pos = 0; (pos = name.find('/', pos)) != std::string::npos; pos += 2) name.replace(pos, 1, "--");
    return name;
}

fs::path repo_folder(const fs::path& cache, const Repo& repo) { return cache / repo_folder_name(repo); }

std::optional<std::string> read_ref(const fs::path& folder, const std::string& revision) {
    std::ifstream in(folder / "refs" / revision);
    std::string commit;
    if (!(in >> commit)) return std::nullopt;
    return commit;
}

void write_ref(const fs::path& folder, const std::string& revision, const std::string& commit) {
    fs::path ref = folder / "refs" / revision;
    fs::create_directories(ref.parent_path());
    fs::path temporary = ref;
    temporary += ".tmp";
    {
        std::ofstream out(temporary, std::ios::trunc);
        out << commit;
        if (!out) throw std::runtime_error("cannot write " + temporary.string());
    }
    fs::rename(temporary, ref);
}

// Makes `pointer` a relative symlink to `blob` (replacing what was there).
void link_snapshot(const fs::path& pointer, const fs::path& blob) {
    fs::create_directories(pointer.parent_path());
    fs::path target = fs::relative(blob, pointer.parent_path());
    fs::path temporary = pointer;
    temporary += ".tmp-link";
    std::error_code ignored;
    fs::remove(temporary, ignored);
    fs::create_symlink(target, temporary);
    fs::rename(temporary, pointer);
}

}  // namespace

fs::path HfApi::hf_hub_download(const Repo& repo, const std::string& filename,
                                const std::optional<std::string>& revision,
                                const std::optional<fs::path>& cache_dir) {
    const fs::path cache = cache_dir.value_or(fs::path(config().cache_dir));
    const fs::path folder = repo_folder(cache, repo);
    const std::string rev = revision.value_or("main");

    // A commit never changes: a cached file at a commit needs no network at all.
    if (is_commit_hash(rev) && fs::exists(folder / "snapshots" / rev / filename))
        return folder / "snapshots" / rev / filename;
    if (config().offline) {
        if (auto commit = read_ref(folder, rev); commit && fs::exists(folder / "snapshots" / *commit / filename))
            return folder / "snapshots" / *commit / filename;
        throw OfflineError(ErrorDetails{0, filename + " is not in the cache and HF_HUB_OFFLINE is set", {}, {}});
    }

    HfFileMetadata metadata = get_hf_file_metadata(hf_hub_url(repo, filename, rev));
    if (rev != metadata.commit_hash) write_ref(folder, rev, metadata.commit_hash);
    fs::path pointer = folder / "snapshots" / metadata.commit_hash / filename;
    fs::path blob = folder / "blobs" / metadata.etag;
    if (fs::exists(pointer) && fs::exists(blob)) return pointer;

    // Two paths with the same content share a blob: one writer at a time, across processes.
    FileLock lock(cache / ".locks" / repo_folder_name(repo) / (metadata.etag + ".lock"));
    if (!fs::exists(blob)) {
        fs::create_directories(blob.parent_path());
        fs::path partial = blob;
        partial += ".incomplete";
        // A previous interrupted download is resumed, not restarted.
        uint64_t have = fs::exists(partial) ? fs::file_size(partial) : 0;
        if (have > metadata.size) {
            fs::remove(partial);
            have = 0;
        }
        const bool verify_sha = is_sha256(metadata.etag);
        Sha256 hasher;
        if (verify_sha && have > 0) {
            std::ifstream existing(partial, std::ios::binary);
            std::string buffer(1 << 20, '\0');
            while (existing.read(buffer.data(), static_cast<std::streamsize>(buffer.size())) || existing.gcount() > 0)
                hasher.update(std::string_view(buffer.data(), static_cast<size_t>(existing.gcount())));
        }
        {
            std::ofstream out(partial, std::ios::binary | std::ios::app);
            if (!out) throw std::runtime_error("cannot write " + partial.string());
            download_to_sink(metadata.location, have, metadata.size - have, [&](std::string_view chunk) {
                out.write(chunk.data(), static_cast<std::streamsize>(chunk.size()));
                if (!out) throw std::runtime_error("cannot write " + partial.string());
                if (verify_sha) hasher.update(chunk);
            });
        }
        uint64_t got = fs::file_size(partial);
        if (got != metadata.size || (verify_sha && hasher.hex_digest() != metadata.etag)) {
            fs::remove(partial);
            throw InvalidResponseError(ErrorDetails{0, "consistency check failed for " + filename + ": expected " +
                                                           std::to_string(metadata.size) + " bytes, got " +
                                                           std::to_string(got) + " or a different sha256",
                                                    {}, metadata.location.substr(0, metadata.location.find('?'))});
        }
        fs::rename(partial, blob);
    }
    link_snapshot(pointer, blob);
    return pointer;
}

fs::path HfApi::snapshot_download(const Repo& repo, const std::optional<std::string>& revision,
                                  const std::optional<fs::path>& cache_dir) {
    const fs::path cache = cache_dir.value_or(fs::path(config().cache_dir));
    const fs::path folder = repo_folder(cache, repo);
    const std::string rev = revision.value_or("main");
    if (config().offline) {
        std::optional<std::string> commit = is_commit_hash(rev) ? std::optional(rev) : read_ref(folder, rev);
        if (commit && fs::exists(folder / "snapshots" / *commit)) return folder / "snapshots" / *commit;
        throw OfflineError(ErrorDetails{0, repo.id + " is not in the cache and HF_HUB_OFFLINE is set", {}, {}});
    }
    RepoInfo info = repo_info(repo, rev);
    if (!info.sha) throw InvalidResponseError(ErrorDetails{0, "repo info without sha", {}, api_url(repo)});
    const std::string commit = *info.sha;
    if (rev != commit) write_ref(folder, rev, commit);
    std::vector<std::string> files = list_repo_files(repo, commit);
    std::vector<std::function<void()>> downloads;
    for (const auto& file : files) {
        downloads.emplace_back([this, &repo, &commit, &cache, file] { hf_hub_download(repo, file, commit, cache); });
    }
    run_concurrently(downloads, 8);
    fs::create_directories(folder / "snapshots" / commit);
    return folder / "snapshots" / commit;
}

}  // namespace hubfs::api
