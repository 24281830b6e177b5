#include "store.hpp"

#include "index_format.hpp"

#include <map>
#include <stdexcept>
#include <sys/stat.h>
#include <unistd.h>
#include <utility>

namespace hubfs::cache {

namespace {

namespace fs = std::filesystem;

// Sparse: LMDB reserves address space, not disk. Metadata of many repos fits with room to spare.
constexpr uint64_t kMapSize = 64ull << 30;
// Reader slots are shared by all processes on the directory; MDB_NOTLS takes one per open read
// transaction, so allow for many FUSE threads in several processes.
constexpr unsigned kMaxReaders = 1024;

fs::path prepare_dirs(const fs::path& dir) {
    std::error_code ec;
    for (const fs::path& p : {dir, dir / "index.lmdb", dir / "blobs"}) {
        fs::create_directories(p, ec);
        if (ec) throw std::runtime_error("hubfs cache: cannot create " + p.string() + ": " + ec.message());
        if (!fs::is_directory(p, ec))
            throw std::runtime_error("hubfs cache: " + p.string() + " exists and is not a directory");
    }
    return dir / "index.lmdb";
}

lmdb::EnvConfig env_config() {
    lmdb::EnvConfig c;
    c.map_size = kMapSize;
    c.max_dbs = 8;
    c.max_readers = kMaxReaders;
    // NOTLS: read transactions are not tied to threads (FUSE worker threads come and go).
    // NOMETASYNC: a system crash may lose the last commit but never corrupts the index; a lost
    // chunk record only means a refetch.
    c.flags = MDB_NOTLS | MDB_NOMETASYNC;
    return c;
}

}  // namespace

std::shared_ptr<Store> Store::open(const fs::path& dir, uint32_t chunk_size) {
    const fs::path index = prepare_dirs(dir);
    struct stat st {};
    if (::stat(index.c_str(), &st) != 0)
        throw std::runtime_error("hubfs cache: cannot stat " + index.string());

    // The one process-wide table: it is what makes "one environment per process" hold.
    static std::mutex registry_mu;
    static std::map<std::pair<dev_t, ino_t>, std::weak_ptr<Store>> registry;

    std::lock_guard lock(registry_mu);
    auto& slot = registry[{st.st_dev, st.st_ino}];
    if (auto existing = slot.lock(); existing && existing->pid_ == ::getpid()) return existing;
    // A Store inherited across fork() belongs to the parent: the child opens its own.
    auto store = std::make_shared<Store>(dir, chunk_size);
    slot = store;
    return store;
}

Store::Store(const fs::path& dir, uint32_t chunk_size)
    : pid_(::getpid()), blobs_dir_(dir / "blobs"), env_(prepare_dirs(dir), env_config()) {
    env_.clear_stale_readers();

    lmdb::Txn txn(env_, lmdb::Txn::Mode::write);
    auto open_db = [&](const char* name) {
        MDB_dbi dbi = 0;
        lmdb::check(mdb_dbi_open(txn.get(), name, MDB_CREATE, &dbi), std::string("open database ") + name);
        return dbi;
    };
    dbs_.chunks = open_db("chunks");
    dbs_.contents = open_db("contents");
    dbs_.lru = open_db("lru");
    dbs_.state = open_db("state");
    dbs_.meta = open_db("meta");
    dbs_.meta_long = open_db("meta_long");
    dbs_.stamps = open_db("stamps");  // added after format 1: older builds ignore it

    if (auto v = txn.get(dbs_.state, "format")) {
        uint64_t format = v->size() == 4 ? format::read_le(*v, 0, 4) : 0;
        if (format != format::kVersion)
            throw std::runtime_error("hubfs cache: " + dir.string() + " holds a cache of format " +
                                     std::to_string(format) + "; this hubfs reads format " +
                                     std::to_string(format::kVersion) + " (use another cache directory)");
    } else {
        txn.put(dbs_.state, "format", format::le_bytes(format::kVersion, 4));
    }
    if (auto v = txn.get(dbs_.state, "chunk_size"); v && v->size() == 4) {
        chunk_size_ = static_cast<uint32_t>(format::read_le(*v, 0, 4));
    } else {
        if (chunk_size == 0) throw std::runtime_error("hubfs cache: chunk size must not be 0");
        chunk_size_ = chunk_size;
        txn.put(dbs_.state, "chunk_size", format::le_bytes(chunk_size_, 4));
    }
    if (!txn.get(dbs_.state, "total_bytes")) txn.put(dbs_.state, "total_bytes", format::le_bytes(0, 8));
    txn.commit();
}

Store::WriteGuard::WriteGuard(Store& store, std::string_view id) : store_(store), id_(id) {
    std::lock_guard lock(store_.writing_mu_);
    ++store_.writing_[id_];
}

Store::WriteGuard::~WriteGuard() {
    std::lock_guard lock(store_.writing_mu_);
    if (auto it = store_.writing_.find(id_); it != store_.writing_.end() && --it->second == 0) store_.writing_.erase(it);
}

bool Store::is_writing(std::string_view id) {
    std::lock_guard lock(writing_mu_);
    return writing_.count(std::string(id)) != 0;
}

}  // namespace hubfs::cache
