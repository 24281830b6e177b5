#include "options.hpp"

#include <cstdio>
#include <cstdlib>
#include <stdexcept>

namespace localhub {
namespace {

constexpr const char* kUsage = R"(usage: localhub --data DIR [options]

A Hugging Face Hub compatible server: repositories are bare git repositories in DIR.

  --data DIR                  where repositories and LFS objects live (required)
  --port PORT                 API port; 0 (default) picks a free one
  --host ADDR                 API listen address (default 127.0.0.1)
  --blob-host ADDR            LFS storage host address in 127.0.0.0/8 (default 127.0.0.2)
  --user NAME:TOKEN[:read|write]  add a user (repeatable; role defaults to write)
  --org ORG:MEMBER[,MEMBER...]    add an organisation (repeatable)
  --log FILE                  one JSON line per request
  --latency-ms N              delay every response by N ms
  --bandwidth BYTES_PER_S     cap each connection's response bodies
  --fault SPEC                inject faults, e.g. seed=7,reset=0.5,reset-after=4194304,503=0.1,429=0.1,max=10
                              or stalls: stall=1 | stall-body=1,stall-after=N | slow=1,slow-rate=N |
                              close=1,close-after=N; host=api|blob; armed=0|1 (SIGUSR1 arms, SIGUSR2 disarms)
  --fault-paths REGEX         faults apply only to requests whose path matches (POSIX extended regex)
  --max-body BYTES            largest API request body (default 1 GiB)
  --job-minute-seconds N      real seconds a cron minute of a scheduled job lasts (default 60)
  --endpoints-prefix PATH     where the Inference Endpoints API is served (default /endpoints-api/v2)
  --endpoint-step-seconds S   each step of pending -> initializing -> running (default 2)
  --space-build-seconds S     how long a Space stays BUILDING after a (re)start (default 5)
  --job-timeout SECONDS       a job's timeout when its spec sets none (default 1800)
  --multipart-threshold BYTES LFS objects this big get multipart uploads (default 20 MiB)
  --multipart-chunk BYTES     multipart part size (default 8 MiB)
  --max-connections N         open connections per listener (default 512); more get 503
  --request-timeout S         seconds for a request head once begun, and a body's grace (default 30)
  --idle-timeout S            seconds a keep-alive connection may wait for its next request (default 60)
  --send-timeout S            seconds a client may take no response bytes before it is dropped (default 60)
  --url-lifetime S            seconds a signed storage URL stays valid (default 3600)
  --samples                   create the demo repositories if missing
  --help                      this text

Prints "localhub listening on http://HOST:PORT" when ready.
)";

uint64_t to_number(const std::string& flag, const std::string& v) {
    try {
        size_t used = 0;
        unsigned long long n = std::stoull(v, &used);
        if (used == v.size()) return n;
    } catch (const std::exception&) {
    }
    throw std::invalid_argument(flag + " needs a whole number, got '" + v + "'");
}

int seconds(const std::string& flag, const std::string& v) {
    uint64_t n = to_number(flag, v);
    if (n < 1 || n > 86400) throw std::invalid_argument(flag + " must be 1..86400 seconds");
    return static_cast<int>(n);
}

}  // namespace

Options parse_options(int argc, char** argv) {
    Options o;
    std::string fault_paths;
    for (int i = 1; i < argc; ++i) {
        std::string flag = argv[i];
        if (flag == "--help" || flag == "-h") {
            std::fputs(kUsage, stdout);
            std::exit(0);
        }
        if (flag == "--samples") {
            o.samples = true;
            continue;
        }
        if (i + 1 >= argc) throw std::invalid_argument(flag + " needs a value (see --help)");
        std::string v = argv[++i];
        if (flag == "--data") o.data_dir = v;
        else if (flag == "--port") o.port = static_cast<int>(to_number(flag, v));
        else if (flag == "--host") o.host = v;
        else if (flag == "--blob-host") o.blob_host = v;
        else if (flag == "--user") o.users.push_back(v);
        else if (flag == "--org") o.orgs.push_back(v);
        else if (flag == "--log") o.log_file = v;
        else if (flag == "--latency-ms") o.emulation.latency_ms = static_cast<int>(to_number(flag, v));
        else if (flag == "--bandwidth") o.emulation.bandwidth = to_number(flag, v);
        else if (flag == "--fault") o.faults = FaultSpec::parse(v);
        else if (flag == "--fault-paths") fault_paths = v;
        else if (flag == "--max-connections") o.limits.max_connections = std::max<uint64_t>(1, to_number(flag, v));
        else if (flag == "--request-timeout") o.limits.request_timeout_s = seconds(flag, v);
        else if (flag == "--idle-timeout") o.limits.idle_timeout_s = seconds(flag, v);
        else if (flag == "--url-lifetime") o.url_lifetime_s = seconds(flag, v);
        else if (flag == "--send-timeout") o.limits.send_timeout_s = seconds(flag, v);
        else if (flag == "--job-minute-seconds") o.job_minute_seconds = std::max<int>(1, static_cast<int>(to_number(flag, v)));
        else if (flag == "--endpoints-prefix") o.endpoints_prefix = v;
        else if (flag == "--endpoint-step-seconds") o.endpoint_step_seconds = static_cast<int>(to_number(flag, v));
        else if (flag == "--space-build-seconds") o.space_build_seconds = static_cast<int>(to_number(flag, v));
        else if (flag == "--job-timeout") o.job_timeout_s = std::max<int>(1, static_cast<int>(to_number(flag, v)));
        else if (flag == "--max-body") o.max_body = to_number(flag, v);
        else if (flag == "--multipart-threshold") o.multipart_threshold = to_number(flag, v);
        else if (flag == "--multipart-chunk") o.multipart_chunk = std::max<uint64_t>(1, to_number(flag, v));
        else throw std::invalid_argument("unknown option " + flag + " (see --help)");
    }
    o.faults.paths = fault_paths;  // whatever the order of --fault and --fault-paths
    if (o.data_dir.empty()) throw std::invalid_argument("--data DIR is required (see --help)");
    if (o.port > 65535) throw std::invalid_argument("--port must be at most 65535");
    if (o.blob_host.rfind("127.", 0) != 0) throw std::invalid_argument("--blob-host must be in 127.0.0.0/8");
    return o;
}

}  // namespace localhub
