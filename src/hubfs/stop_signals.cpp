#include "stop_signals.hpp"

#include <chrono>

namespace hubfs {
namespace {

constexpr int kSignals[] = {SIGTERM, SIGINT, SIGHUP};
std::atomic<bool> g_raised{false};
static_assert(std::atomic<bool>::is_always_lock_free, "set from a signal handler");

void on_stop_signal(int) { g_raised = true; }

}  // namespace

StopSignals::StopSignals(std::function<void()> on_signal) {
    g_raised = false;
    struct sigaction sa {};
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < std::size(kSignals); ++i) sigaction(kSignals[i], &sa, &previous_[i]);
    thread_ = std::thread([this, on_signal = std::move(on_signal)] {
        bool signalled = false;
        {
            std::unique_lock lock(mutex_);
            // A tenth of a second: how soon a signal is acted on, against a flush of minutes.
            while (!wake_.wait_for(lock, std::chrono::milliseconds(100), [this] { return stop_ || g_raised; })) {
            }
            signalled = !stop_;
        }
        if (signalled && on_signal) on_signal();
    });
}

StopSignals::~StopSignals() {
    {
        std::lock_guard lock(mutex_);
        stop_ = true;
    }
    wake_.notify_all();
    thread_.join();
    for (size_t i = 0; i < std::size(kSignals); ++i) sigaction(kSignals[i], &previous_[i], nullptr);
}

const std::atomic<bool>& StopSignals::raised() { return g_raised; }

}  // namespace hubfs
