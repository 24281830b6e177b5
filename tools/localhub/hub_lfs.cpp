// The Git LFS batch API and the blob host's upload endpoints (basic and multipart).
// Upload URLs carry oid and size, so an upload survives a localhub restart.
#include <algorithm>
#include <cstdio>

#include "api_support.hpp"
#include "hub.hpp"

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

void Hub::lfs_batch(HttpRequest& req, HttpResponse& res, RepoContext& ctx) {
    auto body = read_json_body(req, options_.max_body);
    if (!body.is_object() || !body.contains("objects") || !body["objects"].is_array())
        throw HubError(400, "expected {\"operation\": ..., \"objects\": [...]}");
    std::string operation = body.value("operation", "");
    if (operation != "upload" && operation != "download") throw HubError(400, "operation must be upload or download");
    if (operation == "upload") {
        std::string ref = body.contains("ref") && body["ref"].is_object() ? body["ref"].value("name", "") : "";
        bool to_pr = ref.empty() || ref.rfind("refs/pr/", 0) == 0;  // no ref: a pull request is being opened
        if (!ctx.caller.user) throw HubError(401, "You must be authenticated to upload");
        if (!to_pr && !access_.can_write(ctx.caller, ctx.id))
            throw HubError(403, "You don't have the rights to write to " + ctx.id.id());
    }
    bool multipart_ok = false;
    if (body.contains("transfers") && body["transfers"].is_array())
        for (const auto& t : body["transfers"]) multipart_ok |= t == "multipart";

    nlohmann::json objects = nlohmann::json::array();
    for (const auto& o : body["objects"]) {
        std::string oid = o.is_object() && o.contains("oid") && o["oid"].is_string() ? o["oid"].get<std::string>() : "";
        bool size_ok = o.is_object() && o.contains("size") && o["size"].is_number_unsigned();
        uint64_t size = size_ok ? o["size"].get<uint64_t>() : 0;
        if (!is_sha256_hex(oid) || !size_ok) {
            objects.push_back({{"oid", oid}, {"size", size}, {"error", {{"code", 422}, {"message", "invalid oid or size"}}}});
            continue;
        }
        nlohmann::json item = {{"oid", oid}, {"size", size}};
        auto stored = lfs_.size(oid);
        std::string base = options_.blob_url + "/upload/" + oid + "/" + std::to_string(size);
        if (operation == "download") {
            if (!stored) item["error"] = {{"code", 404}, {"message", "Object does not exist"}};
            else item["actions"] = {{"download", {{"href", options_.blob_url + "/lfs/" + oid}}}};
        } else if (!stored) {  // already stored objects get no actions: nothing to upload
            item["authenticated"] = true;
            if (multipart_ok && size >= options_.multipart_threshold) {
                uint64_t chunk = options_.multipart_chunk;
                nlohmann::json header = {{"chunk_size", std::to_string(chunk)}};
                uint64_t parts = (size + chunk - 1) / chunk;
                for (uint64_t n = 1; n <= parts; ++n) {
                    char key[16];
                    std::snprintf(key, sizeof key, "%05llu", static_cast<unsigned long long>(n));
                    header[key] = base + "/part/" + std::to_string(n);
                }
                item["actions"] = {{"upload", {{"href", base + "/complete"}, {"header", header}}}};
            } else {
                item["actions"] = {{"upload", {{"href", base}}}};
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
    auto source = [&](const std::function<bool(const char*, size_t)>& sink) { return req.body->read(sink); };
    if (seg.size() == 3 && req.method == "PUT") {
        if (lfs_.size(oid)) {  // already there (a retry): take the bytes and keep the stored copy
            req.body->read([](const char*, size_t) { return true; });
            return send_json(res, nlohmann::json::object());
        }
        std::string error = lfs_.ingest(oid, size, source);
        if (!error.empty()) throw HubError(400, error);
        return send_json(res, nlohmann::json::object());
    }
    if (seg.size() == 5 && seg[3] == "part" && req.method == "PUT") {
        const uint64_t chunk = options_.multipart_chunk, parts = (size + chunk - 1) / chunk;
        uint64_t part = parse_size(seg[4]);
        if (part < 1 || part > parts) throw HubError(400, "part number out of range 1.." + std::to_string(parts));
        uint64_t max = part < parts ? chunk : size - (parts - 1) * chunk;
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
        std::string error;
        std::string etag = lfs_.put_part(oid, static_cast<int>(part), bounded, error);
        if (too_big) throw HubError(413, "part " + std::to_string(part) + " is at most " + std::to_string(max) + " bytes");
        if (!error.empty()) throw HubError(400, error);
        res.set_header("ETag", etag);
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
        std::sort(parts.begin(), parts.end());
        if (lfs_.size(oid)) return send_json(res, nlohmann::json::object());
        std::string error = lfs_.complete(oid, size, parts);
        if (!error.empty()) throw HubError(400, error);
        return send_json(res, nlohmann::json::object());
    }
    throw HubError(404, "no such upload");
}

}  // namespace localhub
