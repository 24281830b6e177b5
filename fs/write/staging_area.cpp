#include "fs/write/staging_area.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <xxhash.h>

#include <nlohmann/json.hpp>
#include <set>
#include <system_error>

#include "api/digest.hpp"
#include "fs/common/log.hpp"
#include "fs/common/unique_fd.hpp"
#include "fs/network_wait.hpp"
#include "fs/hub_path.hpp"

namespace hubfs::fs {
namespace {

constexpr char kSep = '\x1f';
constexpr size_t kMaxPathInKey = 300;  // LMDB keys are at most 511 bytes: longer paths are hashed

nlohmann::json entry_json(const RemoteEntry& e) {
    return {{"size", e.size}, {"oid", e.oid}, {"lfs", e.lfs_sha256}};
}

RemoteEntry entry_from(const nlohmann::json& j, const std::string& path) {
    RemoteEntry e;
    e.name = path.substr(path.rfind('/') + 1);
    e.size = j.value("size", uint64_t{0});
    e.oid = j.value("oid", std::string());
    e.lfs_sha256 = j.value("lfs", std::string());
    return e;
}

nlohmann::json file_json(const std::string& path, const StagedFile& f) {
    nlohmann::json j{{"path", path}, {"blob", f.blob}, {"copy_from", f.copy_from}, {"source", entry_json(f.source)}, {"dirty", f.dirty}};
    if (f.seal) {
        j["seal"] = {{"size", f.seal->size}, {"xxh3", f.seal->xxh3}};
        if (!f.seal->sha256.empty()) j["seal"]["sha256"] = f.seal->sha256;
    }
    if (f.special) j["special"] = {{"type", f.special}, {"rdev", f.rdev}};
    return j;
}

std::optional<Seal> seal_from(const nlohmann::json& j) {
    if (!j.is_object()) return std::nullopt;
    return Seal{j.value("size", uint64_t{0}), j.value("xxh3", uint64_t{0}), j.value("sha256", std::string())};
}

struct Xxh3StateFree {
    void operator()(XXH3_state_t* s) const { XXH3_freeState(s); }
};

nlohmann::json header_json(const StagedBranch& c) {
    return {{"type", type_plural(c.id.repo.type)}, {"repo", c.id.repo.id}, {"branch", c.id.branch},
            {"base", c.base.commit}, {"time", c.base.time}, {"message", c.message}, {"description", c.description},
            {"owner", c.owner}};
}

}  // namespace

StagingArea::StagingArea(const std::filesystem::path& dir) : files_dir_(dir / "files"), journal_(dir / "journal") {
    std::filesystem::create_directories(files_dir_);
    load();
    blobs_ = std::make_unique<BlobFiles>(files_dir_);
}

std::string StagingArea::entry_key(const Branch& b, char kind, const std::string& path) const {
    std::string key = b.changes.id.key() + kSep + kind + kSep;
    return key + (path.size() <= kMaxPathInKey ? path : "#" + api::sha256_hex(path));
}

namespace {

// A branch's journal header ('H'): which branch, its base, the next commit's message, who staged.
void read_header(StagedBranch& c, const nlohmann::json& j) {
    auto type = type_from_plural(j.value("type", std::string()));
    c.id = BranchId{RepoRef{type.value_or(RepoType::model), j.value("repo", std::string())}, j.value("branch", std::string())};
    c.base = Revision{j.value("base", std::string()), j.value("time", int64_t{0})};
    c.message = j.value("message", std::string());
    c.description = j.value("description", std::string());
    c.owner = j.value("owner", std::string());
}

// A staged file's journal entry ('F').
StagedFile file_from(const nlohmann::json& j, const std::string& path) {
    StagedFile f;
    f.blob = j.value("blob", std::string());
    f.copy_from = j.value("copy_from", std::string());
    f.source = entry_from(j.value("source", nlohmann::json::object()), path);
    f.dirty = j.value("dirty", true);
    f.seal = seal_from(j.value("seal", nlohmann::json()));
    if (auto sp = j.value("special", nlohmann::json()); sp.is_object()) {
        f.special = sp.value("type", uint32_t{0});
        f.rdev = sp.value("rdev", uint64_t{0});
    }
    return f;
}

}  // namespace

void StagingArea::load() {
    std::set<std::string> used_blobs;
    std::vector<StagingJournal::Edit> dropped;
    for (const auto& [key, value] : journal_.scan()) {
        auto sep = key.find(kSep);
        if (sep == std::string::npos || sep + 2 >= key.size()) continue;
        std::string branch_key = key.substr(0, sep);
        char kind = key[sep + 1];
        auto j = nlohmann::json::parse(value, nullptr, false);
        if (j.is_discarded()) {
            HUBFS_LOG(error, "staging journal: unreadable entry for %s; left in place", branch_key.c_str());
            continue;
        }
        auto& b = branches_[branch_key];
        if (!b) {
            b = std::make_shared<Branch>();
            b->recovered = true;
        }
        StagedBranch& c = b->changes;
        std::string path = j.value("path", std::string());
        if (kind == 'H') {
            read_header(c, j);
        } else if (kind == 'F') {
            StagedFile f = file_from(j, path);
            if (!f.dirty) {  // already on the Hub: only kept while a writer had it open
                dropped.emplace_back(key, std::nullopt);
                continue;
            }
            if (!f.blob.empty()) {
                used_blobs.insert(f.blob);
                b->blob_paths[f.blob] = path;
                // Staged bytes are not synced before a commit: after a power cut they may be torn.
                // Only bytes that match their last close or fsync are committed; the rest stay.
                if (!f.seal) {
                    HUBFS_LOG(error, "staging: %s of %s was being written when the mount ended; kept staged, not "
                              "committed (check it, then close it after a write or `touch` it to commit it)",
                              path.c_str(), branch_key.c_str());
                } else if (measure(f.blob) != *f.seal) {
                    HUBFS_LOG(error, "staging: %s of %s does not hold the bytes it was closed with (a crash tore it); "
                              "kept staged, not committed", path.c_str(), branch_key.c_str());
                    f.seal.reset();
                }
            }
            c.files[path] = f;
        } else if (kind == 'D') {
            c.deleted[path] = j.value("folder", false);
        } else if (kind == 'M') {
            c.dirs.insert(path);
        }
    }
    journal_.apply(dropped);
    for (auto it = branches_.begin(); it != branches_.end();) {
        const StagedBranch& c = it->second->changes;
        if (c.id.repo.id.empty() || c.base.commit.empty()) {
            HUBFS_LOG(error, "staging journal: changes of %s have no header; left in the journal", it->first.c_str());
            it = branches_.erase(it);
            continue;
        }
        if (c.has_changes())
            HUBFS_LOG(info, "staging: %zu changes of %s found from an earlier mount; they will be committed",
                      c.change_count(), it->first.c_str());
        ++it;
    }
    // Staged files nothing refers to: left by a crash between creating a file and journaling it.
    std::error_code ec;
    for (const auto& f : std::filesystem::directory_iterator(files_dir_, ec))
        if (!used_blobs.count(f.path().filename().string())) std::filesystem::remove(f.path(), ec);
}

std::shared_ptr<StagingArea::Branch> StagingArea::find(const BranchId& id) {
    std::lock_guard lock(mutex_);
    auto it = branches_.find(id.key());
    return it == branches_.end() ? nullptr : it->second;
}

std::shared_ptr<StagingArea::Branch> StagingArea::get(const BranchId& id, const Revision& base) {
    std::lock_guard lock(mutex_);
    auto& b = branches_[id.key()];
    if (!b) {
        b = std::make_shared<Branch>();
        b->changes.id = id;
        b->changes.base = base;
        std::lock_guard branch_lock(b->mutex);
        save_header(*b);
    }
    return b;
}

std::vector<std::shared_ptr<StagingArea::Branch>> StagingArea::branches() {
    std::lock_guard lock(mutex_);
    std::vector<std::shared_ptr<Branch>> out;
    for (const auto& [key, b] : branches_) out.push_back(b);
    return out;
}

std::string StagingArea::new_blob() { return blobs_->make(); }

void StagingArea::remove_blob(const std::string& blob) {
    if (blob.empty()) return;
    hashes_.forget(blob);
    blobs_->remove(blob);
}

StagingArea::Batch::Batch(StagingArea& a, Branch& b) : area(a), branch(b) {
    if (!b.batch) b.batch = this;
}

StagingArea::Batch::~Batch() {
    if (branch.batch != this) return;  // nested: the outer batch writes
    branch.batch = nullptr;
    try {
        area.journal_.apply(edits);
        for (const auto& blob : removed_blobs) area.remove_blob(blob);
    } catch (const std::exception& e) {
        HUBFS_LOG(error, "staging journal: a batch of %zu edits was not written: %s", edits.size(), e.what());
    }
}

void StagingArea::record(Branch& b, std::vector<StagingJournal::Edit> edits) {
    past_the_point_of_no_return();  // the operation changed something: it finishes where it runs
    if (!b.batch) return journal_.apply(edits);
    for (auto& e : edits) b.batch->edits.push_back(std::move(e));
}

void StagingArea::drop_blob(Branch& b, const std::string& blob) {
    if (b.in_flight.count(blob)) b.orphans.push_back(blob);  // a commit reads it: removed when it ends
    else if (b.batch) b.batch->removed_blobs.push_back(blob);
    else remove_blob(blob);
}

void StagingArea::save_header(Branch& b) {
    record(b, {{entry_key(b, 'H', ""), header_json(b.changes).dump()}});
}

void StagingArea::put_file(Branch& b, const std::string& path, StagedFile f) {
    record(b, {{entry_key(b, 'F', path), file_json(path, f).dump()}});
    auto& slot = b.changes.files[path];
    if (!slot.blob.empty() && slot.blob != f.blob) {
        b.blob_paths.erase(slot.blob);
        if (!b.writers.count(slot.blob)) drop_blob(b, slot.blob);
    }
    if (!f.blob.empty()) b.blob_paths[f.blob] = path;
    slot = std::move(f);
}

std::string StagingArea::path_of(const Branch& b, const std::string& blob) const {
    auto it = b.blob_paths.find(blob);
    return it == b.blob_paths.end() ? std::string() : it->second;
}

void StagingArea::write(const std::string& blob, int fd, std::string_view bytes, uint64_t offset) {
    hashes_.write(blob, fd, bytes, offset);
}

void StagingArea::truncate(const std::string& blob, int fd, uint64_t size) {
    hashes_.truncate(blob, fd, blob_path(blob), size);
}

Seal StagingArea::seal_of(const std::string& blob) {
    if (auto s = hashes_.seal(blob, blob_path(blob))) return *s;
    return measure(blob);
}

Seal StagingArea::measure(const std::string& blob) const {
    Seal s;
    std::unique_ptr<XXH3_state_t, Xxh3StateFree> state(XXH3_createState());
    if (!state || XXH3_64bits_reset(state.get()) != XXH_OK) throw std::bad_alloc();
    UniqueFd fd(::open(blob_path(blob).c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) return Seal{UINT64_MAX, 0};  // gone: matches no seal
    std::vector<char> buf(1 << 20);
    for (;;) {
        ssize_t n = ::read(fd.get(), buf.data(), buf.size());
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) throw std::system_error(errno, std::generic_category(), "read staged file");
        if (n == 0) break;
        XXH3_64bits_update(state.get(), buf.data(), static_cast<size_t>(n));
        s.size += static_cast<uint64_t>(n);
    }
    s.xxh3 = XXH3_64bits_digest(state.get());
    return s;
}

void StagingArea::seal(Branch& b, const std::string& blob, const Seal& s) {
    std::string path = path_of(b, blob);
    auto it = b.changes.files.find(path);
    if (path.empty() || it == b.changes.files.end() || it->second.blob != blob) return;
    // The same bytes: keep a sha256 known of them.
    if (it->second.seal == s && (s.sha256.empty() || it->second.seal->sha256 == s.sha256)) return;
    StagedFile f = it->second;
    f.seal = s;
    put_file(b, path, std::move(f));
}

void StagingArea::mark_dirty(Branch& b, const std::string& path) {
    auto it = b.changes.files.find(path);
    if (it == b.changes.files.end() || it->second.dirty) return;
    StagedFile f = it->second;
    f.dirty = true;
    put_file(b, path, std::move(f));
}

void StagingArea::erase_file(Branch& b, const std::string& path) {
    auto it = b.changes.files.find(path);
    if (it == b.changes.files.end()) return;
    record(b, {{entry_key(b, 'F', path), std::nullopt}});
    b.blob_paths.erase(it->second.blob);
    // An open writer keeps its bytes (unlinked files stay readable while open on POSIX too).
    if (!b.writers.count(it->second.blob)) drop_blob(b, it->second.blob);
    b.changes.files.erase(it);
}

void StagingArea::move_file(Branch& b, const std::string& from, const std::string& to) {
    auto it = b.changes.files.find(from);
    if (it == b.changes.files.end()) return;
    StagedFile f = it->second;
    Batch batch(*this, b);
    record(b, {{entry_key(b, 'F', from), std::nullopt}});
    b.changes.files.erase(it);
    b.blob_paths.erase(f.blob);
    put_file(b, to, std::move(f));
}

void StagingArea::erase_deleted(Branch& b, const std::string& path) {
    if (!b.changes.deleted.erase(path)) return;
    record(b, {{entry_key(b, 'D', path), std::nullopt}});
}

void StagingArea::put_deleted(Branch& b, const std::string& path, bool folder) {
    record(b, {{entry_key(b, 'D', path), nlohmann::json{{"path", path}, {"folder", folder}}.dump()}});
    b.changes.deleted[path] = folder;
}

void StagingArea::put_dir(Branch& b, const std::string& path) {
    if (b.changes.dirs.count(path)) return;
    record(b, {{entry_key(b, 'M', path), nlohmann::json{{"path", path}}.dump()}});
    b.changes.dirs.insert(path);
}

void StagingArea::erase_dir(Branch& b, const std::string& path) {
    if (!b.changes.dirs.erase(path)) return;
    record(b, {{entry_key(b, 'M', path), std::nullopt}});
}

void StagingArea::committed(Branch& b, const StagedBranch& sent, const Revision& new_base) {
    StagedBranch& c = b.changes;
    Batch batch(*this, b);
    // The Hub holds `sent` at new_base; what changed while it was sent stays a change over it.
    const bool base_has_sent = new_base.commit != sent.base.commit;
    for (const auto& [path, folder] : sent.deleted) erase_deleted(b, path);
    // Folders made by mkdir stay: the Hub keeps no empty folder, the mount keeps them until rmdir.
    for (const auto& [path, f] : sent.files) {
        if (!f.dirty) continue;
        auto it = c.files.find(path);
        if (it == c.files.end()) {
            // Removed or renamed while the commit ran: the new base has it, so it goes again.
            if (base_has_sent && !c.hides(path)) put_deleted(b, path, false);
            continue;
        }
        const StagedFile& now = it->second;
        if (now.blob != f.blob || now.copy_from != f.copy_from || !now.dirty) continue;  // changed since
        if (!f.blob.empty() && b.writers.count(f.blob)) {
            // Still open: served as it is, clean only if nothing was written since it was sent.
            if (!f.seal || measure(f.blob) != *f.seal) continue;
            StagedFile clean = now;
            clean.dirty = false;
            put_file(b, path, std::move(clean));
        } else {
            erase_file(b, path);
        }
    }
    c.base = new_base;
    ++b.generation;
    c.message.clear();
    c.description.clear();
    save_header(b);
}

uint64_t StagingArea::staged_bytes(const Branch& b) const {
    uint64_t total = 0;
    for (const auto& [path, f] : b.changes.files) {
        if (!f.dirty) continue;
        std::error_code ec;
        uint64_t size = f.is_copy() ? f.source.size : std::filesystem::file_size(blob_path(f.blob), ec);
        total += ec ? 0 : size;
    }
    return total;
}

void StagingArea::discard(Branch& b) {
    StagedBranch& c = b.changes;
    Batch batch(*this, b);
    std::vector<std::string> files, dirs, deleted;
    for (const auto& [path, f] : c.files) files.push_back(path);
    for (const auto& [path, folder] : c.deleted) deleted.push_back(path);
    dirs.assign(c.dirs.begin(), c.dirs.end());
    for (const auto& path : files) {
        StagedFile f = c.files[path];
        if (f.blob.empty() || !b.writers.count(f.blob)) {
            erase_file(b, path);
        } else if (f.dirty) {
            f.dirty = false;  // still open: served until closed, never committed
            put_file(b, path, std::move(f));
        }
    }
    for (const auto& path : deleted) erase_deleted(b, path);
    for (const auto& path : dirs) erase_dir(b, path);
    ++b.generation;
    c.message.clear();
    c.description.clear();
    save_header(b);
}

}  // namespace hubfs::fs
