#include "lmdb.hpp"

#include <stdexcept>
#include <string>

namespace hubfs::cache::lmdb {

void fail(int rc, std::string_view what) {
    throw std::runtime_error("hubfs cache: " + std::string(what) + ": " + mdb_strerror(rc));
}

Env::Env(const std::filesystem::path& dir, const EnvConfig& config) {
    check(mdb_env_create(&env_), "mdb_env_create");
    try {
        check(mdb_env_set_mapsize(env_, config.map_size), "set LMDB map size");
        check(mdb_env_set_maxdbs(env_, config.max_dbs), "set LMDB max dbs");
        check(mdb_env_set_maxreaders(env_, config.max_readers), "set LMDB max readers");
        check(mdb_env_open(env_, dir.c_str(), config.flags, 0644), "open LMDB index " + dir.string());
    } catch (...) {
        mdb_env_close(env_);
        throw;
    }
}

Env::~Env() { mdb_env_close(env_); }

size_t Env::max_key_size() const { return static_cast<size_t>(mdb_env_get_maxkeysize(env_)); }

void Env::clear_stale_readers() {
    int dead = 0;
    mdb_reader_check(env_, &dead);
}

Txn::Txn(Env& env, Mode mode) : env_(env) {
    unsigned flags = mode == Mode::read ? MDB_RDONLY : 0;
    int rc = mdb_txn_begin(env.get(), nullptr, flags, &txn_);
    if (rc == MDB_READERS_FULL) {  // slots may be held by dead processes
        env.clear_stale_readers();
        rc = mdb_txn_begin(env.get(), nullptr, flags, &txn_);
    }
    if (rc != 0) {
        txn_ = nullptr;
        fail(rc, mode == Mode::read ? "begin read transaction" : "begin write transaction");
    }
}

Txn::~Txn() { abort(); }

void Txn::commit() {
    MDB_txn* t = txn_;
    txn_ = nullptr;
    check(mdb_txn_commit(t), "commit");  // mdb_txn_commit frees the txn even on failure
}

void Txn::abort() {
    if (txn_) mdb_txn_abort(txn_);
    txn_ = nullptr;
}

std::optional<std::string_view> Txn::get(MDB_dbi dbi, std::string_view key) const {
    MDB_val k = val(key), v{0, nullptr};
    int rc = mdb_get(txn_, dbi, &k, &v);
    if (rc == MDB_NOTFOUND) return std::nullopt;
    check(rc, "mdb_get");
    return view(v);
}

bool Txn::put(MDB_dbi dbi, std::string_view key, std::string_view value, unsigned flags) {
    MDB_val k = val(key), v = val(value);
    int rc = mdb_put(txn_, dbi, &k, &v, flags);
    if (rc == MDB_KEYEXIST && (flags & MDB_NOOVERWRITE)) return false;
    check(rc, "mdb_put");
    return true;
}

bool Txn::del(MDB_dbi dbi, std::string_view key) {
    MDB_val k = val(key);
    int rc = mdb_del(txn_, dbi, &k, nullptr);
    if (rc == MDB_NOTFOUND) return false;
    check(rc, "mdb_del");
    return true;
}

Cursor::Cursor(const Txn& txn, MDB_dbi dbi) { check(mdb_cursor_open(txn.get(), dbi, &cursor_), "mdb_cursor_open"); }

Cursor::~Cursor() { mdb_cursor_close(cursor_); }

bool Cursor::move(MDB_cursor_op op) {
    int rc = mdb_cursor_get(cursor_, &key_, &value_, op);
    if (rc == MDB_NOTFOUND) return false;
    check(rc, "mdb_cursor_get");
    return true;
}

bool Cursor::first() { return move(MDB_FIRST); }

bool Cursor::seek(std::string_view key) {
    key_ = val(key);
    return move(MDB_SET_RANGE);
}

bool Cursor::next() { return move(MDB_NEXT); }

void Cursor::del() { check(mdb_cursor_del(cursor_, 0), "mdb_cursor_del"); }

}  // namespace hubfs::cache::lmdb
