// Exporter: writes the whole store as kg JSON Lines (lossless) or in kg's
// RDF view (N-Triples, N-Quads, Turtle, TriG; docs/rdf.md and
// rdf_mapping.h), reading it only through the API.
//
// JSON Lines: one kg.v1.Record per line, in this order: entities
// (ListEntities, by id), relations (ListRelations, by id), documents
// (ListDocuments + GetDocument with text, by id), statements (ListStatements
// with provenance, by statement id). Each statement is written with its
// quoted statements inline (Term.quoted) and its live records sorted by
// (document, span, hedge, confidence, valid time); output-only fields
// (recorded_at, retracted_at, statement_id) are left out. Only asserted
// statements are records; quoted-only ones appear inline. The output depends
// only on the store's content, so export, import into an empty store and
// export again gives the same bytes.
//
// Not thread-safe.
#ifndef KG_CLIENT_EXPORTER_H_
#define KG_CLIENT_EXPORTER_H_

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "client/connection.h"
#include "client/rdf_mapping.h"
#include "grpcpp/support/status.h"
#include "kg/v1/kg.pb.h"

namespace kg::client {

enum class ExportFormat { kJsonl, kNTriples, kNQuads, kTurtle, kTriG };

struct ExportCounts {
  uint64_t entities = 0;
  uint64_t relations = 0;
  uint64_t documents = 0;
  uint64_t statements = 0;
  uint64_t provenance = 0;
};

class Exporter {
 public:
  // RDF: the records of `default_graph_document` go to the default graph
  // (formats with graphs).
  Exporter(Connection& conn, ExportFormat format, std::FILE* out,
           std::string default_graph_document = "");
  ~Exporter();

  // Writes everything. A failed call ends it with that call's status;
  // a failed write with INTERNAL.
  grpc::Status Run();
  const ExportCounts& counts() const { return counts_; }

 private:
  grpc::Status Entities();
  grpc::Status Relations();
  grpc::Status Documents();
  grpc::Status Statements();
  grpc::Status Write(const std::string& text);
  // RDF: writes what the writer has produced so far.
  grpc::Status Drain();
  grpc::Status WriteRecord(const kg::v1::Record& record);
  // A quoted statement by id, fetched once.
  const kg::v1::Statement* Lookup(const std::string& id);
  grpc::Status ToTerm(const kg::v1::Node& node, int depth, kg::v1::Term* out);

  Connection& conn_;
  ExportFormat format_;
  std::string default_graph_document_;
  // RDF only.
  std::string rdf_text_;
  std::unique_ptr<rdf::Writer> rdf_writer_;
  std::unique_ptr<KgIris> iris_;
  std::unique_ptr<RdfExport> rdf_;
  std::FILE* out_;
  ExportCounts counts_;
  absl::flat_hash_map<std::string, kg::v1::Statement> quoted_;
  grpc::Status lookup_status_;
};

}  // namespace kg::client

#endif  // KG_CLIENT_EXPORTER_H_
