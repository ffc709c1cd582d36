#include "http/sparql_endpoint.h"

#include <optional>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "grpcpp/client_context.h"
#include "http/gateway.h"
#include "query/sparql/results.h"
#include "rdf/format.h"
#include "rdf_proto/rdf_term.h"

namespace kg::http {

namespace {

namespace v1 = ::kg::v1;

// What each query form can be answered in, the default first.
const std::vector<std::string>& SolutionTypes() {
  static const auto* kTypes =
      new std::vector<std::string>{"application/sparql-results+json",
                                   "application/json",
                                   "application/sparql-results+xml",
                                   "application/xml",
                                   "text/xml",
                                   "text/csv",
                                   "text/tab-separated-values"};
  return *kTypes;
}
sparql::ResultsFormat SolutionFormat(int offer) {
  switch (offer) {
    case 0:
    case 1:
      return sparql::ResultsFormat::kJson;
    case 2:
    case 3:
    case 4:
      return sparql::ResultsFormat::kXml;
    case 5:
      return sparql::ResultsFormat::kCsv;
    default:
      return sparql::ResultsFormat::kTsv;
  }
}
const std::vector<std::string>& GraphTypes() {
  static const auto* kTypes = new std::vector<std::string>{
      "text/turtle", "application/x-turtle", "application/turtle",
      "application/n-triples", "text/plain"};
  return *kTypes;
}

// The media type without parameters, lowercase; and its charset, if any.
std::string MediaTypeOf(const std::string& header, std::string* charset) {
  std::vector<absl::string_view> parts = absl::StrSplit(header, ';');
  std::string type =
      absl::AsciiStrToLower(absl::StripAsciiWhitespace(parts[0]));
  for (size_t i = 1; i < parts.size(); ++i) {
    absl::string_view p = absl::StripAsciiWhitespace(parts[i]);
    if (absl::StartsWithIgnoreCase(p, "charset=")) {
      absl::string_view value = absl::StripAsciiWhitespace(p.substr(8));
      absl::ConsumePrefix(&value, "\"");
      absl::ConsumeSuffix(&value, "\"");
      *charset = absl::AsciiStrToLower(value);
    }
  }
  return type;
}

void Refuse(int status, const std::string& message, httplib::Response& res) {
  res.status = status;
  res.set_content(message + "\n", "text/plain; charset=utf-8");
}

void RefuseStatus(const grpc::Status& status, httplib::Response& res) {
  res.status = HttpStatusFor(status.error_code());
  if (status.error_code() == grpc::StatusCode::UNAUTHENTICATED) {
    res.set_header("WWW-Authenticate", "Bearer");
  }
  res.set_content(absl::StrCat(CodeName(status.error_code()), ": ",
                               status.error_message(), "\n"),
                  "text/plain; charset=utf-8");
}

// The service description (SPARQL 1.1 Service Description), in Turtle.
std::string ServiceDescription(const httplib::Request& req) {
  const std::string host = req.get_header_value("Host").empty()
                               ? std::string("localhost")
                               : req.get_header_value("Host");
  return absl::StrCat(
      "@prefix sd: <http://www.w3.org/ns/sparql-service-description#> .\n"
      "@prefix formats: <http://www.w3.org/ns/formats/> .\n\n"
      "[] a sd:Service ;\n"
      "  sd:endpoint <http://",
      host, "/sparql> ;\n",
      "  sd:supportedLanguage sd:SPARQL11Query ;\n"
      "  sd:resultFormat formats:SPARQL_Results_JSON, "
      "formats:SPARQL_Results_XML,\n"
      "    formats:SPARQL_Results_CSV, formats:SPARQL_Results_TSV,\n"
      "    formats:Turtle, formats:N-Triples ;\n"
      "  sd:feature sd:UnionDefaultGraph ;\n"
      "  sd:defaultDataset [ a sd:Dataset ;\n"
      "    sd:defaultGraph [ a sd:Graph ] ] .\n");
}

// One Query call, read as the HTTP answer is written.
struct QueryStream {
  std::unique_ptr<grpc::ClientContext> ctx;
  std::unique_ptr<grpc::ClientReader<v1::QueryResponse>> reader;
  v1::QueryForm form = v1::QUERY_FORM_UNSPECIFIED;
  std::optional<sparql::SolutionsWriter> solutions;
  std::optional<sparql::ResultsFormat> boolean_format;
  std::string out;
  std::unique_ptr<rdf::Writer> triples;  // writes into `out`
  bool finished = false;

  ~QueryStream() {
    if (finished) return;
    ctx->TryCancel();
    v1::QueryResponse ignored;
    while (reader->Read(&ignored)) {
    }
    (void)reader->Finish();  // cancelled: its status says only that
  }

  // Appends what one message says to `out`. An error when a triple cannot
  // be written in the chosen syntax.
  absl::Status Take(const v1::QueryResponse& m) {
    for (const v1::QueryRow& row : m.rows().rows()) {
      if (solutions) solutions->Row(rdf_proto::FromProto(row), &out);
    }
    for (const v1::RdfTriple& t : m.triples().triples()) {
      if (triples) {
        absl::Status written = triples->Write(
            rdf::Quad{rdf_proto::FromProto(t.subject()),
                      rdf_proto::FromProto(t.predicate()),
                      rdf_proto::FromProto(t.object()), std::nullopt});
        if (!written.ok()) return written;
      }
    }
    if (m.part_case() == v1::QueryResponse::kBoolean && boolean_format) {
      out += sparql::BooleanResult(*boolean_format, m.boolean());
    }
    return absl::OkStatus();
  }
};

}  // namespace

int Negotiate(const std::string& accept,
              const std::vector<std::string>& offers) {
  if (absl::StripAsciiWhitespace(accept).empty()) return 0;
  // For each offer, the q of the most specific range that matches it.
  std::vector<double> q(offers.size(), -1);
  std::vector<int> specificity(offers.size(), -1);
  for (absl::string_view range : absl::StrSplit(accept, ',')) {
    std::vector<absl::string_view> parts = absl::StrSplit(range, ';');
    const std::string type =
        absl::AsciiStrToLower(absl::StripAsciiWhitespace(parts[0]));
    if (type.empty()) continue;
    double weight = 1;
    for (size_t i = 1; i < parts.size(); ++i) {
      absl::string_view p = absl::StripAsciiWhitespace(parts[i]);
      if (absl::ConsumePrefix(&p, "q=") && !absl::SimpleAtod(p, &weight)) {
        weight = 0;
      }
    }
    for (size_t i = 0; i < offers.size(); ++i) {
      const std::string& offer = offers[i];
      int level = -1;
      if (type == offer) {
        level = 2;
      } else if (type == "*/*") {
        level = 0;
      } else if (absl::EndsWith(type, "/*") &&
                 absl::StartsWith(offer, type.substr(0, type.size() - 1))) {
        level = 1;
      }
      if (level > specificity[i]) {
        specificity[i] = level;
        q[i] = weight;
      }
    }
  }
  int best = -1;
  for (size_t i = 0; i < offers.size(); ++i) {
    if (q[i] > 0 && (best < 0 || q[i] > q[best])) best = static_cast<int>(i);
  }
  return best;
}

SparqlEndpoint::SparqlEndpoint(std::shared_ptr<grpc::Channel> channel)
    : stub_(v1::KnowledgeGraph::NewStub(std::move(channel))) {}

void SparqlEndpoint::Handle(const httplib::Request& req,
                            httplib::Response& res) const {
  // Where the query is: the URL (GET), a form (POST), or the body (POST of
  // application/sparql-query).
  std::string charset;
  const std::string type =
      MediaTypeOf(req.get_header_value("Content-Type"), &charset);
  if (req.has_param("update") || type == "application/sparql-update") {
    Refuse(501,
           "SPARQL Update is not served: kg is written through its rpcs "
           "(docs/http.md)",
           res);
    return;
  }
  std::string query;
  if (req.method == "POST" && type == "application/sparql-query") {
    if (!charset.empty() && charset != "utf-8") {
      Refuse(
          415,
          absl::StrCat("Content-Type: the query must be UTF-8, not ", charset),
          res);
      return;
    }
    if (req.has_param("query")) {
      Refuse(400, "query: given both in the URL and as the body", res);
      return;
    }
    query = req.body;
  } else if (req.method == "POST" &&
             type != "application/x-www-form-urlencoded") {
    Refuse(415,
           absl::StrCat("Content-Type: a query is POSTed as "
                        "application/sparql-query or "
                        "application/x-www-form-urlencoded, not '",
                        type, "'"),
           res);
    return;
  } else {
    const size_t n = req.get_param_value_count("query");
    if (n > 1) {
      Refuse(400, "query: given more than once", res);
      return;
    }
    if (n == 0) {
      if (req.method == "GET") {
        res.set_content(ServiceDescription(req), "text/turtle; charset=utf-8");
      } else {
        Refuse(400, "query: missing", res);
      }
      return;
    }
    query = req.get_param_value("query");
  }

  v1::QueryRequest request;
  request.set_query(query);
  for (size_t i = 0; i < req.get_param_value_count("default-graph-uri"); ++i) {
    request.add_default_graph(req.get_param_value("default-graph-uri", i));
  }
  for (size_t i = 0; i < req.get_param_value_count("named-graph-uri"); ++i) {
    request.add_named_graph(req.get_param_value("named-graph-uri", i));
  }

  auto stream = std::make_shared<QueryStream>();
  stream->ctx = std::make_unique<grpc::ClientContext>();
  const std::string authorization = req.get_header_value("Authorization");
  if (!authorization.empty()) {
    stream->ctx->AddMetadata("authorization", authorization);
  }
  // Read your writes in a replica set (docs/replicas.md).
  const std::string min_position = req.get_header_value("kg-min-log-position");
  if (!min_position.empty()) {
    stream->ctx->AddMetadata("kg-min-log-position", min_position);
  }
  stream->reader = stub_->Query(stream->ctx.get(), request);
  v1::QueryResponse first;
  if (!stream->reader->Read(&first) || !first.has_header()) {
    stream->finished = true;
    const grpc::Status status = stream->reader->Finish();
    RefuseStatus(status.ok() ? grpc::Status(grpc::StatusCode::INTERNAL,
                                            "the answer had no header")
                             : status,
                 res);
    return;
  }
  stream->form = first.header().form();
  const std::string accept = req.get_header_value("Accept");
  std::string content_type;
  if (stream->form == v1::QUERY_FORM_SELECT ||
      stream->form == v1::QUERY_FORM_ASK) {
    const int offer = Negotiate(accept, SolutionTypes());
    if (offer < 0) {
      Refuse(406,
             absl::StrCat("Accept: SELECT and ASK answer one of ",
                          absl::StrJoin(SolutionTypes(), ", ")),
             res);
      return;
    }
    const sparql::ResultsFormat format = SolutionFormat(offer);
    content_type = std::string(sparql::MediaType(format));
    if (stream->form == v1::QUERY_FORM_SELECT) {
      stream->solutions.emplace(
          format, std::vector<std::string>(first.header().variables().begin(),
                                           first.header().variables().end()));
      stream->solutions->Begin(&stream->out);
    } else {
      stream->boolean_format = format;
    }
  } else {
    const int offer = Negotiate(accept, GraphTypes());
    if (offer < 0) {
      Refuse(406,
             absl::StrCat("Accept: CONSTRUCT and DESCRIBE answer one of ",
                          absl::StrJoin(GraphTypes(), ", ")),
             res);
      return;
    }
    const bool turtle = offer <= 2;
    content_type = turtle ? "text/turtle; charset=utf-8"
                          : "application/n-triples; charset=utf-8";
    stream->triples = std::make_unique<rdf::Writer>(
        turtle ? rdf::Format::kTurtle : rdf::Format::kNTriples, &stream->out);
  }

  // The rows as they come, in chunks of about 64 KiB. A failure after the
  // status was sent cuts the answer short (the connection is closed), so
  // a client never takes a partial answer for a whole one.
  res.set_chunked_content_provider(
      content_type, [stream](size_t, httplib::DataSink& sink) {
        v1::QueryResponse m;
        bool more = true;
        while (stream->out.size() < (size_t{64} << 10)) {
          if (!stream->reader->Read(&m)) {
            more = false;
            break;
          }
          if (!stream->Take(m).ok()) {
            // Not writable in the negotiated syntax: the answer is cut
            // off, as for any failure after the status was sent.
            stream->ctx->TryCancel();
            return false;
          }
        }
        if (!more) {
          stream->finished = true;
          if (!stream->reader->Finish().ok()) return false;
          if (stream->solutions) stream->solutions->End(&stream->out);
          if (stream->triples) stream->triples->Finish();
        }
        if (!stream->out.empty() &&
            !sink.write(stream->out.data(), stream->out.size())) {
          stream->ctx->TryCancel();
          return false;
        }
        stream->out.clear();
        if (!more) sink.done();
        return true;
      });
}

}  // namespace kg::http
