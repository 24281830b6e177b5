// Cache: the write protocol, the read check, eviction and recovery. The invariants:
//  - a chunk record exists only for bytes that were written into the file the record's path
//    named when the record was committed (write_chunk checks the path under the writer lock);
//    not necessarily durable yet: after a crash, the read check below catches what was lost;
//  - a read checks the bytes against the record's XXH3 unless they were written or checked
//    since the machine booted and their file has not changed since (checked_chunks.hpp): so
//    whatever a crash or another process did to a file, wrong bytes are never returned, at
//    worst a chunk is fetched again;
//  - files are unlinked only inside the write transaction that drops their records, so a writer
//    (in any process) either sees its file gone and writes again, or has its record dropped.
#include "cache.hpp"

#include "blob_file.hpp"
#include "chunk_checksum.hpp"
#include "checked_chunks.hpp"
#include "chunk_index.hpp"
#include "content_id.hpp"
#include "metadata.hpp"
#include "store.hpp"

#include <atomic>
#include <cerrno>
#include <map>
#include <set>
#include <stdexcept>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

namespace hubfs::cache {

namespace {

namespace fs = std::filesystem;
using Mode = lmdb::Txn::Mode;

uint64_t now_ms() {
    using namespace std::chrono;
    return static_cast<uint64_t>(duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count());
}

uint64_t to_ms(std::chrono::milliseconds d) { return d.count() > 0 ? static_cast<uint64_t>(d.count()) : 0; }

// A content's file never gets more than this many write attempts lost to concurrent eviction.
constexpr int kWriteAttempts = 3;
// Contents removed per eviction transaction: bounds how long the writer lock is held.
constexpr size_t kEvictBatch = 64;

}  // namespace

struct Cache::Impl {
    CacheOptions opts;
    std::shared_ptr<Store> store;
    ChunkIndex index;
    Metadata meta;
    const uint64_t boot;
    CheckedChunks checked;
    std::atomic<uint64_t> check_reads{0};
    std::atomic<uint64_t> record_commits{0};

    explicit Impl(CacheOptions o)
        : opts(std::move(o)),
          store(Store::open(opts.dir, opts.chunk_size)),
          index(store->dbs()),
          meta(store->dbs(), store->env().max_key_size()),
          boot(boot_hash(opts.boot_id)) {
        recover();
    }

    lmdb::Env& env() { return store->env(); }
    fs::path path_of(std::string_view id) const { return blob_path(store->blobs_dir(), id); }

    // The length chunk `index` must have in a content of `total_size` bytes.
    uint32_t chunk_length(uint64_t index, uint64_t total_size) const {
        const uint64_t cs = store->chunk_size();
        const uint64_t chunks = total_size / cs + (total_size % cs != 0);
        if (index >= chunks)
            throw std::invalid_argument("hubfs cache: chunk " + std::to_string(index) + " is past the end of a " +
                                        std::to_string(total_size) + "-byte content");
        return static_cast<uint32_t>(std::min<uint64_t>(cs, total_size - index * cs));
    }

    // Reads the recorded chunk into `out`; true only if its checksum matches (then it is vouched
    // for, with the file's ctime from before the read).
    bool read_verified(std::string_view id, uint64_t idx, const format::ChunkRecord& rec, std::string& out) {
        auto file = BlobFile::open_for_read(path_of(id));
        if (!file) return false;
        const uint64_t ctime = file->ctime_ns();
        out.resize(rec.length);
        if (!file->read_exact(out.data(), rec.length, idx * store->chunk_size())) return false;
        if (chunk_checksum(out.data(), out.size()) != rec.checksum) return false;
        if (ctime != 0) checked.checked(id, idx, ctime, store->is_writing(id));
        return true;
    }

    // True if the chunk needs no XXH3 check: vouched for in this process, or the content's stamp
    // is of this boot and of the file as it is now (checked_chunks.hpp).
    bool trusted(std::string_view id, uint64_t idx, uint64_t ctime, const std::optional<format::Stamp>& stamp) {
        return ctime != 0 && (checked.vouched(id, idx, ctime) || stamped_now(ctime, stamp));
    }
    // The same for every one of a content's `chunks` chunks.
    bool trusted_whole(std::string_view id, uint64_t chunks, uint64_t ctime, const std::optional<format::Stamp>& stamp) {
        return ctime != 0 && (stamped_now(ctime, stamp) || checked.vouched_all(id, chunks, ctime));
    }
    bool stamped_now(uint64_t ctime, const std::optional<format::Stamp>& stamp) const {
        return boot != 0 && stamp && stamp->boot == boot && stamp->ctime_ns == ctime;
    }

    // The check of locate_chunk: reads the chunk once (into a buffer that is not zero-filled).
    bool check(std::string_view id, uint64_t idx, const format::ChunkRecord& rec, const BlobFile& file, uint64_t ctime) {
        ++check_reads;
        std::unique_ptr<char[]> buf(new char[rec.length]);
        if (!file.read_exact(buf.get(), rec.length, idx * store->chunk_size())) return false;
        if (chunk_checksum(buf.get(), rec.length) != rec.checksum) return false;
        if (ctime != 0) checked.checked(id, idx, ctime, store->is_writing(id));
        return true;
    }

    // Stamps a content every recorded chunk of which this process vouched for, if its file has
    // not changed since (callers hold a write transaction).
    void stamp_if_whole(lmdb::Txn& txn, const CheckedChunks::Vouched& v) {
        if (boot == 0) return;
        auto file = BlobFile::open_for_read(path_of(v.id));
        if (!file || file->ctime_ns() != v.ctime_ns) return;
        const format::Stamp stamp{boot, v.ctime_ns};
        if (index.stamp(txn, v.id) == stamp) return;
        const auto recorded = index.chunk_indexes(txn, v.id);
        if (recorded.empty()) return;
        for (uint64_t i : recorded)
            if (!v.indexes.count(i)) return;
        index.put_stamp(txn, v.id, stamp);
    }

    // Records a group of durable chunks (from any thread of this process) in one transaction.
    // A chunk is recorded only if its file is still the one at its path, checked under the
    // writer lock: an eviction that unlinked it (and maybe a writer that created a new file)
    // must not leave a record pointing at bytes that are not there.
    void commit(const std::vector<PendingChunk*>& batch) {
        lmdb::Txn txn(env(), Mode::write);
        const uint64_t now = now_ms();
        for (PendingChunk* p : batch) {
            if (!p->file->is_linked_at(*p->path)) {
                p->outcome = PendingChunk::Outcome::file_replaced;
                continue;
            }
            try {
                index.record_chunk(txn, p->id, p->index, p->record, p->total_size, now);
                p->outcome = PendingChunk::Outcome::recorded;
            } catch (const std::invalid_argument&) {  // checked before any change
                p->outcome = PendingChunk::Outcome::rejected;
                p->error = std::current_exception();
            }
        }
        const uint64_t total = index.total_bytes(txn);
        txn.commit();
        ++record_commits;
        for (PendingChunk* p : batch) p->total_bytes_after = total;
    }

    // Throws std::invalid_argument if `c` cannot be a chunk of its content (callers hold a txn).
    void check_write(lmdb::Txn& txn, const ChunkWrite& c) {
        require_valid_content_id(c.content_id);
        const uint32_t length = chunk_length(c.index, c.total_size);
        if (c.data.size() != length)
            throw std::invalid_argument("hubfs cache: chunk " + std::to_string(c.index) + " of content " +
                                        std::string(c.content_id) + " must be " + std::to_string(length) +
                                        " bytes, not " + std::to_string(c.data.size()));
        if (auto have = index.content(txn, c.content_id); have && have->total_size != c.total_size)
            throw std::invalid_argument("hubfs cache: content " + std::string(c.content_id) + " has size " +
                                        std::to_string(have->total_size) + ", not " + std::to_string(c.total_size));
    }

    // The chunks `todo` of `chunks` (checked, not recorded yet): pwritten into their files (each
    // file opened once), then recorded in one group commit. No fdatasync before the records: a
    // record whose bytes a crash lost fails the XXH3 check of a read, which drops it (the chunk is
    // fetched again); a sync per chunk bounded cold reads by the disk's sync rate (BENCHMARKS.md).
    void write_batch(const std::vector<ChunkWrite>& chunks, std::vector<size_t> todo, std::vector<std::exception_ptr>& errors) {
        std::vector<std::unique_ptr<Store::WriteGuard>> guards;  // eviction skips these contents meanwhile
        std::set<std::string_view> ids;
        for (size_t i : todo)
            if (ids.insert(chunks[i].content_id).second) guards.push_back(std::make_unique<Store::WriteGuard>(*store, chunks[i].content_id));
        uint64_t total_after = 0;
        for (int attempt = 0; attempt < kWriteAttempts && !todo.empty(); ++attempt) {
            struct Opened {
                fs::path path;
                std::optional<BlobFile> file;
                uint64_t ctime = 0;  // the file as our writes left it
            };
            std::map<std::string_view, Opened> files;
            std::vector<PendingChunk> pending;
            std::vector<size_t> pending_of;  // the chunk of each pending record
            pending.reserve(todo.size());
            for (size_t i : todo) {
                const ChunkWrite& c = chunks[i];
                Opened& o = files[c.content_id];
                try {
                    if (!o.file) {
                        o.path = path_of(c.content_id);
                        o.file.emplace(BlobFile::open_for_write(o.path, c.total_size));
                    }
                    o.file->write_all(c.data, c.index * store->chunk_size());
                } catch (...) {
                    errors[i] = std::current_exception();
                    continue;
                }
                PendingChunk p;
                p.id = c.content_id;
                p.index = c.index;
                const uint64_t sum = c.checksum ? *c.checksum : chunk_checksum(c.data.data(), c.data.size());
                p.record = format::ChunkRecord{sum, static_cast<uint32_t>(c.data.size())};
                p.total_size = c.total_size;
                p.file = &*o.file;
                p.path = &o.path;
                pending.push_back(p);
                pending_of.push_back(i);
            }
            for (auto& [id, o] : files)
                if (o.file) o.ctime = o.file->ctime_ns();
            std::vector<PendingChunk*> items;
            for (auto& p : pending) items.push_back(&p);
            try {
                if (!items.empty()) store->commits().submit_all(items, [this](const auto& batch) { commit(batch); });
            } catch (...) {
                for (size_t i : pending_of) errors[i] = std::current_exception();
                return;
            }
            todo.clear();
            for (size_t k = 0; k < pending.size(); ++k) {
                const PendingChunk& p = pending[k];
                switch (p.outcome) {
                    case PendingChunk::Outcome::recorded:
                        if (const uint64_t ctime = files[p.id].ctime) checked.written(p.id, p.index, ctime);
                        total_after = std::max(total_after, p.total_bytes_after);
                        break;
                    case PendingChunk::Outcome::rejected: errors[pending_of[k]] = p.error; break;
                    case PendingChunk::Outcome::file_replaced:  // evicted meanwhile (maybe by another process)
                    case PendingChunk::Outcome::pending: todo.push_back(pending_of[k]); break;
                }
            }
        }
        // What was evicted under our feet every time is simply not cached.
        if (total_after > opts.max_bytes) evict(opts.max_bytes, false);
    }

    void unlink_blob(std::string_view id) {
        // ENOENT is fine: a failed earlier attempt, or nothing was ever written.
        ::unlink(path_of(id).c_str());
    }

    void note_access(std::string_view id) {
        const uint64_t now = now_ms();
        store->access().note(id, now);
        if (store->access().due(now, to_ms(opts.access_flush_interval))) flush_access(false);
    }

    // Writes pending access times to LMDB. Best effort: an access time is only an LRU hint.
    void flush_access(bool wait) {
        AccessTracker& tracker = store->access();
        std::unique_lock lock(tracker.flush_mutex(), std::defer_lock);
        if (wait)
            lock.lock();
        else if (!lock.try_lock())
            return;
        auto pending = tracker.take(now_ms());
        auto vouched = checked.take_changed();
        if (pending.empty() && vouched.empty()) return;
        try {
            lmdb::Txn txn(env(), Mode::write);
            for (const auto& [id, atime] : pending) index.touch(txn, id, atime);
            for (const auto& v : vouched) stamp_if_whole(txn, v);
            txn.commit();
        } catch (const std::exception&) {
        }
    }

    void evict(uint64_t max_bytes, bool wait) {
        std::unique_lock lock(store->evict_mutex(), std::defer_lock);
        if (wait)
            lock.lock();
        else if (!lock.try_lock())
            return;  // another thread is evicting already
        flush_access(true);
        const uint64_t now = now_ms(), grace = to_ms(opts.evict_grace);
        const uint64_t cutoff = now > grace ? now - grace : 0;
        auto writing = [this](std::string_view id) { return store->is_writing(id); };
        for (;;) {
            lmdb::Txn txn(env(), Mode::write);
            const uint64_t total = index.total_bytes(txn);
            if (total <= max_bytes) return;
            auto victims = index.eviction_candidates(txn, cutoff, total - max_bytes, kEvictBatch, writing);
            if (victims.empty()) return;  // the rest is recent or being written: stay over budget for now
            for (const auto& v : victims) {
                index.remove_content(txn, v.id);
                unlink_blob(v.id);
                checked.forget(v.id);
            }
            txn.commit();
        }
    }

    // At start-up: drop records whose file is gone (an eviction that unlinked, then died before
    // its commit) and files without records (a writer that died before recording its first chunk).
    void recover() {
        std::vector<std::string> dangling;
        {
            lmdb::Txn txn(env(), Mode::read);
            lmdb::Cursor cur(txn, store->dbs().contents);
            for (bool ok = cur.first(); ok; ok = cur.next()) {
                struct stat st {};
                if (::stat(path_of(cur.key()).c_str(), &st) != 0 && errno == ENOENT) dangling.emplace_back(cur.key());
            }
        }
        std::vector<std::string> orphans;
        const auto old_enough = fs::file_time_type::clock::now() - opts.evict_grace;
        std::error_code ec;
        for (const auto& sub : fs::directory_iterator(store->blobs_dir(), ec)) {
            const std::string prefix = sub.path().filename().string();
            if (prefix.size() != 2 || !sub.is_directory(ec)) continue;
            for (const auto& f : fs::directory_iterator(sub.path(), ec)) {
                const std::string name = f.path().filename().string();
                if (!is_valid_content_id(name) || name.compare(0, 2, prefix) != 0) continue;  // not ours
                if (f.last_write_time(ec) > old_enough || ec) continue;  // a writer may be about to record it
                orphans.push_back(name);
            }
        }
        if (dangling.empty() && orphans.empty()) return;

        lmdb::Txn txn(env(), Mode::write);
        for (const auto& id : dangling) {
            struct stat st {};
            if (::stat(path_of(id).c_str(), &st) != 0 && errno == ENOENT) index.remove_content(txn, id);
        }
        // Checked again under the writer lock: a writer may have recorded it since the scan.
        for (const auto& id : orphans)
            if (!index.content(txn, id) && !store->is_writing(id)) unlink_blob(id);
        txn.commit();
    }
};

Cache::Cache(CacheOptions opts) {
    if (opts.dir.empty()) throw std::runtime_error("hubfs cache: no cache directory given");
    impl_ = std::make_unique<Impl>(std::move(opts));
}

Cache::~Cache() {
    try {
        if (impl_) impl_->flush_access(true);  // access times are hints: losing them is harmless
    } catch (...) {
    }
}

Cache::Cache(Cache&&) noexcept = default;
Cache& Cache::operator=(Cache&&) noexcept = default;

uint32_t Cache::chunk_size() const { return impl_->store->chunk_size(); }

std::optional<std::string> Cache::get(std::string_view key) {
    lmdb::Txn txn(impl_->env(), Mode::read);
    return impl_->meta.get(txn, key);
}

void Cache::put(std::string_view key, std::string_view value) {
    lmdb::Txn txn(impl_->env(), Mode::write);
    impl_->meta.put(txn, key, value);
    txn.commit();
}

void Cache::erase(std::string_view key) {
    lmdb::Txn txn(impl_->env(), Mode::write);
    impl_->meta.erase(txn, key);
    txn.commit();
}

bool Cache::read_chunk(std::string_view content_id, uint64_t index, std::string& out) {
    require_valid_content_id(content_id);
    std::optional<format::ChunkRecord> rec;
    {
        lmdb::Txn txn(impl_->env(), Mode::read);
        rec = impl_->index.chunk(txn, content_id, index);
    }
    if (rec && impl_->read_verified(content_id, index, *rec, out)) {
        impl_->note_access(content_id);
        return true;
    }
    if (!rec) {
        out.clear();
        return false;
    }
    // The bytes look wrong. Look again under the writer lock, where no one can record or evict
    // this chunk meanwhile (another process may just have replaced the file), and drop the record
    // only if they are still wrong.
    lmdb::Txn txn(impl_->env(), Mode::write);
    if (auto again = impl_->index.chunk(txn, content_id, index)) {
        if (impl_->read_verified(content_id, index, *again, out)) {
            txn.abort();
            impl_->note_access(content_id);
            return true;
        }
        if (impl_->index.drop_chunk(txn, content_id, index)) impl_->unlink_blob(content_id);
        txn.commit();
        impl_->checked.forget(content_id);
    }
    out.clear();
    return false;
}

std::optional<ChunkSpan> Cache::locate_chunk(std::string_view content_id, uint64_t index) {
    require_valid_content_id(content_id);
    for (int attempt = 0; attempt < 2; ++attempt) {
        std::optional<format::ChunkRecord> rec;
        std::optional<format::Stamp> stamp;
        {
            lmdb::Txn txn(impl_->env(), Mode::read);
            rec = impl_->index.chunk(txn, content_id, index);
            if (rec) stamp = impl_->index.stamp(txn, content_id);
        }
        if (!rec) return std::nullopt;
        if (auto opened = BlobFile::open_for_read(impl_->path_of(content_id))) {
            auto file = std::make_shared<const BlobFile>(std::move(*opened));
            const uint64_t ctime = file->ctime_ns();
            if (impl_->trusted(content_id, index, ctime, stamp) || impl_->check(content_id, index, *rec, *file, ctime)) {
                impl_->note_access(content_id);
                const int fd = file->fd();
                return ChunkSpan{std::move(file), fd, index * impl_->store->chunk_size(), rec->length};
            }
        }
        // Missing or wrong: read_chunk looks again under the writer lock and drops the record if
        // the bytes are still wrong; if they were right after all (replaced meanwhile), again.
        std::string bytes;
        if (!read_chunk(content_id, index, bytes)) return std::nullopt;
    }
    return std::nullopt;
}

std::shared_ptr<const BlobFile> Cache::locate_whole(std::string_view content_id) {
    require_valid_content_id(content_id);
    std::optional<format::ContentRecord> content;
    std::optional<format::Stamp> stamp;
    {
        lmdb::Txn txn(impl_->env(), Mode::read);
        content = impl_->index.content(txn, content_id);
        if (content) stamp = impl_->index.stamp(txn, content_id);
    }
    if (!content || content->total_size == 0 || content->cached_bytes != content->total_size) return nullptr;
    auto opened = BlobFile::open_for_read(impl_->path_of(content_id));
    if (!opened) return nullptr;
    const uint64_t ctime = opened->ctime_ns();
    const uint64_t cs = impl_->store->chunk_size();
    const uint64_t chunks = content->total_size / cs + (content->total_size % cs != 0);
    if (!impl_->trusted_whole(content_id, chunks, ctime, stamp)) return nullptr;
    impl_->note_access(content_id);
    return std::make_shared<const BlobFile>(std::move(*opened));
}

uint64_t Cache::check_reads() const { return impl_->check_reads.load(); }

uint64_t Cache::record_commits() const { return impl_->record_commits.load(); }

void Cache::write_chunk(std::string_view content_id, uint64_t index, std::string_view data, uint64_t total_size) {
    auto errors = write_chunks({ChunkWrite{content_id, index, data, total_size}});
    if (errors[0]) std::rethrow_exception(errors[0]);
}

std::vector<std::exception_ptr> Cache::write_chunks(const std::vector<ChunkWrite>& chunks) {
    std::vector<std::exception_ptr> errors(chunks.size());
    std::vector<size_t> todo, there;
    {
        lmdb::Txn txn(impl_->env(), Mode::read);
        for (size_t i = 0; i < chunks.size(); ++i) {
            const ChunkWrite& c = chunks[i];
            try {
                impl_->check_write(txn, c);
            } catch (...) {
                errors[i] = std::current_exception();
                continue;
            }
            if (impl_->index.chunk(txn, c.content_id, c.index))
                there.push_back(i);
            else
                todo.push_back(i);  // twice in a batch: recorded once (the second record changes nothing)
        }
    }
    for (size_t i : there) impl_->note_access(chunks[i].content_id);
    if (!todo.empty()) impl_->write_batch(chunks, std::move(todo), errors);
    return errors;
}

bool Cache::has_chunk(std::string_view content_id, uint64_t index) {
    require_valid_content_id(content_id);
    lmdb::Txn txn(impl_->env(), Mode::read);
    return impl_->index.chunk(txn, content_id, index).has_value();
}

uint64_t Cache::cached_bytes(std::string_view content_id) {
    require_valid_content_id(content_id);
    lmdb::Txn txn(impl_->env(), Mode::read);
    auto c = impl_->index.content(txn, content_id);
    return c ? c->cached_bytes : 0;
}

uint64_t Cache::total_bytes() {
    lmdb::Txn txn(impl_->env(), Mode::read);
    return impl_->index.total_bytes(txn);
}

void Cache::evict_to(uint64_t max_bytes) { impl_->evict(max_bytes, true); }

}  // namespace hubfs::cache
