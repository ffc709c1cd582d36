// kg-server --load's fast path: an RDF file into a store that has never
// held a term, through Store::LoadFresh (docs/rdf.md, "Loading offline").
//
// N-Triples and N-Quads are cut into chunks at line ends and parsed on
// every core; Turtle and TriG are parsed on one. kg's own descriptions of
// entities, relations and data documents are read as `kgctl import` reads
// them (client/rdf_mapping.h); every other triple is data, one provenance
// record from its graph's data document. What the fast path does not
// take — text documents, provenance records, statement reifiers, triple
// terms, a store with terms, and any error — it declines, saying why, and
// the caller imports the file the usual way, which takes all of it or
// names the first error precisely. What it takes, it stores as the import
// would.
#ifndef KG_LOADER_FRESH_RDF_H_
#define KG_LOADER_FRESH_RDF_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "rdf/format.h"
#include "storage/store.h"

namespace kg::loader {

struct FreshRdfOptions {
  std::string path;
  rdf::Format format = rdf::Format::kNTriples;
  std::string document;  // the default graph's document; empty: the file's
                         // name as a slug, as kgctl import
  std::string base;      // for relative IRIs; empty: the file's URL
  int threads = 0;       // 0: one per core
  // N-Triples and N-Quads are parsed in pieces of about this many bytes,
  // cut at line ends, each a task (and a FreshChunk) of its own.
  size_t piece_bytes = size_t{4} << 20;
  // A file of more bytes is loaded in parts (FreshLoad::Part) of whole
  // pieces of at most this many bytes each (one piece at least), so that
  // the memory a load takes is a part's: the file is read once for kg's
  // descriptions and graphs, then once for each part's data. 0: in one
  // part. Turtle and TriG, read as one piece, are always one part.
  size_t part_bytes = 0;
  bool progress = false;  // a line per phase on stderr
};

struct FreshRdfResult {
  uint64_t triples = 0;  // quads read
  uint64_t entities = 0, relations = 0, documents = 0;
  storage::WriteResult write;
  std::string default_document;
  absl::Duration parse, load;  // reading the file; LoadFresh
  size_t parts = 1;
};

// One line on what the load wrote, like kgctl import's.
std::string FreshRdfSummary(const FreshRdfResult& r);

// The load, or nullopt with `*why_not` saying why the fast path declined
// (nothing written then: the caller imports the file the usual way), or
// with `*failed` set: a load in parts failed in its data (a bad term, an
// I/O error). Nothing is written then either (the parts in were rolled
// back), but the import is no way out: it holds the whole file in one
// transaction, which a file that needed parts would not fit.
std::optional<FreshRdfResult> LoadRdfFresh(storage::Store& store,
                                           const FreshRdfOptions& options,
                                           std::string* why_not,
                                           absl::Status* failed);

}  // namespace kg::loader

#endif  // KG_LOADER_FRESH_RDF_H_
