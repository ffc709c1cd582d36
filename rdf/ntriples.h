// Internal to rdf/: the N-Triples and N-Quads reader and writer, and the
// pieces the Turtle writer shares with them (IRI and literal output, blank
// node relabelling). Not part of the library's interface: use rdf/format.h.
#ifndef KG_RDF_NTRIPLES_H_
#define KG_RDF_NTRIPLES_H_

#include <cstdint>
#include <memory>
#include <string>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "rdf/format.h"
#include "rdf/term.h"

namespace kg::rdf {

// Write access to a Term's fields, for readers that reuse one Term per
// position so that its strings keep their capacity from line to line.
struct TermMutator {
  static std::string& Value(Term& t) { return t.value_; }
  static std::string& Datatype(Term& t) { return t.datatype_; }
  static std::string& Language(Term& t) { return t.language_; }
  static void SetDirection(Term& t, Direction d) { t.direction_ = d; }
  static void SetTriple(Term& t, Triple triple) {
    t.triple_ = std::make_shared<const Triple>(std::move(triple));
  }
  // Makes `t` a term of `kind` with empty fields, keeping the strings'
  // capacity.
  static void Reset(Term& t, Term::Kind kind) {
    t.kind_ = kind;
    t.direction_ = Direction::kNone;
    t.value_.clear();
    t.datatype_.clear();
    t.language_.clear();
    t.triple_.reset();
  }
};

// Reads N-Triples (`quads` false) or N-Quads, RDF 1.1 and 1.2. See Read()
// in rdf/format.h for the contract.
absl::Status ReadNTriples(bool quads, absl::string_view input,
                          const ReadOptions& options,
                          const QuadCallback& on_quad,
                          const SkipCallback& on_skipped);

// Whether `label` matches BLANK_NODE_LABEL after "_:" (the same grammar in
// N-Triples, N-Quads, Turtle and TriG).
bool IsValidBlankLabel(absl::string_view label);

// Whether `name` is a well-formed PN_LOCAL (Turtle's local part of a
// prefixed name), written without escapes.
bool IsValidPnLocal(absl::string_view name);

// Maps blank node labels to labels well-formed in the output: a valid label
// is kept as is, any other gets a fresh label ("b_<n>") that no kept label
// uses. The same input label always maps to the same output label. Not
// thread-safe.
class BlankLabeler {
 public:
  // The label to write for `label`; valid until the next call.
  absl::string_view Label(const std::string& label);

 private:
  std::string Fresh();

  absl::flat_hash_map<std::string, std::string> mapped_;
  absl::flat_hash_set<std::string> kept_fresh_shaped_;  // kept "b_..." labels
  absl::flat_hash_set<std::string> generated_;
  int64_t next_ = 0;
};

// Appends <iri>, escaping the characters IRIREF forbids as \u escapes.
void AppendIriRef(absl::string_view iri, std::string* out);
// Appends "lexical" escaped as canonical RDF 1.2 N-Triples does: \" \\ \n
// \r \t \b \f, \u00XX for the other controls and U+007F, \uFFFE and
// \uFFFF; everything else as itself.
void AppendQuotedString(absl::string_view lexical, std::string* out);
// Appends "@lang" or "@lang--dir", the tag in lower case (canonical form;
// tags compare case-insensitively).
void AppendLanguage(const Term& literal, std::string* out);

// One writer per output format; rdf::Writer dispatches to it.
class QuadWriter {
 public:
  virtual ~QuadWriter() = default;
  virtual absl::Status Write(const Quad& quad) = 0;
  virtual void Finish() = 0;
};

// Checks the positions of a quad's terms (subject IRI or blank node,
// predicate IRI, graph IRI or blank node, triple terms likewise inside).
absl::Status CheckQuadShape(const Quad& quad, bool graphs_allowed);

std::unique_ptr<QuadWriter> NewNTriplesWriter(bool quads, std::string* out);
// Turtle (`trig` false) or TriG; in rdf/turtle_writer.cc.
std::unique_ptr<QuadWriter> NewTurtleWriter(bool trig, std::string* out,
                                            const WriteOptions& options);

}  // namespace kg::rdf

#endif  // KG_RDF_NTRIPLES_H_
