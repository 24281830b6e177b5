// Write endpoints: preupload, the NDJSON commit, branches, tags and super-squash.
#include <fnmatch.h>

#include <exception>
#include <functional>
#include <sstream>

#include "api_support.hpp"
#include "base64.hpp"
#include "commit_payload.hpp"
#include "gitignore.hpp"
#include "hub.hpp"
#include "time_format.hpp"

namespace localhub {
namespace {

constexpr uint64_t kLfsSizeThreshold = 10ull << 20;

std::vector<std::string> lfs_patterns(const GitRepo& git, const git_oid& commit) {
    std::vector<std::string> out;
    auto attrs = git.entry(commit, ".gitattributes");
    if (!attrs || attrs->is_dir || attrs->lfs) return out;
    std::istringstream in(git.blob(attrs->oid));
    std::string line;
    while (std::getline(in, line)) {
        if (line.find("filter=lfs") == std::string::npos || line.empty() || line[0] == '#') continue;
        out.push_back(line.substr(0, line.find_first_of(" \t")));
    }
    return out;
}

bool matches_lfs_pattern(const std::vector<std::string>& patterns, const std::string& path) {
    std::string base = path.substr(path.rfind('/') + 1);
    for (const auto& p : patterns) {
        bool anchored = p.find('/') != std::string::npos;
        if (fnmatch(p.c_str(), anchored ? path.c_str() : base.c_str(), 0) == 0) return true;
    }
    return false;
}

// Where a commit to `rev` lands: a branch or a pull request ref.
std::string branch_ref(const std::string& rev) {
    if (rev.rfind("refs/pr/", 0) == 0 || rev.rfind("refs/heads/", 0) == 0) return rev;
    return "refs/heads/" + rev;
}

std::string author_email(const std::string& name) { return name + "@users.noreply.localhub"; }

// A branch or tag name git accepts, with the lengths filesystems accept (255 bytes a segment).
void check_ref_name(const std::string& kind, const std::string& name) {
    bool ok = !name.empty() && name.size() <= 1024 && name.rfind("refs/", 0) != 0;
    for (size_t start = 0; ok && start <= name.size();) {
        size_t slash = name.find('/', start);
        if (slash == std::string::npos) slash = name.size();
        ok = slash - start <= 255;
        start = slash + 1;
    }
    int valid = 0;
    std::string ref = (kind == "tag" ? "refs/tags/" : "refs/heads/") + name;
    if (!ok || git_reference_name_is_valid(&valid, ref.c_str()) < 0 || !valid)
        throw HubError(400, "Invalid reference for a " + kind + ": " + name.substr(0, 300));
}

// One operation of a commit, its content already written as a blob: the body streams through
// and only this much of each line is kept, so a commit of many files needs little memory.
struct PendingOp {
    enum class Kind { put, copy, remove_file, remove_folder } kind = Kind::put;
    std::string path;
    git_oid blob{};       // put
    std::string source;   // copy: the oldPath
};

struct CommitRequest {
    std::string summary, description;
    std::optional<std::string> parent;
    bool have_header = false;
    std::vector<PendingOp> ops;
};

// Calls on_line with each line of the body as it arrives (a final line may lack its '\n').
// At most max bytes in all (413 beyond).
void for_each_line(HttpRequest& req, uint64_t max, const std::function<void(std::string_view)>& on_line) {
    if (!req.body) return;
    if (auto n = req.body->declared_length(); n && *n > max)
        throw HubError(413, "request body too large (" + std::to_string(*n) + " bytes, at most " + std::to_string(max) + ")");
    std::string carry;
    uint64_t total = 0;
    bool too_big = false;
    std::exception_ptr error;
    bool ok = req.body->read([&](const char* p, size_t n) {
        total += n;
        if (total > max) return !(too_big = true);
        std::string_view chunk(p, n);
        try {
            while (!chunk.empty()) {
                size_t nl = chunk.find('\n');
                if (nl == std::string_view::npos) {
                    carry.append(chunk);
                    break;
                }
                if (carry.empty()) {
                    on_line(chunk.substr(0, nl));
                } else {
                    carry.append(chunk.substr(0, nl));
                    on_line(carry);
                    if (carry.capacity() > (1 << 20)) std::string().swap(carry);  // give a big line's memory back
                    carry.clear();
                }
                chunk.remove_prefix(nl + 1);
            }
        } catch (...) {
            error = std::current_exception();
            return false;
        }
        return true;
    });
    if (error) std::rethrow_exception(error);
    if (too_big) throw HubError(413, "request body too large (at most " + std::to_string(max) + " bytes)");
    if (!ok) throw HubError(400, "incomplete request body");
    if (!carry.empty()) on_line(carry);
}

}  // namespace

void Hub::preupload(HttpRequest& req, HttpResponse& res, RepoContext& ctx, const std::string& rev) {
    auto body = read_json_body(req, options_.max_body);
    if (!body.contains("files") || !body["files"].is_array()) throw HubError(400, "expected {\"files\": [...]}");
    auto head = ctx.git.resolve(rev.empty() ? "HEAD" : rev);
    if (!head && !truthy(req.param("create_pr"))) throw HubError(404, "Invalid rev id: " + rev, "RevisionNotFound");
    auto patterns = head ? lfs_patterns(ctx.git, *head) : std::vector<std::string>{};
    if (body.contains("gitAttributes") && body["gitAttributes"].is_string()) {
        std::istringstream in(body["gitAttributes"].get<std::string>());
        std::string line;
        while (std::getline(in, line))
            if (line.find("filter=lfs") != std::string::npos) patterns.push_back(line.substr(0, line.find_first_of(" \t")));
    }
    // Files the repository's .gitignore (or the client's, as Python sends it) ignores are not committed.
    std::string ignore_text;
    if (body.contains("gitIgnore") && body["gitIgnore"].is_string()) {
        ignore_text = body["gitIgnore"].get<std::string>();
    } else if (head) {
        auto entry = ctx.git.entry(*head, ".gitignore");
        if (entry && !entry->is_dir && !entry->lfs) ignore_text = ctx.git.blob(entry->oid);
    }
    const GitIgnore ignore(ignore_text);
    nlohmann::json files = nlohmann::json::array();
    for (const auto& f : body["files"]) {
        if (!f.is_object()) throw HubError(400, "each file must be an object");
        std::string path = checked_repo_path(string_field(f, "path", "files"));
        uint64_t size = f.contains("size") && f["size"].is_number_unsigned() ? f["size"].get<uint64_t>() : 0;
        std::string sample;
        if (f.contains("sample") && f["sample"].is_string()) {
            auto decoded = base64_decode(f["sample"].get<std::string>());
            if (!decoded) throw HubError(400, "invalid base64 in sample of " + path);
            sample = *decoded;
        }
        bool binary = sample.find('\0') != std::string::npos;
        bool lfs = size > 0 && (size >= kLfsSizeThreshold || binary || matches_lfs_pattern(patterns, path));
        nlohmann::json entry = {{"path", path}, {"uploadMode", lfs ? "lfs" : "regular"}, {"shouldIgnore", ignore.ignores(path)}};
        if (head) {
            if (auto existing = ctx.git.entry(*head, path); existing && !existing->is_dir) {
                // Only the kind of hash the client compares with (sha256 for LFS, git sha1 otherwise).
                if (lfs && existing->lfs) entry["oid"] = existing->lfs->sha256;
                if (!lfs && !existing->lfs) entry["oid"] = oid_hex(existing->oid);
            }
        }
        files.push_back(std::move(entry));
    }
    nlohmann::json out = {{"files", files}};
    if (head) out["commitOid"] = oid_hex(*head);
    send_json(res, out);
}

void Hub::commit(HttpRequest& req, HttpResponse& res, RepoContext& ctx, const std::string& rev) {
    bool create_pr = truthy(req.param("create_pr"));
    std::string ref = branch_ref(rev.empty() ? "main" : rev);
    if (ctx.caller.user == nullptr) throw HubError(401, "You must be authenticated to commit");
    if (create_pr && ref.rfind("refs/pr/", 0) == 0) throw HubError(400, "cannot open a pull request from a pull request");
    if (!create_pr && ref.rfind("refs/pr/", 0) != 0 && !access_.can_write(ctx.caller, ctx.id))
        throw HubError(403, "You don't have the rights to write to " + ctx.id.id());

    // The NDJSON body, line by line: file contents become blobs at once (a commit that fails
    // later leaves them unreferenced, as an interrupted git push does).
    CommitRequest request;
    size_t line_no = 0;
    for_each_line(req, options_.max_body, [&](std::string_view line) {
        auto parsed = parse_payload_line(line, ++line_no);
        if (!parsed) return;
        const std::string& key = parsed->key;
        const auto& value = parsed->value;
        if (key == "header") {
            auto header = parse_commit_header(value);
            request.summary = std::move(header.summary);
            request.description = std::move(header.description);
            request.parent = std::move(header.parent);
            request.have_header = true;
            return;
        }
        PendingOp op;
        op.path = checked_repo_path(string_field(value, "path", key));
        const std::string& path = op.path;
        if (key == "file") {
            if (value.contains("content")) {
                std::string content = string_field(value, "content", key);
                std::string encoding = value.contains("encoding") ? string_field(value, "encoding", key) : "base64";
                if (encoding == "base64") {
                    auto decoded = base64_decode(content);
                    if (!decoded) throw HubError(400, "invalid base64 content for " + path);
                    content = std::move(*decoded);
                } else if (encoding != "utf-8") {
                    throw HubError(400, "unknown encoding '" + encoding + "' for " + path);
                }
                // A pointer committed as a regular file reads as that LFS object: the same
                // rule as for lfsFile applies, or it would hand out objects of other repos.
                if (auto p = parse_lfs_pointer(content); p && !repo_has_lfs(ctx, p->sha256, p->size))
                    throw HubError(422, "LFS pointer " + path + " names an object not uploaded to this repository");
                op.blob = ctx.git.write_blob(content);
            } else if (value.contains("oldPath")) {  // a copy of a file already in the repo
                op.kind = PendingOp::Kind::copy;
                op.source = checked_repo_path(string_field(value, "oldPath", key));
            } else {
                throw HubError(400, "'file' operation without content for " + path);
            }
        } else if (key == "lfsFile") {
            std::string oid = string_field(value, "oid", key);
            if (value.contains("algo") && value["algo"] != "sha256") throw HubError(400, "lfsFile algo must be sha256");
            if (!is_sha256_hex(oid)) throw HubError(400, "lfsFile oid must be a sha256 hex digest");
            auto stored = lfs_.size(oid);
            if (!stored || !repo_has_lfs(ctx, oid, *stored))
                throw HubError(422, "LFS object " + oid + " for " + path + " was not uploaded");
            if (value.contains("size") && (!value["size"].is_number_unsigned() || value["size"].get<uint64_t>() != *stored))
                throw HubError(422, "size of " + path + " does not match the uploaded LFS object");
            op.blob = ctx.git.write_blob(make_lfs_pointer({oid, *stored}));
        } else if (key == "deletedFile") {
            op.kind = PendingOp::Kind::remove_file;
        } else if (key == "deletedFolder") {
            op.kind = PendingOp::Kind::remove_folder;
        } else {
            throw HubError(400, "unknown operation '" + key + "'");
        }
        request.ops.push_back(std::move(op));
    });
    if (!request.have_header) throw HubError(400, "the commit has no header line");
    if (request.summary.empty()) throw HubError(400, "the commit summary is empty");

    auto lock = repos_.lock(ctx.id);
    bool is_pr = !create_pr && ref.rfind("refs/pr/", 0) == 0;
    if (is_pr) check_pr_commit(ctx, ref);
    auto head = ctx.git.ref_target(ref);
    if (!head) {
        if (ctx.git.resolve(rev)) throw HubError(400, "Invalid rev id: " + rev + " is not a branch");
        throw HubError(404, "Invalid rev id: " + rev, "RevisionNotFound");
    }
    git_oid base = *head;
    if (request.parent) {
        auto parent = parse_oid(*request.parent);
        if (!parent || !ctx.git.resolve(*request.parent)) throw HubError(400, "invalid parentCommit " + *request.parent);
        if (create_pr) base = *parent;
        else if (git_oid_cmp(&*parent, &*head) != 0)
            throw HubError(412, "The branch was updated since you opened this page. Please refresh and try again.");
    }

    TreeEditor editor(ctx.git, ctx.git.commit_tree(base));
    for (const auto& op : request.ops) {
        try {
            switch (op.kind) {
                case PendingOp::Kind::put: editor.put_file(op.path, op.blob); break;
                case PendingOp::Kind::copy: {
                    auto blob = editor.file_blob(op.source);
                    if (!blob) throw HubError(404, "copy source not found for " + op.path, "EntryNotFound");
                    editor.put_file(op.path, *blob);
                    break;
                }
                case PendingOp::Kind::remove_file: editor.remove_file(op.path); break;
                case PendingOp::Kind::remove_folder: editor.remove_folder(op.path); break;
            }
        } catch (const TreeEditor::EditError& e) {
            if (e.kind == TreeEditor::EditError::Kind::not_found) throw HubError(404, e.what(), "EntryNotFound");
            throw HubError(409, e.what());
        }
    }
    git_oid tree = editor.write();
    std::string message = request.summary + (request.description.empty() ? "" : "\n\n" + request.description);
    const std::string& author = ctx.caller.user->name;
    git_oid commit = ctx.git.write_commit({base}, tree, author, author_email(author), message);

    std::string repo_url = endpoint_of(req) + "/" + type_url_prefix(ctx.id.type) + ctx.id.id();
    nlohmann::json out = {{"success", true},
                          {"commitOid", oid_hex(commit)},
                          {"commitUrl", repo_url + "/commit/" + oid_hex(commit)},
                          {"hookOutput", ""}};
    if (create_pr) {
        int num = open_pr_from_commit(ctx, ref, request.summary, request.description, commit);
        out["pullRequestUrl"] = repo_url + "/discussions/" + std::to_string(num);
    } else if (!ctx.git.update_ref(ref, commit, head)) {
        throw HubError(409, "the branch moved during the commit; try again");  // cannot happen under the lock
    } else if (is_pr) {
        record_pr_commit(ctx, ref, request.summary, commit);
    }
    send_json(res, out);
}

void Hub::create_branch(HttpRequest& req, HttpResponse& res, RepoContext& ctx, const std::string& branch) {
    auto body = read_json_body(req, options_.max_body);
    check_ref_name("branch", branch);
    std::string ref = "refs/heads/" + branch;
    auto lock = repos_.lock(ctx.id);
    auto flag = [&](const char* name) { return body.is_object() && body.contains(name) && body[name] == true; };
    bool overwrite = flag("overwrite");
    if (ctx.git.ref_target(ref) && !overwrite) throw HubError(409, "Reference " + ref + " already exists");
    git_oid target;
    if (flag("emptyBranch")) {
        TreeEditor editor(ctx.git, std::nullopt);
        const std::string& author = ctx.caller.user->name;
        target = ctx.git.write_commit({}, editor.write(), author, author_email(author), "Create empty branch");
    } else {
        std::string start = body.is_object() && body.contains("startingPoint") && body["startingPoint"].is_string()
                                ? body["startingPoint"].get<std::string>()
                                : "HEAD";
        target = resolve_or_404(ctx, start);
    }
    ctx.git.set_ref(ref, target);
    send_json(res, nlohmann::json::object());
}

void Hub::delete_branch(HttpResponse& res, RepoContext& ctx, const std::string& branch) {
    if (branch == "main") throw HubError(403, "Cannot delete refs/heads/main");
    auto lock = repos_.lock(ctx.id);
    if (!ctx.git.delete_ref("refs/heads/" + branch)) throw HubError(404, "Invalid rev id: " + branch, "RevisionNotFound");
    send_json(res, nlohmann::json::object());
}

void Hub::create_tag(HttpRequest& req, HttpResponse& res, RepoContext& ctx, const std::string& rev) {
    auto body = read_json_body(req, options_.max_body);
    if (!body.is_object() || !body.contains("tag") || !body["tag"].is_string()) throw HubError(400, "expected {\"tag\": ...}");
    std::string tag = body["tag"];
    check_ref_name("tag", tag);
    std::string ref = "refs/tags/" + tag;
    git_oid target = resolve_or_404(ctx, rev);
    auto lock = repos_.lock(ctx.id);
    if (ctx.git.ref_target(ref)) throw HubError(409, "Reference " + ref + " already exists");
    std::string message = body.contains("message") && body["message"].is_string() ? body["message"].get<std::string>() : "";
    if (message.empty()) {
        ctx.git.set_ref(ref, target);
    } else {
        git_object* obj = nullptr;
        if (git_object_lookup(&obj, ctx.git.raw(), &target, GIT_OBJECT_COMMIT) < 0) throw HubError(500, "tag target lookup");
        ObjectPtr owned(obj);
        git_signature* sig = nullptr;
        git_signature_now(&sig, ctx.caller.user->name.c_str(), author_email(ctx.caller.user->name).c_str());
        std::unique_ptr<git_signature, void (*)(git_signature*)> owned_sig(sig, git_signature_free);
        git_oid tag_oid;
        if (git_tag_create(&tag_oid, ctx.git.raw(), tag.c_str(), obj, sig, message.c_str(), 0) < 0)
            throw HubError(409, "Reference " + ref + " already exists");
    }
    send_json(res, nlohmann::json::object());
}

void Hub::delete_tag(HttpResponse& res, RepoContext& ctx, const std::string& tag) {
    auto lock = repos_.lock(ctx.id);
    if (!ctx.git.delete_ref("refs/tags/" + tag)) throw HubError(404, "Invalid rev id: " + tag, "RevisionNotFound");
    send_json(res, nlohmann::json::object());
}

void Hub::super_squash(HttpRequest& req, HttpResponse& res, RepoContext& ctx, const std::string& branch) {
    auto body = read_json_body(req, options_.max_body);
    std::string ref = branch_ref(branch);
    auto lock = repos_.lock(ctx.id);
    auto head = ctx.git.ref_target(ref);
    if (!head) {
        if (ctx.git.resolve(branch)) throw HubError(400, "Invalid rev id: " + branch + " is not a branch");
        throw HubError(404, "Invalid rev id: " + branch, "RevisionNotFound");
    }
    std::string message = body.is_object() && body.contains("message") && body["message"].is_string()
                              ? body["message"].get<std::string>()
                              : "Super-squash branch '" + branch + "' using huggingface_hub";
    const std::string& author = ctx.caller.user->name;
    git_oid squashed = ctx.git.write_commit({}, ctx.git.commit_tree(*head), author, author_email(author), message);
    ctx.git.set_ref(ref, squashed);
    send_json(res, {{"commitId", oid_hex(squashed)}});
}

}  // namespace localhub
