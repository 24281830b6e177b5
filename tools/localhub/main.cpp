// localhub: a Hugging Face Hub compatible server backed by real git repositories.
#include <signal.h>

#include <cstdio>
#include <filesystem>
#include <iostream>

#include "access.hpp"
#include "http_server.hpp"
#include "hub.hpp"
#include "endpoint_service.hpp"
#include "job_service.hpp"
#include "space_runtime.hpp"
#include "options.hpp"

using namespace localhub;

int main(int argc, char** argv) {
    Options opts;
    try {
        opts = parse_options(argc, argv);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "localhub: %s\n", e.what());
        return 2;
    }
    // Signals are taken synchronously by sigwait below; block them before any thread starts.
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    sigaddset(&stop_signals, SIGUSR1);  // arm the --fault faults
    sigaddset(&stop_signals, SIGUSR2);  // disarm them: stalled requests go on
    pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
    signal(SIGPIPE, SIG_IGN);

    try {
        GitLibrary git;
        std::filesystem::create_directories(opts.data_dir);
        RepoStore repos(opts.data_dir);
        LfsStore lfs(std::filesystem::path(opts.data_dir) / "lfs", std::chrono::seconds(opts.url_lifetime_s));
        Access access;
        for (const auto& u : opts.users) access.add_user(u);
        for (const auto& o : opts.orgs) access.add_org(o);
        RequestLog log = opts.log_file.empty() ? RequestLog() : RequestLog(opts.log_file);
        FaultInjector faults(opts.faults);
        UrlSigner signer(std::filesystem::path(opts.data_dir) / "url-signing.key", std::chrono::seconds(opts.url_lifetime_s));
        Hub hub(repos, lfs, access, signer,
                HubOptions{opts.max_body, opts.multipart_threshold, opts.multipart_chunk, ""});
        if (opts.samples) hub.create_samples();
        JobService jobs(std::filesystem::path(opts.data_dir) / "jobs", access, JobOptions{opts.job_minute_seconds, opts.job_timeout_s});
        hub.set_jobs(&jobs);
        SpaceRuntimes spaces(std::filesystem::path(opts.data_dir) / "spaces-runtime", opts.space_build_seconds);
        hub.set_spaces(&spaces);
        EndpointService endpoints(std::filesystem::path(opts.data_dir) / "endpoints", access, repos, opts.endpoints_prefix,
                                  opts.endpoint_step_seconds);
        hub.set_endpoints(&endpoints);

        HttpServer api("api", [&](HttpRequest& q, HttpResponse& r) { hub.handle_api(q, r); }, opts.emulation, opts.limits, faults,
                       log);
        HttpServer blob("blob", [&](HttpRequest& q, HttpResponse& r) { hub.handle_blob(q, r); }, opts.emulation, opts.limits, faults,
                        log);
        int port = api.listen(opts.host, opts.port);
        int blob_port;
        try {  // the same port number on the blob host when free, as the Hub's hosts share :443
            blob_port = blob.listen(opts.blob_host, port);
        } catch (const std::exception&) {
            blob_port = blob.listen(opts.blob_host, 0);
        }
        hub.set_blob_url("http://" + opts.blob_host + ":" + std::to_string(blob_port));
        api.start();
        blob.start();
        std::printf("localhub listening on http://%s:%d\n", opts.host.c_str(), port);
        std::fflush(stdout);
        std::fprintf(stderr, "localhub: LFS storage host on http://%s:%d, data in %s\n", opts.blob_host.c_str(),
                     blob_port, opts.data_dir.c_str());

        for (;;) {
            int sig = 0;
            sigwait(&stop_signals, &sig);
            if (sig == SIGUSR1 || sig == SIGUSR2) {
                faults.set_armed(sig == SIGUSR1);
                std::fprintf(stderr, "localhub: faults %s\n", sig == SIGUSR1 ? "armed" : "disarmed");
                continue;
            }
            break;
        }
        jobs.stop_streams();
        api.stop();
        blob.stop();
    } catch (const std::exception& e) {
        std::fprintf(stderr, "localhub: %s\n", e.what());
        return 1;
    }
    return 0;
}
