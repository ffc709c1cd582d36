// Importer: `kgctl import`. Reads a file and sends it to the server's
// ImportStatements as one write: all of it or, on any error, nothing
// (docs/rdf.md, "The import guarantee").
//
// Formats: kg JSON Lines (one kg.v1.Record per line in the protobuf JSON
// mapping; blank lines are ignored), and N-Triples, N-Quads, Turtle and TriG
// read by rdf/ and mapped to records by rdf_mapping.h. RDF is read twice
// (kg's own descriptions first, then the data), so line order does not
// matter.
//
// A bad line stops the import with file, line, column and reason, before
// the import is committed. With skip_invalid, bad lines are reported one by
// one and left out (a Turtle or TriG syntax error still stops the import:
// those syntaxes cannot resume at the next line); an item the server
// rejects is left out too and the import is sent again without it.
//
// Not thread-safe.
#ifndef KG_CLIENT_IMPORTER_H_
#define KG_CLIENT_IMPORTER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "client/connection.h"
#include "client/progress.h"
#include "grpcpp/support/sync_stream.h"
#include "kg/v1/kg.pb.h"
#include "rdf/format.h"

namespace kg::client {

enum class ImportFormat { kJsonl, kNTriples, kNQuads, kTurtle, kTriG };

struct ImportOptions {
  std::string path;  // "-": stdin
  ImportFormat format = ImportFormat::kJsonl;
  int batch_size = 1000;
  bool skip_invalid = false;
  bool progress = false;  // draw the progress bar on stderr
  // Entities and relations whose id exists with other content replace
  // the stored ones (else the import fails naming what differs).
  bool replace_vocabulary = false;
  // Let an entity's label or aliases also name other entities.
  bool shared_names = false;
  // RDF: the document the default graph's triples come from. Empty: the
  // file's name as a slug ("stdin" for stdin).
  std::string document;
  // RDF: the base IRI for relative IRIs. Empty: the file's file:// URL.
  std::string base;
};

// The format a flag names ("jsonl", "nt", "nq", "ttl", "trig"), or when it
// is empty the one the file's name suggests (.nt, .nq, .ttl, .trig; else
// JSON Lines).
ImportFormat ImportFormatFor(const std::string& flag, const std::string& path);

// The document an RDF file's default graph goes to when none is named:
// the file's name as a slug ("wordnet.nt" -> "wordnet"; "stdin" for "-").
std::string SlugOfFile(absl::string_view path);
// The base IRI for a file's relative IRIs when none is given: its file://
// URL ("" for "-").
std::string FileUrl(absl::string_view path);

struct ImportResult {
  uint64_t lines = 0;
  uint64_t records = 0;
  uint64_t entities = 0, relations = 0, documents = 0, statements = 0;
  uint64_t skipped = 0;  // lines (or items) skipped with skip_invalid
  uint64_t batches = 0;
  uint64_t statements_created = 0;
  uint64_t provenance_added = 0;
  uint64_t provenance_unchanged = 0;
  uint64_t triples = 0;          // RDF: quads read
  std::string default_document;  // RDF: where the default graph went
};

// One line on what a successful import wrote: "imported 12 records (...)".
std::string ImportSummary(const ImportResult& r);

class Importer {
 public:
  Importer(Connection& conn, ImportOptions options);
  ~Importer();

  // Runs the import; prints errors (one line each) to stderr. Returns the
  // exit code.
  int Run();
  const ImportResult& result() const { return result_; }

 private:
  // The lines of a sent batch's items, to name the line of a rejected one.
  struct BatchLines {
    std::vector<int64_t> entities, relations, documents, statements;
  };
  // One attempt: reads the input and streams it. kExitOk when committed;
  // kRetry when the server rejected an item that skip_invalid now skips.
  static constexpr int kRetry = -1;
  int Attempt();
  int ReadJsonl();
  int ReadRdf();
  // Adds a record read at `line`; may send a batch.
  int Add(kg::v1::Record record, int64_t line);
  // A bad line: stops (returns its exit code) or, with skip_invalid,
  // notes and reports it (returns kExitOk).
  int LineError(int64_t line, int64_t column, absl::string_view reason);
  int Send();
  int Commit();
  // The server's answer to the stream: ok, or the rejected item's line.
  int Rejected(const grpc::Status& status);

  Connection& conn_;
  ImportOptions options_;
  std::string name_;        // the file's name in messages
  std::string input_;       // stdin's bytes
  absl::string_view data_;  // the whole input (the mapped file, or input_)
  std::string base_iri_;    // the store's
  ImportResult result_;
  std::unique_ptr<Progress> progress_;

  std::unique_ptr<grpc::ClientContext> context_;
  kg::v1::ImportStatementsResponse response_;
  std::unique_ptr<grpc::ClientWriter<kg::v1::ImportStatementsRequest>> stream_;
  kg::v1::WriteStatementsRequest batch_;
  size_t batch_bytes_ = 0;
  BatchLines lines_;                         // of batch_
  std::vector<BatchLines> sent_;             // of every batch sent
  absl::flat_hash_set<int64_t> skip_lines_;  // lines skipped so far
  uint64_t skipped_shown_ = 0;
  int retries_ = 0;
  void* mapped_ = nullptr;
  size_t mapped_size_ = 0;
};

}  // namespace kg::client

#endif  // KG_CLIENT_IMPORTER_H_
