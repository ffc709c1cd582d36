#include "query/sparql/store_dataset.h"

#include <algorithm>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "common/status_macros.h"
#include "query/path.h"
#include "query/provenance_prov_o.h"
#include "rdf/iri.h"
#include "storage/compact_adjacency.h"

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

// The store's form of a term it returned.
storage::Term StoreTermOf(const storage::TermValue& v) {
  switch (v.kind) {
    case storage::Term::Kind::kEntity:
      return storage::Term::Entity(v.id);
    case storage::Term::Kind::kStatement:
      return storage::Term::StatementId(v.id);
    case storage::Term::Kind::kIri:
      return storage::Term::Iri(v.id);
    case storage::Term::Kind::kBlank:
      return storage::Term::Blank(v.id);
    case storage::Term::Kind::kLiteral:
      break;
  }
  const storage::Literal& l = v.literal;
  if (l.type == storage::LiteralType::kTyped ||
      l.type == storage::LiteralType::kLangString) {
    return storage::Term::RdfLiteral(l.lexical, l.datatype, l.language,
                                     l.direction);
  }
  return storage::Term::Literal(l.type, l.lexical);
}

constexpr char kRdfs[] = "http://www.w3.org/2000/01/rdf-schema#";
constexpr char kSkos[] = "http://www.w3.org/2004/02/skos/core#";

std::string Xsd(absl::string_view local) {
  return absl::StrCat(rdf::kXsdNs, local);
}

bool HasText(const storage::ProvenanceRecord& r) {
  return r.input.evidence_end > 0 || !r.input.evidence.empty();
}

}  // namespace

StoreDataset::StoreDataset(storage::Reader& reader, StoreDatasetOptions options)
    : reader_(reader), options_(std::move(options)) {
  const std::string descriptions =
      absl::StrCat(reader_.base_iri(), kDescriptionsGraph);
  descriptions_ = !options_.default_documents.has_value() ||
                  std::find(options_.default_documents->begin(),
                            options_.default_documents->end(),
                            descriptions) != options_.default_documents->end();
  if (!options_.as_of.recorded_at().has_value()) {
    entities_ = reader_.entity_table();
  }
}

std::string StoreDataset::Ns(absl::string_view local) const {
  return absl::StrCat(reader_.base_iri(), "ns#", local);
}

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
    for (storage::Document& d : page->documents) {
      all_documents_.push_back(d.id);
      documents_.emplace(d.id, std::move(d));
    }
    token = page->next_page_token;
  } while (!token.empty());
  const std::vector<std::string>& named = options_.named_documents.has_value()
                                              ? *options_.named_documents
                                              : all_documents_;
  for (const std::string& d : named) {
    // A graph's id is its name's node when the name is also a node of the
    // data (a graph that describes itself), else an id of its own.
    const rdf::Term name = GraphName(d, reader_.base_iri());
    const std::string key = TermKey(name);
    Id id = StoreLookup(name);
    if (id == 0) id = Mint(name);
    ids_[key] = id;
    graph_documents_.emplace(id, d);
    graph_order_.push_back(id);
  }
  if (options_.default_documents.has_value()) {
    default_documents_.insert(options_.default_documents->begin(),
                              options_.default_documents->end());
    // FROM every document is no restriction: skip reading each statement's
    // records to check its documents.
    every_document_by_default_ = std::all_of(
        all_documents_.begin(), all_documents_.end(),
        [&](const std::string& d) { return default_documents_.contains(d); });
  }
}

void StoreDataset::LoadRelations() {
  if (relations_loaded_) return;
  relations_loaded_ = true;
  absl::StatusOr<std::vector<storage::Relation>> all = reader_.ListRelations();
  if (!all.ok()) {
    Fail(all.status());
    return;
  }
  for (storage::Relation& r : *all) relations_.emplace(r.id, std::move(r));
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

Id StoreDataset::Mint(const rdf::Term& term) {
  const Id id = kMintedBit | minted_.size();
  minted_.push_back(term);
  return id;
}

Id StoreDataset::StoreLookup(const rdf::Term& term) {
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

Id StoreDataset::Lookup(const rdf::Term& term) {
  LoadDocuments();
  const std::string key = TermKey(term);
  if (auto it = ids_.find(key); it != ids_.end()) return it->second;
  Id id = 0;
  const std::string statements = absl::StrCat(reader_.base_iri(), "statement/");
  if (term.is_iri() && absl::StartsWith(term.value(), statements)) {
    // A statement's IRI is its reifier.
    absl::StatusOr<storage::NodeId> n = reader_.NodeOf(
        storage::Term::StatementId(term.value().substr(statements.size())));
    if (n.ok()) id = *n | kReifierBit;
  }
  if (id == 0) id = StoreLookup(term);
  if (id == 0 && entities_ != nullptr && term.is_literal() &&
      term.language().empty() && term.datatype() == rdf::kXsdString) {
    // An entity's name, as the entity table numbers it.
    if (std::optional<uint32_t> i = entities_->LabelIndex(term.value())) {
      id = LabelId(*i);
    }
  }
  // A term the store does not hold may still be in the descriptions (a
  // label, a number, a record's IRI).
  if (id == 0 && descriptions_ && (term.is_iri() || term.is_literal())) {
    id = Mint(term);
  }
  ids_.emplace(key, id);
  return id;
}

Id StoreDataset::Intern(const rdf::Term& term) {
  const Id id = Lookup(term);
  if (id != 0) return id;
  const Id minted = Mint(term);
  ids_[TermKey(term)] = minted;
  return minted;
}

rdf::Term StoreDataset::TermOf(Id id) {
  if (id & kMintedBit) return minted_[id & ~kMintedBit];
  if (id & kLabelBit) {
    return rdf::Term::Literal(
        entities_->label(static_cast<uint32_t>(id & ~kLabelBit)));
  }
  if (auto it = terms_.find(id); it != terms_.end()) return it->second;
  rdf::Term term;
  if (id & kReifierBit) {
    absl::StatusOr<storage::TermValue> v = reader_.TermAt(id & ~kReifierBit);
    if (!v.ok()) {
      Fail(v.status());
      return rdf::Term();
    }
    term =
        rdf::Term::Iri(absl::StrCat(reader_.base_iri(), "statement/", v->id));
  } else if (predicates_.contains(id)) {
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
  // A cache of the terms decoded lately, bounded so that decoding a large
  // answer does not keep every term it met.
  if (terms_.size() >= 65536) terms_.clear();
  terms_.emplace(id, term);
  return term;
}

bool StoreDataset::TripleOf(Id id, Id* s, Id* p, Id* o) {
  if (id & (kNotInStatements | kReifierBit)) return false;
  const rdf::Term t = TermOf(id);
  if (!t.is_triple()) return false;
  *s = Lookup(t.triple().subject);
  absl::StatusOr<storage::NodeId> r =
      reader_.RelationNodeOf(t.triple().predicate.value());
  *p = r.ok() ? *r : 0;
  if (r.ok()) predicates_.insert(*r);
  *o = Lookup(t.triple().object);
  return *s != 0 && *p != 0 && *o != 0 && !((*s | *o) & kNotInStatements);
}

StoreDataset::Records StoreDataset::RecordsOf(Id statement) {
  auto it = records_.find(statement);
  if (it != records_.end()) return it->second;
  // A cache of the records read lately, bounded: a scan of a graph reads
  // every statement's once.
  if (records_.size() >= 65536) records_.clear();
  LoadDocuments();
  const query::RecordFilter& as_of = options_.as_of;
  std::vector<storage::ProvenanceRecord> visible;
  absl::StatusOr<std::vector<storage::ProvenanceRecord>> records =
      reader_.ProvenanceAt(statement,
                           /*include_retracted=*/as_of.as_recorded());
  if (!records.ok()) {
    Fail(records.status());
  } else {
    for (storage::ProvenanceRecord& r : *records) {
      if (as_of.as_reported()) {
        auto d = documents_.find(r.input.document_id);
        if (d == documents_.end() || !as_of.Reported(d->second.published)) {
          continue;
        }
      }
      if (!as_of.LiveIn(r)) continue;
      as_of.AsSeen(&r);
      visible.push_back(std::move(r));
    }
  }
  auto shared = std::make_shared<const std::vector<storage::ProvenanceRecord>>(
      std::move(visible));
  records_.emplace(statement, shared);
  return shared;
}

bool StoreDataset::InGraph(Id statement, const std::optional<std::string>& only,
                           const absl::flat_hash_set<std::string>* among) {
  const Records records = RecordsOf(statement);
  if (!only.has_value() && among == nullptr) return !records->empty();
  for (const storage::ProvenanceRecord& r : *records) {
    const std::string& d = r.input.document_id;
    if (only.has_value() ? d == *only : among->contains(d)) return true;
  }
  return false;
}

void StoreDataset::LoadVisible() {
  if (visible_.has_value()) return;
  visible_.emplace();
  Visible& v = *visible_;
  const absl::Status st = reader_.ForEachStatement(
      [&](storage::NodeId node, const storage::Statement& statement) {
        if (Stopped()) return false;
        if (RecordsOf(node)->empty()) return true;
        storage::IdStatement row;
        row.statement = node;
        absl::StatusOr<storage::NodeId> s =
            reader_.NodeOf(StoreTermOf(statement.subject));
        absl::StatusOr<storage::NodeId> p =
            reader_.RelationNodeOf(statement.relation);
        absl::StatusOr<storage::NodeId> o =
            reader_.NodeOf(StoreTermOf(statement.object));
        for (const absl::Status& e : {s.status(), p.status(), o.status()}) {
          if (!e.ok()) {
            Fail(e);
            return false;
          }
        }
        row.subject = *s;
        row.relation = *p;
        row.object = *o;
        predicates_.insert(row.relation);
        const uint32_t i = v.rows.size();
        v.rows.push_back(row);
        v.by_s[row.subject].push_back(i);
        v.by_p[row.relation].push_back(i);
        v.by_o[row.object].push_back(i);
        return true;
      });
  if (!st.ok()) Fail(st);
}

void StoreDataset::ScanVisible(
    Id s, Id p, Id o,
    const std::function<bool(const storage::IdStatement&)>& fn) {
  LoadVisible();
  const Visible& v = *visible_;
  const std::vector<uint32_t>* candidates = nullptr;
  for (auto [id, index] :
       {std::pair{s, &v.by_s}, std::pair{p, &v.by_p}, std::pair{o, &v.by_o}}) {
    if (id == 0) continue;
    auto it = index->find(id);
    if (it == index->end()) return;
    if (candidates == nullptr || it->second.size() < candidates->size()) {
      candidates = &it->second;
    }
  }
  auto visit = [&](const storage::IdStatement& row) {
    if ((s != 0 && row.subject != s) || (p != 0 && row.relation != p) ||
        (o != 0 && row.object != o)) {
      return true;
    }
    return fn(row);
  };
  if (candidates == nullptr) {
    for (const storage::IdStatement& row : v.rows) {
      if (!visit(row)) return;
    }
    return;
  }
  for (uint32_t i : *candidates) {
    if (!visit(v.rows[i])) return;
  }
}

bool StoreDataset::MatchData(Id graph, Id s, Id p, Id o,
                             const std::function<bool(Id, Id, Id)>& fn) {
  // Minted terms are in no statement, and reifiers are no relation.
  if (((s | p | o) & kNotInStatements) || (p & kReifierBit)) return true;
  // A reifier IRI names its statement's node here (the store's IRIs
  // <base>statement/<id>); rows keep the query's own id.
  const Id s_node = s & ~kReifierBit;
  const Id o_node = o & ~kReifierBit;
  if (auto it = predicate_alias_.find(p); it != predicate_alias_.end()) {
    p = it->second;
  }
  // Which documents' records make a statement part of `graph`.
  std::optional<std::string> only;
  const absl::flat_hash_set<std::string>* among = nullptr;
  if (graph != kDefaultGraph) {
    auto it = graph_documents_.find(graph);
    if (it == graph_documents_.end()) return true;
    // The store's only document holds every statement.
    if (all_documents_.size() != 1 || all_documents_[0] != it->second) {
      only = it->second;
    }
  } else if (options_.default_documents.has_value() &&
             !every_document_by_default_) {
    among = &default_documents_;
  }
  const bool filter =
      only.has_value() || among != nullptr || !options_.as_of.current();
  bool go_on = true;
  auto row_fn = [&](const storage::IdStatement& row) {
    if (filter && Stopped()) return go_on = false;
    if (filter && !InGraph(row.statement, only, among)) return true;
    predicates_.insert(row.relation);
    go_on = fn(s != 0 ? s : row.subject, row.relation, o != 0 ? o : row.object);
    return go_on;
  };
  if (options_.as_of.as_recorded()) {
    ScanVisible(s_node, p, o_node, row_fn);
    return go_on;
  }
  // A lookup from a known end reads the compact adjacency's edges of that
  // node in memory when they are the reader's own (the current state, and
  // which statements have live records known): no index seek per lookup,
  // which is most of a join's time otherwise. A node's edges are walked
  // whatever their relation, so a hub's (more than kMaxWalkedEdges) with
  // a known relation that has far fewer statements in all seek the index
  // instead, which reads only that relation's.
  constexpr size_t kMaxWalkedEdges = 4096;
  const storage::CompactAdjacency* compact = reader_.compact_adjacency();
  absl::Span<const storage::CompactEdge> walked;
  bool from_subject = false;
  if (!filter && (s_node != 0 || o_node != 0) && compact != nullptr &&
      reader_.compact_confidences_current()) {
    const auto out = compact->Edges(s_node, storage::Direction::kOutgoing);
    const auto in = compact->Edges(o_node, storage::Direction::kIncoming);
    from_subject = s_node != 0 && (o_node == 0 || out.size() <= in.size());
    walked = from_subject ? out : in;
    if (p != 0 && walked.size() > kMaxWalkedEdges &&
        compact->IndexedCount(p) * 4 < walked.size()) {
      compact = nullptr;
    }
  } else {
    compact = nullptr;
  }
  if (compact != nullptr) {
    const Id end = from_subject ? o_node : s_node;
    for (const storage::CompactEdge& e : walked) {
      if ((p != 0 && e.relation != p) || (end != 0 && e.neighbor != end) ||
          !compact->BestConfidence(e.statement).has_value()) {
        continue;
      }
      storage::IdStatement row;
      row.subject = from_subject ? s_node : e.neighbor;
      row.relation = e.relation;
      row.object = from_subject ? e.neighbor : o_node;
      row.statement = e.statement;
      if (!row_fn(row)) break;
    }
    return go_on;
  }
  const absl::Status st = reader_.ScanIds(storage::IdPattern{s_node, p, o_node},
                                          /*include_quoted=*/false, row_fn);
  if (!st.ok()) Fail(st);
  return go_on;
}

bool StoreDataset::MatchObjectPrefix(
    Id graph, Id p, absl::string_view prefix,
    const std::function<bool(Id, Id, Id)>& fn) {
  LoadDocuments();
  if (graph != kDefaultGraph || !descriptions_ || entities_ == nullptr ||
      !status_.ok() || DescriptionPredicate(p) != kLabel) {
    return false;
  }
  // As Match: the statements of relation rdfs:label (RDF data), then the
  // descriptions' labels, the entities' from the table.
  if (!MatchData(graph, 0, p, 0, fn) || !status_.ok()) return true;
  for (uint32_t i : entities_->WithLabelPrefix(prefix)) {
    const storage::EntityTable::Entry& e = entities_->entries()[i];
    if (!fn(e.node, p, LabelId(e.label))) return true;
  }
  DescribeAll(kRelations, [&](const std::vector<Triple>& triples) {
    for (const Triple& t : triples) {
      if (t.p == p && absl::StartsWith(TermOf(t.o).value(), prefix) &&
          !fn(t.s, t.p, t.o)) {
        return false;
      }
    }
    return true;
  });
  return true;
}

bool StoreDataset::MatchInObjectOrder(
    Id graph, Id p, absl::string_view prefix,
    const std::function<bool(Id, Id, Id)>& fn) {
  LoadDocuments();
  const storage::CompactAdjacency* compact = reader_.compact_adjacency();
  if (graph != kDefaultGraph || !descriptions_ || entities_ == nullptr ||
      !status_.ok() || DescriptionPredicate(p) != kLabel ||
      compact == nullptr) {
    return false;
  }
  auto alias = predicate_alias_.find(p);
  if (compact->IndexedCount(
          alias == predicate_alias_.end() ? p : alias->second) != 0) {
    return false;
  }
  // The relations' labels with the prefix, sorted (few).
  std::vector<std::pair<std::string, Triple>> relations;
  DescribeAll(kRelations, [&](const std::vector<Triple>& triples) {
    for (const Triple& t : triples) {
      if (t.p != p) continue;
      std::string label = TermOf(t.o).value();
      if (absl::StartsWith(label, prefix)) {
        relations.emplace_back(std::move(label), t);
      }
    }
    return true;
  });
  if (!status_.ok()) return true;
  std::sort(relations.begin(), relations.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  size_t next = 0;
  for (uint32_t i : entities_->WithLabelPrefix(prefix)) {
    const storage::EntityTable::Entry& e = entities_->entries()[i];
    const std::string& label = entities_->label(e.label);
    for (; next < relations.size() && relations[next].first < label; ++next) {
      const Triple& t = relations[next].second;
      if (!fn(t.s, t.p, t.o)) return true;
    }
    if (Stopped() || !fn(e.node, p, LabelId(e.label))) return true;
  }
  for (; next < relations.size(); ++next) {
    const Triple& t = relations[next].second;
    if (!fn(t.s, t.p, t.o)) return true;
  }
  return true;
}

bool StoreDataset::JoinsById(Id p) {
  return p != 0 && !(p & (kNotInStatements | kReifierBit)) &&
         !(descriptions_ && DescriptionPredicate(p) >= 0);
}

double StoreDataset::LookupCost(Id graph) {
  LoadDocuments();
  // Only a lookup of every statement in the current state seeks an index
  // when the compact adjacency is not current. Otherwise it reads memory
  // (the copy's edges, or the edges as recorded), or, for a graph of some
  // documents, each match's records, as reading the triple's matches
  // would for each of them.
  const bool every_statement =
      graph == kDefaultGraph
          ? !options_.default_documents.has_value() ||
                every_document_by_default_
          : all_documents_.size() == 1 && graph_documents_.contains(graph) &&
                all_documents_[0] == graph_documents_.at(graph);
  const bool seeks = every_statement && options_.as_of.current() &&
                     (reader_.compact_adjacency() == nullptr ||
                      !reader_.compact_confidences_current());
  return seeks ? 12 : 1;
}

void StoreDataset::Match(Id graph, Id s, Id p, Id o,
                         const std::function<bool(Id, Id, Id)>& fn) {
  LoadDocuments();
  if (!MatchData(graph, s, p, o, fn)) return;
  if (graph == kDefaultGraph && descriptions_ && status_.ok()) {
    MatchDescriptions(s, p, o, fn);
  }
}

bool StoreDataset::ForEachEntity(
    const std::function<bool(const storage::Entity&, Id)>& fn) {
  std::string token;
  do {
    absl::StatusOr<storage::EntityPage> page =
        reader_.ListEntities(1000, token);
    if (!page.ok()) {
      Fail(page.status());
      return false;
    }
    for (size_t i = 0; i < page->entities.size(); ++i) {
      // The page's node id is the one Lookup would find for its IRI.
      if (Stopped() || !fn(page->entities[i], page->node_ids[i])) {
        return false;
      }
    }
    token = page->next_page_token;
  } while (!token.empty());
  return true;
}

bool StoreDataset::ObjectsOf(Id graph, Id p,
                             const std::function<bool(Id)>& fn) {
  LoadDocuments();
  if (graph != kDefaultGraph || !options_.as_of.current() ||
      (options_.default_documents.has_value() && !every_document_by_default_) ||
      !descriptions_ || p != PredicateId(kType)) {
    return false;
  }
  // Every value is passed on, repeats too: the caller drops them, and
  // looks at the deadline as they come.
  bool go_on = true;
  auto emit = [&](Id o) {
    if (go_on) go_on = fn(o);
    return go_on;
  };
  // Statements whose predicate is rdf:type itself (RDF data kg keeps as
  // statements), through the index.
  if (!MatchData(graph, 0, p, 0, [&](Id, Id, Id o) { return emit(o); })) {
    return true;
  }
  // Entities: each one's type (the page holds the current state), or
  // the entity table's types.
  if (entities_ != nullptr) {
    for (const std::string& type : entities_->types()) {
      if (!emit(TypeId(type))) return true;
    }
  } else if (!ForEachEntity([&](const storage::Entity& e, Id) {
               return emit(TypeId(e.type));
             })) {
    return true;
  }
  // The other kinds' types (DescribeRelation, Describe, DescribeRecord):
  // each present when the kind has a member.
  LoadRelations();
  if (!relations_.empty() &&
      !emit(Lookup(rdf::Term::Iri(absl::StrCat(rdf::kRdfNs, "Property"))))) {
    return true;
  }
  bool any_record = false;
  const absl::Status st =
      reader_.ScanIds(storage::IdPattern{}, /*include_quoted=*/false,
                      [&](const storage::IdStatement&) {
                        any_record = true;  // asserted: a live record
                        return false;
                      });
  if (!st.ok()) {
    Fail(st);
    return true;
  }
  // Documents are described by their graph name when it is an IRI (a
  // blank-named document has no description).
  const bool any_document = std::any_of(
      all_documents_.begin(), all_documents_.end(), [&](const std::string& d) {
        return GraphName(d, reader_.base_iri()).is_iri();
      });
  if ((any_document || any_record) &&
      !emit(Lookup(rdf::Term::Iri(absl::StrCat(query::kProvNs, "Entity"))))) {
    return true;
  }
  if (any_record) emit(Lookup(rdf::Term::Iri(Ns("Evidence"))));
  return true;
}

bool StoreDataset::MatchTripleTerms(Id s, Id p, Id o,
                                    const std::function<bool(Id)>& fn) {
  if (!options_.as_of.current()) return false;
  // Minted terms and reifiers are in no triple term; a triple term's
  // predicate is a relation.
  if (((s | p | o) & kNotInStatements) || (p & kReifierBit)) return true;
  if (auto it = predicate_alias_.find(p); it != predicate_alias_.end()) {
    p = it->second;
  }
  const absl::Status st = reader_.ScanIds(
      storage::IdPattern{s & ~kReifierBit, p, o & ~kReifierBit},
      /*include_quoted=*/true,
      [&](const storage::IdStatement& row) { return fn(row.statement); });
  if (!st.ok()) Fail(st);
  return true;
}

absl::StatusOr<std::optional<uint64_t>> StoreDataset::Count(
    Id graph, Id s, Id p, Id o, const std::function<absl::Status()>& check) {
  LoadDocuments();
  if (graph != kDefaultGraph || !options_.as_of.current() ||
      (options_.default_documents.has_value() && !every_document_by_default_) ||
      p == 0 || ((s | p | o) & (kNotInStatements | kReifierBit))) {
    return std::nullopt;
  }
  if (descriptions_ && DescriptionPredicate(p) >= 0) return std::nullopt;
  if (auto it = predicate_alias_.find(p); it != predicate_alias_.end()) {
    p = it->second;
  }
  const storage::CompactAdjacency* compact = reader_.compact_adjacency();
  if (s == 0 && o == 0 && compact != nullptr &&
      reader_.compact_confidences_current()) {
    return compact->AssertedCount(p);
  }
  uint64_t n = 0;
  absl::Status stopped;
  const absl::Status st =
      reader_.ScanIds(storage::IdPattern{s, p, o}, /*include_quoted=*/false,
                      [&](const storage::IdStatement&) {
                        if ((++n & 4095) == 0 && check) {
                          stopped = check();
                          return stopped.ok();
                        }
                        return true;
                      });
  KG_RETURN_IF_ERROR(st);
  KG_RETURN_IF_ERROR(stopped);
  return n;
}

absl::StatusOr<std::optional<Dataset::GroupCounts>> StoreDataset::CountByEnd(
    Id graph, Id p, bool by_subject, size_t max_groups,
    const std::function<absl::Status()>& check) {
  LoadDocuments();
  const storage::CompactAdjacency* compact = reader_.compact_adjacency();
  if (graph != kDefaultGraph || !options_.as_of.current() ||
      (options_.default_documents.has_value() && !every_document_by_default_) ||
      p == 0 || (p & (kNotInStatements | kReifierBit)) || compact == nullptr ||
      !reader_.compact_confidences_current() ||
      (descriptions_ && DescriptionPredicate(p) >= 0)) {
    return std::nullopt;
  }
  if (auto it = predicate_alias_.find(p); it != predicate_alias_.end()) {
    p = it->second;
  }
  if (compact->IndexedCount(p) * 16 < compact->edge_count()) {
    return std::nullopt;
  }
  predicates_.insert(p);
  GroupCounts counts;
  const storage::Direction direction = by_subject
                                           ? storage::Direction::kOutgoing
                                           : storage::Direction::kIncoming;
  const storage::NodeId limit = compact->node_limit(direction);
  for (storage::NodeId node = 0; node < limit; ++node) {
    if ((node & 65535) == 65535 && check) KG_RETURN_IF_ERROR(check());
    uint64_t n = 0;
    for (const storage::CompactEdge& e : compact->Edges(node, direction)) {
      n += e.relation == p && compact->BestConfidence(e.statement).has_value();
    }
    if (n > 0) counts.emplace_back(node, n);
    if (counts.size() > max_groups) break;
  }
  return counts;
}

std::vector<Id> StoreDataset::NamedGraphs() {
  LoadDocuments();
  return graph_order_;
}

// ---- The description graph ----

Id StoreDataset::PredicateId(Predicate p) {
  if (predicate_ids_[p] == 0)
    predicate_ids_[p] = Lookup(rdf::Term::Iri(PredicateIri(p)));
  return predicate_ids_[p];
}

int StoreDataset::DescriptionPredicate(Id p) {
  if (p == 0 || (p & kReifierBit)) return -1;
  if (auto it = description_predicates_.find(p);
      it != description_predicates_.end()) {
    return it->second;
  }
  if (description_iris_.empty()) {
    for (int i = 0; i < kPredicateCount; ++i) {
      description_iris_.emplace(PredicateIri(static_cast<Predicate>(i)), i);
    }
  }
  // By its IRI: one IRI can have two ids (a node and a relation), and
  // looking up each description predicate's id would cost the store a
  // read or two apiece.
  const rdf::Term t = TermOf(p);
  int k = -1;
  if (t.is_iri()) {
    if (auto d = description_iris_.find(t.value());
        d != description_iris_.end() &&
        PredicateId(static_cast<Predicate>(d->second)) == p) {
      k = d->second;  // the id the descriptions' triples carry
    }
  }
  description_predicates_.emplace(p, k);
  return k;
}

std::string StoreDataset::PredicateIri(Predicate p) const {
  const std::string prov = std::string(query::kProvNs);
  const std::string dcterms = std::string(query::kDctermsNs);
  std::string iri;
  switch (p) {
    case kType:
      iri = absl::StrCat(rdf::kRdfNs, "type");
      break;
    case kLabel:
      iri = absl::StrCat(kRdfs, "label");
      break;
    case kAltLabel:
      iri = absl::StrCat(kSkos, "altLabel");
      break;
    case kEntityType:
      iri = Ns("entityType");
      break;
    case kSymmetric:
      iri = Ns("symmetric");
      break;
    case kPolarity:
      iri = Ns("polarity");
      break;
    case kIdentifier:
      iri = dcterms + "identifier";
      break;
    case kTitle:
      iri = dcterms + "title";
      break;
    case kPublisher:
      iri = dcterms + "publisher";
      break;
    case kIssued:
      iri = dcterms + "issued";
      break;
    case kReifies:
      iri = rdf::kRdfReifies;
      break;
    case kStatementId:
      iri = Ns("statementId");
      break;
    case kDerivedFrom:
      iri = prov + "wasDerivedFrom";
      break;
    case kValue:
      iri = prov + "value";
      break;
    case kQuotedFrom:
      iri = prov + "wasQuotedFrom";
      break;
    case kEvidenceStart:
      iri = Ns("evidenceStart");
      break;
    case kEvidenceEnd:
      iri = Ns("evidenceEnd");
      break;
    case kHedge:
      iri = Ns("hedge");
      break;
    case kConfidence:
      iri = Ns("confidence");
      break;
    case kValidFrom:
      iri = Ns("validFrom");
      break;
    case kValidUntil:
      iri = Ns("validUntil");
      break;
    case kGeneratedAt:
      iri = prov + "generatedAtTime";
      break;
    case kPredicateCount:
      break;
  }
  return iri;
}

void StoreDataset::DescribeStatement(Id statement, std::vector<Triple>* out) {
  const Id reifier = statement | kReifierBit;
  absl::StatusOr<storage::Statement> st = reader_.StatementAt(statement);
  if (!st.ok()) {
    Fail(st.status());
    return;
  }
  out->push_back({reifier, PredicateId(kReifies), statement});
  out->push_back(
      {reifier, PredicateId(kStatementId), Lookup(rdf::Term::Literal(st->id))});
  LoadRelations();
  if (auto r = relations_.find(st->relation);
      r != relations_.end() && r->second.polarity != storage::Polarity::kNone) {
    out->push_back({reifier, PredicateId(kPolarity),
                    Lookup(rdf::Term::Iri(
                        Ns(r->second.polarity == storage::Polarity::kSupports
                               ? "supports"
                               : "opposes")))});
  }
  const Records records = RecordsOf(statement);
  for (const storage::ProvenanceRecord& r : *records) {
    out->push_back(
        {reifier, PredicateId(kDerivedFrom),
         Lookup(rdf::Term::Iri(query::RecordIri(reader_.base_iri(), r)))});
  }
}

void StoreDataset::DescribeRecord(Id record, const storage::ProvenanceRecord& r,
                                  std::vector<Triple>* out) {
  auto put = [&](Predicate p, const rdf::Term& o) {
    out->push_back({record, PredicateId(p), Lookup(o)});
  };
  put(kType, rdf::Term::Iri(absl::StrCat(query::kProvNs, "Entity")));
  put(kType, rdf::Term::Iri(Ns("Evidence")));
  if (HasText(r)) {
    put(kValue, rdf::Term::Literal(r.input.evidence));
    put(kEvidenceStart, rdf::Term::Literal(absl::StrCat(r.input.evidence_start),
                                           Xsd("nonNegativeInteger")));
    put(kEvidenceEnd, rdf::Term::Literal(absl::StrCat(r.input.evidence_end),
                                         Xsd("nonNegativeInteger")));
  }
  put(kQuotedFrom, GraphName(r.input.document_id, reader_.base_iri()));
  put(kHedge, rdf::Term::Literal(std::string(query::HedgeName(r.input.hedge))));
  put(kConfidence, rdf::Term::Literal(query::DoubleLexical(r.input.confidence),
                                      Xsd("double")));
  for (auto [p, date] : {std::pair{kValidFrom, &r.input.valid_time.start},
                         std::pair{kValidUntil, &r.input.valid_time.end}}) {
    if (date->has_value()) {
      put(p, rdf::Term::Literal((*date)->ToString(),
                                Xsd(query::DateDatatype(**date))));
    }
  }
  put(kGeneratedAt, rdf::Term::Literal(query::DateTimeLexical(r.recorded_at),
                                       Xsd("dateTime")));
}

std::optional<std::pair<Id, storage::ProvenanceRecord>>
StoreDataset::RecordNamed(const std::string& iri) {
  const std::string prefix = absl::StrCat(reader_.base_iri(), "record/");
  if (!absl::StartsWith(iri, prefix)) return std::nullopt;
  const std::string rest = iri.substr(prefix.size());
  const std::string statement = rest.substr(0, rest.find('/'));
  absl::StatusOr<storage::NodeId> node =
      reader_.NodeOf(storage::Term::StatementId(statement));
  if (!node.ok()) return std::nullopt;
  const Records records = RecordsOf(*node);
  for (const storage::ProvenanceRecord& r : *records) {
    if (query::RecordIri(reader_.base_iri(), r) == iri) {
      return std::pair{*node, r};
    }
  }
  return std::nullopt;
}

Id StoreDataset::TypeId(const std::string& type) {
  auto it = type_ids_.find(type);
  if (it != type_ids_.end()) return it->second;
  const Id id =
      Lookup(rdf::Term::Iri(absl::StrCat(reader_.base_iri(), "type/", type)));
  type_ids_.emplace(type, id);
  return id;
}

void StoreDataset::DescribeEntity(Id s, const storage::Entity& e, Id only,
                                  std::vector<Triple>* out) {
  // Each term is made only for a predicate asked for.
  auto wanted = [&](Predicate p) {
    return only == 0 || only == PredicateId(p);
  };
  auto put = [&](Predicate p, const rdf::Term& o) {
    out->push_back({s, PredicateId(p), Lookup(o)});
  };
  if (wanted(kType)) out->push_back({s, PredicateId(kType), TypeId(e.type)});
  if (wanted(kLabel)) put(kLabel, rdf::Term::Literal(e.label));
  if (wanted(kAltLabel)) {
    for (const std::string& a : e.aliases) {
      put(kAltLabel, rdf::Term::Literal(a));
    }
  }
  if (wanted(kEntityType)) put(kEntityType, rdf::Term::Literal(e.type));
}

void StoreDataset::Describe(Id s, std::vector<Triple>* out, Id only) {
  if (s & kReifierBit) {
    DescribeStatement(s & ~kReifierBit, out);
    return;
  }
  if (entities_ != nullptr && only != 0 && !(s & kNotInStatements)) {
    // An entity's type or label, from the entity table.
    if (const storage::EntityTable::Entry* e = entities_->Find(s)) {
      if (only == PredicateId(kType)) {
        out->push_back({s, only, TypeId(entities_->types()[e->type])});
        return;
      }
      if (only == PredicateId(kLabel)) {
        out->push_back({s, only, LabelId(e->label)});
        return;
      }
    }
  }
  const rdf::Term t = TermOf(s);
  if (!t.is_iri()) return;
  const std::string& iri = t.value();
  const std::string& base = reader_.base_iri();
  auto put = [&](Predicate p, const rdf::Term& o) {
    out->push_back({s, PredicateId(p), Lookup(o)});
  };
  if (absl::StartsWith(iri, absl::StrCat(base, "entity/"))) {
    // The entity's names as of the query's recorded time (its history).
    absl::StatusOr<storage::EntityHistory> history =
        reader_.GetEntityHistory(iri.substr(base.size() + 7));
    if (!history.ok()) return;
    const storage::EntityVersion* version =
        options_.as_of.recorded_at().has_value()
            ? history->AsOf(*options_.as_of.recorded_at())
            : &history->current();
    if (version == nullptr ||
        version->state != storage::EntityVersion::State::kLive) {
      return;
    }
    DescribeEntity(s, version->entity, only, out);
    return;
  }
  if (absl::StartsWith(iri, absl::StrCat(base, "record/"))) {
    if (auto r = RecordNamed(iri)) DescribeRecord(s, r->second, out);
    return;
  }
  if (absl::StartsWith(iri, absl::StrCat(base, "relation/"))) {
    LoadRelations();
    auto it = relations_.find(iri.substr(base.size() + 9));
    if (it == relations_.end()) return;
    const storage::Relation& r = it->second;
    put(kType, rdf::Term::Iri(absl::StrCat(rdf::kRdfNs, "Property")));
    put(kLabel, rdf::Term::Literal(r.label));
    if (r.symmetric) {
      put(kSymmetric, rdf::Term::Literal("true", Xsd("boolean")));
    }
    if (r.polarity != storage::Polarity::kNone) {
      put(kPolarity,
          rdf::Term::Iri(Ns(r.polarity == storage::Polarity::kSupports
                                ? "supports"
                                : "opposes")));
    }
    return;
  }
  const std::string documents = absl::StrCat(base, "document/");
  const std::string id =
      absl::StartsWith(iri, documents) ? iri.substr(documents.size()) : iri;
  auto d = documents_.find(id);
  if (d == documents_.end()) return;
  const storage::Document& doc = d->second;
  put(kType, rdf::Term::Iri(absl::StrCat(query::kProvNs, "Entity")));
  put(kIdentifier, rdf::Term::Literal(doc.id));
  if (!doc.title.empty()) put(kTitle, rdf::Term::Literal(doc.title));
  if (!doc.publisher.empty()) {
    put(kPublisher, rdf::Term::Literal(doc.publisher));
  }
  if (doc.published.has_value()) {
    put(kIssued, rdf::Term::Literal(doc.published->ToString(),
                                    Xsd(query::DateDatatype(*doc.published))));
  }
}

bool StoreDataset::ForEachStatement(const std::function<bool(Id)>& fn) {
  if (options_.as_of.as_recorded()) {
    LoadVisible();
    for (const storage::IdStatement& row : visible_->rows) {
      if (Stopped() || !fn(row.statement)) return false;
    }
    return true;
  }
  bool go_on = true;
  const absl::Status st =
      reader_.ScanIds(storage::IdPattern{}, /*include_quoted=*/true,
                      [&](const storage::IdStatement& row) {
                        go_on = !Stopped() && fn(row.statement);
                        return go_on;
                      });
  if (!st.ok()) Fail(st);
  return go_on && st.ok();
}

bool StoreDataset::DescribeAll(
    int kinds, const std::function<bool(const std::vector<Triple>&)>& fn,
    Id only) {
  std::vector<Triple> triples;
  auto subject = [&](Id s) {
    if (Stopped()) return false;
    triples.clear();
    Describe(s, &triples);
    return triples.empty() || fn(triples);
  };
  const std::string& base = reader_.base_iri();
  if (kinds & kEntities) {
    if (std::optional<bool> go_on = DescribeEntitiesFromTable(only, fn)) {
      if (!*go_on) return false;
      kinds &= ~kEntities;
    }
  }
  if ((kinds & kEntities) &&
      !ForEachEntity([&](const storage::Entity& e, Id s) {
        if (options_.as_of.recorded_at().has_value()) {
          // The names it had then: from its history.
          return subject(s);
        }
        // The page holds the entity as it is now.
        triples.clear();
        DescribeEntity(s, e, only, &triples);
        return triples.empty() || fn(triples);
      })) {
    return false;
  }
  if (kinds & (kRelations | kClaims)) LoadRelations();
  if (kinds & kRelations) {
    for (const auto& [id, r] : relations_) {
      if (!subject(Lookup(PredicateTerm(id)))) return false;
    }
  }
  if (kinds & kDocuments) {
    for (const std::string& d : all_documents_) {
      if (!subject(Lookup(GraphName(d, base)))) return false;
    }
  }
  if (kinds & (kStatements | kRecords)) {
    return ForEachStatement([&](Id statement) {
      if ((kinds & kStatements) && !subject(statement | kReifierBit)) {
        return false;
      }
      if (kinds & kRecords) {
        const Records records = RecordsOf(statement);
        for (const storage::ProvenanceRecord& r : *records) {
          triples.clear();
          DescribeRecord(Lookup(rdf::Term::Iri(query::RecordIri(base, r))), r,
                         &triples);
          if (!fn(triples)) return false;
        }
      }
      return true;
    });
  }
  if (kinds & kClaims) {
    // The statements of each relation with a polarity.
    for (const auto& [id, r] : relations_) {
      if (r.polarity == storage::Polarity::kNone) continue;
      absl::StatusOr<storage::NodeId> relation = reader_.RelationNodeOf(id);
      if (!relation.ok()) continue;  // no statement uses it
      bool go_on = true;
      auto visit = [&](const storage::IdStatement& row) {
        if (!options_.as_of.current() && RecordsOf(row.statement)->empty()) {
          return true;  // not asserted then
        }
        go_on = subject(row.statement | kReifierBit);
        return go_on;
      };
      if (options_.as_of.as_recorded()) {
        ScanVisible(0, *relation, 0, visit);
      } else {
        const absl::Status st =
            reader_.ScanIds(storage::IdPattern{0, *relation, 0},
                            /*include_quoted=*/true, visit);
        if (!st.ok()) {
          Fail(st);
          return false;
        }
      }
      if (!go_on) return false;
    }
  }
  return true;
}

std::optional<bool> StoreDataset::DescribeEntitiesFromTable(
    Id only, const std::function<bool(const std::vector<Triple>&)>& fn) {
  if (entities_ == nullptr || only == 0) return std::nullopt;
  const bool type = only == PredicateId(kType);
  if (!type && only != PredicateId(kLabel)) return std::nullopt;
  std::vector<Triple> triples(1);
  for (const storage::EntityTable::Entry& e : entities_->entries()) {
    triples[0] = {e.node, only,
                  type ? TypeId(entities_->types()[e.type]) : LabelId(e.label)};
    if (!fn(triples)) return false;
  }
  return true;
}

bool StoreDataset::MatchDescriptions(
    Id s, Id p, Id o, const std::function<bool(Id, Id, Id)>& fn) {
  const int k = DescriptionPredicate(p);  // which description predicate p is
  if (p != 0 && k < 0) return true;
  auto emit = [&](const std::vector<Triple>& triples) {
    for (const Triple& t : triples) {
      if ((p != 0 && t.p != p) || (o != 0 && t.o != o)) continue;
      if (!fn(t.s, t.p, t.o)) return false;
    }
    return true;
  };
  std::vector<Triple> triples;
  if (s != 0) {
    Describe(s, &triples, p);
    return emit(triples);
  }
  // An object that names its subjects.
  if (o != 0 && (k == kReifies || k == kDerivedFrom || k == kStatementId)) {
    Id statement = 0;
    if (k == kReifies) {
      if (!(o & (kNotInStatements | kReifierBit)) && TermOf(o).is_triple()) {
        statement = o;
      }
    } else if (k == kDerivedFrom) {
      if (auto r = RecordNamed(TermOf(o).value())) statement = r->first;
    } else if (const rdf::Term t = TermOf(o); t.is_literal()) {
      absl::StatusOr<storage::NodeId> n =
          reader_.NodeOf(storage::Term::StatementId(t.value()));
      if (n.ok()) statement = *n;
    }
    if (statement == 0) return true;
    DescribeStatement(statement, &triples);
    return emit(triples);
  }
  if (o != 0 && k == kQuotedFrom) {
    // The records of one document.
    const rdf::Term doc = TermOf(o);
    auto it = graph_documents_.find(o);
    std::string id;
    if (it != graph_documents_.end()) {
      id = it->second;
    } else if (doc.is_iri()) {
      const std::string prefix = absl::StrCat(reader_.base_iri(), "document/");
      id = absl::StartsWith(doc.value(), prefix)
               ? doc.value().substr(prefix.size())
               : doc.value();
    }
    if (!documents_.contains(id)) return true;
    absl::flat_hash_set<Id> seen;
    std::string token;
    do {
      absl::StatusOr<storage::ProvenancePage> page =
          reader_.ProvenanceByDocument(id, 1000, token);
      if (!page.ok()) {
        Fail(page.status());
        return false;
      }
      for (const auto& [statement, unused] : page->records) {
        if (!seen.insert(statement).second) continue;
        const Records records = RecordsOf(statement);
        for (const storage::ProvenanceRecord& r : *records) {
          if (r.input.document_id != id) continue;
          triples.clear();
          DescribeRecord(
              Lookup(rdf::Term::Iri(query::RecordIri(reader_.base_iri(), r))),
              r, &triples);
          if (!emit(triples)) return false;
        }
      }
      token = page->next_page_token;
    } while (!token.empty());
    return true;
  }
  if (o != 0 && (k == kLabel || k == kAltLabel)) {
    // Entities by name, and relations by label.
    const rdf::Term name = TermOf(o);
    if (!name.is_literal()) return true;
    absl::StatusOr<std::vector<storage::Entity>> found =
        reader_.FindByName(name.value());
    if (found.ok()) {
      for (const storage::Entity& e : *found) {
        triples.clear();
        Describe(Lookup(rdf::Term::Iri(
                     absl::StrCat(reader_.base_iri(), "entity/", e.id))),
                 &triples);
        if (!emit(triples)) return false;
      }
    } else if (!absl::IsInvalidArgument(found.status())) {
      Fail(found.status());
      return false;
    }
    if (k == kAltLabel) return true;
    return DescribeAll(kRelations, emit);
  }
  int kinds = kEntities | kRelations | kDocuments | kStatements | kRecords;
  switch (k) {
    case kLabel:
      kinds = kEntities | kRelations;
      break;
    case kAltLabel:
    case kEntityType:
      kinds = kEntities;
      break;
    case kSymmetric:
      kinds = kRelations;
      break;
    case kPolarity:
      kinds = kRelations | kClaims;
      break;
    case kIdentifier:
    case kTitle:
    case kPublisher:
    case kIssued:
      kinds = kDocuments;
      break;
    case kReifies:
    case kStatementId:
    case kDerivedFrom:
      kinds = kStatements;
      break;
    case kValue:
    case kQuotedFrom:
    case kEvidenceStart:
    case kEvidenceEnd:
    case kHedge:
    case kConfidence:
    case kValidFrom:
    case kValidUntil:
    case kGeneratedAt:
      kinds = kRecords;
      break;
    case kType:
      if (o != 0) {
        // A type of kg's names only entities have; rdf:Property only
        // relations.
        const rdf::Term type = TermOf(o);
        const std::string types = absl::StrCat(reader_.base_iri(), "type/");
        if (type.is_iri() && absl::StartsWith(type.value(), types)) {
          if (entities_ != nullptr) {
            // The entity table's list of that type.
            std::optional<uint32_t> index =
                entities_->TypeIndex(type.value().substr(types.size()));
            if (!index.has_value()) return true;
            for (uint32_t i : entities_->OfType(*index)) {
              if (!fn(entities_->entries()[i].node, p, o)) return false;
            }
            return true;
          }
          kinds = kEntities;
        } else if (type.is_iri() &&
                   type.value() == absl::StrCat(rdf::kRdfNs, "Property")) {
          kinds = kRelations;
        }
      }
      break;
    default:  // any predicate
      break;
  }
  return DescribeAll(kinds, emit, p);
}

// ---- Estimates ----

namespace {

// The indexed statements matching a pattern of node ids (0: open), counted
// on the compact adjacency's edges: a relation's count, or the edges of a
// bound end (the one with fewer) that fit the other positions; past
// 100,000 edges, their number.
uint64_t CountEdges(const storage::CompactAdjacency& c, uint64_t s, uint64_t p,
                    uint64_t o) {
  if (s == 0 && o == 0) return p == 0 ? c.edge_count() : c.IndexedCount(p);
  using storage::Direction;
  absl::Span<const storage::CompactEdge> edges;
  uint64_t other = 0;  // the other end, when bound
  if (s != 0 && o != 0) {
    const auto out = c.Edges(s, Direction::kOutgoing);
    const auto in = c.Edges(o, Direction::kIncoming);
    edges = out.size() <= in.size() ? out : in;
    other = out.size() <= in.size() ? o : s;
  } else {
    edges = s != 0 ? c.Edges(s, Direction::kOutgoing)
                   : c.Edges(o, Direction::kIncoming);
  }
  if (edges.size() > 100'000) return edges.size();
  uint64_t n = 0;
  for (const storage::CompactEdge& e : edges) {
    n += (p == 0 || e.relation == p) && (other == 0 || e.neighbor == other);
  }
  return n;
}

}  // namespace

uint64_t StoreDataset::Estimate(Id graph, Id s, Id p, Id o) {
  LoadDocuments();
  const uint64_t data = DataEstimate(s, p, o);
  if (graph != kDefaultGraph || !descriptions_) return data;
  return data + DescriptionsEstimate(s, p, o);
}

std::optional<uint64_t> StoreDataset::EstimateObjectPrefix(
    Id graph, Id p, absl::string_view prefix) {
  LoadDocuments();
  if (graph != kDefaultGraph || !descriptions_ || entities_ == nullptr ||
      !status_.ok() || DescriptionPredicate(p) != kLabel) {
    return std::nullopt;
  }
  // MatchObjectPrefix's: every statement of relation rdfs:label, the
  // entities by prefix, and (at most) every relation.
  DescriptionsEstimate(0, p, 0);  // reads the store's counts
  const uint64_t relations = stats_.has_value() ? stats_->relations : 0;
  return DataEstimate(0, p, 0) + entities_->WithLabelPrefix(prefix).size() +
         relations;
}

uint64_t StoreDataset::DataEstimate(Id s, Id p, Id o) {
  uint64_t data = 0;
  const storage::CompactAdjacency* compact = reader_.compact_adjacency();
  if (((s | p | o) & kNotInStatements) || (p & kReifierBit)) {
    // Minted terms are in no statement, and reifiers are no relation.
  } else if (compact != nullptr) {
    // Its edges are this reader's: no index read, and exact for the
    // current state's indexed statements (an upper bound for a graph, the
    // asserted ones, or as recorded).
    if (auto it = predicate_alias_.find(p); it != predicate_alias_.end()) {
      p = it->second;
    }
    data = CountEdges(*compact, s & ~kReifierBit, p, o & ~kReifierBit);
  } else {
    if (auto it = predicate_alias_.find(p); it != predicate_alias_.end()) {
      p = it->second;
    }
    storage::Pattern pattern;
    bool known = true;
    for (auto [id, slot] : {std::pair{s & ~kReifierBit, &pattern.subject},
                            std::pair{o & ~kReifierBit, &pattern.object}}) {
      if (id == 0) continue;
      absl::StatusOr<storage::TermValue> v = reader_.TermAt(id);
      if (!v.ok()) {
        known = false;
        break;
      }
      *slot = StoreTermOf(*v);
    }
    if (known && p != 0) {
      absl::StatusOr<std::string> relation = reader_.RelationAt(p);
      if (relation.ok()) {
        pattern.relation = *relation;
      } else {
        known = false;  // no relation: no statement has it as predicate
      }
    }
    if (known) {
      absl::StatusOr<uint64_t> n = reader_.EstimateCount(pattern);
      if (n.ok()) data = *n;
    }
  }
  return data;
}

uint64_t StoreDataset::DescriptionsEstimate(Id s, Id p, Id o) {
  const uint64_t data = 0;
  // The descriptions: from the store's counts, by predicate.
  if (!stats_.has_value()) {
    absl::StatusOr<storage::StoreStats> st = reader_.Counts();
    stats_ = st.ok() ? *st : storage::StoreStats{};
  }
  const storage::StoreStats& c = *stats_;
  const int k = DescriptionPredicate(p);
  if (p != 0 && k < 0) return data;             // no description has it
  if (s != 0) return data + (p != 0 ? 2 : 12);  // one subject's description
  const uint64_t records = c.provenance_records;
  const uint64_t all = 4 * c.entities + 4 * c.relations + 5 * c.documents +
                       3 * c.statements + 10 * records;
  if (p == 0) return data + (o != 0 ? all / 1000 + 1 : all);
  uint64_t d = 0;
  switch (k) {
    case kLabel:
      d = c.entities + c.relations;
      break;
    case kAltLabel:
    case kEntityType:
      d = c.entities;
      break;
    case kSymmetric:
    case kPolarity:
      d = c.relations + (k == kPolarity ? c.statements / 2 : 0);
      break;
    case kIdentifier:
    case kTitle:
    case kPublisher:
    case kIssued:
      d = c.documents;
      break;
    case kReifies:
    case kStatementId:
      d = c.statements;
      break;
    case kType:
      d = c.entities + c.relations + c.documents + 2 * records;
      break;
    default:  // a record's
      d = records;
      break;
  }
  if (k == kType && o != 0) {
    // One of kg's entity types: entities only, and types are few (a guess:
    // a quarter of them).
    const rdf::Term type = TermOf(o);
    const std::string types = absl::StrCat(reader_.base_iri(), "type/");
    if (type.is_iri() && absl::StartsWith(type.value(), types)) {
      d = c.entities / 4 + 1;
      if (entities_ != nullptr) {
        // Exact.
        std::optional<uint32_t> index =
            entities_->TypeIndex(type.value().substr(types.size()));
        d = index.has_value() ? entities_->OfType(*index).size() : 0;
      }
    }
  }
  // A bound object that is looked up picks one subject (a label, a
  // statement's triple term or id, a record, a document's records); the
  // others are found by a scan of their kind (estimated as all of it).
  if (o != 0 && d > 0 &&
      (k == kLabel || k == kAltLabel || k == kReifies || k == kDerivedFrom ||
       k == kStatementId || k == kQuotedFrom)) {
    d = 1;
  }
  return data + d;
}

double StoreDataset::MatchesPerBinding(Id graph, Id s, Id p, Id o,
                                       bool subject_bound, bool object_bound) {
  if (!subject_bound && !object_bound) {
    return static_cast<double>(Estimate(graph, s, p, o));
  }
  LoadDocuments();
  double descriptions = 0;
  if (graph == kDefaultGraph && descriptions_) {
    const int k = DescriptionPredicate(p);
    if (p != 0 && k >= 0) {
      // A subject's description has one of most (a type, a label); a
      // bound object names about one subject, save a type, which the
      // entities share.
      if (subject_bound && object_bound) return 0.01;
      if (subject_bound) return 1;
      if (k != kType) return 1;
      if (entities_ != nullptr) {
        return static_cast<double>(entities_->entries().size()) /
               static_cast<double>(
                   std::max<size_t>(1, entities_->types().size()));
      }
      return static_cast<double>(Estimate(graph, 0, p, 0)) / 10;
    }
    if (p == 0) descriptions = subject_bound ? 4 : 1;  // any predicate
  }
  const storage::CompactAdjacency* compact = reader_.compact_adjacency();
  if (compact == nullptr || ((s | p | o) & kNotInStatements) ||
      (p & kReifierBit)) {
    return Dataset::MatchesPerBinding(graph, s, p, o, subject_bound,
                                      object_bound) +
           descriptions;
  }
  if (auto it = predicate_alias_.find(p); it != predicate_alias_.end()) {
    p = it->second;
  }
  using storage::Direction;
  // Spread over every node that is some statement's subject (object),
  // not only this relation's: a bound value need not have the relation
  // at all (the dog's hyponyms mostly have no member holonym).
  const double n = static_cast<double>(p != 0 ? compact->IndexedCount(p)
                                              : compact->edge_count());
  const double subjects = static_cast<double>(
      std::max<uint64_t>(1, compact->NodesWithEdges(Direction::kOutgoing)));
  const double objects = static_cast<double>(
      std::max<uint64_t>(1, compact->NodesWithEdges(Direction::kIncoming)));
  double data;
  if (subject_bound && object_bound) {
    data = n / (subjects * objects);
  } else if (subject_bound) {
    // The matches of the rest of the pattern, spread over the subjects.
    data =
        (o != 0
             ? static_cast<double>(CountEdges(*compact, 0, p, o & ~kReifierBit))
             : n) /
        subjects;
  } else {
    data =
        (s != 0
             ? static_cast<double>(CountEdges(*compact, s & ~kReifierBit, p, 0))
             : n) /
        objects;
  }
  return data + descriptions;
}

// ---- SERVICE kg:paths ----

bool StoreDataset::ProvidesService(const std::string& iri) {
  return iri == Ns("paths");
}

absl::StatusOr<std::vector<ServiceSolution>> StoreDataset::Service(
    const std::string& iri, const std::vector<ServiceArgument>& arguments,
    const std::function<absl::Status()>& check) {
  (void)iri;  // the one service ProvidesService accepts
  LoadDocuments();
  auto invalid = [](absl::string_view name, absl::string_view what) {
    return absl::InvalidArgumentError(
        absl::StrCat("SERVICE kg:paths: kg:", name, ": ", what));
  };
  const std::string ns = Ns("");
  const std::string& base = reader_.base_iri();
  query::PathOptions o;
  o.max_hops = std::min(o.max_hops, options_.max_path_hops);
  o.max_expanded_edges = options_.max_path_edges;
  o.provenance = query::ProvenanceDetail::kNone;
  std::optional<storage::Term> from, to;
  // The variables each output binds.
  absl::flat_hash_map<std::string, std::vector<std::string>> outputs;
  static const auto* kOutputs = new absl::flat_hash_set<std::string>{
      "path",  "hop",    "statement", "hopFrom",
      "hopTo", "length", "cost",      "contested"};
  // The id under base/<kind>/ of an IRI, or the text of a string.
  auto id_of = [&](const rdf::Term& t, absl::string_view kind) {
    const std::string prefix = absl::StrCat(base, kind, "/");
    if (t.is_iri() && absl::StartsWith(t.value(), prefix)) {
      return t.value().substr(prefix.size());
    }
    return t.value();
  };
  auto endpoint = [&](const rdf::Term& t) -> std::optional<storage::Term> {
    // A string names an entity by id, label or alias, as kgctl path does.
    if (t.is_literal() && t.datatype() == rdf::kXsdString) {
      return storage::Term::Entity(t.value());
    }
    return ToStore(t);
  };
  for (const ServiceArgument& a : arguments) {
    if (!absl::StartsWith(a.predicate, ns)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "SERVICE kg:paths: <", a.predicate,
          "> is no argument of kg:paths (docs/query.md \"Paths with "
          "evidence\")"));
    }
    const std::string name = a.predicate.substr(ns.size());
    if (kOutputs->contains(name)) {
      if (a.constant.has_value()) {
        return invalid(name, "binds a variable; give one (?x), not a value");
      }
      outputs[name].push_back(a.variable);
      continue;
    }
    if (!a.constant.has_value()) {
      return invalid(name, absl::StrCat("must be a value, not ?", a.variable,
                                        " (SERVICE runs before the rest of the "
                                        "query)"));
    }
    const rdf::Term& v = *a.constant;
    auto integer = [&](int64_t lo, int64_t hi) -> absl::StatusOr<int64_t> {
      int64_t n = 0;
      if (!v.is_literal() || !absl::SimpleAtoi(v.value(), &n) || n < lo ||
          n > hi) {
        return invalid(name, absl::StrCat("must be an integer in ", lo, "..",
                                          hi, ", got ", v.value()));
      }
      return n;
    };
    auto boolean = [&]() -> absl::StatusOr<bool> {
      if (v.is_literal() && (v.value() == "true" || v.value() == "1")) {
        return true;
      }
      if (v.is_literal() && (v.value() == "false" || v.value() == "0")) {
        return false;
      }
      return invalid(name,
                     absl::StrCat("must be true or false, got ", v.value()));
    };
    if (name == "from" || name == "to") {
      std::optional<storage::Term> t = endpoint(v);
      if (!t.has_value()) return invalid(name, "is no node of the graph");
      (name == "from" ? from : to) = std::move(t);
    } else if (name == "mode") {
      static const auto* kModes =
          new absl::flat_hash_map<std::string, query::PathMode>{
              {"shortest", query::PathMode::kShortest},
              {"k_shortest", query::PathMode::kKShortest},
              {"all_simple", query::PathMode::kAllSimple},
              {"weighted", query::PathMode::kWeighted}};
      auto it = kModes->find(v.value());
      if (!v.is_literal() || it == kModes->end()) {
        return invalid(name,
                       absl::StrCat("must be \"shortest\", \"k_shortest\", "
                                    "\"all_simple\" or \"weighted\", got ",
                                    v.value()));
      }
      o.mode = it->second;
    } else if (name == "k") {
      KG_ASSIGN_OR_RETURN(const int64_t k, integer(1, 100));
      o.k = static_cast<int>(k);
    } else if (name == "maxHops") {
      if (absl::StatusOr<int64_t> n = integer(1, options_.max_path_hops);
          n.ok()) {
        o.max_hops = static_cast<int>(*n);
      } else {
        return absl::InvalidArgumentError(absl::StrCat(
            n.status().message(), " (the server's --max_path_hops)"));
      }
    } else if (name == "limit") {
      KG_ASSIGN_OR_RETURN(o.limit, integer(1, 10000));
    } else if (name == "maxExpandedEdges") {
      KG_ASSIGN_OR_RETURN(
          const int64_t n,
          integer(1, static_cast<int64_t>(options_.max_path_edges)));
      o.max_expanded_edges = static_cast<uint64_t>(n);
    } else if (name == "direction") {
      if (v.value() == "outgoing") {
        o.direction = query::PathDirection::kOutgoing;
      } else if (v.value() == "incoming") {
        o.direction = query::PathDirection::kIncoming;
      } else if (v.value() == "both") {
        o.direction = query::PathDirection::kBoth;
      } else {
        return invalid(name, absl::StrCat("must be \"outgoing\", \"incoming\" "
                                          "or \"both\", got ",
                                          v.value()));
      }
    } else if (name == "relation") {
      o.allowed_relations.push_back(id_of(v, "relation"));
    } else if (name == "excludeRelation") {
      o.excluded_relations.push_back(id_of(v, "relation"));
    } else if (name == "entityType") {
      o.allowed_entity_types.push_back(id_of(v, "type"));
    } else if (name == "document") {
      o.only_documents.push_back(id_of(v, "document"));
    } else if (name == "claimant") {
      o.only_claimants.push_back(id_of(v, "entity"));
    } else if (name == "minConfidence") {
      double c = 0;
      if (!v.is_literal() || !absl::SimpleAtod(v.value(), &c) || c < 0 ||
          c > 1) {
        return invalid(
            name, absl::StrCat("must be a number in [0, 1], got ", v.value()));
      }
      o.min_confidence = c;
    } else if (name == "includeOpposed") {
      KG_ASSIGN_OR_RETURN(o.include_opposed, boolean());
    } else if (name == "walkClaims") {
      KG_ASSIGN_OR_RETURN(o.walk_claims, boolean());
    } else {
      return absl::InvalidArgumentError(absl::StrCat(
          "SERVICE kg:paths: kg:", name,
          " is no argument of kg:paths (docs/query.md \"Paths with "
          "evidence\")"));
    }
  }
  if (!from.has_value()) return invalid("from", "is required");
  if (!to.has_value()) return invalid("to", "is required");
  if (options_.as_of.recorded_at().has_value()) {
    o.as_of.recorded_at = *options_.as_of.recorded_at();
  }
  if (options_.as_of.cutoff_day().has_value()) {
    const absl::CivilDay day =
        absl::CivilDay(1970, 1, 1) + *options_.as_of.cutoff_day();
    o.as_of.reported_by =
        storage::Date{static_cast<int32_t>(day.year()), day.month(), day.day()};
  }
  absl::Status stopped;
  o.is_cancelled = [&] {
    if (!check) return false;
    stopped = check();
    return !stopped.ok();
  };

  std::vector<ServiceSolution> rows;
  int64_t number = 0;
  auto put = [&](ServiceSolution* row, absl::string_view output, Id id) {
    auto it = outputs.find(output);
    if (it == outputs.end()) return;
    for (const std::string& v : it->second) row->emplace_back(v, id);
  };
  auto integer = [&](int64_t n) {
    return Intern(rdf::Term::Literal(absl::StrCat(n), Xsd("integer")));
  };
  absl::StatusOr<query::PathSearchSummary> summary = query::FindPaths(
      reader_, *from, *to, o, [&](query::Path path) -> absl::Status {
        ++number;
        ServiceSolution common;
        put(&common, "path", integer(number));
        put(&common, "length", integer(path.hops.size()));
        put(&common, "cost",
            Intern(rdf::Term::Literal(query::DoubleLexical(path.cost),
                                      Xsd("double"))));
        if (path.hops.empty()) rows.push_back(common);
        for (size_t i = 0; i < path.hops.size(); ++i) {
          const query::Hop& h = path.hops[i];
          ServiceSolution row = common;
          put(&row, "hop", integer(i + 1));
          put(&row, "statement", h.statement_node | kReifierBit);
          put(&row, "hopFrom", h.from.node);
          put(&row, "hopTo", h.to.node);
          put(&row, "contested",
              Intern(rdf::Term::Literal(h.contested ? "true" : "false",
                                        Xsd("boolean"))));
          rows.push_back(std::move(row));
        }
        return absl::OkStatus();
      });
  if (!summary.ok()) {
    if (!stopped.ok()) return stopped;
    return absl::Status(
        summary.status().code(),
        absl::StrCat("SERVICE kg:paths: ", summary.status().message()));
  }
  return rows;
}

}  // namespace kg::sparql
