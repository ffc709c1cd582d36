// HttpServer: kg-server's HTTP/1.1 listener (docs/http.md). It serves the
// JSON gateway (POST /kg.v1.KnowledgeGraph/<Method>), the SPARQL 1.1
// Protocol (/sparql), /healthz, /readyz and /metrics, all through a gRPC
// channel to the real service, so that HTTP clients get exactly what gRPC
// clients get.
//
//   HttpServer::Options options;
//   options.listen_address = "127.0.0.1:0";
//   KG_ASSIGN_OR_RETURN(auto http, HttpServer::Start(options, channel));
//   ... http->port() ...
//   http->Shutdown();
//
// Bounded: a fixed pool of worker threads, read and write timeouts, a
// largest request body, and the header and URI limits of cpp-httplib
// (8 KiB each); a client past any of them is answered 4xx or closed, and
// cannot hold more than one worker.
//
// Thread-safe.
#ifndef KG_HTTP_HTTP_SERVER_H_
#define KG_HTTP_HTTP_SERVER_H_

#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/channel.h"
#include "http/gateway.h"
#include "metrics/metrics.h"

namespace httplib {
class Server;
}

namespace kg::http {

class SparqlEndpoint;

struct HttpOptions {
  // host:port; port 0 picks a free port (see HttpServer::port()).
  std::string listen_address = "127.0.0.1:8080";
  // Requests served at once; more connections wait in the accept queue.
  int threads = 16;
  // A request whose headers or body do not arrive within this, or an
  // answer the client does not take within this, closes the connection.
  absl::Duration read_timeout = absl::Seconds(10);
  absl::Duration write_timeout = absl::Seconds(10);
  // An idle keep-alive connection is closed after this.
  absl::Duration keep_alive_timeout = absl::Seconds(5);
  // A larger request body is answered 413 without being read.
  size_t max_body_bytes = size_t{16} << 20;
  // TLS (PEM files); both or neither. With a client CA, clients must
  // present a certificate it signed.
  std::string tls_cert_file;
  std::string tls_key_file;
  std::string tls_client_ca_file;
  // /metrics serves these (Prometheus text format), and HTTP requests are
  // counted and timed by route in `registry`. None: no /metrics.
  std::shared_ptr<metrics::Registry> registry;
  std::vector<std::shared_ptr<const metrics::Collectable>> collectables;
  // The explorer's built page (docs/explorer.md): files under this
  // directory are served at / (index.html for /). Empty: none.
  std::string web_root;
};

class HttpServer {
 public:
  // Listens on options.listen_address and serves through `channel` (which
  // must reach kg.v1.KnowledgeGraph and grpc.health.v1.Health).
  // UNAVAILABLE when the address cannot be bound; INVALID_ARGUMENT for TLS
  // files that cannot be used.
  static absl::StatusOr<std::unique_ptr<HttpServer>> Start(
      const HttpOptions& options, std::shared_ptr<grpc::Channel> channel);

  ~HttpServer();

  int port() const { return port_; }

  // Stops accepting new connections and requests; returns at once.
  void StopAccepting();
  // StopAccepting, then waits for the requests in progress (a streaming
  // answer ends when its gRPC call does) and joins the workers.
  // Idempotent.
  void Shutdown();

 private:
  HttpServer() = default;
  void Route();
  // The route label of a request: its path when it is one of ours, else
  // "explorer" for the page's files, else "other" (so that stray paths
  // cannot grow the metrics without bound).
  std::string RouteOf(const std::string& path) const;

  std::unique_ptr<JsonGateway> gateway_;
  std::unique_ptr<SparqlEndpoint> sparql_;
  std::unique_ptr<grpc::health::v1::Health::Stub> health_;
  std::unique_ptr<httplib::Server> server_;
  std::vector<std::shared_ptr<const metrics::Collectable>> collectables_;
  metrics::CounterFamily* requests_ = nullptr;
  metrics::HistogramFamily* latency_ = nullptr;
  std::thread listener_;
  std::string web_root_;
  int port_ = 0;
};

}  // namespace kg::http

#endif  // KG_HTTP_HTTP_SERVER_H_
