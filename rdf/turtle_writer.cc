// The Turtle and TriG writer: prefixed names from WriteOptions, `a` for
// rdf:type, `;` and `,` for consecutive quads that share a subject and a
// predicate, and TriG graph blocks opened and closed as the graph changes.
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/string_view.h"
#include "rdf/format.h"
#include "rdf/ntriples.h"
#include "rdf/term.h"

namespace kg::rdf {
namespace {

// PN_PREFIX ::= PN_CHARS_BASE ((PN_CHARS | '.')* PN_CHARS)?, or empty.
bool IsValidPrefix(absl::string_view p) {
  if (p.empty()) return true;
  const char c = p[0];
  if (c == '_' || (c >= '0' && c <= '9')) return false;
  return IsValidBlankLabel(p);
}

class TurtleWriter : public QuadWriter {
 public:
  TurtleWriter(bool trig, std::string* out, const WriteOptions& options)
      : trig_(trig), out_(out) {
    for (const auto& [prefix, ns] : options.prefixes) {
      if (IsValidPrefix(prefix) && !ns.empty())
        prefixes_.emplace_back(prefix, ns);
    }
  }

  absl::Status Write(const Quad& quad) override {
    absl::Status s = CheckQuadShape(quad, trig_);
    if (!s.ok()) return s;
    WriteHeader();
    const bool same_graph = in_statement_ && quad.graph == graph_;
    if (same_graph && quad.subject == subject_) {
      if (quad.predicate == predicate_) {
        out_->append(" ,\n");
        Indent(2);
      } else {
        out_->append(" ;\n");
        Indent(1);
        AppendPredicate(quad.predicate);
        out_->push_back(' ');
        predicate_ = quad.predicate;
      }
      AppendTerm(quad.object);
      return absl::OkStatus();
    }
    if (in_statement_) out_->append(" .\n");
    if (!same_graph) {
      if (graph_open_) out_->append("}\n");
      graph_open_ = false;
      if (quad.graph.has_value()) {
        AppendTerm(*quad.graph);
        out_->append(" {\n");
        graph_open_ = true;
      }
    }
    graph_ = quad.graph;
    subject_ = quad.subject;
    predicate_ = quad.predicate;
    in_statement_ = true;
    Indent(0);
    AppendTerm(quad.subject);
    out_->push_back(' ');
    AppendPredicate(quad.predicate);
    out_->push_back(' ');
    AppendTerm(quad.object);
    return absl::OkStatus();
  }

  void Finish() override {
    WriteHeader();
    if (in_statement_) out_->append(" .\n");
    if (graph_open_) out_->append("}\n");
    in_statement_ = false;
    graph_open_ = false;
    graph_.reset();
  }

 private:
  void WriteHeader() {
    if (header_written_) return;
    header_written_ = true;
    for (const auto& [prefix, ns] : prefixes_) {
      out_->append("@prefix ");
      out_->append(prefix);
      out_->append(": ");
      AppendIriRef(ns, out_);
      out_->append(" .\n");
    }
    if (!prefixes_.empty()) out_->push_back('\n');
  }

  void Indent(int level) {
    if (graph_open_) out_->append("  ");
    for (int i = 0; i < level; ++i) out_->append("    ");
  }

  void AppendPredicate(const Term& p) {
    if (p.value() == kRdfType) {
      out_->push_back('a');
    } else {
      AppendIri(p.value());
    }
  }

  // A prefixed name where one fits (the longest namespace wins), else <iri>.
  void AppendIri(const std::string& iri) {
    const std::pair<std::string, std::string>* best = nullptr;
    for (const auto& entry : prefixes_) {
      if (absl::StartsWith(iri, entry.second) &&
          (best == nullptr || entry.second.size() > best->second.size()) &&
          IsValidPnLocal(absl::string_view(iri).substr(entry.second.size()))) {
        best = &entry;
      }
    }
    if (best == nullptr) {
      AppendIriRef(iri, out_);
      return;
    }
    out_->append(best->first);
    out_->push_back(':');
    out_->append(iri, best->second.size());
  }

  void AppendTerm(const Term& t) {
    switch (t.kind()) {
      case Term::Kind::kIri:
        AppendIri(t.value());
        return;
      case Term::Kind::kBlank:
        out_->append("_:");
        {
          const absl::string_view l = labels_.Label(t.value());
          out_->append(l.data(), l.size());
        }
        return;
      case Term::Kind::kLiteral:
        AppendQuotedString(t.value(), out_);
        if (!t.language().empty()) {
          AppendLanguage(t, out_);
        } else if (t.datatype() != kXsdString) {
          out_->append("^^");
          AppendIri(t.datatype());
        }
        return;
      case Term::Kind::kTriple:
        out_->append("<<( ");
        AppendTerm(t.triple().subject);
        out_->push_back(' ');
        AppendIri(t.triple().predicate.value());
        out_->push_back(' ');
        AppendTerm(t.triple().object);
        out_->append(" )>>");
        return;
    }
  }

  const bool trig_;
  std::string* const out_;
  std::vector<std::pair<std::string, std::string>> prefixes_;
  BlankLabeler labels_;
  bool header_written_ = false;
  bool in_statement_ = false;  // a subject is open, waiting for its '.'
  bool graph_open_ = false;    // a TriG `{` is open
  std::optional<Term> graph_;
  Term subject_;
  Term predicate_;
};

}  // namespace

std::unique_ptr<QuadWriter> NewTurtleWriter(bool trig, std::string* out,
                                            const WriteOptions& options) {
  return std::make_unique<TurtleWriter>(trig, out, options);
}

}  // namespace kg::rdf
