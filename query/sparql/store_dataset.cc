#include "query/sparql/store_dataset.h"

#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "rdf/iri.h"

namespace kg::sparql {
namespace {

// A document's graph name: its id when that is an IRI or a blank graph
// name ("_:g"), else <base>document/<id>.
rdf::Term GraphName(const std::string& document, const std::string& base) {
  if (absl::StartsWith(document, "_:"))
    return rdf::Term::Blank(document.substr(2));
  if (rdf::IsAbsoluteIri(document)) return rdf::Term::Iri(document);
  return rdf::Term::Iri(absl::StrCat(base, "document/", document));
}

storage::LiteralDirection ToStoreDirection(rdf::Direction d) {
  return d == rdf::Direction::kLtr   ? storage::LiteralDirection::kLtr
         : d == rdf::Direction::kRtl ? storage::LiteralDirection::kRtl
                                     : storage::LiteralDirection::kNone;
}

rdf::Direction FromStoreDirection(storage::LiteralDirection d) {
  return d == storage::LiteralDirection::kLtr   ? rdf::Direction::kLtr
         : d == storage::LiteralDirection::kRtl ? rdf::Direction::kRtl
                                                : rdf::Direction::kNone;
}

}  // namespace

StoreDataset::StoreDataset(storage::Reader& reader, StoreDatasetOptions options)
    : reader_(reader), options_(std::move(options)) {}

void StoreDataset::LoadDocuments() {
  if (documents_loaded_) return;
  documents_loaded_ = true;
  std::string token;
  do {
    absl::StatusOr<storage::DocumentPage> page =
        reader_.ListDocuments(/*include_text=*/false, 1000, token);
    if (!page.ok()) {
      Fail(page.status());
      return;
    }
    for (const storage::Document& d : page->documents) {
      all_documents_.push_back(d.id);
    }
    token = page->next_page_token;
  } while (!token.empty());
  const std::vector<std::string>& named = options_.named_documents.has_value()
                                              ? *options_.named_documents
                                              : all_documents_;
  for (const std::string& d : named) {
    // A graph's id is its name's node when the name is also a node of the
    // data (a graph that describes itself), else an id of its own.
    rdf::Term name = GraphName(d, reader_.base_iri());
    Id id = 0;
    if (std::optional<storage::Term> st = ToStore(name)) {
      absl::StatusOr<storage::NodeId> n = reader_.NodeOf(*st);
      if (n.ok()) id = *n;
    }
    if (id == 0) {
      id = kGraphBit | minted_.size();
      minted_.push_back(name);
    }
    graph_ids_.emplace(TermKey(name), id);
    graph_documents_.emplace(id, d);
    graph_order_.push_back(id);
  }
  if (options_.default_documents.has_value()) {
    default_documents_.insert(options_.default_documents->begin(),
                              options_.default_documents->end());
  }
}

rdf::Term StoreDataset::PredicateTerm(const std::string& relation) const {
  if (rdf::IsAbsoluteIri(relation)) return rdf::Term::Iri(relation);
  return rdf::Term::Iri(
      absl::StrCat(reader_.base_iri(), "relation/", relation));
}

rdf::Term StoreDataset::FromStore(const storage::TermValue& v, int depth) {
  switch (v.kind) {
    case storage::Term::Kind::kIri:
      return rdf::Term::Iri(v.id);
    case storage::Term::Kind::kEntity:
      return rdf::Term::Iri(absl::StrCat(reader_.base_iri(), "entity/", v.id));
    case storage::Term::Kind::kBlank:
      return rdf::Term::Blank(v.id);
    case storage::Term::Kind::kLiteral: {
      const storage::Literal& l = v.literal;
      if (!l.language.empty()) {
        return rdf::Term::Literal(l.lexical, "", l.language,
                                  FromStoreDirection(l.direction));
      }
      return rdf::Term::Literal(l.lexical, storage::RdfDatatype(l));
    }
    case storage::Term::Kind::kStatement: {
      absl::StatusOr<storage::Statement> st = reader_.GetStatement(v.id);
      if (!st.ok() || depth > 64) {
        Fail(st.ok() ? absl::InternalError("triple terms nest too deeply")
                     : st.status());
        return rdf::Term::Iri(
            absl::StrCat(reader_.base_iri(), "statement/", v.id));
      }
      return rdf::Term::TripleTerm(rdf::Triple{
          FromStore(st->subject, depth + 1), PredicateTerm(st->relation),
          FromStore(st->object, depth + 1)});
    }
  }
  return rdf::Term();
}

std::optional<storage::Term> StoreDataset::ToStore(const rdf::Term& t) const {
  switch (t.kind()) {
    case rdf::Term::Kind::kIri:
      return storage::Term::Iri(t.value());
    case rdf::Term::Kind::kBlank:
      // Only the store's own blank nodes ("b" + 32 hex) can be in it.
      return storage::Term::Blank(t.value());
    case rdf::Term::Kind::kLiteral:
      return storage::Term::RdfLiteral(
          t.value(), t.language().empty() ? t.datatype() : "", t.language(),
          ToStoreDirection(t.direction()));
    case rdf::Term::Kind::kTriple: {
      std::optional<storage::Term> s = ToStore(t.triple().subject);
      std::optional<storage::Term> o = ToStore(t.triple().object);
      if (!s || !o || !t.triple().predicate.is_iri()) return std::nullopt;
      return storage::Term::Quoted(
          storage::Triple{*s, t.triple().predicate.value(), *o});
    }
  }
  return std::nullopt;
}

Id StoreDataset::Lookup(const rdf::Term& term) {
  LoadDocuments();
  if (auto it = graph_ids_.find(TermKey(term)); it != graph_ids_.end()) {
    return it->second;
  }
  if (term.is_blank() &&
      !(term.value().size() == 33 && term.value()[0] == 'b')) {
    return 0;  // not a store blank node id
  }
  const std::optional<storage::Term> st = ToStore(term);
  if (!st) return 0;
  Id node = 0;
  absl::StatusOr<storage::NodeId> n = reader_.NodeOf(*st);
  if (n.ok()) {
    node = *n;
  } else if (!absl::IsNotFound(n.status()) &&
             !absl::IsInvalidArgument(n.status())) {
    Fail(n.status());
  }
  if (term.is_iri()) {
    // As a predicate, an IRI may be a relation's node.
    absl::StatusOr<storage::NodeId> r = reader_.RelationNodeOf(term.value());
    if (r.ok()) {
      predicates_.insert(*r);
      if (node == 0) return *r;
      if (node != *r) predicate_alias_[node] = *r;
    }
  }
  return node;
}

rdf::Term StoreDataset::TermOf(Id id) {
  if (id & kGraphBit) return minted_[id & ~kGraphBit];
  if (auto it = terms_.find(id); it != terms_.end()) return it->second;
  rdf::Term term;
  if (predicates_.contains(id)) {
    absl::StatusOr<std::string> relation = reader_.RelationAt(id);
    if (!relation.ok()) {
      Fail(relation.status());
      return rdf::Term();
    }
    term = PredicateTerm(*relation);
  } else {
    absl::StatusOr<storage::TermValue> v = reader_.TermAt(id);
    if (!v.ok()) {
      Fail(v.status());
      return rdf::Term();
    }
    term = FromStore(*v, 0);
  }
  terms_.emplace(id, term);
  return term;
}

bool StoreDataset::TripleOf(Id id, Id* s, Id* p, Id* o) {
  if (id & kGraphBit) return false;
  const rdf::Term t = TermOf(id);
  if (!t.is_triple()) return false;
  *s = Lookup(t.triple().subject);
  absl::StatusOr<storage::NodeId> r =
      reader_.RelationNodeOf(t.triple().predicate.value());
  *p = r.ok() ? *r : 0;
  if (r.ok()) predicates_.insert(*r);
  *o = Lookup(t.triple().object);
  return *s != 0 && *p != 0 && *o != 0;
}

const std::vector<std::string>& StoreDataset::DocumentsOf(Id statement) {
  auto it = documents_of_.find(statement);
  if (it != documents_of_.end()) return it->second;
  std::vector<std::string> docs;
  absl::StatusOr<std::vector<storage::ProvenanceRecord>> records =
      reader_.ProvenanceAt(statement, /*include_retracted=*/false);
  if (!records.ok()) {
    Fail(records.status());
  } else {
    for (const storage::ProvenanceRecord& r : *records) {
      docs.push_back(r.input.document_id);
    }
  }
  return documents_of_.emplace(statement, std::move(docs)).first->second;
}

void StoreDataset::Match(Id graph, Id s, Id p, Id o,
                         const std::function<bool(Id, Id, Id)>& fn) {
  LoadDocuments();
  if ((s & kGraphBit) || (o & kGraphBit) || (p & kGraphBit)) return;
  if (auto it = predicate_alias_.find(p); it != predicate_alias_.end()) {
    p = it->second;
  }
  // Which documents' records make a statement part of `graph`; null: any
  // live record (the default graph of every document).
  std::optional<std::string> only;
  const absl::flat_hash_set<std::string>* among = nullptr;
  if (graph != kDefaultGraph) {
    auto it = graph_documents_.find(graph);
    if (it == graph_documents_.end()) return;
    only = it->second;
  } else if (options_.default_documents.has_value()) {
    among = &default_documents_;
  }
  const absl::Status st = reader_.ScanIds(
      storage::IdPattern{s, p, o}, /*include_quoted=*/false,
      [&](const storage::IdStatement& row) {
        if (only.has_value() || among != nullptr) {
          bool in = false;
          for (const std::string& d : DocumentsOf(row.statement)) {
            if (only.has_value() ? d == *only : among->contains(d)) {
              in = true;
              break;
            }
          }
          if (!in) return true;
        }
        predicates_.insert(row.relation);
        return fn(row.subject, row.relation, row.object);
      });
  if (!st.ok()) Fail(st);
}

std::vector<Id> StoreDataset::NamedGraphs() {
  LoadDocuments();
  return graph_order_;
}

}  // namespace kg::sparql
