// localhub's command line.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "emulation.hpp"
#include "server_limits.hpp"

namespace localhub {

struct Options {
    std::string data_dir;
    std::string host = "127.0.0.1";
    int port = 0;
    std::string blob_host = "127.0.0.2";
    std::vector<std::string> users, orgs;
    std::string log_file;
    Emulation emulation;
    FaultSpec faults;
    ServerLimits limits;
    uint64_t max_body = 1ull << 30;
    uint64_t multipart_threshold = 20ull << 20;
    uint64_t multipart_chunk = 8ull << 20;
    int url_lifetime_s = 3600;  // signed storage URLs
    bool samples = false;
    int job_minute_seconds = 60;  // issue 16: real seconds per cron minute
    int job_timeout_s = 1800;     // issue 16: a job's timeout when its spec gives none
    std::string endpoints_prefix = "/endpoints-api/v2";  // issue 16
    int endpoint_step_seconds = 2;  // issue 16: pending -> initializing -> running steps
    int space_build_seconds = 5;  // issue 16: how long a Space stays BUILDING after a (re)start
};

// Throws std::invalid_argument with a message for the user; exits on --help.
Options parse_options(int argc, char** argv);

}  // namespace localhub
