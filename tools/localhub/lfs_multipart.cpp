#include "lfs_multipart.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <fstream>
#include <random>

#include "lfs_pointer.hpp"
#include "sha256.hpp"
#include "fs/common/unique_fd.hpp"

namespace fs = std::filesystem;

namespace localhub {

using hubfs::UniqueFd;

namespace {

constexpr size_t kReadBlock = 1 << 20;
// How long a completion waits for part PUTs of its own upload still being written.
constexpr auto kWriterWait = std::chrono::seconds(60);

std::string random_hex() {
    static std::mutex m;
    static std::mt19937_64 rng{std::random_device{}()};
    std::lock_guard l(m);
    char buf[33];
    std::snprintf(buf, sizeof buf, "%016llx%016llx", static_cast<unsigned long long>(rng()),
                  static_cast<unsigned long long>(rng()));
    return buf;
}

std::string unquote(const std::string& etag) {
    if (etag.size() >= 2 && etag.front() == '"' && etag.back() == '"') return etag.substr(1, etag.size() - 2);
    return etag;
}

bool pwrite_all(int fd, const char* p, size_t n, uint64_t off) {
    while (n > 0) {
        ssize_t w = ::pwrite(fd, p, n, static_cast<off_t>(off));
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return false;
        p += w;
        n -= static_cast<size_t>(w);
        off += static_cast<uint64_t>(w);
    }
    return true;
}

fs::path marker(const fs::path& dir, uint64_t part) { return dir / (std::to_string(part) + ".etag"); }

}  // namespace

// One upload's staging: dir/data (the object's bytes at their offsets) and dir/N.etag for each
// part stored in full (what survives a restart; the digest does not and is then recomputed).
struct MultipartUploads::Upload {
    Upload(fs::path d, const UploadKey& k)
        : dir(std::move(d)), key(k), writers(k.parts()), begun(k.parts()), etags(k.parts()) {}

    const fs::path dir;
    const UploadKey key;
    std::mutex m;  // guards everything below but `digest`
    std::condition_variable idle;
    std::vector<int> writers;       // PUTs in progress, per part (index = part - 1)
    std::vector<uint64_t> begun;    // PUTs begun, per part: only the latest one's etag counts
    std::vector<std::string> etags;  // of the parts stored in full; "" = not (or no longer) stored
    int busy = 0;                   // PUTs in progress in all
    bool closed = false;            // being completed: no more PUTs
    // The running digest covers parts 1..hashed, as they were when read; any PUT of one of them
    // since makes it invalid (it is then restarted from part 1).
    int hashed = 0;
    bool digest_valid = false;
    std::mutex hash_m;  // held while `digest` is fed
    std::unique_ptr<Sha256> digest;

    void load_markers() {
        std::error_code ec;
        for (const auto& e : fs::directory_iterator(dir, ec)) {
            const auto name = e.path().filename().string();
            if (e.path().extension() != ".etag") continue;
            uint64_t n = std::strtoull(name.c_str(), nullptr, 10);
            std::ifstream in(e.path());
            std::string etag;
            if (n >= 1 && n <= key.parts() && in && std::getline(in, etag)) etags[n - 1] = etag;
        }
    }

    // Feeds the digest with the parts that follow it and are stored with no PUT on them.
    // wait: take the digest even if another thread is feeding it (completion); else leave it.
    bool advance(bool wait) {
        std::unique_lock hl(hash_m, std::defer_lock);
        if (wait) hl.lock();
        else if (!hl.try_lock()) return true;
        UniqueFd fd;
        std::vector<char> buf;
        for (;;) {
            uint64_t n;
            {
                std::lock_guard l(m);
                if (!digest_valid) {
                    digest = std::make_unique<Sha256>();
                    hashed = 0;
                    digest_valid = true;
                }
                n = static_cast<uint64_t>(hashed) + 1;
                if (n > key.parts() || etags[n - 1].empty() || writers[n - 1] > 0) return true;
                hashed = static_cast<int>(n);  // claimed: a PUT of part n from now on invalidates
            }
            if (!fd) fd.reset(::open((dir / "data").c_str(), O_RDONLY | O_CLOEXEC));
            if (buf.empty()) buf.resize(kReadBlock);
            if (!fd || !hash_part(fd.get(), n, buf)) {
                std::lock_guard l(m);
                digest_valid = false;
                return false;
            }
        }
    }

    bool hash_part(int fd, uint64_t n, std::vector<char>& buf) {
        uint64_t off = (n - 1) * key.chunk, left = key.part_size(n);
        while (left > 0) {
            ssize_t r = ::pread(fd, buf.data(), std::min<uint64_t>(left, buf.size()), static_cast<off_t>(off));
            if (r < 0 && errno == EINTR) continue;
            if (r <= 0) return false;
            digest->update(buf.data(), static_cast<size_t>(r));
            off += static_cast<uint64_t>(r);
            left -= static_cast<uint64_t>(r);
        }
        return true;
    }

    // Writes part n's bytes at its offset; true if exactly its size arrived and was written.
    bool write_part(uint64_t n, const ByteSource& read) {
        UniqueFd fd(::open((dir / "data").c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
        struct stat st{};
        if (!fd || ::fstat(fd.get(), &st) != 0) return false;
        if (static_cast<uint64_t>(st.st_size) != key.size && ::ftruncate(fd.get(), static_cast<off_t>(key.size)) != 0)
            return false;
        const uint64_t start = (n - 1) * key.chunk, want = key.part_size(n);
        uint64_t got = 0;
        bool ok = true;
        bool whole = read([&](const char* p, size_t len) {
            ok = got + len <= want && pwrite_all(fd.get(), p, len, start + got);
            got += len;
            return ok;
        });
        if (!whole || !ok || got != want) return false;
        // Start writing the part back now, while the rest arrives: the completion's one fsync
        // then waits for little.
        ::sync_file_range(fd.get(), static_cast<off_t>(start), static_cast<off_t>(want), SYNC_FILE_RANGE_WRITE);
        return true;
    }
};

MultipartUploads::MultipartUploads(fs::path tmp_root, std::chrono::seconds url_lifetime)
    : tmp_(std::move(tmp_root)), url_lifetime_(url_lifetime) {
    std::lock_guard l(mutex_);
    sweep();  // what a server killed or stopped mid-upload left behind, once its URLs are dead
}

void MultipartUploads::sweep() {
    // An upload's URLs are all signed when the batch answers, before its first part lands, so
    // staging last touched more than a lifetime ago belongs to an upload whose URLs have expired.
    // Twice the lifetime leaves room for a request verified just before its URL expired.
    const auto dead_before = fs::file_time_type::clock::now() - 2 * url_lifetime_;
    std::error_code ec;
    next_sweep_ = std::chrono::steady_clock::now() + url_lifetime_;
    for (const auto& e : fs::directory_iterator(tmp_, ec)) {
        const std::string name = e.path().filename().string();
        if (!name.starts_with("multipart-")) continue;
        std::error_code tec;
        auto touched = fs::last_write_time(e.path(), tec);
        auto data_touched = fs::last_write_time(e.path() / "data", tec);
        if (!tec) touched = std::max(touched, data_touched);
        if (touched >= dead_before) continue;
        auto it = uploads_.find(name);
        if (it != uploads_.end()) {
            std::lock_guard ul(it->second->m);
            if (it->second->busy > 0 || it->second->closed) continue;
            it->second->closed = true;  // a request that still holds it gets 409, never a new folder
            uploads_.erase(it);
        }
        fs::remove_all(e.path(), tec);
    }
}
MultipartUploads::~MultipartUploads() = default;

std::string MultipartUploads::new_id() { return random_hex(); }

bool MultipartUploads::valid(const UploadKey& k) {
    if (!is_sha256_hex(k.sha256) || k.size == 0 || k.chunk == 0) return false;
    if (k.id.size() < 16 || k.id.size() > 64) return false;
    for (char c : k.id)
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
    return true;
}

fs::path MultipartUploads::dir_of(const UploadKey& k) const {
    return tmp_ / ("multipart-" + k.sha256 + "-" + std::to_string(k.size) + "-" + std::to_string(k.chunk) + "-" + k.id);
}

std::shared_ptr<MultipartUploads::Upload> MultipartUploads::get(const UploadKey& key) {
    auto dir = dir_of(key);
    std::lock_guard l(mutex_);
    if (std::chrono::steady_clock::now() >= next_sweep_) sweep();
    auto& u = uploads_[dir.filename().string()];
    if (!u) {
        u = std::make_shared<Upload>(dir, key);
        u->load_markers();  // an upload begun before a restart
    }
    return u;
}

void MultipartUploads::drop(const UploadKey& key, const std::shared_ptr<Upload>& u) {
    std::error_code ec;
    fs::remove_all(u->dir, ec);
    std::lock_guard l(mutex_);
    auto it = uploads_.find(dir_of(key).filename().string());
    if (it != uploads_.end() && it->second == u) uploads_.erase(it);
}

MultipartUploads::Result MultipartUploads::put_part(const UploadKey& key, uint64_t part, const ByteSource& read) {
    if (!valid(key) || part < 1 || part > key.parts()) return {400, "invalid upload or part number", {}};
    auto u = get(key);
    const size_t i = part - 1;
    uint64_t generation;
    {
        std::lock_guard l(u->m);
        if (u->closed) return {409, "this upload is being completed", {}};
        ++u->writers[i];
        ++u->busy;
        generation = ++u->begun[i];
        if (!u->etags[i].empty()) {  // stored before: its bytes change now, it counts only once stored again
            u->etags[i].clear();
            std::error_code ec;
            fs::remove(marker(u->dir, part), ec);
        }
        if (part <= static_cast<uint64_t>(u->hashed)) u->digest_valid = false;
    }
    std::error_code ec;
    fs::create_directories(u->dir, ec);
    bool ok = !ec && u->write_part(part, read);
    std::string etag = "\"" + random_hex() + "\"";
    {
        std::lock_guard l(u->m);
        --u->writers[i];
        --u->busy;
        if (ok && generation == u->begun[i]) {  // a later PUT of this part decides its etag
            std::ofstream(marker(u->dir, part), std::ios::trunc) << etag << "\n";
            u->etags[i] = etag;
        }
        u->idle.notify_all();
    }
    if (!ok)
        return {400, "part " + std::to_string(part) + " was not stored: it must be " + std::to_string(key.part_size(part)) + " bytes", {}};
    u->advance(false);
    return {0, {}, etag};
}

MultipartUploads::Result MultipartUploads::complete(const UploadKey& key, const std::vector<std::pair<int, std::string>>& parts,
                                                    const Accept& accept) {
    if (!valid(key)) return {400, "invalid upload", {}};
    auto u = get(key);
    {
        std::unique_lock l(u->m);
        if (!u->idle.wait_for(l, kWriterWait, [&] { return u->busy == 0; }))
            return {409, "parts of this upload are still being written", {}};
        if (u->closed) return {409, "this upload is being completed", {}};
        std::vector<bool> listed(key.parts());
        for (const auto& [n, etag] : parts) {
            if (n < 1 || static_cast<uint64_t>(n) > key.parts() || listed[n - 1])
                return {400, "part " + std::to_string(n) + " is out of range 1.." + std::to_string(key.parts()) + " or listed twice", {}};
            listed[n - 1] = true;
            if (u->etags[n - 1].empty()) return {400, "part " + std::to_string(n) + " was not uploaded", {}};
            if (unquote(u->etags[n - 1]) != unquote(etag)) return {400, "etag of part " + std::to_string(n) + " does not match", {}};
        }
        if (parts.size() != key.parts())
            return {400, "the completion lists " + std::to_string(parts.size()) + " of " + std::to_string(key.parts()) + " parts", {}};
        u->closed = true;
    }
    auto reopen = [&] {
        std::lock_guard l(u->m);
        u->closed = false;
        u->digest_valid = false;
    };
    std::string got;
    {
        bool fed = u->advance(true);
        std::lock_guard hl(u->hash_m);
        std::lock_guard l(u->m);
        if (!fed || !u->digest_valid || static_cast<uint64_t>(u->hashed) != key.parts()) {
            u->closed = false;
            u->digest_valid = false;
            return {500, "cannot read the uploaded parts", {}};
        }
        got = u->digest->hex();
        u->digest_valid = false;  // hex() finished it
    }
    if (got != key.sha256) {  // wrong bytes: this upload can never complete
        drop(key, u);
        return {400, "uploaded content does not match: expected sha256 " + key.sha256 + ", got " + got, {}};
    }
    auto data = u->dir / "data";
    UniqueFd fd(::open(data.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd || ::fsync(fd.get()) != 0) {
        reopen();
        return {500, "cannot sync the uploaded object", {}};
    }
    if (auto error = accept(data, key.sha256); !error.empty()) {
        reopen();
        return {500, error, {}};
    }
    drop(key, u);
    return {};
}

}  // namespace localhub
