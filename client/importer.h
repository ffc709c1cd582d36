// Importer: streams a file into the server through IngestStatements, in
// batches, never holding the whole file in memory.
//
// Formats: kg JSON Lines (one kg.v1.Record per line in the protobuf JSON
// mapping; blank lines are ignored) and N-Triples/N-Quads in kg's RDF
// mapping (rdf.h), parsed by serd one line at a time; record_reader.h
// turns lines into records.
//
// A bad line (not UTF-8, not JSON, not a Record, an RDF syntax error, a
// triple outside the mapping) stops the import with its line number and
// reason, or with skip_invalid is counted and reported. A batch the server
// rejects is written not at all; the error names the line of the item it
// blames (the server's "statements[3]..." mapped back) and the lines the
// batch covered. With skip_invalid the blamed item is dropped and the rest
// of the batch sent again.
//
// Not thread-safe.
#ifndef KG_CLIENT_IMPORTER_H_
#define KG_CLIENT_IMPORTER_H_

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "client/connection.h"
#include "client/progress.h"
#include "client/rdf.h"
#include "grpcpp/support/sync_stream.h"
#include "kg/v1/kg.pb.h"

namespace kg::client {

enum class ImportFormat { kJsonl, kNTriples, kNQuads };

struct ImportOptions {
  std::string path;  // "-": stdin
  ImportFormat format = ImportFormat::kJsonl;
  int batch_size = 1000;
  bool skip_invalid = false;
  bool progress = false;  // draw the progress bar on stderr
};

struct ImportResult {
  uint64_t lines = 0;
  uint64_t records = 0;
  uint64_t entities = 0, relations = 0, documents = 0, statements = 0;
  uint64_t skipped = 0;  // lines (or items) skipped with skip_invalid
  uint64_t batches = 0;
  uint64_t statements_created = 0;
  uint64_t provenance_added = 0;
  uint64_t provenance_unchanged = 0;
  uint64_t plain_triples = 0;  // RDF only
};

class Importer {
 public:
  Importer(Connection& conn, ImportOptions options);
  ~Importer();

  // Runs the import; prints errors (one line each) to stderr. Returns the
  // exit code.
  int Run();
  const ImportResult& result() const { return result_; }

 private:
  struct Batch {
    kg::v1::WriteStatementsRequest request;
    std::vector<int64_t> entity_lines, relation_lines, document_lines,
        statement_lines;
    size_t bytes = 0;
    int items() const {
      return request.entities_size() + request.relations_size() +
             request.documents_size() + request.statements_size();
    }
  };

  int ReadJsonl(std::FILE* in);
  int ReadRdf(std::FILE* in);
  // Adds a record read at `line`; may send a batch. Returns an exit code
  // (kExitOk to go on).
  int Add(kg::v1::Record record, int64_t line);
  // A bad line: stops (returns its exit code) or, with skip_invalid,
  // counts it (returns kExitOk).
  int LineError(int64_t line, const std::string& reason);
  int Flush();
  int StreamFailed();
  int ProcessItems();

  Connection& conn_;
  ImportOptions options_;
  std::string name_;  // the file's name in messages
  ImportResult result_;
  std::unique_ptr<Progress> progress_;
  std::unique_ptr<grpc::ClientContext> context_;
  std::unique_ptr<grpc::ClientReaderWriter<kg::v1::IngestStatementsRequest,
                                           kg::v1::IngestStatementsResponse>>
      stream_;
  Batch batch_;
  uint64_t next_batch_id_ = 1;
  uint64_t bytes_read_ = 0;
  uint64_t skipped_shown_ = 0;

  // What the line readers (record_reader.h) yielded, not yet added.
  std::vector<rdf::Item> items_;
};

}  // namespace kg::client

#endif  // KG_CLIENT_IMPORTER_H_
