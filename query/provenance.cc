#include "query/provenance.h"

#include <algorithm>
#include <limits>
#include <tuple>
#include <utility>

#include "absl/container/btree_set.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/echo.h"
#include "query/provenance_prov_o.h"
#include "query/resolve.h"
#include "storage/page_token.h"
#include "storage/status_macros.h"

namespace kg::query {

using storage::Document;
using storage::Edge;
using storage::Hedge;
using storage::NodeId;
using storage::PageTokenKind;
using storage::Polarity;
using storage::ProvenanceRecord;
using storage::Statement;
using storage::Term;
using storage::TermValue;

// A claim statement found by the adjacency (statement unread) or by the
// history scan (statement read).
struct ProvenanceEngine::ClaimRef {
  NodeId node = 0;
  std::optional<Statement> statement;
};

// Every claim the store has ever held, found by one scan of all statements:
// what as-recorded queries need besides the current indexes.
struct ProvenanceEngine::History {
  std::vector<ClaimRef> claims;
  // Quoted statement id -> indexes into `claims`.
  absl::flat_hash_map<std::string, std::vector<size_t>> by_object;
  // Claimant key (ClaimantKey) -> indexes into `claims`.
  absl::flat_hash_map<std::string, std::vector<size_t>> by_subject;
};

// A claim about a statement as ListContested counts it: its relation's
// polarity, its claimant (ClaimantKey of the subject in the as-recorded
// view, else the subject's node id) and its own node.
struct ProvenanceEngine::ClaimOn {
  Polarity polarity = Polarity::kNone;
  std::string claimant;
  NodeId claim = 0;
};

// The claimants (as in ClaimOn) with a visible claim on each side of a
// statement.
struct ProvenanceEngine::Sides {
  absl::flat_hash_set<std::string> supporting;
  absl::flat_hash_set<std::string> opposing;
};

namespace {

// ---- Sort keys and pages --------------------------------------------------
//
// Every paged list is sorted by a byte string whose bytewise order is the
// list's order; a page token (storage/page_token.h, the codec storage's
// listings use too) carries the key of the last item returned, so the next
// page starts strictly after it. The keys live only in memory and in
// tokens: they are not storage keys.

void KeyU8(std::string* k, uint8_t v) { k->push_back(static_cast<char>(v)); }

void KeyU32(std::string* k, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) {
    k->push_back(static_cast<char>((v >> shift) & 0xff));
  }
}

void KeyU64(std::string* k, uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8) {
    k->push_back(static_cast<char>((v >> shift) & 0xff));
  }
}

// Signed values with the sign bit flipped, so negatives sort first.
void KeyI64(std::string* k, int64_t v) {
  KeyU64(k, static_cast<uint64_t>(v) ^ (uint64_t{1} << 63));
}

// Ids are slugs or statement ids, never containing NUL: the terminator
// keeps "ab" before "abc".
void KeyStr(std::string* k, absl::string_view s) {
  k->append(s.data(), s.size());
  k->push_back('\0');
}

// The query identity a token is bound to: the as-of view and `parts`.
uint64_t FingerprintOf(const RecordFilter& filter,
                       std::initializer_list<absl::string_view> parts) {
  storage::QueryFingerprint q;
  q.Add(filter.recorded_at().has_value());
  if (filter.recorded_at()) {
    q.Add(absl::FormatTime(absl::RFC3339_full, *filter.recorded_at(),
                           absl::UTCTimeZone()));
  }
  q.Add(filter.cutoff_day().has_value());
  if (filter.cutoff_day()) q.Add(*filter.cutoff_day());
  for (absl::string_view p : parts) q.Add(p);
  return q.value();
}

// OK for the first page or a token from a previous page of this query;
// checked before the work so that a bad token costs nothing.
absl::Status CheckPageToken(const storage::PageTokenCodec& tokens,
                            absl::string_view token, PageTokenKind kind,
                            uint64_t fingerprint) {
  return tokens.Decode(token, kind, fingerprint).status();
}

// Sorts `items` (pairs of key and value) and returns the page after the
// token's key: [begin, end) and the next token.
template <typename T>
absl::Status Page(const storage::PageTokenCodec& tokens,
                  std::vector<std::pair<std::string, T>>* items,
                  const std::string& token, PageTokenKind kind,
                  uint64_t fingerprint, size_t page_size, std::vector<T>* page,
                  std::string* next_token) {
  KG_ASSIGN_OR_RETURN(const std::string after,
                      tokens.Decode(token, kind, fingerprint));
  std::sort(items->begin(), items->end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  if (page_size == 0) page_size = kDefaultProvenancePageSize;
  auto begin = items->begin();
  if (!after.empty()) {
    begin = std::upper_bound(items->begin(), items->end(), after,
                             [](const std::string& key, const auto& item) {
                               return key < item.first;
                             });
  }
  const size_t available = static_cast<size_t>(items->end() - begin);
  auto end =
      begin + static_cast<std::ptrdiff_t>(std::min(page_size, available));
  for (auto it = begin; it != end; ++it) page->push_back(std::move(it->second));
  next_token->clear();
  if (end != items->end()) {
    *next_token = tokens.Encode(kind, fingerprint, (end - 1)->first);
  }
  return absl::OkStatus();
}

// ---- Orders ----------------------------------------------------------------

bool RecordLess(const ProvenanceRecord& a, const ProvenanceRecord& b) {
  return std::tie(a.input.document_id, a.input.evidence_start,
                  a.input.evidence_end, a.recorded_at) <
         std::tie(b.input.document_id, b.input.evidence_start,
                  b.input.evidence_end, b.recorded_at);
}

void SortRecords(std::vector<ProvenanceRecord>* records) {
  std::sort(records->begin(), records->end(), RecordLess);
}

std::string ClaimantKey(const TermValue& t) {
  std::string k;
  KeyU8(&k, static_cast<uint8_t>(t.kind));
  KeyStr(&k, t.kind == Term::Kind::kLiteral ? t.literal.lexical : t.id);
  return k;
}

std::string ClaimKey(const Claim& c) {
  std::string k;
  KeyU8(&k, static_cast<uint8_t>(c.polarity));
  k += ClaimantKey(c.claimant);
  KeyStr(&k, c.relation);
  KeyStr(&k, c.claim.id);
  return k;
}

// Document date (dated documents first), document id, evidence span.
std::string TimelineKey(const Document& doc, const ProvenanceRecord& r) {
  std::string k;
  KeyU8(&k, doc.published ? 0 : 1);
  KeyI64(&k, doc.published ? doc.published->FirstDay() : 0);
  KeyI64(&k, doc.published ? doc.published->LastDay() : 0);
  KeyStr(&k, r.input.document_id);
  KeyU32(&k, r.input.evidence_start);
  KeyU32(&k, r.input.evidence_end);
  return k;
}

void ClearEvidence(std::vector<ProvenanceRecord>* records) {
  for (ProvenanceRecord& r : *records) r.input.evidence.clear();
}

bool IsStatementId(absl::string_view s) {
  if (s.size() != 33 || s[0] != 's') return false;
  for (char c : s.substr(1)) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

// A statement as kgctl writes it: <<north_korea deployed_troops_to russia>>.
std::string ShowTriple(const storage::Triple& t);
std::string ShowTerm(const Term& t) {
  switch (t.kind()) {
    case Term::Kind::kEntity:
      return EchoValue(t.id());
    case Term::Kind::kLiteral:
      return absl::StrCat("\"", EchoValue(t.literal().lexical), "\"");
    case Term::Kind::kStatement:
      return t.triple() != nullptr ? ShowTriple(*t.triple())
                                   : EchoValue(t.id());
    case Term::Kind::kIri:
      return absl::StrCat("<", EchoValue(t.id()), ">");
    case Term::Kind::kBlank:
      return absl::StrCat("_:", EchoValue(t.id()));
  }
  return "";
}
std::string ShowTriple(const storage::Triple& t) {
  return absl::StrCat("<<", ShowTerm(t.subject), " ", EchoValue(t.relation),
                      " ", ShowTerm(t.object), ">>");
}

std::string Plural(uint32_t n, absl::string_view noun) {
  return absl::StrCat(n, " ", noun, n == 1 ? "" : "s");
}

// ---- ListContested's helpers ----------------------------------------------

// Adds to `out` the statement id that each statement of `relation` quotes
// as its object.
absl::Status AddQuotedObjects(storage::Reader& reader,
                              const std::string& relation,
                              absl::btree_set<std::string>* out) {
  storage::Pattern pattern;
  pattern.relation = relation;
  storage::MatchOptions match;
  match.limit = 10000;
  do {
    absl::StatusOr<storage::MatchPage> page = reader.Match(pattern, match);
    // A relation no statement uses yet has no dictionary entry.
    if (page.status().code() == absl::StatusCode::kNotFound) break;
    if (!page.ok()) return page.status();
    for (const Statement& st : page->statements) {
      if (st.object.kind == Term::Kind::kStatement) out->insert(st.object.id);
    }
    match.page_token = std::move(page->next_page_token);
  } while (!match.page_token.empty());
  return absl::OkStatus();
}

// |a ∪ b|: a claimant on both sides counts once.
uint32_t UnionSize(const absl::flat_hash_set<std::string>& a,
                   const absl::flat_hash_set<std::string>& b) {
  size_t both = 0;
  for (const std::string& x : b) both += a.contains(x) ? 1 : 0;
  return static_cast<uint32_t>(a.size() + b.size() - both);
}

// Most distinct claimants first, then by statement id.
std::string ContestedKey(const ContestedStatement& c) {
  std::string key;
  KeyU32(&key, ~c.distinct_claimants);
  KeyStr(&key, c.statement.id);
  return key;
}

}  // namespace

Stance StanceOf(Polarity polarity, Hedge hedge) {
  if (polarity == Polarity::kNone) return Stance::kStated;
  if (hedge == Hedge::kUnconfirmed) return Stance::kUnconfirmed;
  return polarity == Polarity::kSupports ? Stance::kAsserted : Stance::kDenied;
}

std::string Summarize(const WhyResult& f) {
  std::vector<std::string> parts;
  if (f.stated_documents > 0) {
    parts.push_back(
        absl::StrCat("stated in ", Plural(f.stated_documents, "document")));
  }
  bool noun_said = false;
  auto claimants = [&](uint32_t n) {
    std::string s = noun_said ? absl::StrCat(n) : Plural(n, "claimant");
    noun_said = true;
    return s;
  };
  if (f.asserted_claimants > 0) {
    parts.push_back(absl::StrCat("asserted by ",
                                 claimants(f.asserted_claimants), " in ",
                                 Plural(f.asserted_documents, "document")));
  }
  if (f.denied_claimants > 0) {
    parts.push_back(absl::StrCat("denied by ", claimants(f.denied_claimants)));
  }
  if (f.unconfirmed_claimants > 0) {
    parts.push_back(
        absl::StrCat("unconfirmed by ", claimants(f.unconfirmed_claimants)));
  }
  if (parts.empty()) return "no provenance";
  return absl::StrJoin(parts, ", ");
}

ProvenanceEngine::ProvenanceEngine(storage::Reader* reader) : reader_(reader) {}

ProvenanceEngine::~ProvenanceEngine() = default;

// ---- Cached lookups --------------------------------------------------------

absl::Status ProvenanceEngine::LoadRelations() {
  if (relations_loaded_) return absl::OkStatus();
  KG_ASSIGN_OR_RETURN(std::vector<storage::Relation> all,
                      reader_->ListRelations());
  for (storage::Relation& r : all) relations_.emplace(r.id, std::move(r));
  relations_loaded_ = true;
  return absl::OkStatus();
}

absl::StatusOr<storage::Relation> ProvenanceEngine::RelationById(
    absl::string_view id) {
  KG_RETURN_IF_ERROR(LoadRelations());
  auto it = relations_.find(id);
  if (it != relations_.end()) return it->second;
  KG_ASSIGN_OR_RETURN(storage::Relation r, reader_->GetRelation(id));
  relations_.emplace(r.id, r);
  return r;
}

absl::StatusOr<storage::Relation> ProvenanceEngine::RelationByNode(
    NodeId node) {
  auto it = relation_ids_.find(node);
  if (it == relation_ids_.end()) {
    KG_ASSIGN_OR_RETURN(std::string id, reader_->RelationAt(node));
    it = relation_ids_.emplace(node, std::move(id)).first;
  }
  return RelationById(it->second);
}

absl::Status ProvenanceEngine::LoadAllDocuments() {
  if (all_documents_loaded_) return absl::OkStatus();
  std::string cursor;
  do {
    KG_ASSIGN_OR_RETURN(
        storage::DocumentPage page,
        reader_->ListDocuments(/*include_text=*/false, 1000, cursor));
    for (Document& d : page.documents) {
      const std::string id = d.id;
      documents_.insert_or_assign(id, std::move(d));
    }
    cursor = std::move(page.next_page_token);
  } while (!cursor.empty());
  all_documents_loaded_ = true;
  return absl::OkStatus();
}

absl::StatusOr<Document> ProvenanceEngine::DocumentMeta(
    absl::string_view document_id) {
  auto it = documents_.find(document_id);
  if (it != documents_.end()) return it->second;
  KG_ASSIGN_OR_RETURN(Document d, reader_->GetDocument(document_id));
  d.text.clear();
  documents_.emplace(d.id, d);
  return d;
}

absl::StatusOr<std::optional<storage::Date>> ProvenanceEngine::PublishedOf(
    absl::string_view document_id) {
  KG_ASSIGN_OR_RETURN(Document d, DocumentMeta(document_id));
  return d.published;
}

absl::StatusOr<std::optional<storage::Entity>> ProvenanceEngine::EntityOf(
    const TermValue& term) {
  if (term.kind != Term::Kind::kEntity) {
    return std::optional<storage::Entity>();
  }
  auto it = entities_.find(term.id);
  if (it != entities_.end()) return it->second;
  absl::StatusOr<storage::Entity> e = reader_->GetEntity(term.id);
  std::optional<storage::Entity> value;
  if (e.ok()) {
    value = *std::move(e);
  } else if (e.status().code() != absl::StatusCode::kNotFound) {
    return e.status();
  }
  entities_.emplace(term.id, value);
  return value;
}

absl::StatusOr<const ProvenanceEngine::History*>
ProvenanceEngine::GetHistory() {
  if (history_) return history_.get();
  auto history = std::make_unique<History>();
  absl::Status inner;
  KG_RETURN_IF_ERROR(
      reader_->ForEachStatement([&](NodeId node, const Statement& st) {
        if (st.object.kind != Term::Kind::kStatement) return true;
        absl::StatusOr<storage::Relation> rel = RelationById(st.relation);
        if (!rel.ok()) {
          inner = rel.status();
          return false;
        }
        if (rel->polarity == Polarity::kNone) return true;
        const size_t i = history->claims.size();
        history->claims.push_back(ClaimRef{node, st});
        history->by_object[st.object.id].push_back(i);
        history->by_subject[ClaimantKey(st.subject)].push_back(i);
        return true;
      }));
  KG_RETURN_IF_ERROR(inner);
  history_ = std::move(history);
  return history_.get();
}

// ---- Building blocks -------------------------------------------------------

absl::StatusOr<Statement> ProvenanceEngine::ResolveStatement(
    const Term& term, const TimeTravel& as_of, NodeId* node) {
  Term resolved;  // a quoted triple with its names resolved to ids
  std::string id;
  switch (term.kind()) {
    case Term::Kind::kEntity:
      return absl::InvalidArgumentError(
          "statement: an entity is not a statement; give a quoted triple or "
          "a statement id");
    case Term::Kind::kLiteral:
      return absl::InvalidArgumentError(
          "statement: a literal is not a statement; give a quoted triple or a "
          "statement id");
    case Term::Kind::kIri:
    case Term::Kind::kBlank:
      return absl::InvalidArgumentError(
          "statement: an IRI or a blank node is not a statement; give a "
          "quoted triple or a statement id");
    case Term::Kind::kStatement:
      if (term.triple() != nullptr) {
        resolved = term;
        KG_RETURN_IF_ERROR(ResolveTermNames(*reader_, "statement", &resolved,
                                            nullptr, as_of.recorded_at));
        id = storage::StatementIdOf(*resolved.triple(), reader_->base_iri());
      } else {
        id = term.id();
      }
      break;
  }
  if (!IsStatementId(id)) {
    return absl::InvalidArgumentError(
        absl::StrCat("statement: \"", EchoEscaped(id),
                     "\" is not a statement id (s + 32 lowercase hex digits)"));
  }
  absl::StatusOr<Statement> st = reader_->GetStatement(id);
  if (!st.ok()) {
    if (st.status().code() != absl::StatusCode::kNotFound) return st.status();
    if (resolved.triple() == nullptr) {
      return absl::NotFoundError(
          absl::StrCat("statement: no statement '", EchoValue(id), "'"));
    }
    // Name what is missing: the relation, or the statement itself.
    const std::string& relation = resolved.triple()->relation;
    if (!absl::StrContains(relation, ":")) {
      absl::StatusOr<storage::Relation> r = reader_->GetRelation(relation);
      if (!r.ok() && r.status().code() == absl::StatusCode::kNotFound) {
        return absl::NotFoundError(
            absl::StrCat("statement.quoted.relation: no relation '",
                         EchoValue(relation), "'"));
      }
    }
    return absl::NotFoundError(absl::StrCat(
        "statement: the store has no statement ",
        ShowTriple(*resolved.triple()), " (its id would be ", id, ")"));
  }
  KG_ASSIGN_OR_RETURN(*node, reader_->NodeOf(Term::StatementId(id)));
  return st;
}

absl::StatusOr<std::vector<ProvenanceRecord>> ProvenanceEngine::VisibleRecords(
    NodeId node, const RecordFilter& filter) {
  KG_ASSIGN_OR_RETURN(
      std::vector<ProvenanceRecord> all,
      reader_->ProvenanceAt(node, /*include_retracted=*/filter.as_recorded()));
  std::vector<ProvenanceRecord> out;
  for (ProvenanceRecord& r : all) {
    if (!filter.LiveIn(r)) continue;
    filter.AsSeen(&r);
    if (filter.as_reported()) {
      KG_ASSIGN_OR_RETURN(std::optional<storage::Date> published,
                          PublishedOf(r.input.document_id));
      if (!filter.Reported(published)) continue;
    }
    out.push_back(std::move(r));
  }
  SortRecords(&out);
  return out;
}

absl::StatusOr<std::optional<Claim>> ProvenanceEngine::LoadClaim(
    const ClaimRef& ref, const RecordFilter& filter) {
  Statement st;
  if (ref.statement) {
    st = *ref.statement;
  } else {
    KG_ASSIGN_OR_RETURN(st, reader_->StatementAt(ref.node));
  }
  if (st.object.kind != Term::Kind::kStatement) return std::optional<Claim>();
  KG_ASSIGN_OR_RETURN(storage::Relation rel, RelationById(st.relation));
  if (rel.polarity == Polarity::kNone) return std::optional<Claim>();
  // Current state: a claim without live records is only quoted.
  if (!filter.as_recorded() && st.live_provenance == 0) {
    return std::optional<Claim>();
  }
  Claim c;
  KG_ASSIGN_OR_RETURN(c.provenance, VisibleRecords(ref.node, filter));
  if (c.provenance.empty()) return std::optional<Claim>();
  c.claimant = st.subject;
  KG_ASSIGN_OR_RETURN(c.claimant_entity, EntityOf(st.subject));
  c.relation = st.relation;
  c.polarity = rel.polarity;
  c.claim = std::move(st);
  return std::optional<Claim>(std::move(c));
}

absl::StatusOr<std::vector<Claim>> ProvenanceEngine::ClaimsAbout(
    NodeId node, const std::string& id, const RecordFilter& filter) {
  std::vector<ClaimRef> candidates;
  if (filter.as_recorded()) {
    KG_ASSIGN_OR_RETURN(const History* history, GetHistory());
    auto it = history->by_object.find(id);
    if (it != history->by_object.end()) {
      for (size_t i : it->second) candidates.push_back(history->claims[i]);
    }
  } else {
    std::vector<Edge> edges;
    reader_->Neighbors(node, storage::Direction::kIncoming, &edges);
    for (const Edge& e : edges) {
      KG_ASSIGN_OR_RETURN(storage::Relation rel, RelationByNode(e.relation));
      if (rel.polarity == Polarity::kNone) continue;
      candidates.push_back(ClaimRef{e.statement, std::nullopt});
    }
  }
  std::vector<std::pair<std::string, Claim>> keyed;
  for (const ClaimRef& ref : candidates) {
    KG_ASSIGN_OR_RETURN(std::optional<Claim> c, LoadClaim(ref, filter));
    if (!c) continue;
    std::string key = ClaimKey(*c);
    keyed.emplace_back(std::move(key), *std::move(c));
  }
  std::sort(keyed.begin(), keyed.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<Claim> out;
  out.reserve(keyed.size());
  for (auto& [key, c] : keyed) out.push_back(std::move(c));
  return out;
}

absl::StatusOr<std::pair<TermValue, std::string>>
ProvenanceEngine::OrganisationOf(const TermValue& claimant) {
  TermValue at = claimant;
  std::string first_via;
  absl::flat_hash_set<std::string> seen = {claimant.id};
  for (int step = 0; step < 4 && at.kind == Term::Kind::kEntity; ++step) {
    absl::StatusOr<NodeId> node = reader_->NodeOf(Term::Entity(at.id));
    if (!node.ok()) break;
    std::vector<Edge> edges;
    reader_->Neighbors(*node, storage::Direction::kOutgoing, &edges);
    std::optional<std::pair<TermValue, std::string>> next;
    for (const Edge& e : edges) {
      KG_ASSIGN_OR_RETURN(storage::Relation rel, RelationByNode(e.relation));
      if (std::find(std::begin(kAffiliationRelations),
                    std::end(kAffiliationRelations),
                    rel.id) == std::end(kAffiliationRelations)) {
        continue;
      }
      KG_ASSIGN_OR_RETURN(TermValue org, reader_->TermAt(e.neighbor));
      if (org.kind != Term::Kind::kEntity || seen.contains(org.id)) continue;
      if (!next || org.id < next->first.id) {
        KG_ASSIGN_OR_RETURN(TermValue via, reader_->TermAt(e.statement));
        next.emplace(org, via.id);
      }
    }
    if (!next) break;
    seen.insert(next->first.id);
    if (first_via.empty()) first_via = next->second;
    at = next->first;
  }
  return std::make_pair(at, first_via);
}

absl::StatusOr<std::vector<ProvenanceEngine::Related>>
ProvenanceEngine::RelatedStatements(NodeId node, const RecordFilter& filter) {
  // (y entails node): y's supporting claims count; (node entails z): z's
  // opposing ones.
  std::vector<Related> out;
  for (const auto direction :
       {storage::Direction::kIncoming, storage::Direction::kOutgoing}) {
    std::vector<Edge> edges;
    reader_->Neighbors(node, direction, &edges);
    for (const Edge& e : edges) {
      KG_ASSIGN_OR_RETURN(storage::Relation rel, RelationByNode(e.relation));
      if (rel.id != kEntailsRelation) continue;
      KG_ASSIGN_OR_RETURN(TermValue other, reader_->TermAt(e.neighbor));
      if (other.kind != Term::Kind::kStatement) continue;
      // An entailment recorded after the as-of time, or retracted, does
      // not relate the two.
      KG_ASSIGN_OR_RETURN(bool visible, ClaimVisible(e.statement, filter));
      if (!visible) continue;
      KG_ASSIGN_OR_RETURN(TermValue entailment, reader_->TermAt(e.statement));
      out.push_back(Related{e.neighbor, other.id, entailment.id,
                            direction == storage::Direction::kIncoming
                                ? Polarity::kSupports
                                : Polarity::kOpposes});
    }
  }
  return out;
}

absl::Status ProvenanceEngine::AddRelatedClaims(NodeId node,
                                                const RecordFilter& filter,
                                                std::vector<Claim>* claims) {
  KG_ASSIGN_OR_RETURN(std::vector<Related> related,
                      RelatedStatements(node, filter));
  for (const Related& r : related) {
    KG_ASSIGN_OR_RETURN(std::vector<Claim> theirs,
                        ClaimsAbout(r.node, r.id, filter));
    for (Claim& c : theirs) {
      if (c.polarity != r.counts) continue;
      c.about_statement_id = r.id;
      c.entailment_id = r.entailment_id;
      claims->push_back(std::move(c));
    }
  }
  return absl::OkStatus();
}

// ---- Queries ---------------------------------------------------------------

absl::StatusOr<WhyResult> ProvenanceEngine::Why(const Term& statement,
                                                const WhyOptions& options) {
  KG_ASSIGN_OR_RETURN(RecordFilter filter, RecordFilter::Create(options.as_of));
  NodeId node = 0;
  WhyResult out;
  KG_ASSIGN_OR_RETURN(out.statement,
                      ResolveStatement(statement, options.as_of, &node));
  const bool dated = options.order == WhyOptions::Order::kDocumentDate;
  // A page token belongs to one order.
  const uint64_t fingerprint = FingerprintOf(filter, {out.statement.id}) +
                               (dated ? 1 : 0) +
                               (options.include_related ? 2 : 0) +
                               (options.roll_up_affiliations ? 4 : 0);
  KG_RETURN_IF_ERROR(CheckPageToken(reader_->page_tokens(), options.page_token,
                                    PageTokenKind::kWhy, fingerprint));
  KG_ASSIGN_OR_RETURN(out.provenance, VisibleRecords(node, filter));
  KG_ASSIGN_OR_RETURN(std::vector<Claim> claims,
                      ClaimsAbout(node, out.statement.id, filter));
  if (options.include_related) {
    KG_RETURN_IF_ERROR(AddRelatedClaims(node, filter, &claims));
  }

  absl::flat_hash_set<std::string> documents, stated_docs, asserted_docs;
  absl::flat_hash_set<std::string> claimants, asserted, denied, unconfirmed,
      supporting, opposing;
  for (const ProvenanceRecord& r : out.provenance) {
    documents.insert(r.input.document_id);
    stated_docs.insert(r.input.document_id);
  }
  for (Claim& c : claims) {
    std::string who = ClaimantKey(c.claimant);
    if (options.roll_up_affiliations) {
      KG_ASSIGN_OR_RETURN(auto org, OrganisationOf(c.claimant));
      who = ClaimantKey(org.first);
      if (c.affiliation_id.empty()) c.affiliation_id = org.second;
    }
    claimants.insert(who);
    (c.polarity == Polarity::kSupports ? supporting : opposing).insert(who);
    for (const ProvenanceRecord& r : c.provenance) {
      documents.insert(r.input.document_id);
      switch (StanceOf(c.polarity, r.input.hedge)) {
        case Stance::kAsserted:
          asserted.insert(who);
          asserted_docs.insert(r.input.document_id);
          break;
        case Stance::kDenied:
          denied.insert(who);
          break;
        case Stance::kUnconfirmed:
          unconfirmed.insert(who);
          break;
        case Stance::kStated:
          break;
      }
    }
  }
  out.distinct_documents = static_cast<uint32_t>(documents.size());
  out.distinct_claimants = static_cast<uint32_t>(claimants.size());
  out.stated_documents = static_cast<uint32_t>(stated_docs.size());
  out.asserted_claimants = static_cast<uint32_t>(asserted.size());
  out.asserted_documents = static_cast<uint32_t>(asserted_docs.size());
  out.denied_claimants = static_cast<uint32_t>(denied.size());
  out.unconfirmed_claimants = static_cast<uint32_t>(unconfirmed.size());
  out.supporting_claimants = static_cast<uint32_t>(supporting.size());
  out.opposing_claimants = static_cast<uint32_t>(opposing.size());
  out.total_claims = claims.size();
  out.summary = Summarize(out);

  // Records by document date, for the date order.
  auto by_date = [&](std::vector<ProvenanceRecord>* records)
      -> absl::StatusOr<std::string> {
    std::vector<std::pair<std::string, ProvenanceRecord>> dated;
    for (ProvenanceRecord& r : *records) {
      KG_ASSIGN_OR_RETURN(Document doc, DocumentMeta(r.input.document_id));
      dated.emplace_back(TimelineKey(doc, r), std::move(r));
    }
    std::stable_sort(
        dated.begin(), dated.end(),
        [](const auto& a, const auto& b) { return a.first < b.first; });
    records->clear();
    for (auto& [key, r] : dated) records->push_back(std::move(r));
    // Undated sorts last: a claim with no records (none) likewise.
    return dated.empty() ? std::string(1, '\xff') : dated.front().first;
  };
  if (dated) KG_RETURN_IF_ERROR(by_date(&out.provenance).status());
  std::vector<std::pair<std::string, Claim>> keyed;
  keyed.reserve(claims.size());
  for (Claim& c : claims) {
    std::string key;
    if (dated) {
      KeyU8(&key, static_cast<uint8_t>(c.polarity));
      KG_ASSIGN_OR_RETURN(std::string earliest, by_date(&c.provenance));
      KeyStr(&key, earliest);
    }
    key += ClaimKey(c);
    keyed.emplace_back(std::move(key), std::move(c));
  }
  std::vector<Claim> page;
  KG_RETURN_IF_ERROR(Page(reader_->page_tokens(), &keyed, options.page_token,
                          PageTokenKind::kWhy, fingerprint, options.page_size,
                          &page, &out.next_page_token));
  for (Claim& c : page) {
    if (!options.include_evidence) ClearEvidence(&c.provenance);
    (c.polarity == Polarity::kSupports ? out.supporting : out.opposing)
        .push_back(std::move(c));
  }
  if (!options.include_evidence) ClearEvidence(&out.provenance);
  return out;
}

absl::StatusOr<DocumentStatementPage> ProvenanceEngine::ListByDocument(
    absl::string_view document_id, const ListByDocumentOptions& options) {
  KG_ASSIGN_OR_RETURN(RecordFilter filter, RecordFilter::Create(options.as_of));
  KG_ASSIGN_OR_RETURN(Document doc, DocumentMeta(document_id));
  const uint64_t fingerprint = FingerprintOf(filter, {doc.id});
  KG_RETURN_IF_ERROR(CheckPageToken(reader_->page_tokens(), options.page_token,
                                    PageTokenKind::kByDocument, fingerprint));
  DocumentStatementPage out;
  if (!filter.Reported(doc.published)) return out;

  // All of the document's records, in text order; a statement is placed
  // at its first visible record.
  struct Group {
    NodeId node = 0;
    std::vector<ProvenanceRecord> records;
  };
  std::vector<Group> groups;
  absl::flat_hash_map<NodeId, size_t> group_of;
  std::string cursor;
  do {
    KG_ASSIGN_OR_RETURN(storage::ProvenancePage page,
                        reader_->ProvenanceByDocument(doc.id, 1000, cursor));
    for (auto& [node, record] : page.records) {
      if (!filter.LiveIn(record)) continue;
      filter.AsSeen(&record);
      auto [it, inserted] = group_of.try_emplace(node, groups.size());
      if (inserted) groups.push_back(Group{node, {}});
      groups[it->second].records.push_back(std::move(record));
    }
    cursor = std::move(page.next_page_token);
  } while (!cursor.empty());

  std::vector<std::pair<std::string, Group>> keyed;
  keyed.reserve(groups.size());
  for (Group& g : groups) {
    SortRecords(&g.records);
    std::string key;
    KeyU32(&key, g.records.front().input.evidence_start);
    KeyU32(&key, g.records.front().input.evidence_end);
    KeyStr(&key, g.records.front().statement_id);
    keyed.emplace_back(std::move(key), std::move(g));
  }
  std::vector<Group> page;
  KG_RETURN_IF_ERROR(Page(reader_->page_tokens(), &keyed, options.page_token,
                          PageTokenKind::kByDocument, fingerprint,
                          options.page_size, &page, &out.next_page_token));
  for (Group& g : page) {
    DocumentStatement item;
    KG_ASSIGN_OR_RETURN(item.statement, reader_->StatementAt(g.node));
    item.provenance = std::move(g.records);
    if (!options.include_evidence) ClearEvidence(&item.provenance);
    out.statements.push_back(std::move(item));
  }
  return out;
}

absl::StatusOr<ClaimPage> ProvenanceEngine::ListByClaimant(
    const Term& claimant, const ListByClaimantOptions& options) {
  KG_ASSIGN_OR_RETURN(RecordFilter filter, RecordFilter::Create(options.as_of));
  switch (claimant.kind()) {
    case Term::Kind::kLiteral:
      return absl::InvalidArgumentError(
          "claimant: a literal is not an entity; a claimant is an entity (id, "
          "label or alias)");
    case Term::Kind::kStatement:
      return absl::InvalidArgumentError(
          "claimant: a statement is not an entity; a claimant is an entity "
          "(id, label or alias)");
    case Term::Kind::kIri:
    case Term::Kind::kBlank:
      return absl::InvalidArgumentError(
          "claimant: a claimant is an entity (id, label or alias), not an IRI "
          "or a blank node");
    case Term::Kind::kEntity:
      break;
  }
  if (options.polarity && *options.polarity != Polarity::kSupports &&
      *options.polarity != Polarity::kOpposes) {
    return absl::InvalidArgumentError(
        "polarity: must be supports or opposes (or unset for both)");
  }
  absl::StatusOr<storage::Entity> entity = ResolveEntity(
      *reader_, "claimant", claimant.id(), options.as_of.recorded_at);
  if (!entity.ok()) {
    if (entity.status().code() == absl::StatusCode::kNotFound &&
        IsStatementId(claimant.id()) &&
        reader_->GetStatement(claimant.id()).ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("claimant: '", EchoValue(claimant.id()),
                       "' is a statement, not an entity; a claimant is an "
                       "entity (id, label or alias)"));
    }
    return entity.status();
  }
  const std::string polarity_part =
      options.polarity ? absl::StrCat(static_cast<int>(*options.polarity)) : "";
  const uint64_t fingerprint =
      FingerprintOf(filter, {entity->id, polarity_part,
                             options.include_affiliates ? "affiliates" : ""});
  KG_RETURN_IF_ERROR(CheckPageToken(reader_->page_tokens(), options.page_token,
                                    PageTokenKind::kByClaimant, fingerprint));

  // The claimants: the entity, and with include_affiliates every entity
  // that is part_of or speaks_for it, transitively (bounded), each with the
  // affiliation statement that brought it in.
  std::vector<std::pair<std::string, std::string>> members = {{entity->id, ""}};
  if (options.include_affiliates) {
    absl::flat_hash_set<std::string> seen = {entity->id};
    size_t level_begin = 0;
    for (int depth = 0; depth < 4 && level_begin < members.size(); ++depth) {
      const size_t level_end = members.size();
      for (size_t i = level_begin; i < level_end; ++i) {
        absl::StatusOr<NodeId> node =
            reader_->NodeOf(Term::Entity(members[i].first));
        if (!node.ok()) continue;
        std::vector<Edge> edges;
        reader_->Neighbors(*node, storage::Direction::kIncoming, &edges);
        for (const Edge& e : edges) {
          KG_ASSIGN_OR_RETURN(storage::Relation rel,
                              RelationByNode(e.relation));
          if (std::find(std::begin(kAffiliationRelations),
                        std::end(kAffiliationRelations),
                        rel.id) == std::end(kAffiliationRelations)) {
            continue;
          }
          KG_ASSIGN_OR_RETURN(TermValue member, reader_->TermAt(e.neighbor));
          KG_ASSIGN_OR_RETURN(TermValue via, reader_->TermAt(e.statement));
          if (member.kind != Term::Kind::kEntity ||
              !seen.insert(member.id).second) {
            continue;
          }
          members.emplace_back(member.id, via.id);
        }
      }
      level_begin = level_end;
    }
  }

  std::vector<std::pair<ClaimRef, std::string>> candidates;
  for (const auto& [member, via] : members) {
    const TermValue who{Term::Kind::kEntity, member, {}};
    if (filter.as_recorded()) {
      KG_ASSIGN_OR_RETURN(const History* history, GetHistory());
      auto it = history->by_subject.find(ClaimantKey(who));
      if (it != history->by_subject.end()) {
        for (size_t i : it->second) {
          candidates.emplace_back(history->claims[i], via);
        }
      }
    } else {
      absl::StatusOr<NodeId> node = reader_->NodeOf(Term::Entity(member));
      if (node.ok()) {
        std::vector<Edge> edges;
        reader_->Neighbors(*node, storage::Direction::kOutgoing, &edges);
        for (const Edge& e : edges) {
          KG_ASSIGN_OR_RETURN(storage::Relation rel,
                              RelationByNode(e.relation));
          if (rel.polarity == Polarity::kNone) continue;
          if (options.polarity && rel.polarity != *options.polarity) continue;
          candidates.emplace_back(ClaimRef{e.statement, std::nullopt}, via);
        }
      } else if (node.status().code() != absl::StatusCode::kNotFound) {
        return node.status();
      }
    }
  }

  std::vector<std::pair<std::string, Claim>> keyed;
  for (const auto& [ref, via] : candidates) {
    KG_ASSIGN_OR_RETURN(std::optional<Claim> c, LoadClaim(ref, filter));
    if (!c) continue;
    if (options.polarity && c->polarity != *options.polarity) continue;
    c->affiliation_id = via;
    // The claim's place: its earliest visible record in timeline order.
    std::string first;
    for (const ProvenanceRecord& r : c->provenance) {
      KG_ASSIGN_OR_RETURN(Document d, DocumentMeta(r.input.document_id));
      std::string k = TimelineKey(d, r);
      KeyI64(&k, absl::ToUnixMicros(r.recorded_at));
      if (first.empty() || k < first) first = std::move(k);
    }
    KeyStr(&first, c->claim.id);
    keyed.emplace_back(std::move(first), *std::move(c));
  }
  ClaimPage out;
  KG_RETURN_IF_ERROR(Page(reader_->page_tokens(), &keyed, options.page_token,
                          PageTokenKind::kByClaimant, fingerprint,
                          options.page_size, &out.claims,
                          &out.next_page_token));
  if (!options.include_evidence) {
    for (Claim& c : out.claims) ClearEvidence(&c.provenance);
  }
  return out;
}

absl::StatusOr<ContestedPage> ProvenanceEngine::ListContested(
    const ListContestedOptions& options) {
  KG_ASSIGN_OR_RETURN(RecordFilter filter, RecordFilter::Create(options.as_of));
  const uint64_t fingerprint = FingerprintOf(
      filter, {options.own_records_support ? "own" : "claims",
               options.roll_up_affiliations ? "organisations" : "",
               options.include_related ? "related" : ""});
  KG_RETURN_IF_ERROR(CheckPageToken(reader_->page_tokens(), options.page_token,
                                    PageTokenKind::kContested, fingerprint));
  if (filter.current() && !options.own_records_support &&
      !options.roll_up_affiliations && !options.include_related &&
      !options.without_index) {
    return ListContestedFromIndex(options, fingerprint);
  }
  // A global query touches most documents: read all their dates in one
  // scan rather than one point read each.
  if (filter.as_reported()) KG_RETURN_IF_ERROR(LoadAllDocuments());

  // Pass 1: the contested statements, with their figures.
  KG_ASSIGN_OR_RETURN(std::vector<ContestedStatement> contested,
                      FindContested(filter, options));

  // Pass 2: ranked, paged, and the page's statements read.
  std::vector<std::pair<std::string, ContestedStatement>> keyed;
  keyed.reserve(contested.size());
  for (ContestedStatement& c : contested) {
    std::string key = ContestedKey(c);
    keyed.emplace_back(std::move(key), std::move(c));
  }
  ContestedPage out;
  KG_RETURN_IF_ERROR(Page(reader_->page_tokens(), &keyed, options.page_token,
                          PageTokenKind::kContested, fingerprint,
                          options.page_size, &out.statements,
                          &out.next_page_token));
  for (ContestedStatement& c : out.statements) {
    KG_ASSIGN_OR_RETURN(c.statement, reader_->GetStatement(c.statement.id));
  }
  return out;
}

absl::StatusOr<ContestedPage> ProvenanceEngine::ListContestedFromIndex(
    const ListContestedOptions& options, uint64_t fingerprint) {
  const storage::PageTokenCodec& tokens = reader_->page_tokens();
  KG_ASSIGN_OR_RETURN(const std::string after,
                      tokens.Decode(options.page_token,
                                    PageTokenKind::kContested, fingerprint));
  // The token holds ContestedKey of the page's last statement: ~distinct
  // (4 bytes), the statement id, NUL.
  uint32_t after_distinct = 0;
  std::string after_id;
  if (!after.empty()) {
    if (after.size() < 6 || after.back() != '\0') {
      return absl::InvalidArgumentError(
          "page_token: not a token of this query");
    }
    for (int i = 0; i < 4; ++i) {
      after_distinct = (after_distinct << 8) | static_cast<uint8_t>(after[i]);
    }
    after_distinct = ~after_distinct;
    after_id = after.substr(4, after.size() - 5);
  }
  // One more than a page says whether there is a next one.
  const size_t page_size =
      options.page_size == 0
          ? kDefaultProvenancePageSize
          : std::min(options.page_size, std::numeric_limits<size_t>::max() - 1);
  KG_ASSIGN_OR_RETURN(
      std::vector<storage::ContestedEntry> entries,
      reader_->ListContestedIndex(after_distinct, after_id, page_size + 1));
  ContestedPage out;
  for (size_t i = 0; i < entries.size() && i < page_size; ++i) {
    ContestedStatement c;
    KG_ASSIGN_OR_RETURN(c.statement,
                        reader_->StatementAt(entries[i].statement));
    c.supporting_claimants = entries[i].supporting;
    c.opposing_claimants = entries[i].opposing;
    c.distinct_claimants = entries[i].distinct;
    out.statements.push_back(std::move(c));
  }
  if (entries.size() > page_size) {
    out.next_page_token = tokens.Encode(PageTokenKind::kContested, fingerprint,
                                        ContestedKey(out.statements.back()));
  }
  return out;
}

// ---- ListContested's first pass -------------------------------------------

absl::StatusOr<std::vector<ContestedStatement>> ProvenanceEngine::FindContested(
    const RecordFilter& filter, const ListContestedOptions& options) {
  KG_ASSIGN_OR_RETURN(absl::btree_set<std::string> candidates,
                      OpposedStatements(filter, options.include_related));
  std::vector<ContestedStatement> out;
  for (const std::string& id : candidates) {
    KG_ASSIGN_OR_RETURN(std::optional<ContestedStatement> c,
                        ContestedFigures(id, filter, options));
    if (c) out.push_back(*std::move(c));
  }
  return out;
}

absl::StatusOr<absl::btree_set<std::string>>
ProvenanceEngine::OpposedStatements(const RecordFilter& filter, bool related) {
  KG_ASSIGN_OR_RETURN(absl::btree_set<std::string> out,
                      DirectlyOpposedStatements(filter));
  if (!related) return out;
  // A statement that entails an opposed one is opposed through it.
  std::vector<std::string> more;
  for (const std::string& id : out) {
    absl::StatusOr<NodeId> node = reader_->NodeOf(Term::StatementId(id));
    if (!node.ok()) continue;
    KG_ASSIGN_OR_RETURN(std::vector<Related> rel,
                        RelatedStatements(*node, filter));
    for (const Related& r : rel) {
      if (r.counts == Polarity::kSupports) more.push_back(r.id);
    }
  }
  out.insert(more.begin(), more.end());
  return out;
}

absl::StatusOr<absl::btree_set<std::string>>
ProvenanceEngine::DirectlyOpposedStatements(const RecordFilter& filter) {
  absl::btree_set<std::string> out;
  if (filter.as_recorded()) {
    KG_ASSIGN_OR_RETURN(const History* history, GetHistory());
    for (const ClaimRef& ref : history->claims) {
      KG_ASSIGN_OR_RETURN(storage::Relation rel,
                          RelationById(ref.statement->relation));
      if (rel.polarity == Polarity::kOpposes) {
        out.insert(ref.statement->object.id);
      }
    }
    return out;
  }
  // Every visible claim is in the indexes with a live record.
  KG_RETURN_IF_ERROR(LoadRelations());
  std::vector<std::string> opposing;
  for (const auto& [id, rel] : relations_) {
    if (rel.polarity == Polarity::kOpposes) opposing.push_back(id);
  }
  std::sort(opposing.begin(), opposing.end());
  for (const std::string& relation : opposing) {
    KG_RETURN_IF_ERROR(AddQuotedObjects(*reader_, relation, &out));
  }
  return out;
}

absl::StatusOr<std::optional<ContestedStatement>>
ProvenanceEngine::ContestedFigures(const std::string& id,
                                   const RecordFilter& filter,
                                   const ListContestedOptions& options) {
  const bool roll_up = options.roll_up_affiliations;
  KG_ASSIGN_OR_RETURN(NodeId node, reader_->NodeOf(Term::StatementId(id)));
  KG_ASSIGN_OR_RETURN(std::vector<ClaimOn> claims,
                      ClaimsOn(id, node, filter, roll_up));
  if (options.include_related) {
    KG_ASSIGN_OR_RETURN(std::vector<Related> related,
                        RelatedStatements(node, filter));
    for (const Related& r : related) {
      KG_ASSIGN_OR_RETURN(std::vector<ClaimOn> theirs,
                          ClaimsOn(r.id, r.node, filter, roll_up));
      for (ClaimOn& c : theirs) {
        if (c.polarity == r.counts) claims.push_back(std::move(c));
      }
    }
  }
  KG_ASSIGN_OR_RETURN(Sides sides, VisibleSides(claims, filter));
  if (sides.opposing.empty()) return std::optional<ContestedStatement>();
  uint32_t stated_documents = 0;
  if (options.own_records_support) {
    KG_ASSIGN_OR_RETURN(stated_documents, StatedDocuments(node, filter));
  }
  if (sides.supporting.empty() && stated_documents == 0) {
    return std::optional<ContestedStatement>();
  }
  ContestedStatement c;
  c.statement.id = id;
  c.supporting_claimants = static_cast<uint32_t>(sides.supporting.size());
  c.opposing_claimants = static_cast<uint32_t>(sides.opposing.size());
  c.distinct_claimants = UnionSize(sides.supporting, sides.opposing);
  c.stated_documents = stated_documents;
  return std::optional<ContestedStatement>(std::move(c));
}

absl::StatusOr<std::vector<ProvenanceEngine::ClaimOn>>
ProvenanceEngine::ClaimsOn(const std::string& id, NodeId node,
                           const RecordFilter& filter, bool roll_up) {
  std::vector<ClaimOn> out;
  if (filter.as_recorded()) {
    KG_ASSIGN_OR_RETURN(const History* history, GetHistory());
    auto it = history->by_object.find(id);
    if (it == history->by_object.end()) return out;
    for (size_t i : it->second) {
      const ClaimRef& ref = history->claims[i];
      KG_ASSIGN_OR_RETURN(storage::Relation rel,
                          RelationById(ref.statement->relation));
      TermValue who = ref.statement->subject;
      if (roll_up) {
        KG_ASSIGN_OR_RETURN(auto org, OrganisationOf(who));
        who = org.first;
      }
      out.push_back({rel.polarity, ClaimantKey(who), ref.node});
    }
    return out;
  }
  std::vector<Edge> edges;
  reader_->Neighbors(node, storage::Direction::kIncoming, &edges);
  for (const Edge& e : edges) {
    KG_ASSIGN_OR_RETURN(storage::Relation rel, RelationByNode(e.relation));
    std::string who;
    if (roll_up && rel.polarity != Polarity::kNone) {
      KG_ASSIGN_OR_RETURN(TermValue claimant, reader_->TermAt(e.neighbor));
      KG_ASSIGN_OR_RETURN(auto org, OrganisationOf(claimant));
      who = ClaimantKey(org.first);
    } else {
      KeyU64(&who, e.neighbor);
    }
    out.push_back({rel.polarity, std::move(who), e.statement});
  }
  return out;
}

absl::StatusOr<ProvenanceEngine::Sides> ProvenanceEngine::VisibleSides(
    const std::vector<ClaimOn>& claims, const RecordFilter& filter) {
  Sides sides;
  for (const ClaimOn& c : claims) {
    if (c.polarity == Polarity::kNone) continue;
    auto& side =
        c.polarity == Polarity::kSupports ? sides.supporting : sides.opposing;
    // A claimant needs one visible claim per side: check each once.
    if (side.contains(c.claimant)) continue;
    KG_ASSIGN_OR_RETURN(bool visible, ClaimVisible(c.claim, filter));
    if (visible) side.insert(c.claimant);
  }
  return sides;
}

absl::StatusOr<bool> ProvenanceEngine::ClaimVisible(
    NodeId claim, const RecordFilter& filter) {
  if (!filter.current()) {
    KG_ASSIGN_OR_RETURN(std::vector<ProvenanceRecord> records,
                        VisibleRecords(claim, filter));
    return !records.empty();
  }
  // In the current state a claim edge in the indexes is visible unless the
  // claim is only quoted; a claim that nothing quotes has no edges of its
  // own, so only quoted claims need their row read.
  std::vector<Edge> edges;
  reader_->Neighbors(claim, storage::Direction::kIncoming, &edges);
  reader_->Neighbors(claim, storage::Direction::kOutgoing, &edges);
  if (edges.empty()) return true;
  KG_ASSIGN_OR_RETURN(Statement st, reader_->StatementAt(claim));
  return st.live_provenance > 0;
}

absl::StatusOr<uint32_t> ProvenanceEngine::StatedDocuments(
    NodeId node, const RecordFilter& filter) {
  KG_ASSIGN_OR_RETURN(std::vector<ProvenanceRecord> own,
                      VisibleRecords(node, filter));
  absl::flat_hash_set<std::string> documents;
  for (const ProvenanceRecord& r : own) documents.insert(r.input.document_id);
  return static_cast<uint32_t>(documents.size());
}

absl::StatusOr<std::vector<TimelineEntry>> ProvenanceEngine::ClaimTimeline(
    const Term& statement, const ClaimTimelineOptions& options) {
  KG_ASSIGN_OR_RETURN(RecordFilter filter, RecordFilter::Create(options.as_of));
  NodeId node = 0;
  KG_ASSIGN_OR_RETURN(Statement st,
                      ResolveStatement(statement, options.as_of, &node));
  KG_ASSIGN_OR_RETURN(std::vector<Claim> claims,
                      ClaimsAbout(node, st.id, filter));
  if (options.include_related) {
    KG_RETURN_IF_ERROR(AddRelatedClaims(node, filter, &claims));
  }
  std::vector<std::pair<std::string, TimelineEntry>> keyed;
  for (const Claim& c : claims) {
    for (const ProvenanceRecord& r : c.provenance) {
      TimelineEntry e;
      e.claimant = c.claimant;
      e.claimant_entity = c.claimant_entity;
      e.polarity = c.polarity;
      e.relation = c.relation;
      e.claim_id = c.claim.id;
      e.about_statement_id = c.about_statement_id;
      e.entailment_id = c.entailment_id;
      KG_ASSIGN_OR_RETURN(e.document, DocumentMeta(r.input.document_id));
      e.provenance = r;
      if (!options.include_evidence) e.provenance.input.evidence.clear();
      e.stance = StanceOf(c.polarity, r.input.hedge);
      std::string who = ClaimantKey(c.claimant);
      if (options.roll_up_affiliations) {
        KG_ASSIGN_OR_RETURN(auto org, OrganisationOf(c.claimant));
        if (!org.second.empty()) {
          e.organisation_id = org.first.id;
          e.affiliation_id = org.second;
        }
        who = ClaimantKey(org.first);
      }
      std::string key;
      if (options.group_by_claimant || options.roll_up_affiliations) key = who;
      key += TimelineKey(e.document, r);
      key += ClaimantKey(c.claimant);
      KeyStr(&key, c.claim.id);
      KeyI64(&key, absl::ToUnixMicros(r.recorded_at));
      keyed.emplace_back(std::move(key), std::move(e));
    }
  }
  std::sort(keyed.begin(), keyed.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<TimelineEntry> out;
  out.reserve(keyed.size());
  for (auto& [key, e] : keyed) out.push_back(std::move(e));
  return out;
}

absl::StatusOr<ProvenanceExport> ProvenanceEngine::ExportProvenance(
    const Term& statement, const ExportProvenanceOptions& options) {
  KG_ASSIGN_OR_RETURN(RecordFilter filter, RecordFilter::Create(options.as_of));
  if (options.format != ProvenanceFormat::kProvONTriples &&
      options.format != ProvenanceFormat::kProvOJsonLd) {
    return absl::InvalidArgumentError("format: unknown provenance format");
  }
  NodeId node = 0;
  KG_ASSIGN_OR_RETURN(Statement st,
                      ResolveStatement(statement, options.as_of, &node));
  KG_ASSIGN_OR_RETURN(std::vector<ProvenanceRecord> own,
                      VisibleRecords(node, filter));
  KG_ASSIGN_OR_RETURN(std::vector<Claim> claims,
                      ClaimsAbout(node, st.id, filter));
  // Make sure every document is in the cache the builder reads.
  for (const ProvenanceRecord& r : own) {
    KG_RETURN_IF_ERROR(DocumentMeta(r.input.document_id).status());
  }
  for (const Claim& c : claims) {
    for (const ProvenanceRecord& r : c.provenance) {
      KG_RETURN_IF_ERROR(DocumentMeta(r.input.document_id).status());
    }
  }
  const RdfGraph graph =
      ProvOGraph(st, own, claims, documents_, options.include_evidence);
  ProvenanceExport out;
  if (options.format == ProvenanceFormat::kProvONTriples) {
    out.content = WriteNTriples(graph);
    out.media_type = "application/n-triples";
  } else {
    out.content = WriteJsonLd(graph);
    out.media_type = "application/ld+json";
  }
  return out;
}

}  // namespace kg::query
