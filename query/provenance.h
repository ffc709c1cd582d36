// The provenance query engine: "who says so, who denies it, in which
// sentence, and what did we know on a given day?" (DESIGN.md; issue 7;
// docs/query.md, "Provenance queries"). It mirrors the provenance rpcs of
// kg.v1 (Why, ListByDocument, ListByClaimant, ListContested,
// GetClaimTimeline, ExportProvenance) with plain storage types.
//
//   std::unique_ptr<storage::Reader> reader = store->NewReader();
//   ProvenanceEngine engine(reader.get());
//   KG_ASSIGN_OR_RETURN(
//       WhyResult why,
//       engine.Why(storage::Term::StatementId(id), WhyOptions{}));
//   // why.summary: "asserted by 4 claimants in 1 document, denied by 3"
//
// Vocabulary. A *claim* about a statement X is an asserted statement
// (claimant, r, <<X>>) whose relation r has a polarity (supports or
// opposes); the claimant is its subject, an entity or a statement. X's *own*
// records are its provenance records: documents that state X in their own
// voice. Quoted is not asserted: a claim counts only while it has at least
// one visible provenance record of its own.
//
// Visibility. Every query takes a TimeTravel (query/provenance_as_of.h); a
// record is visible when it is live at the as-recorded instant (now when
// unset) and its document passes the as-reported cutoff. Claims and
// statements without visible records are left out. Results carry the
// stored Statement as it is now (its live_provenance and quoted_by counts
// are current, not as of the instant).
//
// Orders, all total and deterministic (pages resume after the last item
// returned, so a page token stays valid while the store changes):
//   records     document id, evidence start, evidence end, recorded time
//   claims      polarity (supporting first), claimant (entities before
//               statements, then id), relation id, claim statement id
//   by document the statement's first visible evidence in the text (start,
//               end), then statement id
//   by claimant the claim's earliest visible record in timeline order,
//               then claim statement id
//   contested   distinct claimants (descending), then statement id
//   timeline    document date (dated first; first day, then last day),
//               document id, evidence start, end, claimant, claim id,
//               recorded time
//
// Cost. Current-state and as-reported queries walk the in-memory adjacency
// (storage::Reader::Neighbors) and read the provenance of the statements
// they touch. As-recorded queries must also find claims that have left the
// indexes since the instant (fully retracted); storage has no index of
// those, so the first as-recorded query on an engine scans every statement
// ever stored (Reader::ForEachStatement, O(statements)) and keeps the claims
// it finds for the engine's later queries.
//
// Errors name the request field: NOT_FOUND "statement: no statement 's…'",
// "document_id: no document 'x'", "claimant: no entity named 'x'";
// INVALID_ARGUMENT for malformed time ("as_of.recorded_at",
// "as_of.reported_by"), a claimant that is not an entity, a term that is not
// a statement, a polarity of kNone, and a page token from another query
// ("page_token").
#ifndef KG_QUERY_PROVENANCE_H_
#define KG_QUERY_PROVENANCE_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/btree_set.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "query/provenance_as_of.h"
#include "storage/store.h"

namespace kg::query {

// Page size used when an options struct leaves page_size at 0.
inline constexpr size_t kDefaultProvenancePageSize = 100;

// Which side a provenance record takes in Why's summary (docs/query.md):
//   kStated       a record of the statement itself (a document's own voice),
//                 whatever its hedge;
//   kAsserted     a record of a supporting claim whose hedge is not
//                 kUnconfirmed (asserted, believed, reportedly, plausible);
//   kDenied       a record of an opposing claim whose hedge is not
//                 kUnconfirmed;
//   kUnconfirmed  a record of a claim, of either polarity, with hedge
//                 kUnconfirmed ("no concrete evidence", "if confirmed").
enum class Stance : uint8_t { kStated, kAsserted, kDenied, kUnconfirmed };

// The stance of one record: `polarity` is the claim relation's, or kNone
// for the statement's own records.
Stance StanceOf(storage::Polarity polarity, storage::Hedge hedge);

// A claim about a statement: (claimant, relation, <<statement>>).
struct Claim {
  storage::Statement claim;                        // the claim statement itself
  storage::TermValue claimant;                     // = claim.subject
  std::optional<storage::Entity> claimant_entity;  // when it is an entity
  std::string relation;                            // = claim.relation
  storage::Polarity polarity = storage::Polarity::kNone;
  // The claim's visible records, in record order. Never empty.
  std::vector<storage::ProvenanceRecord> provenance;
  // Set for a claim about a related statement (WhyOptions::include_related):
  // the statement it quotes, and the entailment that relates it to the
  // statement asked about.
  std::string about_statement_id;
  std::string entailment_id;
  // Set for a claim rolled up to an organisation
  // (ListByClaimantOptions::include_affiliates): the affiliation statement
  // (claimant part_of / speaks_for ...) that brought its claimant in.
  std::string affiliation_id;
};

// The relations that make one claimant speak for another: (nato_officials
// part_of nato), (spokesperson speaks_for kremlin). docs/query.md,
// "Affiliations".
inline constexpr const char* kAffiliationRelations[] = {"part_of",
                                                        "speaks_for"};

// The relation that says one statement entails another: (<<a>> entails
// <<b>>) means that if a holds, b does (a is b said more specifically:
// "North Korean forces operate in Russian-occupied territories" entails
// "North Korea deployed troops to Russia"). docs/query.md, "Related
// statements".
inline constexpr char kEntailsRelation[] = "entails";

struct WhyOptions {
  // False clears ProvenanceRecord::input.evidence in the result.
  bool include_evidence = true;
  // The order of the claims within each polarity (and of each one's
  // records): by claimant (then relation and claim id), or by the
  // publication date of their earliest document (undated last; then as by
  // claimant), records by date too.
  enum class Order : uint8_t { kClaimant, kDocumentDate };
  Order order = Order::kClaimant;
  // Also the claims on related statements, marked with the statement and
  // the entailment: supporting claims on statements that entail this one
  // (support flows from the specific to the general), and opposing claims on
  // statements this one entails (denying the general denies the specific).
  bool include_related = false;
  // Count each claimant as the organisation it speaks for (part_of /
  // speaks_for, followed up to 4 steps): the summary's claimants are
  // organisations; each claim still names who made it, and its
  // affiliation_id the first affiliation followed.
  bool roll_up_affiliations = false;
  TimeTravel as_of;
  // Claims per page, both polarities together; 0: the default (100).
  size_t page_size = 0;
  std::string page_token;
};

struct WhyResult {
  storage::Statement statement;
  // Its own visible records: documents that state it in their own voice.
  std::vector<storage::ProvenanceRecord> provenance;
  // This page of the claims, split by polarity (supporting claims come
  // first in the paging order).
  std::vector<Claim> supporting;
  std::vector<Claim> opposing;
  // One line over all claims, not just this page: see Summarize().
  std::string summary;
  // Corroboration, over all visible records (own and every claim's):
  // distinct documents, and distinct claimants of either polarity.
  uint32_t distinct_documents = 0;
  uint32_t distinct_claimants = 0;
  // The figures the summary is made of (docs/query.md).
  uint32_t stated_documents = 0;       // documents with a visible own record
  uint32_t asserted_claimants = 0;     // claimants with a kAsserted record
  uint32_t asserted_documents = 0;     // documents of those kAsserted records
  uint32_t denied_claimants = 0;       // claimants with a kDenied record
  uint32_t unconfirmed_claimants = 0;  // claimants with a kUnconfirmed record
  // Claims by polarity (distinct claimants), whatever the hedges.
  uint32_t supporting_claimants = 0;
  uint32_t opposing_claimants = 0;
  size_t total_claims = 0;      // on all pages
  std::string next_page_token;  // empty on the last page
};

// Why's one-line summary from its figures: clauses in this order, each left
// out when its count is 0, joined by ", ":
//   "stated in {stated_documents} document(s)"
//   "asserted by {asserted_claimants} claimant(s) in {asserted_documents}
//    document(s)"
//   "denied by {denied_claimants}"
//   "unconfirmed by {unconfirmed_claimants}"
// The first clause that counts claimants says "claimant(s)"; later ones
// give the number only ("asserted by 3 claimants in 1 document, denied by
// 3, unconfirmed by 1"; "denied by 2 claimants, unconfirmed by 1"). With
// nothing visible: "no provenance".
std::string Summarize(const WhyResult& figures);

struct ListByDocumentOptions {
  bool include_evidence = true;
  TimeTravel as_of;
  size_t page_size = 0;  // statements per page; 0: 100
  std::string page_token;
};

// A statement a document yields, with this document's visible records of
// it (in text order).
struct DocumentStatement {
  storage::Statement statement;
  std::vector<storage::ProvenanceRecord> provenance;
};

struct DocumentStatementPage {
  std::vector<DocumentStatement> statements;
  std::string next_page_token;
};

struct ListByClaimantOptions {
  // Only claims of this polarity (kSupports or kOpposes); unset: both.
  std::optional<storage::Polarity> polarity;
  // Also the claims of the claimant's affiliates: entities that are
  // part_of or speak_for it, directly or through others (at most 4 steps);
  // each claim still names who made it, and the affiliation.
  bool include_affiliates = false;
  bool include_evidence = true;
  TimeTravel as_of;
  size_t page_size = 0;  // claims per page; 0: 100
  std::string page_token;
};

struct ClaimPage {
  std::vector<Claim> claims;
  std::string next_page_token;
};

struct ListContestedOptions {
  TimeTravel as_of;
  size_t page_size = 0;  // statements per page; 0: 100
  std::string page_token;
  // False (the default, as issue 7 and kg.v1 define it): contested means
  // at least one supporting and one opposing claim. True: DESIGN.md's
  // broader "supported" also counts the statement's own visible records as
  // support, so a statement a document states and a claimant denies is
  // contested too.
  bool own_records_support = false;
  // Count each claimant as the organisation it speaks for (part_of /
  // speaks_for, up to 4 steps): the figures and the ranking count
  // organisations.
  bool roll_up_affiliations = false;
  // Also count the claims on related statements, as WhyOptions does: a
  // statement whose more general form is denied, and that is supported, is
  // contested.
  bool include_related = false;
  // The current state with the options above at their defaults is read
  // from the contested index that storage keeps on write (a page costs a
  // page); every other view counts the claims of each opposed statement.
  // True counts the claims in that case too: for tests and benchmarks
  // that compare the two.
  bool without_index = false;
};

struct ContestedStatement {
  storage::Statement statement;
  uint32_t supporting_claimants = 0;
  uint32_t opposing_claimants = 0;
  // Distinct claimants on either side (one that both supports and opposes
  // counts once); the ranking key.
  uint32_t distinct_claimants = 0;
  // Documents with a visible own record (counted with own_records_support
  // only; 0 otherwise).
  uint32_t stated_documents = 0;
};

struct ContestedPage {
  std::vector<ContestedStatement> statements;
  std::string next_page_token;
};

struct ClaimTimelineOptions {
  bool include_evidence = true;
  TimeTravel as_of;
  // Group the entries by claimant (entities first, then by id) before the
  // timeline order, so each claimant's stance over time reads in one run.
  bool group_by_claimant = false;
  // Group by the organisation each claimant speaks for (as
  // WhyOptions::roll_up_affiliations), marking each entry's affiliation.
  bool roll_up_affiliations = false;
  // Also the records of claims on related statements (as
  // WhyOptions::include_related), each entry marked with the statement and
  // the entailment.
  bool include_related = false;
};

// One claimant's stance in one record of one document.
struct TimelineEntry {
  storage::TermValue claimant;
  std::optional<storage::Entity> claimant_entity;
  storage::Polarity polarity = storage::Polarity::kNone;
  std::string relation;
  std::string claim_id;        // the claim statement
  storage::Document document;  // without text
  storage::ProvenanceRecord provenance;
  Stance stance = Stance::kAsserted;
  // With roll_up_affiliations: the organisation the claimant speaks for
  // and the first affiliation statement followed; empty when it is its own.
  std::string organisation_id;
  std::string affiliation_id;
  // With include_related, for a claim on a related statement: that
  // statement and the entailment.
  std::string about_statement_id;
  std::string entailment_id;
};

enum class ProvenanceFormat : uint8_t {
  kProvONTriples,  // application/n-triples
  kProvOJsonLd,    // application/ld+json
};

struct ExportProvenanceOptions {
  ProvenanceFormat format = ProvenanceFormat::kProvONTriples;
  bool include_evidence = true;  // false leaves out prov:value
  TimeTravel as_of;
};

struct ProvenanceExport {
  std::string content;
  std::string media_type;  // "application/n-triples" or "application/ld+json"
};

// The engine over one storage::Reader (one snapshot). Not thread-safe, like
// the Reader; cheap to construct: make one per request. It caches what it
// reads (relations, documents, entities, the as-recorded claim history) for
// its lifetime, which is right because the snapshot never changes.
class ProvenanceEngine {
 public:
  // `reader` must outlive the engine.
  explicit ProvenanceEngine(storage::Reader* reader);
  ~ProvenanceEngine();
  ProvenanceEngine(const ProvenanceEngine&) = delete;
  ProvenanceEngine& operator=(const ProvenanceEngine&) = delete;

  // Why do we believe `statement` (a quoted triple, whose entity names may
  // be ids, labels or aliases, or a statement id): its own records, and the
  // claims about it grouped by polarity, each with its records; the summary
  // and corroboration figures cover all claims, the lists one page.
  //   NOT_FOUND "statement: no statement 's…'" (or naming an unknown entity
  //     of the quoted triple, "statement.quoted.subject: ...");
  //   INVALID_ARGUMENT "statement: ..." for an entity or literal term or a
  //     malformed id; "as_of...."; "page_token: ...".
  absl::StatusOr<WhyResult> Why(const storage::Term& statement,
                                const WhyOptions& options);

  // Every statement the document yields, in the order of its (first
  // visible) evidence in the text, each with this document's visible
  // records. A document outside the as-reported cutoff yields nothing.
  //   NOT_FOUND "document_id: no document 'x'".
  absl::StatusOr<DocumentStatementPage> ListByDocument(
      absl::string_view document_id, const ListByDocumentOptions& options);

  // Everything an entity (id, label or alias) asserts or denies: the claims
  // whose subject it is, optionally of one polarity.
  //   INVALID_ARGUMENT "claimant: ..." for a literal or statement term (or
  //     a name that is a statement id), an ambiguous name;
  //   NOT_FOUND "claimant: no entity named 'x'";
  //   INVALID_ARGUMENT "polarity: ..." for kNone.
  absl::StatusOr<ClaimPage> ListByClaimant(
      const storage::Term& claimant, const ListByClaimantOptions& options);

  // Statements with both supporting and opposing claims (see
  // ListContestedOptions::own_records_support), ranked by distinct
  // claimants.
  absl::StatusOr<ContestedPage> ListContested(
      const ListContestedOptions& options);

  // Every visible record of every claim about `statement`, one entry each,
  // in timeline order: a claimant whose stance changes across documents
  // shows it. Errors as Why.
  absl::StatusOr<std::vector<TimelineEntry>> ClaimTimeline(
      const storage::Term& statement, const ClaimTimelineOptions& options);

  // The statement's visible provenance (own records and claims, with their
  // documents and claimants) as W3C PROV-O. The mapping is in
  // docs/query.md. Errors as Why.
  absl::StatusOr<ProvenanceExport> ExportProvenance(
      const storage::Term& statement, const ExportProvenanceOptions& options);

 private:
  struct ClaimRef;
  struct History;
  struct ClaimOn;
  struct Sides;

  absl::Status LoadRelations();
  absl::StatusOr<storage::Relation> RelationById(absl::string_view id);
  absl::StatusOr<storage::Relation> RelationByNode(storage::NodeId node);
  // Reads every document's metadata (without text) into the cache.
  absl::Status LoadAllDocuments();
  absl::StatusOr<std::optional<storage::Date>> PublishedOf(
      absl::string_view document_id);
  absl::StatusOr<storage::Document> DocumentMeta(absl::string_view document_id);
  absl::StatusOr<std::optional<storage::Entity>> EntityOf(
      const storage::TermValue& term);
  absl::StatusOr<const History*> GetHistory();

  // Resolves a statement term; fills its node.
  // Names resolve as of the as-recorded time, when there is one.
  absl::StatusOr<storage::Statement> ResolveStatement(const storage::Term& term,
                                                      const TimeTravel& as_of,
                                                      storage::NodeId* node);
  // The visible records of a statement node, in record order.
  absl::StatusOr<std::vector<storage::ProvenanceRecord>> VisibleRecords(
      storage::NodeId node, const RecordFilter& filter);
  // The organisation `claimant` speaks for: part_of / speaks_for followed
  // from it (the lowest-id affiliation at each step, at most 4 steps), and
  // the first affiliation statement; the claimant itself and "" when it
  // has none.
  absl::StatusOr<std::pair<storage::TermValue, std::string>> OrganisationOf(
      const storage::TermValue& claimant);
  // A visible entailment between `node` and another statement, and the
  // polarity of the other statement's claims that count for `node`:
  // supporting claims of a statement that entails it, opposing claims of
  // one it entails.
  struct Related {
    storage::NodeId node = 0;
    std::string id;
    std::string entailment_id;
    storage::Polarity counts = storage::Polarity::kNone;
  };
  absl::StatusOr<std::vector<Related>> RelatedStatements(
      storage::NodeId node, const RecordFilter& filter);
  // Appends the claims on statements related to `node` by entailment
  // (WhyOptions::include_related), marked with the statement and the
  // entailment.
  absl::Status AddRelatedClaims(storage::NodeId node,
                                const RecordFilter& filter,
                                std::vector<Claim>* claims);
  // The claims about a statement (node and id) with visible records, in
  // claim order.
  absl::StatusOr<std::vector<Claim>> ClaimsAbout(storage::NodeId node,
                                                 const std::string& id,
                                                 const RecordFilter& filter);
  // Claim with its visible records from a candidate; nullopt when none are
  // visible.
  absl::StatusOr<std::optional<Claim>> LoadClaim(const ClaimRef& ref,
                                                 const RecordFilter& filter);

  // ListContested from the contested index: the current state, claims only.
  absl::StatusOr<ContestedPage> ListContestedFromIndex(
      const ListContestedOptions& options, uint64_t fingerprint);
  // ListContested's first pass: every contested statement (id only) with
  // its figures, in id order.
  absl::StatusOr<std::vector<ContestedStatement>> FindContested(
      const RecordFilter& filter, const ListContestedOptions& options);
  // The candidates: statements with an opposing claim, visible or not
  // (opposing claims are usually the fewer); with `related`, also the
  // statements that entail one of them.
  absl::StatusOr<absl::btree_set<std::string>> OpposedStatements(
      const RecordFilter& filter, bool related);
  absl::StatusOr<absl::btree_set<std::string>> DirectlyOpposedStatements(
      const RecordFilter& filter);
  // A candidate's figures; nullopt when it is not contested.
  absl::StatusOr<std::optional<ContestedStatement>> ContestedFigures(
      const std::string& id, const RecordFilter& filter,
      const ListContestedOptions& options);
  // The claims about statement `id` (node `node`), visible or not; with
  // `roll_up`, each claimant counted as the organisation it speaks for.
  absl::StatusOr<std::vector<ClaimOn>> ClaimsOn(const std::string& id,
                                                storage::NodeId node,
                                                const RecordFilter& filter,
                                                bool roll_up);
  // The claimants of `claims` with a visible claim, by side.
  absl::StatusOr<Sides> VisibleSides(const std::vector<ClaimOn>& claims,
                                     const RecordFilter& filter);
  // Whether claim statement `claim` has a visible record.
  absl::StatusOr<bool> ClaimVisible(storage::NodeId claim,
                                    const RecordFilter& filter);
  // The documents with a visible record of statement `node`.
  absl::StatusOr<uint32_t> StatedDocuments(storage::NodeId node,
                                           const RecordFilter& filter);

  storage::Reader* reader_;
  absl::flat_hash_map<std::string, storage::Relation> relations_;
  bool relations_loaded_ = false;
  absl::flat_hash_map<storage::NodeId, std::string> relation_ids_;
  absl::flat_hash_map<std::string, storage::Document> documents_;
  bool all_documents_loaded_ = false;
  absl::flat_hash_map<std::string, std::optional<storage::Entity>> entities_;
  std::unique_ptr<History> history_;
};

}  // namespace kg::query

#endif  // KG_QUERY_PROVENANCE_H_
