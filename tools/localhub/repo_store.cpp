#include "repo_store.hpp"

#include <fstream>
#include <random>

#include "git_repo.hpp"
#include "time_format.hpp"

namespace fs = std::filesystem;

namespace localhub {

std::optional<RepoType> repo_type_from_plural(const std::string& s) {
    if (s == "models") return RepoType::model;
    if (s == "datasets") return RepoType::dataset;
    if (s == "spaces") return RepoType::space;
    return std::nullopt;
}

std::optional<RepoType> repo_type_from_name(const std::string& s) {
    if (s.empty() || s == "model") return RepoType::model;
    if (s == "dataset") return RepoType::dataset;
    if (s == "space") return RepoType::space;
    return std::nullopt;
}

std::string type_name(RepoType t) {
    switch (t) {
        case RepoType::model: return "model";
        case RepoType::dataset: return "dataset";
        case RepoType::space: return "space";
    }
    return "model";
}

std::string type_plural(RepoType t) { return type_name(t) + "s"; }

std::string type_url_prefix(RepoType t) { return t == RepoType::model ? "" : type_plural(t) + "/"; }

bool valid_repo_name(const std::string& s) {
    if (s.empty() || s.size() > 96) return false;
    // ASCII only, whatever the locale: no '/', '%', NUL, or look-alike letters of other scripts.
    for (char c : s)
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
              c == '-'))
            return false;
    if (s.front() == '-' || s.front() == '.' || s.back() == '-' || s.back() == '.') return false;
    if (s.find("--") != std::string::npos || s.find("..") != std::string::npos) return false;
    if (s.size() >= 4 && s.compare(s.size() - 4, 4, ".git") == 0) return false;
    return true;
}

bool valid_repo_id(const RepoId& id) {
    return (id.ns.empty() || valid_repo_name(id.ns)) && valid_repo_name(id.name);
}

bool RepoId::operator<(const RepoId& o) const {
    return std::tie(type, ns, name) < std::tie(o.type, o.ns, o.name);
}

std::string default_gitattributes() {
    static const char* patterns[] = {
        "*.7z",   "*.arrow", "*.bin",  "*.bz2",  "*.ckpt",    "*.ftz",     "*.gz",      "*.h5",
        "*.joblib", "*.lfs.*", "*.mlmodel", "*.model", "*.msgpack", "*.npy", "*.npz", "*.onnx",
        "*.ot",   "*.parquet", "*.pb", "*.pickle", "*.pkl", "*.pt",  "*.pth",     "*.rar",
        "*.safetensors", "saved_model/**/*", "*.tar.*", "*.tar", "*.tflite", "*.tgz", "*.wasm", "*.xz",
        "*.zip",  "*.zst",   "*tfevents*"};
    std::string out;
    for (const char* p : patterns) out += std::string(p) + " filter=lfs diff=lfs merge=lfs -text\n";
    return out;
}

RepoStore::RepoStore(fs::path data_dir) : root_(data_dir / "repos") { fs::create_directories(root_); }

fs::path RepoStore::path(const RepoId& id) const {
    if (!valid_repo_id(id)) throw InvalidRepoId("invalid repo id");
    fs::path p = root_ / type_plural(id.type);
    if (!id.ns.empty()) p /= id.ns;
    return p / (id.name + ".git");
}

bool RepoStore::exists(const RepoId& id) const { return valid_repo_id(id) && fs::exists(path(id) / "localhub.json"); }

std::optional<RepoMeta> RepoStore::meta(const RepoId& id) const {
    if (!valid_repo_id(id)) return std::nullopt;
    std::ifstream in(path(id) / "localhub.json");
    if (!in) return std::nullopt;
    nlohmann::json j;
    try {
        in >> j;
    } catch (const std::exception&) {
        return std::nullopt;
    }
    RepoMeta m;
    m.object_id = j.value("id", "");
    m.is_private = j.value("private", false);
    m.gated = j.contains("gated") ? j["gated"] : nlohmann::json(false);
    m.created_at = j.value("createdAt", "");
    m.sdk = j.value("sdk", "");
    return m;
}

void RepoStore::save_meta(const RepoId& id, const RepoMeta& m) const {
    nlohmann::json j = {{"id", m.object_id},         {"private", m.is_private},
                        {"gated", m.gated},          {"createdAt", m.created_at},
                        {"sdk", m.sdk}};
    auto target = path(id) / "localhub.json";
    auto tmp = target;
    tmp += ".tmp";
    {
        std::ofstream out(tmp, std::ios::trunc);
        out << j.dump(1);
        if (!out) throw std::runtime_error("cannot write repository metadata");
    }
    fs::rename(tmp, target);  // atomic replace
}

bool RepoStore::create(const RepoId& id, const RepoMeta& meta, const std::string& author) {
    std::lock_guard guard(create_mutex_);
    if (exists(id)) return false;
    auto p = path(id);
    std::error_code ec;
    fs::remove_all(p, ec);  // leftovers of a create that died half-way
    auto repo = GitRepo::init(p.string());
    TreeEditor editor(repo, std::nullopt);
    editor.put_file(".gitattributes", repo.write_blob(default_gitattributes()));
    auto tree = editor.write();
    auto commit = repo.write_commit({}, tree, author, author + "@users.noreply.localhub", "initial commit");
    repo.set_ref("refs/heads/main", commit);
    RepoMeta m = meta;
    if (m.object_id.empty()) {
        thread_local std::mt19937_64 rng{std::random_device{}()};
        char buf[32];
        std::snprintf(buf, sizeof buf, "%08llx%016llx", static_cast<unsigned long long>(rng() & 0xffffffff),
                      static_cast<unsigned long long>(rng()));
        m.object_id = buf;
    }
    if (m.created_at.empty()) m.created_at = iso_now();
    save_meta(id, m);  // written last: its presence marks the repository as complete
    return true;
}

bool RepoStore::remove(const RepoId& id) {
    if (!exists(id)) return false;
    auto p = path(id);
    auto trash = p;
    trash += ".deleted";
    std::error_code ec;
    fs::remove_all(trash, ec);
    fs::rename(p, trash);  // the repository disappears at once, then is cleaned up
    fs::remove_all(trash, ec);
    return true;
}

bool RepoStore::move(const RepoId& from, const RepoId& to) {
    std::lock_guard guard(create_mutex_);
    if (!exists(from) || exists(to)) return false;
    fs::create_directories(path(to).parent_path());
    fs::rename(path(from), path(to));
    return true;
}

std::vector<RepoId> RepoStore::list(RepoType type) const {
    std::vector<RepoId> out;
    fs::path base = root_ / type_plural(type);
    std::error_code ec;
    if (!fs::exists(base, ec)) return out;
    auto add = [&](const fs::path& dir, const std::string& ns) {
        for (const auto& e : fs::directory_iterator(dir, ec)) {
            auto name = e.path().filename().string();
            if (name.size() > 4 && name.ends_with(".git") && fs::exists(e.path() / "localhub.json"))
                out.push_back({type, ns, name.substr(0, name.size() - 4)});
        }
    };
    add(base, "");
    for (const auto& e : fs::directory_iterator(base, ec))
        if (e.is_directory() && !e.path().filename().string().ends_with(".git")) add(e.path(), e.path().filename().string());
    std::sort(out.begin(), out.end());
    return out;
}

void RepoStore::link_lfs(const RepoId& id, const std::string& sha256) const {
    auto dir = path(id) / "lfs-links";
    fs::create_directories(dir);
    std::ofstream(dir / sha256).flush();
}

bool RepoStore::has_lfs_link(const RepoId& id, const std::string& sha256) const {
    std::error_code ec;
    return valid_repo_id(id) && sha256.size() == 64 && sha256.find('/') == std::string::npos &&
           fs::exists(path(id) / "lfs-links" / sha256, ec);
}

std::string RepoStore::key(const RepoId& id) { return type_plural(id.type) + "/" + id.id(); }

std::optional<RepoId> RepoStore::from_key(const std::string& key) {
    auto a = key.find('/');
    if (a == std::string::npos) return std::nullopt;
    auto type = repo_type_from_plural(key.substr(0, a));
    if (!type) return std::nullopt;
    std::string rest = key.substr(a + 1);
    auto b = rest.find('/');
    RepoId id{*type, b == std::string::npos ? "" : rest.substr(0, b), b == std::string::npos ? rest : rest.substr(b + 1)};
    if (!valid_repo_id(id)) return std::nullopt;
    return id;
}

std::unique_lock<std::mutex> RepoStore::lock(const RepoId& id) {
    std::shared_ptr<std::mutex> m;
    {
        std::lock_guard guard(locks_mutex_);
        auto& slot = locks_[type_plural(id.type) + "/" + id.id()];
        if (!slot) slot = std::make_shared<std::mutex>();
        m = slot;
    }
    return std::unique_lock<std::mutex>(*m);
}

}  // namespace localhub
