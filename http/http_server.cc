#include "http/http_server.h"

#include <httplib.h>

#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/client_context.h"
#include "http/sparql_endpoint.h"

namespace kg::http {

namespace {

// The gRPC code that an HTTP failure of the listener itself stands for, so
// that every error body has the same shape.
grpc::StatusCode CodeForHttpStatus(int status) {
  switch (status) {
    case 401:
      return grpc::StatusCode::UNAUTHENTICATED;
    case 403:
      return grpc::StatusCode::PERMISSION_DENIED;
    case 404:
      return grpc::StatusCode::NOT_FOUND;
    case 405:
    case 501:
      return grpc::StatusCode::UNIMPLEMENTED;
    case 413:
    case 414:
    case 431:
      return grpc::StatusCode::RESOURCE_EXHAUSTED;
    case 503:
      return grpc::StatusCode::UNAVAILABLE;
    default:
      return status >= 500 ? grpc::StatusCode::INTERNAL
                           : grpc::StatusCode::INVALID_ARGUMENT;
  }
}

void Fail(const grpc::Status& status, httplib::Response& res) {
  res.status = HttpStatusFor(status.error_code());
  if (status.error_code() == grpc::StatusCode::UNAUTHENTICATED) {
    res.set_header("WWW-Authenticate", "Bearer");
  }
  res.set_content(ErrorJson(status) + "\n", "application/json");
}

// "host:port" or "[v6]:port" into its parts.
absl::Status SplitAddress(const std::string& address, std::string* host,
                          int* port) {
  const size_t colon = address.rfind(':');
  if (colon == std::string::npos ||
      !absl::SimpleAtoi(address.substr(colon + 1), port) || *port < 0 ||
      *port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("--http_listen: '", address, "' is not host:port"));
  }
  *host = address.substr(0, colon);
  if (host->size() >= 2 && host->front() == '[' && host->back() == ']') {
    *host = host->substr(1, host->size() - 2);
  }
  if (host->empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--http_listen: '", address, "' has no host"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<HttpServer>> HttpServer::Start(
    const HttpOptions& options, std::shared_ptr<grpc::Channel> channel) {
  std::string host;
  int port = 0;
  if (absl::Status s = SplitAddress(options.listen_address, &host, &port);
      !s.ok()) {
    return s;
  }
  if (options.threads < 1) {
    return absl::InvalidArgumentError("--http_threads: must be at least 1");
  }
  std::unique_ptr<HttpServer> server(new HttpServer());
  auto gateway = JsonGateway::Create(channel, {"kg.v1.KnowledgeGraph"});
  if (!gateway.ok()) return gateway.status();
  server->gateway_ = *std::move(gateway);
  server->health_ = grpc::health::v1::Health::NewStub(channel);
  server->sparql_ = std::make_unique<SparqlEndpoint>(channel);
  server->collectables_ = options.collectables;
  if (options.registry != nullptr) {
    server->requests_ = &options.registry->AddCounter(
        "kg_http_requests_total", "HTTP requests by route and status.");
    server->latency_ = &options.registry->AddHistogram(
        "kg_http_request_duration_seconds",
        "HTTP request time, from its routing to the last byte of its answer.",
        metrics::LatencyBuckets());
  }

  const bool tls = !options.tls_cert_file.empty();
  if (tls) {
    auto ssl = std::make_unique<httplib::SSLServer>(
        options.tls_cert_file.c_str(), options.tls_key_file.c_str(),
        options.tls_client_ca_file.empty()
            ? nullptr
            : options.tls_client_ca_file.c_str());
    if (!ssl->is_valid()) {
      return absl::InvalidArgumentError(
          "--tls_cert_file: the HTTP listener cannot use this certificate "
          "and key");
    }
    server->server_ = std::move(ssl);
  } else {
    server->server_ = std::make_unique<httplib::Server>();
  }
  httplib::Server& s = *server->server_;
  const int threads = options.threads;
  s.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  s.set_read_timeout(absl::ToChronoMicroseconds(options.read_timeout));
  s.set_write_timeout(absl::ToChronoMicroseconds(options.write_timeout));
  s.set_keep_alive_timeout(
      std::max<time_t>(1, absl::ToInt64Seconds(options.keep_alive_timeout)));
  s.set_payload_max_length(options.max_body_bytes);
  // Answers go out as soon as they are written: with Nagle's algorithm a
  // response written in two parts (headers, then body) waits ~40 ms for
  // the client's delayed ACK.
  s.set_tcp_nodelay(true);
  server->web_root_ = options.web_root;
  server->Route();

  server->port_ = port == 0 ? s.bind_to_any_port(host)
                            : (s.bind_to_port(host, port) ? port : -1);
  if (server->port_ <= 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", options.listen_address,
                     " (HTTP; address in use, or not a valid host:port)"));
  }
  HttpServer* raw = server.get();
  server->listener_ = std::thread([raw] { raw->server_->listen_after_bind(); });
  return server;
}

namespace {
// When the request this worker thread serves was routed (requests are
// served start to end on one worker).
thread_local absl::Time request_start;
}  // namespace

std::string HttpServer::RouteOf(const std::string& path) const {
  if (path == "/healthz" || path == "/readyz" || path == "/metrics" ||
      path == "/sparql" || path == "/sparql/" || gateway_->Knows(path)) {
    return path;
  }
  if (!web_root_.empty() &&
      (path == "/" || absl::EndsWith(path, ".html") ||
       absl::EndsWith(path, ".js") || absl::EndsWith(path, ".css") ||
       absl::EndsWith(path, ".svg") || absl::EndsWith(path, ".map"))) {
    return "explorer";
  }
  return "other";
}

void HttpServer::Route() {
  httplib::Server& s = *server_;
  if (requests_ != nullptr) {
    s.set_pre_routing_handler([](const httplib::Request&, httplib::Response&) {
      request_start = absl::Now();
      return httplib::Server::HandlerResponse::Unhandled;
    });
    s.set_logger(
        [this](const httplib::Request& req, const httplib::Response& res) {
          const std::string route = RouteOf(req.path);
          requests_->Get({{"route", route}, {"code", absl::StrCat(res.status)}})
              .Increment();
          latency_->Get({{"route", route}})
              .Observe(absl::ToDoubleSeconds(absl::Now() - request_start));
        });
  }
  if (!collectables_.empty()) {
    // Prometheus's text format. No token: scrapers have none, and the
    // figures say how busy the server is, not what it holds.
    s.Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
      std::vector<metrics::Family> families;
      for (const auto& c : collectables_) {
        for (metrics::Family& f : c->Collect()) {
          families.push_back(std::move(f));
        }
      }
      res.set_content(metrics::TextFormat(families),
                      "text/plain; version=0.0.4; charset=utf-8");
    });
  }
  s.Get("/healthz", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("ok\n", "text/plain");
  });
  s.Get("/readyz", [this](const httplib::Request&, httplib::Response& res) {
    grpc::health::v1::HealthCheckRequest request;
    request.set_service("kg.v1.KnowledgeGraph");
    grpc::health::v1::HealthCheckResponse response;
    grpc::ClientContext ctx;
    ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
    const grpc::Status status = health_->Check(&ctx, request, &response);
    if (!status.ok()) {
      Fail(status, res);
      return;
    }
    const bool serving =
        response.status() == grpc::health::v1::HealthCheckResponse::SERVING;
    res.status = serving ? 200 : 503;
    res.set_content(
        absl::StrCat("{\"status\":\"",
                     grpc::health::v1::HealthCheckResponse::ServingStatus_Name(
                         response.status()),
                     "\"}\n"),
        "application/json");
  });
  for (const char* path : {"/sparql", "/sparql/"}) {
    auto sparql = [this](const httplib::Request& req, httplib::Response& res) {
      sparql_->Handle(req, res);
    };
    s.Get(path, sparql);
    s.Post(path, sparql);
    auto not_allowed = [](const httplib::Request& req, httplib::Response& res) {
      res.status = 405;
      res.set_header("Allow", "GET, POST");
      res.set_content(
          absl::StrCat(req.method,
                       ": the SPARQL endpoint takes GET and POST\n"),
          "text/plain; charset=utf-8");
    };
    s.Put(path, not_allowed);
    s.Delete(path, not_allowed);
    s.Patch(path, not_allowed);
  }
  const std::string rpc = R"(/[A-Za-z0-9_.]+/[A-Za-z0-9_]+)";
  s.Post(rpc, [this](const httplib::Request& req, httplib::Response& res) {
    if (!gateway_->Knows(req.path)) {
      Fail(grpc::Status(grpc::StatusCode::NOT_FOUND,
                        absl::StrCat("no rpc ", req.path)),
           res);
      return;
    }
    CallOptions options;
    options.authorization = req.get_header_value("Authorization");
    options.min_log_position = req.get_header_value("kg-min-log-position");
    JsonGateway::Answer a = gateway_->Start(req.path, req.body, options);
    for (const auto& [name, value] : a.replica_headers) {
      res.set_header(name, value);
    }
    if (!a.status.ok()) {
      Fail(a.status, res);
      return;
    }
    if (!a.streaming) {
      res.set_content(a.object + "\n", "application/json");
      return;
    }
    // One line per message as it comes; a failure after the first line is
    // the last line, {"code":..., "message":...} (the status is sent).
    std::shared_ptr<ResponseStream> lines(std::move(a.lines));
    res.set_chunked_content_provider(
        "application/x-ndjson", [lines](size_t, httplib::DataSink& sink) {
          std::string line;
          grpc::Status status;
          if (lines->Next(&line, &status)) {
            line.push_back('\n');
            if (!sink.write(line.data(), line.size())) {
              lines->Cancel();
              return false;
            }
            return true;
          }
          if (!status.ok()) {
            const std::string error = ErrorJson(status) + "\n";
            sink.write(error.data(), error.size());
          }
          sink.done();
          return true;
        });
  });
  s.Get(rpc, [this](const httplib::Request& req, httplib::Response& res) {
    if (!gateway_->Knows(req.path)) {
      Fail(grpc::Status(grpc::StatusCode::NOT_FOUND,
                        absl::StrCat("no route GET ", req.path)),
           res);
      return;
    }
    res.set_header("Allow", "POST");
    res.status = 405;
    res.set_content(
        ErrorJson(grpc::Status(grpc::StatusCode::UNIMPLEMENTED,
                               absl::StrCat(req.path,
                                            ": rpcs are called with POST "
                                            "and a JSON body"))) +
            "\n",
        "application/json");
  });
  if (!web_root_.empty()) {
    // The explorer (docs/explorer.md). cpp-httplib looks for a file under
    // the mount point before it tries the routes above, and serves
    // index.html for "/". The page loads nothing from elsewhere.
    const bool built = s.set_mount_point("/", web_root_);
    s.set_file_request_handler(
        [](const httplib::Request&, httplib::Response& res) {
          res.set_header("Cache-Control", "no-cache");
          res.set_header("X-Content-Type-Options", "nosniff");
          res.set_header("Referrer-Policy", "no-referrer");
          res.set_header("Content-Security-Policy",
                         "default-src 'self'; img-src 'self' data:; "
                         "style-src 'self' 'unsafe-inline'; "
                         "frame-ancestors 'none'");
        });
    // Reached only when no file answered "/".
    s.Get("/", [this, built](const httplib::Request&, httplib::Response& res) {
      res.status = 404;
      res.set_content(
          ErrorJson(grpc::Status(
              grpc::StatusCode::NOT_FOUND,
              absl::StrCat("the explorer is not built in --web_dir=", web_root_,
                           built ? " (no index.html)" : " (no such directory)",
                           "; ./setup.sh build builds it"))) +
              "\n",
          "application/json");
    });
  }
  // What the listener itself refuses (no route, a body or header past its
  // limits) answers in the same shape.
  s.set_error_handler(httplib::Server::HandlerWithResponse(
      [](const httplib::Request& req, httplib::Response& res) {
        // Called for every answer of 400 or more; those of the routes above
        // already say what went wrong.
        if (!res.body.empty())
          return httplib::Server::HandlerResponse::Unhandled;
        std::string message;
        switch (res.status) {
          case 404:
            message = absl::StrCat("no route ", req.method, " ", req.path);
            break;
          case 413:
            message =
                "body: larger than the server's limit (--http_max_body_bytes)";
            break;
          case 414:
            message = "the request URI is longer than 8 KiB";
            break;
          default:
            message = absl::StrCat("HTTP ", res.status);
        }
        res.set_content(
            ErrorJson(grpc::Status(CodeForHttpStatus(res.status), message)) +
                "\n",
            "application/json");
        return httplib::Server::HandlerResponse::Handled;
      }));
}

HttpServer::~HttpServer() { Shutdown(); }

void HttpServer::StopAccepting() {
  if (server_ != nullptr) server_->stop();
}

void HttpServer::Shutdown() {
  StopAccepting();
  if (listener_.joinable()) listener_.join();
}

}  // namespace kg::http
