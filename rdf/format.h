// Reading and writing RDF 1.1 and 1.2 in N-Triples, N-Quads, Turtle and TriG
// (docs/rdf.md).
//
// Readers take the whole input as one buffer (mmap a large file) and report
// each quad to a callback as soon as it is complete, so memory stays
// bounded by the callback, not by the file. An error carries the line and
// column (1-based, columns in code points) where it was found.
//
//   absl::Status s = rdf::Read(rdf::Format::kTurtle, text, {.base = "..."},
//       [&](const rdf::Quad& q, const rdf::Position& at) -> absl::Status {
//         ...; return absl::OkStatus();
//       });
#ifndef KG_RDF_FORMAT_H_
#define KG_RDF_FORMAT_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "rdf/term.h"

namespace kg::rdf {

enum class Format { kNTriples, kNQuads, kTurtle, kTriG };

// "nt", "ntriples", "n-triples", "nq", "nquads", "ttl", "turtle", "trig"
// (case-insensitive); nullopt otherwise.
std::optional<Format> FormatFromName(absl::string_view name);
// By a file name's extension (.nt .nq .ttl .trig); nullopt otherwise.
std::optional<Format> FormatFromPath(absl::string_view path);
absl::string_view FormatName(Format format);  // "N-Triples", ...
// Formats with named graphs (N-Quads, TriG).
bool HasGraphs(Format format);

// Where a quad or an error starts in the input.
struct Position {
  int64_t line = 1;    // 1-based
  int64_t column = 1;  // 1-based, in code points
};

struct ReadOptions {
  // Base IRI against which relative IRIs are resolved (Turtle, TriG; and
  // the N-Triples family, which allows none: relative IRIs are errors
  // there). Empty: a relative IRI with no @base/BASE in force is an error.
  std::string base;
  // N-Triples and N-Quads only: report a bad line to `on_skipped` and go on
  // with the next line instead of stopping at it.
  bool skip_invalid = false;
};

using QuadCallback =
    std::function<absl::Status(const Quad& quad, const Position& at)>;
// A line skipped with skip_invalid: its position and the error.
using SkipCallback =
    std::function<void(const Position& at, const absl::Status& error)>;

// Parses `input` and calls `on_quad` for every quad in document order.
// Returns the first syntax error (INVALID_ARGUMENT, message
// "line L, column C: what"), or the first non-OK status `on_quad` returns,
// unchanged. Triple formats report quads with no graph.
absl::Status Read(Format format, absl::string_view input,
                  const ReadOptions& options, const QuadCallback& on_quad,
                  const SkipCallback& on_skipped = nullptr);

struct WriteOptions {
  // Turtle and TriG: prefixes to declare and use, (prefix, namespace IRI).
  std::vector<std::pair<std::string, std::string>> prefixes;
};

// Writes quads in one format. N-Triples and Turtle refuse a quad with a
// graph (INVALID_ARGUMENT). Blank node labels that are not well-formed in
// the output syntax are written as well-formed ones, consistently within
// one Writer. xsd:string literals are written without their datatype;
// triple terms as <<( s p o )>>.
class Writer {
 public:
  Writer(Format format, std::string* out, WriteOptions options = {});
  ~Writer();
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;

  absl::Status Write(const Quad& quad);
  // Closes what the last quad left open (Turtle's '.', TriG's '}').
  void Finish();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace kg::rdf

#endif  // KG_RDF_FORMAT_H_
