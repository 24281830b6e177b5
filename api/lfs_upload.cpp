#include "lfs_upload.hpp"

#include "concurrent_tasks.hpp"
#include "errors.hpp"
#include "hub_json.hpp"

#include <charconv>
#include <map>
#include <memory>
#include <mutex>

namespace hubfs::api {

namespace {

constexpr size_t batch_size = 256;
constexpr const char* lfs_media_type = "application/vnd.git-lfs+json";

[[noreturn]] void malformed(const std::string& what, const std::string& url) {
    throw InvalidResponseError(ErrorDetails{0, "LFS batch: " + what, {}, url});
}

HttpRequest put_slice(const std::string& href, const UploadSource& source, uint64_t offset, uint64_t length) {
    HttpRequest request;
    request.method = "PUT";
    request.url = href;
    request.headers.emplace_back("Content-Type", "application/octet-stream");
    request.reader = [&source, offset](uint64_t at, char* buffer, size_t n) { return source.read(offset + at, buffer, n); };
    request.reader_size = length;
    return request;
}

HttpRequest lfs_json_post(const std::string& url, const nlohmann::json& body) {
    HttpRequest request;
    request.method = "POST";
    request.url = url;
    request.headers.emplace_back("Accept", lfs_media_type);
    request.headers.emplace_back("Content-Type", lfs_media_type);
    request.body = body.dump();
    return request;
}

// One object's transfer plan, filled from the batch answer.
struct ObjectPlan {
    const UploadSource* source = nullptr;
    std::string upload_href;
    std::optional<std::string> verify_href;
    uint64_t chunk_size = 0;                 // 0: basic transfer
    std::vector<std::string> part_urls;      // multipart: in part order
    std::vector<std::string> part_etags;     // filled by the part uploads
};

ObjectPlan plan_object(const nlohmann::json& object, const UploadSource* source, const std::string& url) {
    ObjectPlan plan;
    plan.source = source;
    if (auto error = object.find("error"); error != object.end()) {
        throw HubError(ErrorKind::http,
                       ErrorDetails{error->value("code", 0L), "LFS object " + source->sha256() + ": " +
                                                                  error->value("message", std::string("rejected")),
                                    {}, url});
    }
    const auto& actions = object.at("actions");
    const auto& upload = actions.at("upload");
    plan.upload_href = upload.at("href").get<std::string>();
    if (auto verify = actions.find("verify"); verify != actions.end() && verify->contains("href"))
        plan.verify_href = verify->at("href").get<std::string>();
    auto header = upload.find("header");
    if (header == upload.end() || !header->contains("chunk_size")) return plan;
    std::string chunk_text = header->at("chunk_size").get<std::string>();
    auto [end, ec] = std::from_chars(chunk_text.data(), chunk_text.data() + chunk_text.size(), plan.chunk_size);
    if (ec != std::errc{} || plan.chunk_size == 0) malformed("bad chunk_size", url);
    // Part keys are zero-padded decimals; order them numerically.
    std::map<int, std::string> parts;
    for (const auto& [key, value] : header->items()) {
        if (key == "chunk_size") continue;
        int number = 0;
        auto [kend, kec] = std::from_chars(key.data(), key.data() + key.size(), number);
        if (kec != std::errc{} || kend != key.data() + key.size()) continue;
        parts[number] = value.get<std::string>();
    }
    uint64_t expected = (source->size() + plan.chunk_size - 1) / plan.chunk_size;
    if (parts.size() != expected) malformed("part count does not match chunk_size", url);
    for (auto& [number, part_url] : parts) plan.part_urls.push_back(std::move(part_url));
    plan.part_etags.resize(plan.part_urls.size());
    return plan;
}

}  // namespace

size_t upload_lfs_objects(HttpClient& http, const LfsUploadRequest& request,
                          const std::vector<const UploadSource*>& sources) {
    // Identical content added under two paths is uploaded once.
    std::map<std::string, const UploadSource*> unique;
    for (const auto* source : sources) unique.emplace(source->sha256(), source);
    std::vector<const UploadSource*> objects;
    for (const auto& [oid, source] : unique) objects.push_back(source);

    std::vector<ObjectPlan> plans;
    for (size_t start = 0; start < objects.size(); start += batch_size) {
        nlohmann::json body = {{"operation", "upload"},
                               {"transfers", {"basic", "multipart"}},
                               {"hash_algo", "sha256"},
                               {"objects", nlohmann::json::array()}};
        if (request.ref_name) body["ref"] = {{"name", *request.ref_name}};
        std::map<std::string, const UploadSource*> by_oid;
        for (size_t i = start; i < std::min(objects.size(), start + batch_size); ++i) {
            body["objects"].push_back({{"oid", objects[i]->sha256()}, {"size", objects[i]->size()}});
            by_oid[objects[i]->sha256()] = objects[i];
        }
        HttpResponse response = http.send(lfs_json_post(request.batch_url, body));
        expect_ok(response);
        auto answer = parse_json_body(response.body, request.batch_url);
        if (!answer.contains("objects") || !answer["objects"].is_array()) malformed("no objects", request.batch_url);
        for (const auto& object : answer["objects"]) {
            auto it = by_oid.find(object.value("oid", std::string()));
            if (it == by_oid.end()) malformed("unknown oid in answer", request.batch_url);
            bool has_actions = object.contains("actions") && object["actions"].contains("upload");
            if (!has_actions && !object.contains("error")) continue;  // already stored
            plans.push_back(plan_object(object, it->second, request.batch_url));
        }
    }

    std::vector<std::function<void()>> transfers;
    for (auto& plan : plans) {
        if (plan.chunk_size == 0) {
            transfers.emplace_back([&http, &plan, &request] {
                expect_ok(http.send(put_slice(plan.upload_href, *plan.source, 0, plan.source->size())));
                if (request.on_sent) request.on_sent(plan.source->size());
            });
            continue;
        }
        for (size_t part = 0; part < plan.part_urls.size(); ++part) {
            transfers.emplace_back([&http, &plan, &request, part] {
                uint64_t offset = part * plan.chunk_size;
                uint64_t length = std::min(plan.chunk_size, plan.source->size() - offset);
                HttpResponse response = http.send(put_slice(plan.part_urls[part], *plan.source, offset, length));
                expect_ok(response);
                auto etag = response.headers.get("ETag");
                if (!etag) malformed("part upload answered without ETag", plan.part_urls[part]);
                plan.part_etags[part] = *etag;  // kept verbatim, quotes included
                if (request.on_sent) request.on_sent(length);
            });
        }
    }
    run_concurrently(transfers, request.max_in_flight);

    std::vector<std::function<void()>> completions;
    for (auto& plan : plans) {
        completions.emplace_back([&http, &plan] {
            if (plan.chunk_size != 0) {
                nlohmann::json parts = nlohmann::json::array();
                for (size_t i = 0; i < plan.part_etags.size(); ++i)
                    parts.push_back({{"partNumber", i + 1}, {"etag", plan.part_etags[i]}});
                expect_ok(http.send(lfs_json_post(plan.upload_href, {{"oid", plan.source->sha256()}, {"parts", parts}})));
            }
            if (plan.verify_href) {
                expect_ok(http.send(lfs_json_post(*plan.verify_href,
                                                  {{"oid", plan.source->sha256()}, {"size", plan.source->size()}})));
            }
        });
    }
    run_concurrently(completions, request.max_in_flight);
    return plans.size();
}

}  // namespace hubfs::api
