#include "http_client_pool.hpp"

#include <utility>

namespace socrata {

std::unique_ptr<HttpClient> HttpClientPool::take() {
    if (idle_.empty())
        return std::make_unique<HttpClient>();
    std::unique_ptr<HttpClient> client = std::move(idle_.back());
    idle_.pop_back();
    return client;
}

void HttpClientPool::give_back(std::unique_ptr<HttpClient> client) {
    if (client && idle_.size() < capacity_)
        idle_.push_back(std::move(client));
}

} // namespace socrata
