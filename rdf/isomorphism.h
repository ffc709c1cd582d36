// Whether two RDF datasets are isomorphic: equal up to a renaming of blank
// nodes (inside triple terms too). Used by the conformance runner and the
// round-trip tests.
#ifndef KG_RDF_ISOMORPHISM_H_
#define KG_RDF_ISOMORPHISM_H_

#include <string>
#include <vector>

#include "rdf/term.h"

namespace kg::rdf {

// Duplicate quads count once (a dataset is a set). On false, `why`, when
// not null, says what one side has that the other lacks.
bool Isomorphic(const std::vector<Quad>& a, const std::vector<Quad>& b,
                std::string* why = nullptr);

}  // namespace kg::rdf

#endif  // KG_RDF_ISOMORPHISM_H_
