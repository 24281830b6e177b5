#include "fs/write/staging_journal.hpp"

namespace hubfs::fs {

namespace lmdb = cache::lmdb;

StagingJournal::StagingJournal(const std::filesystem::path& dir) {
    std::filesystem::create_directories(dir);
    lmdb::EnvConfig config;
    config.map_size = 1ull << 30;
    config.max_dbs = 1;
    config.max_readers = 126;
    config.flags = MDB_NOSYNC | MDB_NOTLS;
    env_ = std::make_unique<lmdb::Env>(dir, config);
    lmdb::Txn txn(*env_, lmdb::Txn::Mode::write);
    lmdb::check(mdb_dbi_open(txn.get(), "staging", MDB_CREATE, &dbi_), "open staging journal");
    txn.commit();
}

void StagingJournal::apply(const std::vector<Edit>& edits) {
    if (edits.empty()) return;
    lmdb::Txn txn(*env_, lmdb::Txn::Mode::write);
    for (const auto& [key, value] : edits) {
        if (value) txn.put(dbi_, key, *value);
        else txn.del(dbi_, key);
    }
    txn.commit();
}

std::vector<std::pair<std::string, std::string>> StagingJournal::scan(const std::string& prefix) {
    std::vector<std::pair<std::string, std::string>> out;
    lmdb::Txn txn(*env_, lmdb::Txn::Mode::read);
    lmdb::Cursor cursor(txn, dbi_);
    bool ok = prefix.empty() ? cursor.first() : cursor.seek(prefix);
    for (; ok && cursor.key().starts_with(prefix); ok = cursor.next())
        out.emplace_back(std::string(cursor.key()), std::string(cursor.value()));
    return out;
}

void StagingJournal::sync() { lmdb::check(mdb_env_sync(env_->get(), 1), "sync staging journal"); }

}  // namespace hubfs::fs
