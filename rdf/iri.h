// Internal to rdf/: IRI reference resolution (RFC 3986 section 5), used by
// the Turtle and TriG reader for relative IRIs.
//
//   ResolveIri("http://a/b/c/d;p?q", "../g")  // "http://a/b/g"
#ifndef KG_RDF_IRI_H_
#define KG_RDF_IRI_H_

#include <string>

#include "absl/strings/string_view.h"

namespace kg::rdf {

// Whether `iri` begins with a scheme (ALPHA *( ALPHA / DIGIT / "+" / "-" /
// "." ) ":"), i.e. is not a relative reference.
bool IsAbsoluteIri(absl::string_view iri);

// Resolves the reference `ref` against the absolute IRI `base` as RFC 3986
// section 5.2 does (remove_dot_segments included). Returns the target IRI.
// A `ref` with a scheme is returned with its dot segments removed.
std::string ResolveIri(absl::string_view base, absl::string_view ref);

}  // namespace kg::rdf

#endif  // KG_RDF_IRI_H_
