#include "request_log.hpp"

#include <chrono>
#include <stdexcept>

#include <nlohmann/json.hpp>

namespace localhub {

RequestLog::RequestLog(const std::string& path) : file_(std::fopen(path.c_str(), "a")) {
    if (!file_) throw std::runtime_error("cannot open log file " + path);
}

void RequestLog::write(const RequestRecord& r) {
    if (!file_) return;
    auto now = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
    nlohmann::json line = {{"ts", now},        {"host", r.listener}, {"method", r.method},
                           {"path", r.target}, {"status", r.status}, {"range", r.range},
                           {"bytes", r.bytes}, {"ms", r.ms},         {"auth", r.auth}};
    if (!r.fault.empty()) line["fault"] = r.fault;
    std::string text = line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
    std::lock_guard lock(mutex_);
    std::fwrite(text.data(), 1, text.size(), file_.get());
    std::fflush(file_.get());
}

}  // namespace localhub
