// A bare git repository through libgit2: revisions, trees, blobs, commits and refs.
// One GitRepo per request and thread (libgit2 objects are not shared across threads).
#pragma once

#include <git2.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "lfs_pointer.hpp"

namespace localhub {

struct GitError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

template <class T, void (*Free)(T*)>
struct GitDeleter {
    void operator()(T* p) const { Free(p); }
};
template <class T, void (*Free)(T*)>
using GitPtr = std::unique_ptr<T, GitDeleter<T, Free>>;

using RepositoryPtr = GitPtr<git_repository, git_repository_free>;
using TreePtr = GitPtr<git_tree, git_tree_free>;
using CommitPtr = GitPtr<git_commit, git_commit_free>;
using BlobPtr = GitPtr<git_blob, git_blob_free>;
using ReferencePtr = GitPtr<git_reference, git_reference_free>;
using ObjectPtr = GitPtr<git_object, git_object_free>;
using TreeEntryPtr = GitPtr<git_tree_entry, git_tree_entry_free>;

std::string oid_hex(const git_oid& oid);
std::optional<git_oid> parse_oid(std::string_view hex);  // 40 hex chars

// Libgit2 must be initialised once per process; this object does it.
struct GitLibrary {
    GitLibrary() { git_libgit2_init(); }
    ~GitLibrary() { git_libgit2_shutdown(); }
};

struct TreeItem {
    std::string path;  // from the repo root
    bool is_dir = false;
    git_oid oid{};     // blob or tree id
    uint64_t size = 0; // content size; for LFS files the object's size
    std::optional<LfsPointer> lfs;
};

struct CommitRecord {
    git_oid id{};
    git_oid tree{};
    std::vector<git_oid> parents;
    std::string title, message, author, email;
    int64_t time = 0;  // seconds since the epoch
};

struct RefRecord {
    std::string name;  // full name: refs/heads/main
    git_oid commit{};  // peeled
};

class GitRepo {
public:
    static GitRepo open(const std::string& path);
    // Creates a bare repository whose HEAD is refs/heads/main (no commit yet).
    static GitRepo init(const std::string& path);

    // Branch, tag, full or short sha, refs/..., or HEAD -> commit id.
    std::optional<git_oid> resolve(const std::string& rev) const;
    std::optional<git_oid> ref_target(const std::string& full_name) const;
    std::vector<RefRecord> refs() const;

    // The entry at path ("" is the root folder) in a commit's tree.
    std::optional<TreeItem> entry(const git_oid& commit, const std::string& path) const;
    // Entries of a folder; recursive also lists everything below, folders included.
    std::vector<TreeItem> list(const git_oid& commit, const std::string& folder, bool recursive) const;
    std::string blob(const git_oid& id) const;
    uint64_t blob_size(const git_oid& id) const;
    // Whether a blob with exactly this content is in the object database (any commit, any time).
    bool has_blob_with(std::string_view content) const;
    // Feeds bytes [offset, offset+length) of a blob to sink, without holding the whole blob in
    // memory when the object database can stream it (loose objects, as localhub writes them).
    // False if sink stopped or the blob could not be read in full.
    bool stream_blob(const git_oid& id, uint64_t offset, uint64_t length,
                     const std::function<bool(const char*, size_t)>& sink) const;

    CommitRecord commit(const git_oid& id) const;
    // Commits reachable from `from`, newest first; skip/limit select a page; total counts all.
    std::vector<CommitRecord> log(const git_oid& from, size_t skip, size_t limit, size_t* total) const;
    // For each path, the newest commit (from `from`) that changed it.
    std::map<std::string, CommitRecord> last_commits(const git_oid& from, const std::vector<std::string>& paths) const;

    git_oid write_blob(std::string_view data);
    git_oid write_commit(const std::vector<git_oid>& parents, const git_oid& tree, const std::string& author,
                         const std::string& email, const std::string& message);
    // Points name at target if it currently points at expected (nullopt: must not exist).
    // Returns false when the ref moved meanwhile.
    bool update_ref(const std::string& name, const git_oid& target, const std::optional<git_oid>& expected);
    void set_ref(const std::string& name, const git_oid& target);  // unconditional
    bool delete_ref(const std::string& name);

    git_repository* raw() const { return repo_.get(); }
    git_oid commit_tree(const git_oid& commit) const;

private:
    explicit GitRepo(RepositoryPtr r) : repo_(std::move(r)) {}
    TreeItem make_item(std::string path, const git_tree_entry* e) const;
    RepositoryPtr repo_;
};

// Edits a tree in memory, loading only the folders it touches, then writes the new tree.
class TreeEditor {
public:
    struct EditError : std::runtime_error {
        enum class Kind { not_found, conflict };
        EditError(Kind k, const std::string& what) : std::runtime_error(what), kind(k) {}
        Kind kind;
    };

    TreeEditor(GitRepo& repo, std::optional<git_oid> base_tree);
    void put_file(const std::string& path, const git_oid& blob, git_filemode_t mode = GIT_FILEMODE_BLOB);
    void remove_file(const std::string& path);
    void remove_folder(const std::string& path);
    std::optional<git_oid> file_blob(const std::string& path);
    git_oid write();

private:
    struct Node {
        bool is_dir = false;
        git_oid oid{};
        git_filemode_t mode = GIT_FILEMODE_BLOB;
        bool loaded = false;  // folders: children read from oid
        std::map<std::string, Node> children;
    };
    void load(Node& dir);
    Node* walk(const std::string& path, bool create, std::string& leaf);
    git_oid write(Node& dir, bool& empty);

    GitRepo& repo_;
    Node root_;
};

}  // namespace localhub
