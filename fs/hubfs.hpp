// The filesystem: FUSE low-level operations over the catalog (metadata) and the chunk fetcher
// (bytes). Read-only for now: every repository file is 0444, every folder 0555.
#pragma once

#define FUSE_USE_VERSION 35
#include <fuse_lowlevel.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "catalog.hpp"
#include "chunk_fetcher.hpp"
#include "hub_path.hpp"
#include "inode_table.hpp"

namespace hubfs::fs {

struct FsOptions {
    std::optional<RepoSpec> single_repo;      // mount one repository at the root
    std::chrono::seconds revision_ttl{30};
    uid_t uid = 0;
    gid_t gid = 0;
    uint32_t max_read = 1u << 20;
    uint64_t readahead_initial = 1ull << 20;  // first prefetch window of a sequential reader
    uint64_t readahead_max = 64ull << 20;     // the window doubles up to this
    uint64_t cache_limit = 0;                 // for statfs
};

class HubFs {
public:
    HubFs(Catalog& catalog, ChunkFetcher& fetcher, cache::Cache& cache, Remote& remote, FsOptions opts);
    static const fuse_lowlevel_ops& operations();  // userdata must be a HubFs*

    void init(fuse_conn_info* conn);
    void lookup(fuse_req_t req, fuse_ino_t parent, const char* name);
    void forget(fuse_ino_t ino, uint64_t n) { inodes_.forget(ino, n); }
    void getattr(fuse_req_t req, fuse_ino_t ino);
    void opendir(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi);
    void readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, fuse_file_info* fi, bool plus);
    void releasedir(fuse_req_t req, fuse_file_info* fi);
    void open(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi);
    void read(fuse_req_t req, size_t size, off_t off, fuse_file_info* fi);
    void release(fuse_req_t req, fuse_file_info* fi);
    void statfs(fuse_req_t req);
    void getxattr(fuse_req_t req, fuse_ino_t ino, const char* name, size_t size);
    void listxattr(fuse_req_t req, fuse_ino_t ino, size_t size);

private:
    struct Resolved {  // a node with its current attributes
        struct stat attr {};
        std::optional<Revision> rev;
        std::optional<RemoteEntry> entry;  // files and folders in a repository
    };
    struct DirEntry {
        std::string name;
        Node node;
        Resolved resolved;
    };
    struct DirHandle {
        std::vector<DirEntry> entries;
    };
    struct OpenFile {
        FileSource src;
        std::mutex mutex;
        uint64_t next_offset = 0;   // where a sequential reader goes on
        uint64_t window = 0;        // current read-ahead window, 0 = random access
        uint64_t prefetched = 0;    // chunks below this index were already asked for
        ChunkFetcher::Chunk last_chunk;
        uint64_t last_index = UINT64_MAX;
    };

    Resolved resolve(const Node& node);
    std::optional<Node> child(const Node& parent, const std::string& name);
    std::vector<DirEntry> list(const Node& dir);
    struct stat dir_attr(int64_t mtime) const;
    struct stat file_attr(const RemoteEntry& e, int64_t mtime) const;
    double timeout_for(const Node& node) const;
    fuse_entry_param entry_param(const Node& node, const Resolved& r, bool add_ref);
    std::map<std::string, std::string> xattrs(const Node& node);

    Catalog& catalog_;
    ChunkFetcher& fetcher_;
    cache::Cache& cache_;
    Remote& remote_;
    FsOptions opts_;
    InodeTable inodes_;
    int64_t mount_time_;
    std::mutex kept_mutex_;
    std::map<fuse_ino_t, std::string> kept_content_;  // content id each inode's page cache holds
};

}  // namespace hubfs::fs
