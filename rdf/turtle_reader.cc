// STUB on branch rdf-nt only: the Turtle and TriG reader comes from the
// rdf-ttl branch, which replaces this file.
#include "absl/status/status.h"
#include "rdf/turtle.h"

namespace kg::rdf {

absl::Status ReadTurtle(bool, absl::string_view, const ReadOptions&,
                        const QuadCallback&) {
  return absl::UnimplementedError("the Turtle reader is not merged yet");
}

}  // namespace kg::rdf
