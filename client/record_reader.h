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
#include <optional>
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
// yields an error item and contributes nothing else; records come out when
// their group of triples ends.
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
  // Triples of well-formed lines seen so far.
  uint64_t triples() const { return triples_read_; }

  // For serd's callbacks.
  void OnTriple(rdf::Term s, rdf::Term p, rdf::Term o,
                std::optional<rdf::Term> graph);
  void OnSyntaxError(std::string message);

 private:
  struct Triple {
    rdf::Term s, p, o;
    std::optional<rdf::Term> graph;
  };

  SerdReaderImpl* reader_;
  rdf::RecordBuilder builder_;
  std::string text_;
  // What serd reported for the current line. The triples reach the builder
  // only when the whole line parsed: serd reports a triple before it sees
  // what follows it on the line ("<s> <p> <o> garbage").
  std::vector<Triple> triples_;
  std::string syntax_error_;
  uint64_t triples_read_ = 0;
};

}  // namespace kg::client

#endif  // KG_CLIENT_RECORD_READER_H_
