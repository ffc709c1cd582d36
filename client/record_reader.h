// Line readers for `kgctl import`: they turn the lines of an import file,
// one at a time, into kg.v1 records or per-line errors (rdf::Item), with no
// connection. The Importer sends what they yield; the fuzz targets in
// fuzz/ drive them directly.
//
//   std::vector<rdf::Item> items;
//   RdfLineReader reader(/*quads=*/false);
//   reader.ReadLine(text, line_number, &items);  // for every line
//   reader.Finish(&items);
//
// Thread-compatible.
#ifndef KG_CLIENT_RECORD_READER_H_
#define KG_CLIENT_RECORD_READER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "client/rdf.h"

struct SerdReaderImpl;

namespace kg::client {

// One line of kg JSON Lines (one kg.v1.Record in the protobuf JSON mapping;
// a trailing line break is ignored): appends its record, or the reason it
// is not one, to `out`. A blank line appends nothing.
void ReadJsonlLine(absl::string_view text, int64_t line,
                   std::vector<rdf::Item>* out);

// N-Triples or N-Quads in kg's RDF mapping (rdf.h), parsed by serd one line
// at a time. A line that is not UTF-8, holds a NUL byte or is not RDF
// yields an error item; records come out when their group of triples ends.
class RdfLineReader {
 public:
  explicit RdfLineReader(bool quads);
  ~RdfLineReader();
  RdfLineReader(const RdfLineReader&) = delete;
  RdfLineReader& operator=(const RdfLineReader&) = delete;

  // One line (a trailing line break is ignored); appends completed records
  // and errors to `out`.
  void ReadLine(absl::string_view text, int64_t line,
                std::vector<rdf::Item>* out);
  // Completes the open group at the end of the input.
  void Finish(std::vector<rdf::Item>* out);
  // Plain (subject relation object) triples seen so far.
  uint64_t plain_triples() const { return builder_.plain_triples(); }

  // For serd's callbacks.
  void OnTriple(const rdf::Term& s, const rdf::Term& p, const rdf::Term& o,
                const rdf::Term* graph);
  void OnSyntaxError(std::string message);

 private:
  SerdReaderImpl* reader_;
  rdf::RecordBuilder builder_;
  std::vector<rdf::Item>* out_ = nullptr;  // during ReadLine
  int64_t line_ = 0;
  std::string text_;
  std::string syntax_error_;
};

}  // namespace kg::client

#endif  // KG_CLIENT_RECORD_READER_H_
