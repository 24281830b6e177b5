#include "git_repo.hpp"

#include <algorithm>
#include <cstring>
#include <set>

namespace localhub {
namespace {

[[noreturn]] void throw_git(const std::string& what) {
    const git_error* e = git_error_last();
    throw GitError(what + (e && e->message ? std::string(": ") + e->message : std::string()));
}

void check(int rc, const char* what) {
    if (rc < 0) throw_git(what);
}

bool is_hex(std::string_view s) {
    return std::all_of(s.begin(), s.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

std::vector<std::string> split(const std::string& path) {
    std::vector<std::string> out;
    size_t start = 0;
    while (start <= path.size()) {
        size_t slash = path.find('/', start);
        if (slash == std::string::npos) slash = path.size();
        if (slash > start) out.push_back(path.substr(start, slash - start));
        start = slash + 1;
    }
    return out;
}

TreePtr lookup_tree(git_repository* repo, const git_oid& id) {
    git_tree* t = nullptr;
    check(git_tree_lookup(&t, repo, &id), "tree lookup");
    return TreePtr(t);
}

}  // namespace

std::string oid_hex(const git_oid& oid) {
    char buf[GIT_OID_HEXSZ + 1];
    git_oid_tostr(buf, sizeof buf, &oid);
    return buf;
}

std::optional<git_oid> parse_oid(std::string_view hex) {
    if (hex.size() != GIT_OID_HEXSZ || !is_hex(hex)) return std::nullopt;
    git_oid oid;
    if (git_oid_fromstrn(&oid, hex.data(), hex.size()) < 0) return std::nullopt;
    return oid;
}

GitRepo GitRepo::open(const std::string& path) {
    git_repository* r = nullptr;
    check(git_repository_open_bare(&r, path.c_str()), "open repository");
    return GitRepo(RepositoryPtr(r));
}

GitRepo GitRepo::init(const std::string& path) {
    git_repository_init_options opts;
    git_repository_init_options_init(&opts, GIT_REPOSITORY_INIT_OPTIONS_VERSION);
    opts.flags = GIT_REPOSITORY_INIT_BARE | GIT_REPOSITORY_INIT_MKPATH | GIT_REPOSITORY_INIT_NO_REINIT;
    opts.initial_head = "main";
    git_repository* r = nullptr;
    check(git_repository_init_ext(&r, path.c_str(), &opts), "init repository");
    return GitRepo(RepositoryPtr(r));
}

std::optional<git_oid> GitRepo::ref_target(const std::string& full_name) const {
    git_reference* ref = nullptr;
    if (git_reference_lookup(&ref, repo_.get(), full_name.c_str()) < 0) return std::nullopt;
    ReferencePtr owned(ref);
    git_object* obj = nullptr;
    if (git_reference_peel(&obj, ref, GIT_OBJECT_COMMIT) < 0) return std::nullopt;
    ObjectPtr o(obj);
    return *git_object_id(obj);
}

std::optional<git_oid> GitRepo::resolve(const std::string& rev) const {
    if (rev.empty()) return std::nullopt;
    if (rev == "HEAD") {
        git_reference* head = nullptr;
        if (git_repository_head(&head, repo_.get()) < 0) return std::nullopt;
        ReferencePtr owned(head);
        return ref_target(git_reference_name(head));
    }
    if (auto oid = parse_oid(rev)) {
        git_commit* c = nullptr;
        if (git_commit_lookup(&c, repo_.get(), &*oid) < 0) return std::nullopt;
        git_commit_free(c);
        return oid;
    }
    if (rev.rfind("refs/", 0) == 0) return ref_target(rev);
    if (auto b = ref_target("refs/heads/" + rev)) return b;
    if (auto t = ref_target("refs/tags/" + rev)) return t;
    if (rev.size() >= 7 && rev.size() < GIT_OID_HEXSZ && is_hex(rev)) {
        git_object* obj = nullptr;
        git_oid prefix;
        if (git_oid_fromstrn(&prefix, rev.data(), rev.size()) < 0) return std::nullopt;
        if (git_object_lookup_prefix(&obj, repo_.get(), &prefix, rev.size(), GIT_OBJECT_COMMIT) < 0)
            return std::nullopt;
        ObjectPtr o(obj);
        return *git_object_id(obj);
    }
    return std::nullopt;
}

std::vector<RefRecord> GitRepo::refs() const {
    std::vector<RefRecord> out;
    git_reference_iterator* it = nullptr;
    check(git_reference_iterator_new(&it, repo_.get()), "list refs");
    std::unique_ptr<git_reference_iterator, void (*)(git_reference_iterator*)> owned(it, git_reference_iterator_free);
    git_reference* ref = nullptr;
    while (git_reference_next(&ref, it) == 0) {
        ReferencePtr r(ref);
        git_object* obj = nullptr;
        if (git_reference_peel(&obj, ref, GIT_OBJECT_COMMIT) < 0) continue;
        ObjectPtr o(obj);
        out.push_back({git_reference_name(ref), *git_object_id(obj)});
    }
    std::sort(out.begin(), out.end(), [](const RefRecord& a, const RefRecord& b) { return a.name < b.name; });
    return out;
}

git_oid GitRepo::commit_tree(const git_oid& commit_id) const {
    git_commit* c = nullptr;
    check(git_commit_lookup(&c, repo_.get(), &commit_id), "commit lookup");
    CommitPtr owned(c);
    return *git_commit_tree_id(c);
}

uint64_t GitRepo::blob_size(const git_oid& id) const {
    git_odb* odb = nullptr;
    check(git_repository_odb(&odb, repo_.get()), "odb");
    std::unique_ptr<git_odb, void (*)(git_odb*)> owned(odb, git_odb_free);
    size_t len = 0;
    git_object_t type;
    check(git_odb_read_header(&len, &type, odb, &id), "read blob header");
    return len;
}

bool GitRepo::has_blob_with(std::string_view content) const {
    git_oid id;
    check(git_odb_hash(&id, content.data(), content.size(), GIT_OBJECT_BLOB), "hash");
    git_odb* odb = nullptr;
    check(git_repository_odb(&odb, repo_.get()), "odb");
    std::unique_ptr<git_odb, void (*)(git_odb*)> owned(odb, git_odb_free);
    return git_odb_exists(odb, &id) == 1;
}

bool GitRepo::stream_blob(const git_oid& id, uint64_t offset, uint64_t length,
                          const std::function<bool(const char*, size_t)>& sink) const {
    git_odb* odb = nullptr;
    check(git_repository_odb(&odb, repo_.get()), "odb");
    std::unique_ptr<git_odb, void (*)(git_odb*)> owned(odb, git_odb_free);
    git_odb_stream* stream = nullptr;
    size_t total = 0;
    git_object_t type;
    if (git_odb_open_rstream(&stream, &total, &type, odb, &id) != 0) {
        // Packed objects cannot be streamed by libgit2: read the blob whole.
        std::string content = blob(id);
        if (offset > content.size()) return false;
        size_t n = static_cast<size_t>(std::min<uint64_t>(length, content.size() - offset));
        return sink(content.data() + offset, n) && n == length;
    }
    std::unique_ptr<git_odb_stream, void (*)(git_odb_stream*)> owned_stream(stream, git_odb_stream_free);
    std::vector<char> buf(256 * 1024);
    uint64_t at = 0, end = offset + length;
    while (at < end) {
        int n = git_odb_stream_read(stream, buf.data(), buf.size());
        if (n <= 0) return false;
        uint64_t from = at, to = at + static_cast<uint64_t>(n);
        at = to;
        if (to <= offset) continue;  // before the range: skipped
        uint64_t a = std::max(from, offset), b = std::min(to, end);
        if (!sink(buf.data() + (a - from), static_cast<size_t>(b - a))) return false;
    }
    return true;
}

std::string GitRepo::blob(const git_oid& id) const {
    git_blob* b = nullptr;
    check(git_blob_lookup(&b, repo_.get(), &id), "blob lookup");
    BlobPtr owned(b);
    return std::string(static_cast<const char*>(git_blob_rawcontent(b)), static_cast<size_t>(git_blob_rawsize(b)));
}

TreeItem GitRepo::make_item(std::string path, const git_tree_entry* e) const {
    TreeItem item;
    item.path = std::move(path);
    item.oid = *git_tree_entry_id(e);
    item.is_dir = git_tree_entry_type(e) == GIT_OBJECT_TREE;
    if (!item.is_dir) {
        item.size = blob_size(item.oid);
        if (item.size <= kMaxLfsPointerSize) {
            item.lfs = parse_lfs_pointer(blob(item.oid));
            if (item.lfs) item.size = item.lfs->size;
        }
    }
    return item;
}

std::optional<TreeItem> GitRepo::entry(const git_oid& commit_id, const std::string& path) const {
    auto root = lookup_tree(repo_.get(), commit_tree(commit_id));
    if (path.empty()) {
        TreeItem item;
        item.is_dir = true;
        item.oid = *git_tree_id(root.get());
        return item;
    }
    git_tree_entry* e = nullptr;
    if (git_tree_entry_bypath(&e, root.get(), path.c_str()) < 0) return std::nullopt;
    TreeEntryPtr owned(e);
    return make_item(path, e);
}

std::vector<TreeItem> GitRepo::list(const git_oid& commit_id, const std::string& folder, bool recursive) const {
    auto dir = entry(commit_id, folder);
    if (!dir || !dir->is_dir) return {};
    std::vector<TreeItem> out;
    // Breadth by folder, entries in git's (name) order.
    std::vector<std::pair<std::string, git_oid>> pending{{folder, dir->oid}};
    for (size_t i = 0; i < pending.size(); ++i) {
        auto [prefix, oid] = pending[i];
        auto tree = lookup_tree(repo_.get(), oid);
        size_t n = git_tree_entrycount(tree.get());
        for (size_t k = 0; k < n; ++k) {
            const git_tree_entry* e = git_tree_entry_byindex(tree.get(), k);
            std::string path = prefix.empty() ? git_tree_entry_name(e) : prefix + "/" + git_tree_entry_name(e);
            auto item = make_item(path, e);
            if (item.is_dir && recursive) pending.emplace_back(path, item.oid);
            out.push_back(std::move(item));
        }
    }
    return out;
}

CommitRecord GitRepo::commit(const git_oid& id) const {
    git_commit* c = nullptr;
    check(git_commit_lookup(&c, repo_.get(), &id), "commit lookup");
    CommitPtr owned(c);
    CommitRecord r;
    r.id = id;
    r.tree = *git_commit_tree_id(c);
    for (unsigned i = 0; i < git_commit_parentcount(c); ++i) r.parents.push_back(*git_commit_parent_id(c, i));
    const char* msg = git_commit_message(c);
    r.message = msg ? msg : "";
    const char* summary = git_commit_summary(c);
    r.title = summary ? summary : "";
    const git_signature* author = git_commit_author(c);
    r.author = author && author->name ? author->name : "";
    r.email = author && author->email ? author->email : "";
    r.time = static_cast<int64_t>(git_commit_time(c));
    return r;
}

std::vector<CommitRecord> GitRepo::log(const git_oid& from, size_t skip, size_t limit, size_t* total) const {
    git_revwalk* walk = nullptr;
    check(git_revwalk_new(&walk, repo_.get()), "revwalk");
    std::unique_ptr<git_revwalk, void (*)(git_revwalk*)> owned(walk, git_revwalk_free);
    git_revwalk_sorting(walk, GIT_SORT_TOPOLOGICAL | GIT_SORT_TIME);
    check(git_revwalk_push(walk, &from), "revwalk push");
    std::vector<CommitRecord> out;
    size_t index = 0;
    git_oid id;
    while (git_revwalk_next(&id, walk) == 0) {
        if (index >= skip && out.size() < limit) out.push_back(commit(id));
        ++index;
        if (!total && out.size() >= limit) break;
    }
    if (total) *total = index;
    return out;
}

std::map<std::string, CommitRecord> GitRepo::last_commits(const git_oid& from,
                                                          const std::vector<std::string>& paths) const {
    std::map<std::string, CommitRecord> found;
    std::set<std::string> open(paths.begin(), paths.end());
    git_revwalk* walk = nullptr;
    check(git_revwalk_new(&walk, repo_.get()), "revwalk");
    std::unique_ptr<git_revwalk, void (*)(git_revwalk*)> owned(walk, git_revwalk_free);
    git_revwalk_sorting(walk, GIT_SORT_TOPOLOGICAL | GIT_SORT_TIME);
    check(git_revwalk_push(walk, &from), "revwalk push");
    git_revwalk_simplify_first_parent(walk);
    auto id_at = [&](const git_tree* tree, const std::string& path) -> std::optional<git_oid> {
        git_tree_entry* e = nullptr;
        if (git_tree_entry_bypath(&e, tree, path.c_str()) < 0) return std::nullopt;
        TreeEntryPtr owned_e(e);
        return *git_tree_entry_id(e);
    };
    git_oid id;
    size_t walked = 0;
    while (!open.empty() && git_revwalk_next(&id, walk) == 0 && walked++ < 10000) {
        CommitRecord rec = commit(id);
        auto tree = lookup_tree(repo_.get(), rec.tree);
        TreePtr parent_tree;
        if (!rec.parents.empty()) parent_tree = lookup_tree(repo_.get(), commit_tree(rec.parents[0]));
        for (auto it = open.begin(); it != open.end();) {
            auto now = id_at(tree.get(), *it);
            auto before = parent_tree ? id_at(parent_tree.get(), *it) : std::nullopt;
            bool changed = now.has_value() != before.has_value() || (now && git_oid_cmp(&*now, &*before) != 0);
            if (changed) {
                found.emplace(*it, rec);
                it = open.erase(it);
            } else {
                ++it;
            }
        }
    }
    return found;
}

git_oid GitRepo::write_blob(std::string_view data) {
    git_oid id;
    check(git_blob_create_from_buffer(&id, repo_.get(), data.data(), data.size()), "write blob");
    return id;
}

git_oid GitRepo::write_commit(const std::vector<git_oid>& parents, const git_oid& tree_id, const std::string& author,
                              const std::string& email, const std::string& message) {
    git_signature* sig = nullptr;
    check(git_signature_now(&sig, author.c_str(), email.c_str()), "signature");
    std::unique_ptr<git_signature, void (*)(git_signature*)> owned_sig(sig, git_signature_free);
    auto tree = lookup_tree(repo_.get(), tree_id);
    std::vector<CommitPtr> parent_objs;
    std::vector<const git_commit*> parent_ptrs;
    for (const auto& p : parents) {
        git_commit* c = nullptr;
        check(git_commit_lookup(&c, repo_.get(), &p), "parent lookup");
        parent_objs.emplace_back(c);
        parent_ptrs.push_back(c);
    }
    git_oid id;
    check(git_commit_create(&id, repo_.get(), nullptr, sig, sig, "UTF-8", message.c_str(), tree.get(),
                            parent_ptrs.size(), parent_ptrs.data()),
          "create commit");
    return id;
}

bool GitRepo::update_ref(const std::string& name, const git_oid& target, const std::optional<git_oid>& expected) {
    auto current = ref_target(name);
    if (current.has_value() != expected.has_value()) return false;
    if (current && git_oid_cmp(&*current, &*expected) != 0) return false;
    git_reference* ref = nullptr;
    int rc = expected ? git_reference_create_matching(&ref, repo_.get(), name.c_str(), &target, 1, &*expected, nullptr)
                      : git_reference_create(&ref, repo_.get(), name.c_str(), &target, 0, nullptr);
    if (rc == GIT_EMODIFIED || rc == GIT_EEXISTS) return false;
    check(rc, "update ref");
    git_reference_free(ref);
    return true;
}

void GitRepo::set_ref(const std::string& name, const git_oid& target) {
    git_reference* ref = nullptr;
    check(git_reference_create(&ref, repo_.get(), name.c_str(), &target, 1, nullptr), "set ref");
    git_reference_free(ref);
}

bool GitRepo::delete_ref(const std::string& name) {
    git_reference* ref = nullptr;
    if (git_reference_lookup(&ref, repo_.get(), name.c_str()) < 0) return false;
    ReferencePtr owned(ref);
    check(git_reference_delete(ref), "delete ref");
    return true;
}

// ---- TreeEditor ----

TreeEditor::TreeEditor(GitRepo& repo, std::optional<git_oid> base_tree) : repo_(repo) {
    root_.is_dir = true;
    if (base_tree) root_.oid = *base_tree;
    else root_.loaded = true;
}

void TreeEditor::load(Node& dir) {
    if (dir.loaded) return;
    dir.loaded = true;
    auto tree = lookup_tree(repo_.raw(), dir.oid);
    size_t n = git_tree_entrycount(tree.get());
    for (size_t k = 0; k < n; ++k) {
        const git_tree_entry* e = git_tree_entry_byindex(tree.get(), k);
        Node child;
        child.is_dir = git_tree_entry_type(e) == GIT_OBJECT_TREE;
        child.oid = *git_tree_entry_id(e);
        child.mode = git_tree_entry_filemode(e);
        dir.children.emplace(git_tree_entry_name(e), std::move(child));
    }
}

TreeEditor::Node* TreeEditor::walk(const std::string& path, bool create, std::string& leaf) {
    auto parts = split(path);
    if (parts.empty()) return nullptr;
    leaf = parts.back();
    Node* dir = &root_;
    for (size_t i = 0; i + 1 < parts.size(); ++i) {
        load(*dir);
        auto it = dir->children.find(parts[i]);
        if (it == dir->children.end()) {
            if (!create) return nullptr;
            Node fresh;
            fresh.is_dir = true;
            fresh.loaded = true;
            it = dir->children.emplace(parts[i], std::move(fresh)).first;
        } else if (!it->second.is_dir) {
            if (!create) return nullptr;
            throw EditError(EditError::Kind::conflict, "'" + parts[i] + "' is a file, not a folder, in path " + path);
        }
        dir = &it->second;
    }
    load(*dir);
    return dir;
}

void TreeEditor::put_file(const std::string& path, const git_oid& blob, git_filemode_t mode) {
    std::string leaf;
    Node* dir = walk(path, true, leaf);
    auto it = dir->children.find(leaf);
    if (it != dir->children.end() && it->second.is_dir)
        throw EditError(EditError::Kind::conflict, "a folder already exists at " + path);
    Node file;
    file.oid = blob;
    file.mode = mode;
    dir->children[leaf] = std::move(file);
}

std::optional<git_oid> TreeEditor::file_blob(const std::string& path) {
    std::string leaf;
    Node* dir = walk(path, false, leaf);
    if (!dir) return std::nullopt;
    auto it = dir->children.find(leaf);
    if (it == dir->children.end() || it->second.is_dir) return std::nullopt;
    return it->second.oid;
}

void TreeEditor::remove_file(const std::string& path) {
    std::string leaf;
    Node* dir = walk(path, false, leaf);
    auto it = dir ? dir->children.find(leaf) : decltype(dir->children.end()){};
    if (!dir || it == dir->children.end() || it->second.is_dir)
        throw EditError(EditError::Kind::not_found, "A file with this name doesn't exist: " + path);
    dir->children.erase(it);
}

void TreeEditor::remove_folder(const std::string& path) {
    std::string leaf;
    Node* dir = walk(path, false, leaf);
    auto it = dir ? dir->children.find(leaf) : decltype(dir->children.end()){};
    if (!dir || it == dir->children.end() || !it->second.is_dir)
        throw EditError(EditError::Kind::not_found, "A folder with this name doesn't exist: " + path);
    dir->children.erase(it);
}

git_oid TreeEditor::write(Node& dir, bool& empty) {
    if (!dir.loaded) {
        empty = false;
        return dir.oid;
    }
    git_treebuilder* tb = nullptr;
    check(git_treebuilder_new(&tb, repo_.raw(), nullptr), "treebuilder");
    std::unique_ptr<git_treebuilder, void (*)(git_treebuilder*)> owned(tb, git_treebuilder_free);
    size_t count = 0;
    for (auto& [name, child] : dir.children) {
        git_oid id = child.oid;
        if (child.is_dir) {
            bool child_empty = false;
            id = write(child, child_empty);
            if (child_empty) continue;  // git keeps no empty folders
        }
        check(git_treebuilder_insert(nullptr, tb, name.c_str(), &id, child.is_dir ? GIT_FILEMODE_TREE : child.mode),
              "tree insert");
        ++count;
    }
    empty = count == 0;
    git_oid out;
    check(git_treebuilder_write(&out, tb), "tree write");
    return out;
}

git_oid TreeEditor::write() {
    bool empty = false;
    return write(root_, empty);
}

}  // namespace localhub
