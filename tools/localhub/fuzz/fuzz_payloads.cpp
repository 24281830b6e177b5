// libFuzzer target: the request bodies localhub parses as JSON: NDJSON commit payload lines
// (with the header and the fields of each operation) and the LFS batch request. Any input may
// be refused with HubError (a 400); no other exception may escape (it would be a 500).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "api_support.hpp"
#include "commit_payload.hpp"
#include "lfs_batch_request.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view in(reinterpret_cast<const char*>(data), size);
    size_t line_no = 0, start = 0;
    while (start <= in.size()) {
        size_t nl = in.find('\n', start);
        if (nl == std::string_view::npos) nl = in.size();
        try {
            if (auto line = localhub::parse_payload_line(in.substr(start, nl - start), ++line_no)) {
                if (line->key == "header") {
                    localhub::parse_commit_header(line->value);
                } else {
                    for (const char* f : {"path", "content", "encoding", "oid", "oldPath"}) {
                        try {
                            localhub::checked_repo_path(localhub::string_field(line->value, f, line->key));
                        } catch (const localhub::HubError&) {
                        }
                    }
                }
            }
        } catch (const localhub::HubError&) {
        }
        start = nl + 1;
    }
    nlohmann::json body = nlohmann::json::parse(in, nullptr, false);
    if (!body.is_discarded()) {
        try {
            localhub::parse_lfs_batch(body);
        } catch (const localhub::HubError&) {
        }
    }
    return 0;
}
