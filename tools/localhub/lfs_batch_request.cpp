#include "lfs_batch_request.hpp"

#include "api_support.hpp"
#include "lfs_pointer.hpp"

namespace localhub {

LfsBatchRequest parse_lfs_batch(const nlohmann::json& body) {
    if (!body.is_object() || !body.contains("objects") || !body["objects"].is_array())
        throw HubError(400, "expected {\"operation\": ..., \"objects\": [...]}");
    LfsBatchRequest out;
    if (body.contains("operation") && body["operation"].is_string()) out.operation = body["operation"];
    if (out.operation != "upload" && out.operation != "download") throw HubError(400, "operation must be upload or download");
    if (body.contains("ref") && body["ref"].is_object() && body["ref"].contains("name") && body["ref"]["name"].is_string())
        out.ref = body["ref"]["name"];
    if (body.contains("transfers") && body["transfers"].is_array())
        for (const auto& t : body["transfers"]) out.multipart |= t.is_string() && t == "multipart";
    for (const auto& o : body["objects"]) {
        LfsBatchRequest::Object obj;
        if (o.is_object() && o.contains("oid") && o["oid"].is_string()) obj.oid = o["oid"];
        bool size_ok = o.is_object() && o.contains("size") && o["size"].is_number_unsigned();
        if (size_ok) obj.size = o["size"].get<uint64_t>();
        obj.valid = size_ok && is_sha256_hex(obj.oid);
        out.objects.push_back(std::move(obj));
    }
    return out;
}

}  // namespace localhub
