// The JSON a user writes to /jobs/<ns>/run or scheduled/new, read into a request. Keys:
//   image      a Docker image (or hf.co/spaces/NS/NAME)          with command
//   command    ["prog", "arg", ...]
//   script     the URL of a Python script run with `uv run`      instead of image + command
//   args, dependencies, python                                   for a script
//   env, secrets, labels   {"NAME": "value", ...}
//   flavor     hardware ("cpu-basic" when absent);  timeout  seconds
//   schedule   cron syntax or @hourly...; suspend, concurrency   scheduled/new only
// An unknown key, a value of the wrong type or a missing command is EINVAL, whose message names
// the key and never quotes a value (a secret's value must not reach a log).
#pragma once

#include <string_view>

#include "fs/control/jobs_remote.hpp"

namespace hubfs::fs {

JobRequest parse_job_request(std::string_view text);
ScheduleRequest parse_schedule_request(std::string_view text);

}  // namespace hubfs::fs
