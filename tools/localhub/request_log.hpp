// One JSON line per request, for tests and benchmarks to count and inspect traffic.
#pragma once

#include <cstdint>
#include <cstdio>
#include <memory>
#include <mutex>
#include <string>

namespace localhub {

struct RequestRecord {
    std::string listener, method, target, range;
    int status = 0;
    uint64_t bytes = 0;
    double ms = 0;
    bool auth = false;  // whether an Authorization header came; its value is never logged
    std::string fault;  // the injected fault that shaped the answer, if any
};

class RequestLog {
public:
    RequestLog() = default;
    explicit RequestLog(const std::string& path);  // throws std::runtime_error
    void write(const RequestRecord& r);

private:
    struct FileCloser {
        void operator()(FILE* f) const { std::fclose(f); }
    };
    std::unique_ptr<FILE, FileCloser> file_;
    std::mutex mutex_;
};

}  // namespace localhub
