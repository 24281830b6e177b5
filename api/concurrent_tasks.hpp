// Runs independent blocking tasks (uploads) with at most N in flight; the first failure is
// rethrown once all started tasks have finished, and no new task starts after it.
#pragma once

#include <functional>
#include <vector>

namespace hubfs::api {

void run_concurrently(const std::vector<std::function<void()>>& tasks, int max_in_flight);

}  // namespace hubfs::api
