#include "discussion_store.hpp"

#include <cstdio>
#include <fstream>
#include <random>
#include <stdexcept>

#include "time_format.hpp"

namespace fs = std::filesystem;

namespace localhub {

nlohmann::json DiscussionStore::load() const {
    std::ifstream in(file_);
    if (!in) return {{"next", 1}, {"discussions", nlohmann::json::array()}};
    nlohmann::json j;
    in >> j;  // a damaged file is a storage error (500), never silently an empty list
    if (!j.is_object() || !j.contains("discussions") || !j["discussions"].is_array())
        throw std::runtime_error("malformed " + file_.string());
    return j;
}

void DiscussionStore::save(const nlohmann::json& all) const {
    auto tmp = file_;
    tmp += ".tmp";
    {
        std::ofstream out(tmp, std::ios::trunc);
        out << all.dump(1);
        if (!out) throw std::runtime_error("cannot write " + file_.string());
    }
    fs::rename(tmp, file_);  // atomic replace: a crash leaves the old or the new list
}

int DiscussionStore::take_number(nlohmann::json& all) {
    int num = all.value("next", 1);
    all["next"] = num + 1;
    return num;
}

nlohmann::json* DiscussionStore::find(nlohmann::json& all, long num) {
    for (auto& d : all["discussions"])
        if (d.value("num", 0L) == num) return &d;
    return nullptr;
}

std::string new_object_id() {
    thread_local std::mt19937_64 rng{std::random_device{}()};
    char buf[32];
    std::snprintf(buf, sizeof buf, "%08llx%016llx", static_cast<unsigned long long>(rng() & 0xffffffff),
                  static_cast<unsigned long long>(rng()));
    return buf;
}

nlohmann::json make_event(const std::string& type, const std::string& author, nlohmann::json data) {
    return {{"id", new_object_id()},
            {"type", type},
            {"createdAt", iso_now()},
            {"author", {{"name", author}, {"type", "user"}}},
            {"data", std::move(data)}};
}

std::string comment_html(const std::string& raw) {
    std::string out = "<p>";
    for (char c : raw) {
        switch (c) {
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '&': out += "&amp;"; break;
            case '"': out += "&quot;"; break;
            default: out += c;
        }
    }
    return out + "</p>\n";
}

nlohmann::json make_comment(const std::string& author, const std::string& raw) {
    std::string now = iso_now();
    nlohmann::json latest = {{"raw", raw}, {"html", comment_html(raw)}, {"updatedAt", now},
                             {"author", {{"name", author}}}};
    auto ev = make_event("comment", author,
                         {{"edited", false}, {"hidden", false}, {"latest", latest}, {"history", nlohmann::json::array()}});
    ev["createdAt"] = now;
    return ev;
}

}  // namespace localhub
