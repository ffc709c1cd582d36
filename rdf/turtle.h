// Internal to rdf/: the Turtle and TriG reader (rdf/turtle_reader.cc),
// dispatched to by rdf::Read (rdf/format.cc).
#ifndef KG_RDF_TURTLE_H_
#define KG_RDF_TURTLE_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "rdf/format.h"

namespace kg::rdf {

// Reads Turtle (`trig` false) or TriG. See Read() in rdf/format.h.
absl::Status ReadTurtle(bool trig, absl::string_view input,
                        const ReadOptions& options,
                        const QuadCallback& on_quad);

}  // namespace kg::rdf

#endif  // KG_RDF_TURTLE_H_
