// The Git LFS batch API and the blob host's upload endpoints (basic and multipart).
// Upload URLs are signed and carry oid, size and repository (and the signing key is kept in
// DIR), so an upload survives a localhub restart.
#include <cstdio>

#include "api_support.hpp"
#include "hub.hpp"
#include "lfs_batch_request.hpp"
#include "url.hpp"

namespace localhub {
namespace {

void send_lfs_json(HttpResponse& res, const nlohmann::json& body, int status = 200) {
    send_json(res, body, status);
    res.set_header("Content-Type", "application/vnd.git-lfs+json");
}

uint64_t parse_size(const std::string& s) {
    try {
        size_t used = 0;
        uint64_t v = std::stoull(s, &used);
        if (used == s.size()) return v;
    } catch (const std::exception&) {
    }
    throw HubError(400, "invalid size " + s);
}

}  // namespace

bool Hub::repo_has_lfs(const RepoContext& ctx, const std::string& sha256, uint64_t size) const {
    return repos_.has_lfs_link(ctx.id, sha256) || ctx.git.has_blob_with(make_lfs_pointer({sha256, size}));
}

void Hub::lfs_batch(HttpRequest& req, HttpResponse& res, RepoContext& ctx) {
    auto batch = parse_lfs_batch(read_json_body(req, options_.max_body));
    const std::string& operation = batch.operation;
    if (operation == "upload") {
        const std::string& ref = batch.ref;
        bool to_pr = ref.empty() || ref.rfind("refs/pr/", 0) == 0;  // no ref: a pull request is being opened
        if (!ctx.caller.user) throw HubError(401, "You must be authenticated to upload");
        if (!to_pr && !access_.can_write(ctx.caller, ctx.id))
            throw HubError(403, "You don't have the rights to write to " + ctx.id.id());
    } else {
        check_gate(ctx);
    }
    const std::string repo_query = "repo=" + percent_encode(RepoStore::key(ctx.id));
    bool multipart_ok = batch.multipart;

    nlohmann::json objects = nlohmann::json::array();
    for (const auto& o : batch.objects) {
        const std::string& oid = o.oid;
        uint64_t size = o.size;
        if (!o.valid) {
            objects.push_back({{"oid", oid}, {"size", size}, {"error", {{"code", 422}, {"message", "invalid oid or size"}}}});
            continue;
        }
        nlohmann::json item = {{"oid", oid}, {"size", size}};
        auto stored = lfs_.size(oid);
        // Only objects this repository has (uploaded through it, or in its history) exist for it:
        // knowing a sha256 from another repository's listing gives neither its bytes nor a right
        // to commit it here.
        bool here = stored && *stored == size && repo_has_lfs(ctx, oid, size);
        std::string path = "/upload/" + oid + "/" + std::to_string(size);
        auto signed_url = [&](const std::string& method, const std::string& p) {
            return options_.blob_url + signer_.sign(method, p, repo_query);
        };
        if (operation == "download") {
            if (!stored || !repo_has_lfs(ctx, oid, *stored)) item["error"] = {{"code", 404}, {"message", "Object does not exist"}};
            else item["actions"] = {{"download", {{"href", options_.blob_url + signer_.sign("GET", "/lfs/" + oid)}, {"expires_in", signer_.lifetime().count()}}}};
        } else if (!here) {  // objects this repository has get no actions: nothing to upload
            item["authenticated"] = true;
            if (multipart_ok && size >= options_.multipart_threshold) {
                uint64_t chunk = options_.multipart_chunk;
                nlohmann::json header = {{"chunk_size", std::to_string(chunk)}};
                uint64_t parts = (size + chunk - 1) / chunk;
                // Each upload its own staging (lfs_multipart.hpp); the part size travels with it,
                // so the offsets of its parts survive a restart with another --multipart-chunk.
                const std::string upload = "&upload=" + MultipartUploads::new_id() + "&chunk=" + std::to_string(chunk);
                auto signed_part = [&](const std::string& method, const std::string& p) {
                    return options_.blob_url + signer_.sign(method, p, repo_query + upload);
                };
                for (uint64_t n = 1; n <= parts; ++n) {
                    char key[16];
                    std::snprintf(key, sizeof key, "%05llu", static_cast<unsigned long long>(n));
                    header[key] = signed_part("PUT", path + "/part/" + std::to_string(n));
                }
                item["actions"] = {{"upload", {{"href", signed_part("POST", path + "/complete")}, {"header", header}}}};
            } else {
                item["actions"] = {{"upload", {{"href", signed_url("PUT", path)}}}};
            }
        }
        objects.push_back(std::move(item));
    }
    send_lfs_json(res, {{"transfer", multipart_ok ? "multipart" : "basic"}, {"objects", objects}, {"hash_algo", "sha256"}});
}

void Hub::blob_upload(HttpRequest& req, HttpResponse& res, const Segments& seg) {
    // upload/{oid}/{size} (PUT), upload/{oid}/{size}/part/{n} (PUT), upload/{oid}/{size}/complete (POST)
    if (seg.size() < 3 || !is_sha256_hex(seg[1])) throw HubError(404, "no such upload");
    const std::string& oid = seg[1];
    uint64_t size = parse_size(seg[2]);
    auto repo = RepoStore::from_key(req.param("repo"));  // signed with the rest of the URL
    if (!repo || !repos_.exists(*repo)) throw HubError(404, "no such upload");
    if (seg.size() == 3 && req.method == "PUT") {
        // The upload stops at the announced size: no client fills the disk through a signed URL.
        if (auto n = req.body->declared_length(); n && *n > size)
            throw HubError(413, "the object is " + std::to_string(size) + " bytes");
        uint64_t got = 0;
        bool too_big = false;
        auto bounded = [&](const std::function<bool(const char*, size_t)>& sink) {
            return req.body->read([&](const char* p, size_t n) {
                got += n;
                if (got > size) return !(too_big = true);
                return sink(p, n);
            });
        };
        // Even an object already stored is taken in full and checked: the bytes prove that the
        // uploader has the object before this repository may use it.
        std::string error = lfs_.ingest(oid, size, bounded);
        if (too_big) throw HubError(413, "the object is " + std::to_string(size) + " bytes");
        if (!error.empty()) throw HubError(400, error);
        repos_.link_lfs(*repo, oid);
        return send_json(res, nlohmann::json::object());
    }
    // Multipart: the URL's upload id and part size, signed with the rest.
    UploadKey key{oid, size, 0, req.param("upload")};
    if (auto chunk = req.param("chunk"); !chunk.empty()) key.chunk = parse_size(chunk);
    if ((seg.size() == 5 || seg.size() == 4) && !MultipartUploads::valid(key)) throw HubError(404, "no such upload");
    if (seg.size() == 5 && seg[3] == "part" && req.method == "PUT") {
        const uint64_t parts = key.parts();
        uint64_t part = parse_size(seg[4]);
        if (part < 1 || part > parts) throw HubError(400, "part number out of range 1.." + std::to_string(parts));
        uint64_t max = key.part_size(part);
        if (auto n = req.body->declared_length(); n && *n > max)
            throw HubError(413, "part " + std::to_string(part) + " is at most " + std::to_string(max) + " bytes");
        uint64_t got = 0;
        bool too_big = false;
        auto bounded = [&](const std::function<bool(const char*, size_t)>& sink) {
            return req.body->read([&](const char* p, size_t n) {
                got += n;
                if (got > max) return !(too_big = true);
                return sink(p, n);
            });
        };
        auto stored = lfs_.put_part(key, part, bounded);
        if (too_big) throw HubError(413, "part " + std::to_string(part) + " is at most " + std::to_string(max) + " bytes");
        if (!stored) throw HubError(stored.status, stored.message);
        res.set_header("ETag", stored.etag);
        res.set_header("Access-Control-Expose-Headers", "ETag");
        return send_json(res, nlohmann::json::object());
    }
    if (seg.size() == 4 && seg[3] == "complete" && req.method == "POST") {
        auto body = read_json_body(req, options_.max_body);
        if (!body.is_object() || !body.contains("parts") || !body["parts"].is_array())
            throw HubError(400, "expected {\"oid\": ..., \"parts\": [...]}");
        std::vector<std::pair<int, std::string>> parts;
        for (const auto& p : body["parts"]) {
            if (!p.is_object() || !p.contains("partNumber") || !p["partNumber"].is_number_integer() ||
                !p.contains("etag") || !p["etag"].is_string())
                throw HubError(400, "each part needs partNumber and etag");
            parts.emplace_back(p["partNumber"].get<int>(), p["etag"].get<std::string>());
        }
        // A retried completion of an upload that already went through.
        if (lfs_.size(oid) == size && repos_.has_lfs_link(*repo, oid)) return send_json(res, nlohmann::json::object());
        auto done = lfs_.complete(key, parts);
        if (!done) throw HubError(done.status, done.message);
        repos_.link_lfs(*repo, oid);
        return send_json(res, nlohmann::json::object());
    }
    throw HubError(404, "no such upload");
}

}  // namespace localhub
