// Idle HttpClients, each with the connections it keeps alive, for the next scan of this process
// to take. A scan gives its client back once its rows have run out, so a query of many scans
// (a UNION ALL, or a cursor over finished scans) holds a few connections, not one per scan, and
// a scan rescanned in a nested loop takes a client with its connection still open. Not thread
// safe: the backend's own thread takes and gives back; a worker thread only uses a client it
// was lent.
#pragma once

#include "http_client.hpp"

#include <cstddef>
#include <memory>
#include <vector>

namespace socrata {

class HttpClientPool {
  public:
    explicit HttpClientPool(std::size_t capacity) : capacity_(capacity) {}

    // The client given back last, or a new one when none is idle.
    std::unique_ptr<HttpClient> take();
    // Keeps `client` for the next take(), or closes it when `capacity` are idle already.
    void give_back(std::unique_ptr<HttpClient> client);

    std::size_t idle() const noexcept { return idle_.size(); }

  private:
    std::size_t capacity_;
    std::vector<std::unique_ptr<HttpClient>> idle_;
};

} // namespace socrata
