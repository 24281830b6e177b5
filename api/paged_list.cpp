#include "paged_list.hpp"

#include "errors.hpp"

namespace hubfs::api {

std::optional<std::string> next_page_url(const std::string& link_header) {
    // Link: <url1>; rel="next", <url2>; rel="prev"
    size_t pos = 0;
    while ((pos = link_header.find('<', pos)) != std::string::npos) {
        size_t close = link_header.find('>', pos);
        if (close == std::string::npos) return std::nullopt;
        std::string url = link_header.substr(pos + 1, close - pos - 1);
        size_t end = link_header.find('<', close);
        std::string params = link_header.substr(close + 1, end == std::string::npos ? end : end - close - 1);
        if (params.find("rel=\"next\"") != std::string::npos || params.find("rel=next") != std::string::npos)
            return url;
        pos = close;
    }
    return std::nullopt;
}

std::optional<nlohmann::json> JsonPager::next() {
    while (buffered_.empty() && next_url_) {
        HttpRequest request;
        request.url = *next_url_;
        HttpResponse response = http_->send(request);
        expect_ok(response);
        ++pages_fetched_;
        auto page = nlohmann::json::parse(response.body, nullptr, false);
        if (!page.is_array()) {
            throw InvalidResponseError(
                ErrorDetails{response.status, "expected a JSON array page", response.request_id, request.url});
        }
        for (auto& item : page) buffered_.push_back(std::move(item));
        next_url_ = next_page_url(response.headers.get_or("Link"));
    }
    if (buffered_.empty()) return std::nullopt;
    nlohmann::json item = std::move(buffered_.front());
    buffered_.pop_front();
    return item;
}

}  // namespace hubfs::api
