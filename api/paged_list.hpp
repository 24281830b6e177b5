// Lazy pagination over Link rel="next" (tree, commits, ...): pages are fetched as the caller
// advances, so listing a huge repo starts returning entries after the first page.
#pragma once

#include "http_client.hpp"

#include <nlohmann/json.hpp>

#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace hubfs::api {

// The URL of `Link: <url>; rel="next"`, or nullopt.
std::optional<std::string> next_page_url(const std::string& link_header);

// Yields the items of JSON array pages one by one. The HttpClient must outlive the pager.
class JsonPager {
public:
    JsonPager(HttpClient& http, std::string first_url) : http_(&http), next_url_(std::move(first_url)) {}
    std::optional<nlohmann::json> next();
    int pages_fetched() const { return pages_fetched_; }

private:
    HttpClient* http_;
    std::optional<std::string> next_url_;
    std::deque<nlohmann::json> buffered_;
    int pages_fetched_ = 0;
};

template <class T>
class PagedList {
public:
    using Parser = std::function<T(const nlohmann::json&)>;
    PagedList(JsonPager pager, Parser parse) : pager_(std::move(pager)), parse_(std::move(parse)) {}

    std::optional<T> next() {
        auto item = pager_.next();
        if (!item) return std::nullopt;
        return parse_(*item);
    }

    std::vector<T> to_vector() {
        std::vector<T> all;
        while (auto item = next()) all.push_back(std::move(*item));
        return all;
    }

    int pages_fetched() const { return pager_.pages_fetched(); }

private:
    JsonPager pager_;
    Parser parse_;
};

}  // namespace hubfs::api
