#include "rdf/iri.h"

#include <string>

#include "absl/strings/string_view.h"

namespace kg::rdf {
namespace {

bool IsAlpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

// The five components of RFC 3986 section 3; `has_*` distinguishes an
// empty component from an absent one.
struct IriParts {
  absl::string_view scheme;
  absl::string_view authority;
  absl::string_view path;
  absl::string_view query;
  absl::string_view fragment;
  bool has_scheme = false;
  bool has_authority = false;
  bool has_query = false;
  bool has_fragment = false;
};

size_t SchemeLength(absl::string_view iri) {
  if (iri.empty() || !IsAlpha(iri[0])) return 0;
  for (size_t i = 1; i < iri.size(); ++i) {
    const char c = iri[i];
    if (c == ':') return i;
    if (!IsAlpha(c) && !(c >= '0' && c <= '9') && c != '+' && c != '-' &&
        c != '.') {
      return 0;
    }
  }
  return 0;
}

IriParts Split(absl::string_view s) {
  IriParts parts;
  const size_t scheme = SchemeLength(s);
  if (scheme > 0) {
    parts.has_scheme = true;
    parts.scheme = s.substr(0, scheme);
    s.remove_prefix(scheme + 1);
  }
  if (const size_t hash = s.find('#'); hash != absl::string_view::npos) {
    parts.has_fragment = true;
    parts.fragment = s.substr(hash + 1);
    s = s.substr(0, hash);
  }
  if (const size_t q = s.find('?'); q != absl::string_view::npos) {
    parts.has_query = true;
    parts.query = s.substr(q + 1);
    s = s.substr(0, q);
  }
  if (s.size() >= 2 && s[0] == '/' && s[1] == '/') {
    parts.has_authority = true;
    s.remove_prefix(2);
    const size_t slash = s.find('/');
    parts.authority = s.substr(0, slash);
    s = slash == absl::string_view::npos ? absl::string_view()
                                         : s.substr(slash);
  }
  parts.path = s;
  return parts;
}

// RFC 3986 section 5.2.4.
std::string RemoveDotSegments(absl::string_view in) {
  std::string out;
  out.reserve(in.size());
  while (!in.empty()) {
    if (in.substr(0, 3) == "../") {
      in.remove_prefix(3);
    } else if (in.substr(0, 2) == "./") {
      in.remove_prefix(2);
    } else if (in.substr(0, 3) == "/./") {
      in.remove_prefix(2);
    } else if (in == "/.") {
      in = "/";
    } else if (in.substr(0, 4) == "/../" || in == "/..") {
      in = in.size() == 3 ? absl::string_view("/") : in.substr(3);
      const size_t last = out.rfind('/');
      out.resize(last == std::string::npos ? 0 : last);
    } else if (in == "." || in == "..") {
      in = {};
    } else {
      const size_t next = in.find('/', 1);
      const absl::string_view seg = in.substr(0, next);
      out.append(seg.data(), seg.size());
      in.remove_prefix(seg.size());
    }
  }
  return out;
}

// RFC 3986 section 5.2.3.
std::string Merge(const IriParts& base, absl::string_view ref_path) {
  if (base.has_authority && base.path.empty()) {
    std::string out = "/";
    out.append(ref_path.data(), ref_path.size());
    return out;
  }
  const size_t slash = base.path.rfind('/');
  std::string out;
  if (slash != absl::string_view::npos) {
    out.assign(base.path.data(), slash + 1);
  }
  out.append(ref_path.data(), ref_path.size());
  return out;
}

}  // namespace

bool IsAbsoluteIri(absl::string_view iri) { return SchemeLength(iri) > 0; }

std::string ResolveIri(absl::string_view base_iri, absl::string_view ref_iri) {
  const IriParts ref = Split(ref_iri);
  const IriParts base = Split(base_iri);
  IriParts t;
  std::string path;
  if (ref.has_scheme) {
    t.scheme = ref.scheme;
    t.has_authority = ref.has_authority;
    t.authority = ref.authority;
    path = RemoveDotSegments(ref.path);
    t.has_query = ref.has_query;
    t.query = ref.query;
  } else {
    t.scheme = base.scheme;
    if (ref.has_authority) {
      t.has_authority = true;
      t.authority = ref.authority;
      path = RemoveDotSegments(ref.path);
      t.has_query = ref.has_query;
      t.query = ref.query;
    } else {
      t.has_authority = base.has_authority;
      t.authority = base.authority;
      if (ref.path.empty()) {
        path.assign(base.path.data(), base.path.size());
        t.has_query = ref.has_query || base.has_query;
        t.query = ref.has_query ? ref.query : base.query;
      } else {
        if (ref.path[0] == '/') {
          path = RemoveDotSegments(ref.path);
        } else {
          path = RemoveDotSegments(Merge(base, ref.path));
        }
        t.has_query = ref.has_query;
        t.query = ref.query;
      }
    }
  }
  // RFC 3986 section 5.3.
  std::string out;
  out.reserve(base_iri.size() + ref_iri.size());
  out.append(t.scheme.data(), t.scheme.size());
  out.push_back(':');
  if (t.has_authority) {
    out.append("//");
    out.append(t.authority.data(), t.authority.size());
  }
  out.append(path);
  if (t.has_query) {
    out.push_back('?');
    out.append(t.query.data(), t.query.size());
  }
  if (ref.has_fragment) {
    out.push_back('#');
    out.append(ref.fragment.data(), ref.fragment.size());
  }
  return out;
}

}  // namespace kg::rdf
