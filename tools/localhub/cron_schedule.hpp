// Job schedules as the Hub takes them: five-field cron ("*/5 * * * *", lists, ranges, steps)
// or one of @hourly, @daily, @weekly, @monthly, @yearly, @annually. Times are UTC.
#pragma once

#include <ctime>
#include <optional>
#include <string>
#include <vector>

namespace localhub {

class CronSchedule {
public:
    // nullopt for anything that is not a valid schedule.
    static std::optional<CronSchedule> parse(const std::string& text);
    // Whether the schedule fires in the minute that `t` (broken-down UTC) falls in.
    bool matches(const std::tm& t) const;

private:
    // allowed[f][v]: field f (minute, hour, day of month, month, day of week) may take value v.
    std::vector<std::vector<bool>> allowed_;
    bool dom_star_ = true, dow_star_ = true;
};

}  // namespace localhub
