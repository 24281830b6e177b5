// RAII owners for LMDB handles. Errors become std::runtime_error naming the operation.
#pragma once

#include <lmdb.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string_view>

namespace hubfs::cache::lmdb {

[[noreturn]] void fail(int rc, std::string_view what);
inline void check(int rc, std::string_view what) {
    if (rc != 0) fail(rc, what);
}

inline MDB_val val(std::string_view s) { return MDB_val{s.size(), const_cast<char*>(s.data())}; }
inline std::string_view view(const MDB_val& v) { return {static_cast<const char*>(v.mv_data), v.mv_size}; }

struct EnvConfig {
    uint64_t map_size = 0;
    unsigned max_dbs = 0;
    unsigned max_readers = 0;
    unsigned flags = 0;
};

class Env {
public:
    Env(const std::filesystem::path& dir, const EnvConfig& config);
    ~Env();
    Env(const Env&) = delete;
    Env& operator=(const Env&) = delete;
    MDB_env* get() const { return env_; }
    size_t max_key_size() const;
    // Frees reader slots left by processes that died (kill -9) without ending their read txns.
    void clear_stale_readers();

private:
    MDB_env* env_ = nullptr;
};

// A transaction, aborted on destruction unless committed. Keep them short: a read transaction
// pins pages, and a write transaction holds the environment's writer lock (across processes).
// Values returned by get() and cursors are valid only until the transaction ends.
class Txn {
public:
    enum class Mode { read, write };
    Txn(Env& env, Mode mode);
    ~Txn();
    Txn(const Txn&) = delete;
    Txn& operator=(const Txn&) = delete;

    MDB_txn* get() const { return txn_; }
    void commit();
    void abort();

    std::optional<std::string_view> get(MDB_dbi dbi, std::string_view key) const;
    // With MDB_NOOVERWRITE in `flags`, returns false (and writes nothing) if the key exists.
    bool put(MDB_dbi dbi, std::string_view key, std::string_view value, unsigned flags = 0);
    // Returns false if the key was absent.
    bool del(MDB_dbi dbi, std::string_view key);

private:
    Env& env_;
    MDB_txn* txn_ = nullptr;
};

class Cursor {
public:
    Cursor(const Txn& txn, MDB_dbi dbi);
    ~Cursor();
    Cursor(const Cursor&) = delete;
    Cursor& operator=(const Cursor&) = delete;

    bool first();                          // positions on the smallest key
    bool seek(std::string_view key);       // positions on the first key >= `key`
    bool next();
    std::string_view key() const { return view(key_); }
    std::string_view value() const { return view(value_); }
    void del();                            // deletes the current entry

private:
    bool move(MDB_cursor_op op);
    MDB_cursor* cursor_ = nullptr;
    MDB_val key_{0, nullptr};
    MDB_val value_{0, nullptr};
};

}  // namespace hubfs::cache::lmdb
