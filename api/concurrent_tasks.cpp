#include "concurrent_tasks.hpp"

#include <algorithm>
#include <atomic>
#include <exception>
#include <mutex>
#include <thread>

namespace hubfs::api {

void run_concurrently(const std::vector<std::function<void()>>& tasks, int max_in_flight) {
    if (tasks.empty()) return;
    std::atomic<size_t> next{0};
    std::atomic<bool> failed{false};
    std::mutex error_mutex;
    std::exception_ptr first_error;
    auto worker = [&] {
        while (!failed.load()) {
            size_t index = next.fetch_add(1);
            if (index >= tasks.size()) return;
            try {
                tasks[index]();
            } catch (...) {
                std::lock_guard guard(error_mutex);
                if (!first_error) first_error = std::current_exception();
                failed.store(true);
            }
        }
    };
    size_t workers = std::clamp<size_t>(static_cast<size_t>(std::max(max_in_flight, 1)), 1, tasks.size());
    {
        std::vector<std::jthread> threads;
        for (size_t i = 1; i < workers; ++i) threads.emplace_back(worker);
        worker();
    }  // joins
    if (first_error) std::rethrow_exception(first_error);
}

}  // namespace hubfs::api
