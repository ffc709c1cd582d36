// SparqlEndpoint: the SPARQL 1.1 Protocol's query operation at /sparql
// (docs/http.md "SPARQL"). Each request becomes one call of the Query rpc
// through the gRPC channel, and its answer is written, as it streams in, in
// the format the Accept header asks for: SPARQL results in JSON, XML, CSV or
// TSV for SELECT and ASK; Turtle or N-Triples for CONSTRUCT and DESCRIBE.
// Without a query, GET answers the service description (Turtle).
//
// Internal to http/: HttpServer routes /sparql here.
#ifndef KG_HTTP_SPARQL_ENDPOINT_H_
#define KG_HTTP_SPARQL_ENDPOINT_H_

#include <httplib.h>

#include <memory>
#include <string>
#include <vector>

#include "grpcpp/channel.h"
#include "kg/v1/kg.grpc.pb.h"

namespace kg::http {

// The offer chosen by an Accept header: the index into `offers` (media
// types, best first when the client has no preference); 0 for an empty or
// absent header; -1 when the header accepts none of them.
int Negotiate(const std::string& accept,
              const std::vector<std::string>& offers);

class SparqlEndpoint {
 public:
  explicit SparqlEndpoint(std::shared_ptr<grpc::Channel> channel);

  // GET and POST /sparql.
  void Handle(const httplib::Request& req, httplib::Response& res) const;

 private:
  std::unique_ptr<kg::v1::KnowledgeGraph::Stub> stub_;
};

}  // namespace kg::http

#endif  // KG_HTTP_SPARQL_ENDPOINT_H_
