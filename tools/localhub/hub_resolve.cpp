// File downloads: resolve/raw on the API host, LFS objects on the blob host, single ranges.
#include "api_support.hpp"
#include "hub.hpp"
#include "url.hpp"

namespace localhub {

std::pair<uint64_t, uint64_t> apply_range(const HttpRequest& req, HttpResponse& res, uint64_t total) {
    res.set_header("Accept-Ranges", "bytes");
    std::string range = req.header("range");
    auto whole = std::make_pair<uint64_t, uint64_t>(0, uint64_t(total));
    if (range.rfind("bytes=", 0) != 0) return whole;  // absent or another unit: the whole body
    std::string spec = range.substr(6);
    if (spec.find(',') != std::string::npos) return whole;  // several ranges: answer in full (allowed)
    auto dash = spec.find('-');
    if (dash == std::string::npos) return whole;
    std::string a = spec.substr(0, dash), b = spec.substr(dash + 1);
    uint64_t start, end;
    try {
        if (a.empty()) {  // suffix: the last N bytes
            uint64_t n = std::stoull(b);
            if (n == 0) throw std::invalid_argument("empty suffix");
            start = n >= total ? 0 : total - n;
            end = total - 1;
        } else {
            start = std::stoull(a);
            end = b.empty() ? total - 1 : std::min<uint64_t>(std::stoull(b), total - 1);
            if (!b.empty() && std::stoull(b) < start) return whole;  // invalid range: ignored, per RFC 9110
        }
    } catch (const std::exception&) {
        return whole;
    }
    if (total == 0 || start >= total) {
        res.status = 416;
        res.set_header("Content-Range", "bytes */" + std::to_string(total));
        return {0, 0};
    }
    res.status = 206;
    res.set_header("Content-Range",
                   "bytes " + std::to_string(start) + "-" + std::to_string(end) + "/" + std::to_string(total));
    return {start, end - start + 1};
}

void Hub::check_gate(const RepoContext& ctx) const {
    if (ctx.meta.gated != false && !access_.is_member(ctx.caller, ctx.id.ns)) {
        std::string msg = "Access to " + type_name(ctx.id.type) + " " + ctx.id.id() + " is restricted.";
        throw HubError(ctx.caller.user ? 403 : 401, msg + (ctx.caller.user ? "" : " Please log in."), "GatedRepo");
    }
}

void Hub::resolve(HttpRequest& req, HttpResponse& res, RepoContext& ctx, const std::string& rev,
                  const std::string& path, bool raw) {
    check_gate(ctx);
    git_oid commit = resolve_or_404(ctx, rev);
    std::string commit_hex = oid_hex(commit);
    auto item = path.empty() ? std::nullopt : ctx.git.entry(commit, path);
    if (!item || item->is_dir) {
        throw HubError(404, "Entry not found", "EntryNotFound", {{"X-Repo-Commit", commit_hex}});
    }
    res.set_header("X-Repo-Commit", commit_hex);
    res.set_header("Access-Control-Expose-Headers",
                   "X-Repo-Commit, X-Linked-Etag, X-Linked-Size, ETag, Content-Range, Accept-Ranges, Location");

    if (item->lfs && !raw) {
        // As the Hub does for LFS files: metadata on a 302 to the storage host.
        std::string etag = "\"" + item->lfs->sha256 + "\"";
        res.status = 302;
        std::string location = options_.blob_url + signer_.sign("GET", "/lfs/" + item->lfs->sha256);
        res.set_header("Location", location);
        res.set_header("X-Linked-Etag", etag);
        res.set_header("X-Linked-Size", std::to_string(item->lfs->size));
        res.set_header("ETag", etag);
        res.set_header("Content-Type", "text/plain; charset=utf-8");
        res.body = "Found. Redirecting to " + location;
        return;
    }
    std::string etag = "\"" + oid_hex(item->oid) + "\"";
    res.set_header("ETag", etag);
    if (!raw && req.header("if-none-match") == etag) {
        res.status = 304;
        return;
    }
    uint64_t size = ctx.git.blob_size(item->oid);
    res.set_header("Content-Type", "application/octet-stream");
    res.set_header("Content-Disposition", "inline; filename=\"" + percent_encode(path.substr(path.rfind('/') + 1)) + "\"");
    auto [offset, length] = apply_range(req, res, size);
    if (res.status == 416 || length == 0) return;
    // Streamed after the handler returns, by a GitRepo of its own (the request's is gone by then).
    std::string repo_path = repos_.path(ctx.id).string();
    git_oid oid = item->oid;
    res.stream = StreamBody{length, [repo_path, oid, offset = offset, length = length](const auto& sink) {
                                return GitRepo::open(repo_path).stream_blob(oid, offset, length, sink);
                            }};
}

void Hub::serve_lfs_object(HttpRequest& req, HttpResponse& res, const std::string& sha) {
    auto size = lfs_.size(sha);
    if (!size) throw HubError(404, "object not found");
    res.set_header("ETag", "\"" + sha + "\"");
    res.set_header("Content-Type", "application/octet-stream");
    res.set_header("Access-Control-Expose-Headers", "ETag, Content-Range, Accept-Ranges");
    auto [offset, length] = apply_range(req, res, *size);
    if (res.status != 416) res.file = FileRegion{lfs_.object_path(sha).string(), offset, length};
}

}  // namespace localhub
