// Property tests of the pattern scans (Reader::Match, Count, EstimateCount)
// against a brute-force in-memory reference. Each test builds a random store
// from a fixed seed: entities, relations, documents, a few thousand
// statements over entities, literals of every type and quoted statements,
// with repeated triples, self-loops and random confidences, written in
// several batches. Then every pattern shape is checked on many bindings,
// with paging, provenance filters and retraction.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/model.h"
#include "storage/store.h"
#include "tests/support/test_util.h"

namespace kg::storage {
namespace {

using ::kg::testing::IsOk;
using ::kg::testing::ScopedTempDir;
using ::kg::testing::StatusIs;

constexpr uint32_t kSeeds[] = {20240615, 7, 4099};

// A limit that lets one page hold every statement of a test store.
constexpr size_t kAll = size_t{1} << 20;

// EstimateCount must be exact for results up to this size.
constexpr uint64_t kSmallResult = 100;

constexpr int kEntities = 40;
constexpr int kBatches = 8;
constexpr int kStatementsPerBatch = 400;

using Rng = std::mt19937;

size_t Pick(Rng& rng, size_t n) { return rng() % n; }

bool Chance(Rng& rng, int percent) {
  return static_cast<int>(rng() % 100) < percent;
}

template <typename T>
const T& PickOne(Rng& rng, const std::vector<T>& v) {
  return v[Pick(rng, v.size())];
}

// How deeply quoted triples nest inside `t`: 0 for a term that quotes no
// triple by content.
int QuoteDepth(const Term& t) {
  if (t.triple() == nullptr) return 0;
  return 1 + std::max(QuoteDepth(t.triple()->subject),
                      QuoteDepth(t.triple()->object));
}

uint32_t CodePoints(absl::string_view s) {
  uint32_t n = 0;
  for (char c : s) n += (static_cast<unsigned char>(c) & 0xc0) != 0x80;
  return n;
}

// A literal value and equivalent spellings of it; the store must treat
// them all as the canonical one.
struct LiteralChoice {
  LiteralType type;
  std::string canonical;
  std::vector<std::string> spellings;  // the canonical one first
};

const std::vector<LiteralChoice>& LiteralPool() {
  static const auto* pool = new std::vector<LiteralChoice>{
      {LiteralType::kString, "", {""}},
      {LiteralType::kString, "Moscow", {"Moscow"}},
      {LiteralType::kString, "Zürich", {"Zürich"}},
      {LiteralType::kString, "Кремль", {"Кремль"}},
      {LiteralType::kString, "🚀 launch", {"🚀 launch"}},
      {LiteralType::kString, "42", {"42"}},
      {LiteralType::kString, "2024", {"2024"}},
      {LiteralType::kInteger, "0", {"0", "+0", "-0", "000"}},
      {LiteralType::kInteger, "7", {"7", "+7", "007"}},
      {LiteralType::kInteger, "42", {"42", "+42", "0042"}},
      {LiteralType::kInteger, "-12", {"-12", "-012"}},
      {LiteralType::kInteger, "2024", {"2024"}},
      {LiteralType::kInteger,
       "9223372036854775807",
       {"9223372036854775807", "+9223372036854775807"}},
      {LiteralType::kInteger, "-9223372036854775808", {"-9223372036854775808"}},
      {LiteralType::kDecimal, "0", {"0", "0.0", "-0.00", "+0", "00.000"}},
      {LiteralType::kDecimal, "1.5", {"1.5", "1.50", "01.5", "+1.5"}},
      {LiteralType::kDecimal, "-12.25", {"-12.25", "-012.250"}},
      {LiteralType::kDecimal, "100", {"100", "100.0", "0100"}},
      {LiteralType::kDecimal, "3.14159", {"3.14159"}},
      {LiteralType::kDate, "2024", {"2024"}},
      {LiteralType::kDate, "2024-06", {"2024-06"}},
      {LiteralType::kDate, "2024-06-15", {"2024-06-15"}},
      {LiteralType::kDate, "2024-02-29", {"2024-02-29"}},
      {LiteralType::kDate, "1999-12-31", {"1999-12-31"}},
      {LiteralType::kDate, "0001-01-01", {"0001-01-01"}},
  };
  return *pool;
}

// Literals that no statement of a test store uses.
const std::vector<Literal>& UnusedLiterals() {
  static const auto* unused = new std::vector<Literal>{
      {LiteralType::kString, "never written"},
      {LiteralType::kString, "moscow"},
      {LiteralType::kInteger, "123456789"},
      {LiteralType::kDecimal, "2.718"},
      {LiteralType::kDecimal, "1.25"},
      {LiteralType::kDate, "1969-07-20"},
  };
  return *unused;
}

const std::vector<std::string>& Words() {
  static const auto* words = new std::vector<std::string>{
      "troops", "border", "Zürich",    "Кремль", "東京",    "🚀",     "naïve",
      "report", "denied", "allies",    "convoy", "crossed", "the",   "river",
      "at",     "dawn",   "officials", "said",   "élan",    "Ωmega", "𝔘nicode"};
  return *words;
}

std::string Describe(const TermValue& v) {
  switch (v.kind) {
    case Term::Kind::kEntity:
      return absl::StrCat("entity:", v.id);
    case Term::Kind::kLiteral:
      return absl::StrCat("literal", static_cast<int>(v.literal.type), ":\"",
                          absl::CHexEscape(v.literal.lexical), "\"");
    case Term::Kind::kStatement:
      return absl::StrCat("statement:", v.id);
    case Term::Kind::kIri:
      return absl::StrCat("iri:", v.id);
    case Term::Kind::kBlank:
      return absl::StrCat("blank:", v.id);
  }
  return "?";
}

std::string Describe(const Term& t) {
  switch (t.kind()) {
    case Term::Kind::kEntity:
      return absl::StrCat("entity:", t.id());
    case Term::Kind::kLiteral:
      return absl::StrCat("literal", static_cast<int>(t.literal().type), ":\"",
                          absl::CHexEscape(t.literal().lexical), "\"");
    case Term::Kind::kStatement:
      if (t.triple() != nullptr) {
        return absl::StrCat("quoted:", StatementIdOf(*t.triple()));
      }
      return absl::StrCat("statement:", t.id());
    case Term::Kind::kIri:
      return absl::StrCat("iri:", t.id());
    case Term::Kind::kBlank:
      return absl::StrCat("blank:", t.id());
  }
  return "?";
}

std::string Describe(const Statement& s) {
  return absl::StrCat(s.id, " (", Describe(s.subject), ", ", s.relation, ", ",
                      Describe(s.object), ") live=", s.live_provenance,
                      " quoted_by=", s.quoted_by);
}

// Everything but quoted_by, which ExpectQuotedByMatchesReference checks.
std::string DescribeContent(const Statement& s) {
  return absl::StrCat(s.id, " (", Describe(s.subject), ", ", s.relation, ", ",
                      Describe(s.object), ") live=", s.live_provenance);
}

std::string Describe(const Pattern& p) {
  return absl::StrCat("pattern (",
                      p.subject ? Describe(*p.subject) : std::string("?"), ", ",
                      p.relation.value_or("?"), ", ",
                      p.object ? Describe(*p.object) : std::string("?"), ")");
}

std::string Describe(const MatchOptions& o) {
  return absl::StrCat("options document=", o.document_id.value_or("*"),
                      " min_confidence=", o.min_confidence,
                      " include_quoted=", o.include_quoted);
}

std::vector<std::string> Ids(const std::vector<Statement>& statements) {
  std::vector<std::string> ids;
  for (const Statement& s : statements) ids.push_back(s.id);
  return ids;
}

// A pattern over reference values; unset positions match everything.
struct RefPattern {
  std::optional<TermValue> subject;
  std::optional<std::string> relation;
  std::optional<TermValue> object;
};

struct RefRecord {
  ProvenanceInput input;
  bool live = true;
};

struct RefStatement {
  Triple triple;  // as first written; quoting it by content names it
  TermValue subject;
  std::string relation;
  TermValue object;
  std::vector<RefRecord> records;
  // Derived from the records of all statements by Reference::Recompute.
  bool indexed = false;
  uint32_t quoted_by = 0;

  uint32_t live() const {
    uint32_t n = 0;
    for (const RefRecord& r : records) n += r.live;
    return n;
  }
};

// The brute-force model of the store's statements: every statement ever
// named (asserted or only quoted), its provenance records, and from those
// which statements are in the indexes.
class Reference {
 public:
  void AddSpelling(LiteralType type, const std::string& spelling,
                   const std::string& canonical) {
    canonical_[{type, spelling}] = canonical;
  }

  // The value the store resolves `term` to; names the statements it quotes.
  TermValue ValueOf(const Term& term) {
    TermValue v;
    v.kind = term.kind();
    switch (term.kind()) {
      case Term::Kind::kEntity:
        v.id = term.id();
        break;
      case Term::Kind::kLiteral:
        v.literal = {
            term.literal().type,
            canonical_.at({term.literal().type, term.literal().lexical})};
        break;
      case Term::Kind::kStatement:
        v.id = term.triple() != nullptr ? Ensure(*term.triple()) : term.id();
        break;
      case Term::Kind::kIri:
      case Term::Kind::kBlank:  // the model makes neither
        v.id = term.id();
        break;
    }
    return v;
  }

  // Adds the statement of `triple`, and those it quotes, if new; its id.
  std::string Ensure(const Triple& triple) {
    const std::string id = StatementIdOf(triple);
    if (statements_.count(id) > 0) return id;
    RefStatement st;
    st.triple = triple;
    st.subject = ValueOf(triple.subject);
    st.relation = triple.relation;
    st.object = ValueOf(triple.object);
    statements_.emplace(id, std::move(st));
    ids_.push_back(id);
    return id;
  }

  // The live record of `id` with this document and span, or null.
  const RefRecord* LiveRecordAt(const std::string& id,
                                const std::string& document_id, uint32_t start,
                                uint32_t end) const {
    for (const RefRecord& r : statements_.at(id).records) {
      if (r.live && r.input.document_id == document_id &&
          r.input.evidence_start == start && r.input.evidence_end == end) {
        return &r;
      }
    }
    return nullptr;
  }

  void AddRecord(const std::string& id, const ProvenanceInput& input) {
    statements_.at(id).records.push_back({input, true});
  }

  uint64_t LiveFrom(const std::string& id,
                    const std::string& document_id) const {
    uint64_t n = 0;
    for (const RefRecord& r : statements_.at(id).records) {
      n += r.live && r.input.document_id == document_id;
    }
    return n;
  }

  // Retracts the live records of `id` from `document_id`; how many.
  uint64_t Retract(const std::string& id, const std::string& document_id) {
    uint64_t n = 0;
    for (RefRecord& r : statements_.at(id).records) {
      if (r.live && r.input.document_id == document_id) {
        r.live = false;
        ++n;
      }
    }
    return n;
  }

  // Derives the indexed set and the quoted counts from the records: a
  // statement is indexed when it has a live record or an indexed statement
  // quotes it.
  void Recompute() {
    std::vector<RefStatement*> work;
    for (auto& [id, st] : statements_) {
      st.indexed = st.live() > 0;
      st.quoted_by = 0;
      if (st.indexed) work.push_back(&st);
    }
    indexed_count_ = work.size();
    while (!work.empty()) {
      const RefStatement* st = work.back();
      work.pop_back();
      for (const TermValue* part : {&st->subject, &st->object}) {
        if (part->kind != Term::Kind::kStatement) continue;
        RefStatement& quoted = statements_.at(part->id);
        if (!quoted.indexed) {
          quoted.indexed = true;
          ++indexed_count_;
          work.push_back(&quoted);
        }
      }
    }
    // quoted_by counts statements: one that quotes the same statement as
    // subject and as object counts once (model.h).
    for (const auto& [id, st] : statements_) {
      if (!st.indexed) continue;
      const bool s = st.subject.kind == Term::Kind::kStatement;
      const bool o = st.object.kind == Term::Kind::kStatement;
      if (s) ++statements_.at(st.subject.id).quoted_by;
      if (o && !(s && st.object.id == st.subject.id)) {
        ++statements_.at(st.object.id).quoted_by;
      }
    }
  }

  bool Indexed(const std::string& id) const {
    return statements_.at(id).indexed;
  }
  size_t IndexedCount() const { return indexed_count_; }

  uint64_t LiveRecords() const {
    uint64_t n = 0;
    for (const auto& [id, st] : statements_) n += st.live();
    return n;
  }

  Statement Expected(const std::string& id) const {
    const RefStatement& st = statements_.at(id);
    Statement s;
    s.id = id;
    s.subject = st.subject;
    s.relation = st.relation;
    s.object = st.object;
    s.live_provenance = st.live();
    s.quoted_by = st.quoted_by;
    return s;
  }

  // Whether an indexed statement passes the provenance filters of `o`.
  static bool Passes(const RefStatement& st, const MatchOptions& o) {
    if (!o.document_id && o.min_confidence <= 0.0) {
      return st.live() > 0 || o.include_quoted;
    }
    for (const RefRecord& r : st.records) {
      if (r.live && (!o.document_id || r.input.document_id == *o.document_id) &&
          r.input.confidence >= o.min_confidence) {
        return true;
      }
    }
    return false;
  }

  // The ids of the statements Match must return, sorted.
  std::vector<std::string> Matches(const RefPattern& p,
                                   const MatchOptions& o) const {
    std::vector<std::string> out;
    for (const auto& [id, st] : statements_) {
      if (!st.indexed) continue;
      if (p.subject && !(st.subject == *p.subject)) continue;
      if (p.relation && st.relation != *p.relation) continue;
      if (p.object && !(st.object == *p.object)) continue;
      if (Passes(st, o)) out.push_back(id);
    }
    return out;
  }

  const RefStatement& statement(const std::string& id) const {
    return statements_.at(id);
  }
  // Every statement id, in the order first named.
  const std::vector<std::string>& ids() const { return ids_; }

 private:
  std::map<std::pair<LiteralType, std::string>, std::string> canonical_;
  std::map<std::string, RefStatement> statements_;
  std::vector<std::string> ids_;
  size_t indexed_count_ = 0;
};

struct Sentence {
  uint32_t start = 0;  // code points
  uint32_t end = 0;
  std::string text;
};

struct SourceDocument {
  Document document;
  std::vector<Sentence> sentences;
};

// A random store and its reference twin, built from one seed.
class RandomStore {
 public:
  explicit RandomStore(uint32_t seed) : rng_(seed) {}

  // Opens the store and writes the random content; ASSERTs on failure.
  void Build() {
    StoreOptions options;
    options.sync_writes = false;  // durability is not under test here
    absl::StatusOr<std::unique_ptr<Store>> store =
        Store::Open(options, dir_.Sub("store"));
    ASSERT_THAT(store, IsOk());
    store_ = *std::move(store);

    for (const LiteralChoice& c : LiteralPool()) {
      for (const std::string& s : c.spellings) {
        ref_.AddSpelling(c.type, s, c.canonical);
      }
    }
    WriteBatch first;
    for (int i = 0; i < kEntities; ++i) {
      const std::string id = absl::StrCat(i < 10 ? "e0" : "e", i);
      first.entities.push_back(
          {id, absl::StrCat("Entity ", i), "Country", {absl::StrCat("E", i)}});
      entities_.push_back(id);
    }
    // In no statement: a known entity that matches nothing.
    first.entities.push_back({"lonely", "Lonely", "Person", {}});
    first.relations = {
        {"located_in", "located in", false, Polarity::kNone},
        {"allied_with", "allied with", false, Polarity::kNone},
        {"has_value", "has value", false, Polarity::kNone},
        {"reported", "reported", false, Polarity::kSupports},
        {"confirmed", "confirmed", false, Polarity::kSupports},
        {"denied", "denied", false, Polarity::kOpposes},
    };
    for (const Relation& r : first.relations) relations_.push_back(r.id);
    for (const char* id : {"doc_a", "doc_b", "doc_c"}) {
      docs_.push_back(RandomDocument(id));
      first.documents.push_back(docs_.back().document);
    }
    for (int b = 0; b < kBatches; ++b) {
      WriteBatch batch = b == 0 ? std::move(first) : WriteBatch();
      ASSERT_NO_FATAL_FAILURE(WriteStatements(std::move(batch)));
    }
  }

  Store& store() { return *store_; }
  Reference& ref() { return ref_; }
  Rng& rng() { return rng_; }
  const std::vector<SourceDocument>& docs() const { return docs_; }

  // A term naming `v`: a random spelling of a literal, a statement by id or
  // by quoting its triple.
  Term TermFor(const TermValue& v) {
    switch (v.kind) {
      case Term::Kind::kEntity:
        return Term::Entity(v.id);
      case Term::Kind::kLiteral:
        return SpellLiteral(v.literal);
      case Term::Kind::kStatement:
        return Quote(v.id, Chance(rng_, 50));
      case Term::Kind::kIri:
        return Term::Iri(v.id);
      case Term::Kind::kBlank:
        return Term::Blank(v.id);
    }
    return Term::Entity(v.id);
  }

  // Statement `id` by content or by id. Writes nest quoted triples at most
  // Limits::kMaxQuoteDepth deep, so deep ones are always named by id.
  Term Quote(const std::string& id, bool by_content) {
    const Term content = Term::Quoted(ref_.statement(id).triple);
    if (by_content && QuoteDepth(content) <= 5) return content;
    return Term::StatementId(id);
  }

  // A random pattern whose bound positions are those in `shape` (1 subject,
  // 2 relation, 4 object), with its reference twin. Bindings come mostly
  // from one existing statement, so that most patterns match something.
  std::pair<Pattern, RefPattern> RandomPattern(int shape) {
    const RefStatement& base = ref_.statement(PickOne(rng_, ref_.ids()));
    RefPattern rp;
    if (shape & 1) {
      rp.subject = Chance(rng_, 80) ? base.subject : RandomSubjectValue();
    }
    if (shape & 2) {
      rp.relation =
          Chance(rng_, 80) ? base.relation : PickOne(rng_, relations_);
    }
    if (shape & 4) {
      rp.object = Chance(rng_, 80) ? base.object : RandomObjectValue();
    }
    Pattern p;
    if (rp.subject) p.subject = TermFor(*rp.subject);
    p.relation = rp.relation;
    if (rp.object) p.object = TermFor(*rp.object);
    return {std::move(p), std::move(rp)};
  }

  // Writes `batch` plus a few hundred random statements, and checks the
  // write's result and the store's counters against the reference.
  void WriteStatements(WriteBatch batch) {
    std::vector<std::string> expected_ids;
    uint64_t added = 0, unchanged = 0;
    const size_t indexed_before = ref_.IndexedCount();
    for (int i = 0; i < kStatementsPerBatch; ++i) {
      StatementInput in{RandomTriple(), {}};
      const std::string id = ref_.Ensure(in.triple);
      const int records = Chance(rng_, 20) ? 2 : 1;
      for (int k = 0; k < records; ++k) {
        bool identical = false;
        in.provenance.push_back(RandomProvenance(id, &identical));
        if (identical) {
          ++unchanged;
        } else {
          ++added;
          ref_.AddRecord(id, in.provenance.back());
        }
      }
      asserted_.push_back(id);
      expected_ids.push_back(id);
      batch.statements.push_back(std::move(in));
    }
    ref_.Recompute();
    absl::StatusOr<WriteResult> result = store_->Write(batch);
    ASSERT_THAT(result, IsOk());
    EXPECT_EQ(result->statement_ids, expected_ids);
    EXPECT_EQ(result->provenance_added, added);
    EXPECT_EQ(result->provenance_unchanged, unchanged);
    EXPECT_EQ(result->statements_created, ref_.IndexedCount() - indexed_before);
    ASSERT_NO_FATAL_FAILURE(ExpectStatsMatch());
  }

  void ExpectStatsMatch() {
    absl::StatusOr<StoreStats> stats = store_->NewReader()->Stats();
    ASSERT_THAT(stats, IsOk());
    EXPECT_EQ(stats->statements, ref_.IndexedCount());
    EXPECT_EQ(stats->provenance_records, ref_.LiveRecords());
  }

  // A provenance record for statement `id`: a sentence of a random document.
  // Sometimes an exact repeat of a live record (the store must skip it,
  // *identical is set); never a different record at a live record's span.
  ProvenanceInput RandomProvenance(const std::string& id, bool* identical) {
    const RefRecord* existing = nullptr;
    for (int attempt = 0; attempt < 4; ++attempt) {
      const SourceDocument& doc = PickOne(rng_, docs_);
      const Sentence& s = PickOne(rng_, doc.sentences);
      existing = ref_.LiveRecordAt(id, doc.document.id, s.start, s.end);
      if (existing != nullptr && Chance(rng_, 50)) break;
      if (existing != nullptr) continue;
      ProvenanceInput p;
      p.document_id = doc.document.id;
      p.evidence_start = s.start;
      p.evidence_end = s.end;
      p.evidence = s.text;
      p.hedge = static_cast<Hedge>(1 + Pick(rng_, 5));
      // On a grid, so that min_confidence thresholds hit values exactly.
      p.confidence = static_cast<double>(Pick(rng_, 21)) / 20.0;
      if (Chance(rng_, 20)) p.valid_time = {ParseDate("2023"), std::nullopt};
      *identical = false;
      return p;
    }
    *identical = true;
    return existing->input;
  }

 private:
  SourceDocument RandomDocument(const std::string& id) {
    SourceDocument d;
    d.document.id = id;
    d.document.title = absl::StrCat("Document ", id);
    d.document.publisher = "Test Wire";
    d.document.published = ParseDate("2024-06-15");
    uint32_t offset = 0;
    for (int i = 0; i < 30; ++i) {
      if (i > 0) {
        const char* sep = Chance(rng_, 20) ? "\n" : " ";
        d.document.text += sep;
        offset += 1;
      }
      std::vector<std::string> words;
      const size_t n = 3 + Pick(rng_, 5);
      for (size_t w = 0; w < n; ++w) words.push_back(PickOne(rng_, Words()));
      Sentence s;
      s.text = absl::StrCat(absl::StrJoin(words, " "), ".");
      s.start = offset;
      s.end = offset + CodePoints(s.text);
      offset = s.end;
      d.document.text += s.text;
      d.sentences.push_back(std::move(s));
    }
    return d;
  }

  Term SpellLiteral(const Literal& canonical) {
    for (const LiteralChoice& c : LiteralPool()) {
      if (c.type == canonical.type && c.canonical == canonical.lexical) {
        return Term::Literal(c.type, PickOne(rng_, c.spellings));
      }
    }
    return Term::Literal(canonical.type, canonical.lexical);
  }

  Term RandomEntity() { return Term::Entity(PickOne(rng_, entities_)); }

  Term RandomLiteral() {
    const LiteralChoice& c = PickOne(rng_, LiteralPool());
    return Term::Literal(c.type, PickOne(rng_, c.spellings));
  }

  // A statement already named, by id or by content.
  Term KnownStatement() {
    return Quote(PickOne(rng_, ref_.ids()), Chance(rng_, 50));
  }

  // An entity-to-entity or entity-to-literal triple, never written before
  // most likely.
  Triple FreshTriple() {
    Term s = RandomEntity();
    if (Chance(rng_, 60)) {
      Term o = Chance(rng_, 10) ? s : RandomEntity();
      return {std::move(s), PickOne(rng_, relations_), std::move(o)};
    }
    return {std::move(s), Chance(rng_, 50) ? "has_value" : "located_in",
            RandomLiteral()};
  }

  Triple RandomTriple() {
    const int r = static_cast<int>(Pick(rng_, 100));
    if (r < 60 || ref_.ids().empty()) return FreshTriple();
    if (r < 75 && !asserted_.empty()) {
      // The same statement again, from another source or the same one.
      Triple t = ref_.statement(PickOne(rng_, asserted_)).triple;
      if (t.object.kind() == Term::Kind::kLiteral) {
        t.object = SpellLiteral(ref_.ValueOf(t.object).literal);
      }
      return t;
    }
    static const std::vector<std::string>* const kClaims =
        new std::vector<std::string>{"reported", "confirmed", "denied"};
    if (r < 85) {
      // A claim about a statement: one already named, a fresh one that is
      // then only quoted, or a fresh one that itself quotes another.
      Term quoted;
      const int q = static_cast<int>(Pick(rng_, 100));
      if (q < 45) {
        quoted = KnownStatement();
      } else if (q < 85) {
        quoted = Term::Quoted(FreshTriple());
      } else {
        quoted = Term::Quoted({RandomEntity(), PickOne(rng_, *kClaims),
                               Term::Quoted(FreshTriple())});
      }
      return {RandomEntity(), PickOne(rng_, *kClaims), std::move(quoted)};
    }
    if (r < 93) {
      return {KnownStatement(), PickOne(rng_, relations_),
              Chance(rng_, 50) ? RandomEntity() : RandomLiteral()};
    }
    if (r < 97) {
      return {RandomEntity(), PickOne(rng_, relations_), KnownStatement()};
    }
    // A statement about a statement and that same statement.
    const std::string& id = PickOne(rng_, ref_.ids());
    return {Term::StatementId(id), PickOne(rng_, relations_),
            Quote(id, /*by_content=*/true)};
  }

  TermValue RandomSubjectValue() {
    const int r = static_cast<int>(Pick(rng_, 100));
    if (r < 10) return ref_.ValueOf(Term::Entity("lonely"));
    if (r < 70) return ref_.ValueOf(RandomEntity());
    return ref_.ValueOf(Term::StatementId(PickOne(rng_, ref_.ids())));
  }

  TermValue RandomObjectValue() {
    const int r = static_cast<int>(Pick(rng_, 100));
    if (r < 40) return RandomSubjectValue();
    if (r < 80) return ref_.ValueOf(RandomLiteral());
    return ref_.ValueOf(Term::StatementId(PickOne(rng_, ref_.ids())));
  }

  ScopedTempDir dir_;
  Rng rng_;
  std::unique_ptr<Store> store_;
  Reference ref_;
  std::vector<std::string> entities_;
  std::vector<std::string> relations_;
  std::vector<SourceDocument> docs_;
  std::vector<std::string> asserted_;  // ids of statements written directly
};

// The whole result of `p` under `options` in one page.
void MatchAll(Reader& reader, const Pattern& p, MatchOptions options,
              std::vector<Statement>* out) {
  options.limit = kAll;
  options.page_token.clear();
  absl::StatusOr<MatchPage> page = reader.Match(p, options);
  ASSERT_THAT(page, IsOk());
  EXPECT_EQ(page->next_page_token, "");
  *out = std::move(page->statements);
}

// Checks that `got` holds each expected statement exactly once, with the
// reference's content and live count.
void ExpectSameStatements(const std::vector<Statement>& got,
                          const std::vector<std::string>& expected,
                          const Reference& ref) {
  std::vector<std::string> ids = Ids(got);
  std::sort(ids.begin(), ids.end());
  EXPECT_EQ(std::adjacent_find(ids.begin(), ids.end()), ids.end())
      << "a statement is returned twice";
  EXPECT_EQ(ids, expected);
  for (const Statement& s : got) {
    EXPECT_EQ(DescribeContent(s), DescribeContent(ref.Expected(s.id)));
  }
}

// Checks the quoted_by count of every indexed statement, in one expectation
// that names the first few differences.
void ExpectQuotedByMatchesReference(Reader& reader, const Reference& ref) {
  MatchOptions all;
  all.include_quoted = true;
  std::vector<Statement> got;
  ASSERT_NO_FATAL_FAILURE(MatchAll(reader, Pattern(), all, &got));
  std::vector<std::string> wrong;
  for (const Statement& s : got) {
    const uint32_t want = ref.Expected(s.id).quoted_by;
    if (s.quoted_by != want) {
      wrong.push_back(absl::StrCat(Describe(s), ", want quoted_by=", want));
    }
  }
  const size_t differing = wrong.size();
  wrong.resize(std::min<size_t>(differing, 3));
  EXPECT_EQ(differing, 0u) << "of " << got.size()
                           << " indexed statements differ in quoted_by, e.g.\n"
                           << absl::StrJoin(wrong, "\n");
}

// Match under `options` and with include_quoted, Count and EstimateCount of
// one pattern, against the reference.
void ExpectPatternMatchesReference(Reader& reader, const Reference& ref,
                                   const Pattern& p, const RefPattern& rp,
                                   MatchOptions options) {
  SCOPED_TRACE(Describe(p));
  SCOPED_TRACE(Describe(options));
  std::vector<Statement> got;
  ASSERT_NO_FATAL_FAILURE(MatchAll(reader, p, options, &got));
  ExpectSameStatements(got, ref.Matches(rp, options), ref);

  MatchOptions all;
  all.include_quoted = true;
  const std::vector<std::string> indexed = ref.Matches(rp, all);
  absl::StatusOr<uint64_t> count = reader.Count(p);
  ASSERT_THAT(count, IsOk());
  EXPECT_EQ(*count, indexed.size());
  absl::StatusOr<uint64_t> estimate = reader.EstimateCount(p);
  ASSERT_THAT(estimate, IsOk());
  if (indexed.size() <= kSmallResult) {
    EXPECT_EQ(*estimate, indexed.size());
  }
}

// Pages through `p` with `limit` and checks the pages add up to `whole`, in
// the same order.
void ExpectPagesConcatenate(Reader& reader, const Pattern& p,
                            MatchOptions options, size_t limit,
                            const std::vector<Statement>& whole) {
  SCOPED_TRACE(absl::StrCat("limit ", limit));
  options.limit = limit;
  options.page_token.clear();
  std::vector<Statement> all;
  for (size_t pages = 0;; ++pages) {
    ASSERT_LE(pages, whole.size()) << "paging does not end";
    absl::StatusOr<MatchPage> page = reader.Match(p, options);
    ASSERT_THAT(page, IsOk());
    EXPECT_LE(page->statements.size(), limit);
    if (page->statements.empty()) {
      // Only the one page of an empty result is empty.
      EXPECT_EQ(pages, 0u);
      EXPECT_EQ(page->next_page_token, "");
    }
    all.insert(all.end(), page->statements.begin(), page->statements.end());
    if (page->next_page_token.empty()) break;
    options.page_token = page->next_page_token;
  }
  EXPECT_EQ(Ids(all), Ids(whole));
  for (size_t i = 0; i < std::min(all.size(), whole.size()); ++i) {
    EXPECT_EQ(Describe(all[i]), Describe(whole[i]));
  }
}

// Runs `body` on a freshly built store for each seed.
template <typename Body>
void ForEachSeed(Body body) {
  for (uint32_t seed : kSeeds) {
    SCOPED_TRACE(absl::StrCat("seed ", seed));
    RandomStore rs(seed);
    ASSERT_NO_FATAL_FAILURE(rs.Build());
    ASSERT_NO_FATAL_FAILURE(body(rs));
  }
}

TEST(MatchTest, EveryPatternShapeReturnsExactlyTheReferenceStatements) {
  ForEachSeed([](RandomStore& rs) {
    std::unique_ptr<Reader> reader = rs.store().NewReader();
    for (int shape = 0; shape < 8; ++shape) {
      SCOPED_TRACE(absl::StrCat("shape ", shape));
      // The unbound shape scans everything; a few runs of it suffice.
      const int bindings = shape == 0 ? 2 : 60;
      int nonempty = 0;
      for (int i = 0; i < bindings; ++i) {
        auto [p, rp] = rs.RandomPattern(shape);
        ASSERT_NO_FATAL_FAILURE(ExpectPatternMatchesReference(
            *reader, rs.ref(), p, rp, MatchOptions()));
        MatchOptions quoted;
        quoted.include_quoted = true;
        ASSERT_NO_FATAL_FAILURE(
            ExpectPatternMatchesReference(*reader, rs.ref(), p, rp, quoted));
        nonempty += !rs.ref().Matches(rp, MatchOptions()).empty();
      }
      // Most bindings come from stored statements: the check is not vacuous.
      EXPECT_GT(nonempty, bindings / 4);
    }
  });
}

// ScanIds is Match by node id: the same statements in the same order, for
// every pattern shape, with and without quoted statements, and each row's
// ids are those of the statement's terms.
TEST(MatchTest, ScanIdsFindsWhatMatchFindsInTheSameOrder) {
  ForEachSeed([](RandomStore& rs) {
    std::unique_ptr<Reader> reader = rs.store().NewReader();
    auto node = [&](const Term& t) -> NodeId {
      absl::StatusOr<NodeId> id = reader->NodeOf(t);
      return id.ok() ? *id : 0;
    };
    int rows = 0;
    for (int shape = 0; shape < 8; ++shape) {
      for (int i = 0; i < (shape == 0 ? 2 : 30); ++i) {
        const Pattern p = rs.RandomPattern(shape).first;
        SCOPED_TRACE(Describe(p));
        IdPattern ids;
        bool known = true;
        if (p.subject) known &= (ids.subject = node(*p.subject)) != 0;
        if (p.relation) {
          absl::StatusOr<NodeId> r = reader->RelationNodeOf(*p.relation);
          known &= r.ok();
          if (r.ok()) ids.relation = *r;
        }
        if (p.object) known &= (ids.object = node(*p.object)) != 0;
        for (const bool quoted : {false, true}) {
          MatchOptions options;
          options.include_quoted = quoted;
          std::vector<Statement> want;
          ASSERT_NO_FATAL_FAILURE(MatchAll(*reader, p, options, &want));
          if (!known) {
            // A term in no statement: nothing can match.
            EXPECT_THAT(want, ::testing::IsEmpty());
            continue;
          }
          std::vector<IdStatement> got;
          ASSERT_THAT(reader->ScanIds(ids, quoted,
                                      [&](const IdStatement& st) {
                                        got.push_back(st);
                                        return true;
                                      }),
                      IsOk());
          ASSERT_EQ(got.size(), want.size());
          for (size_t k = 0; k < got.size(); ++k) {
            const Statement& w = want[k];
            EXPECT_EQ(got[k].statement, node(Term::StatementId(w.id)));
            EXPECT_EQ(got[k].subject, node(rs.TermFor(w.subject)));
            EXPECT_EQ(got[k].relation, *reader->RelationNodeOf(w.relation));
            EXPECT_EQ(got[k].object, node(rs.TermFor(w.object)));
          }
          rows += got.size();
        }
      }
    }
    EXPECT_GT(rows, 0);
  });
}

// ScanIds stops when its callback says so, and the order each pattern
// shape scans in is the index's.
TEST(MatchTest, ScanIdsStopsWhenAskedAndNamesItsOrder) {
  EXPECT_EQ(OrderOf({}), IdOrder::kSpo);
  EXPECT_EQ(OrderOf({.subject = 1}), IdOrder::kSpo);
  EXPECT_EQ(OrderOf({.subject = 1, .relation = 2}), IdOrder::kSpo);
  EXPECT_EQ(OrderOf({.subject = 1, .relation = 2, .object = 3}), IdOrder::kSpo);
  EXPECT_EQ(OrderOf({.relation = 2}), IdOrder::kPos);
  EXPECT_EQ(OrderOf({.relation = 2, .object = 3}), IdOrder::kPos);
  EXPECT_EQ(OrderOf({.object = 3}), IdOrder::kOsp);
  EXPECT_EQ(OrderOf({.subject = 1, .object = 3}), IdOrder::kOsp);
  ForEachSeed([](RandomStore& rs) {
    std::unique_ptr<Reader> reader = rs.store().NewReader();
    int seen = 0;
    ASSERT_THAT(reader->ScanIds({}, true,
                                [&](const IdStatement&) { return ++seen < 3; }),
                IsOk());
    EXPECT_EQ(seen, 3);
  });
}

TEST(MatchTest, StatementsNamedByIdOrByContentMatchTheSame) {
  ForEachSeed([](RandomStore& rs) {
    std::unique_ptr<Reader> reader = rs.store().NewReader();
    int checked = 0;
    for (const std::string& id : rs.ref().ids()) {
      if (checked == 100) break;
      const Triple& triple = rs.ref().statement(id).triple;
      for (int shape : {1, 4}) {
        Pattern by_id, by_content;
        (shape == 1 ? by_id.subject : by_id.object) = Term::StatementId(id);
        (shape == 1 ? by_content.subject : by_content.object) =
            Term::Quoted(triple);
        std::vector<Statement> a, b;
        ASSERT_NO_FATAL_FAILURE(MatchAll(*reader, by_id, {}, &a));
        ASSERT_NO_FATAL_FAILURE(MatchAll(*reader, by_content, {}, &b));
        EXPECT_EQ(Ids(a), Ids(b)) << id;
      }
      ++checked;
    }
  });
}

TEST(MatchTest, PagesConcatenateToTheSinglePageResultInOrder) {
  ForEachSeed([](RandomStore& rs) {
    std::unique_ptr<Reader> reader = rs.store().NewReader();
    std::vector<std::pair<Pattern, MatchOptions>> queries;
    for (int shape = 0; shape < 8; ++shape) {
      for (int i = 0; i < (shape == 0 ? 1 : 6); ++i) {
        MatchOptions o;
        o.include_quoted = i % 2 == 1;
        if (i == 2) o.document_id = "doc_b";
        if (i == 4) o.min_confidence = 0.5;
        queries.emplace_back(rs.RandomPattern(shape).first, o);
      }
    }
    for (const auto& [p, o] : queries) {
      SCOPED_TRACE(Describe(p));
      SCOPED_TRACE(Describe(o));
      std::vector<Statement> whole;
      ASSERT_NO_FATAL_FAILURE(MatchAll(*reader, p, o, &whole));
      // The same query twice gives the same order.
      std::vector<Statement> again;
      ASSERT_NO_FATAL_FAILURE(MatchAll(*reader, p, o, &again));
      EXPECT_EQ(Ids(again), Ids(whole));
      for (size_t limit : {size_t{1}, size_t{7}, size_t{100}}) {
        ASSERT_NO_FATAL_FAILURE(
            ExpectPagesConcatenate(*reader, p, o, limit, whole));
      }
    }
  });
}

TEST(MatchTest, PageOfExactlyTheLimitHasNoCursor) {
  ForEachSeed([](RandomStore& rs) {
    std::unique_ptr<Reader> reader = rs.store().NewReader();
    for (int i = 0; i < 20; ++i) {
      const Pattern p = rs.RandomPattern(2).first;
      std::vector<Statement> whole;
      ASSERT_NO_FATAL_FAILURE(MatchAll(*reader, p, {}, &whole));
      if (whole.empty()) continue;
      MatchOptions o;
      o.limit = whole.size();
      absl::StatusOr<MatchPage> page = reader->Match(p, o);
      ASSERT_THAT(page, IsOk());
      EXPECT_EQ(page->statements.size(), whole.size()) << Describe(p);
      EXPECT_EQ(page->next_page_token, "") << Describe(p);
    }
  });
}

TEST(MatchTest,
     DocumentAndConfidenceFiltersKeepStatementsWithAQualifyingRecord) {
  ForEachSeed([](RandomStore& rs) {
    std::unique_ptr<Reader> reader = rs.store().NewReader();
    const std::vector<std::optional<std::string>> documents = {
        std::nullopt, "doc_a", "doc_b", "doc_c"};
    const double thresholds[] = {0.0, 0.05, 0.5, 0.75, 1.0};
    for (int shape = 0; shape < 8; ++shape) {
      for (int i = 0; i < (shape == 0 ? 1 : 8); ++i) {
        auto [p, rp] = rs.RandomPattern(shape);
        for (const auto& doc : documents) {
          for (double min : thresholds) {
            for (bool quoted : {false, true}) {
              MatchOptions o;
              o.document_id = doc;
              o.min_confidence = min;
              o.include_quoted = quoted;
              ASSERT_NO_FATAL_FAILURE(
                  ExpectPatternMatchesReference(*reader, rs.ref(), p, rp, o));
            }
          }
        }
      }
    }
    MatchOptions unknown;
    unknown.document_id = "no_such_document";
    EXPECT_THAT(reader->Match(Pattern(), unknown),
                StatusIs(absl::StatusCode::kNotFound));
  });
}

// What RetractSome did.
struct Retracted {
  std::set<std::string> emptied;  // statements left without a live record
  size_t cascaded = 0;  // statements that left the indexes unretracted
};

// Retracts random (statement, document) pairs with live records from the
// store and the reference, favouring statements that quote others so that
// quoted-only statements lose their last quoter, and checks each result.
void RetractSome(RandomStore& rs, Retracted* out) {
  Reference& ref = rs.ref();
  Rng& rng = rs.rng();
  std::vector<std::pair<std::string, std::string>> pairs;
  for (const std::string& id : ref.ids()) {
    const RefStatement& st = ref.statement(id);
    const bool quotes = st.subject.kind == Term::Kind::kStatement ||
                        st.object.kind == Term::Kind::kStatement;
    for (const SourceDocument& d : rs.docs()) {
      if (ref.LiveFrom(id, d.document.id) == 0) continue;
      if ((quotes && Chance(rng, 15)) || Chance(rng, 2)) {
        pairs.emplace_back(id, d.document.id);
      }
    }
  }
  std::shuffle(pairs.begin(), pairs.end(), rng);
  for (const auto& [id, doc] : pairs) {
    SCOPED_TRACE(absl::StrCat("retract ", id, " from ", doc));
    const size_t indexed_before = ref.IndexedCount();
    const uint64_t expected = ref.Retract(id, doc);
    ref.Recompute();
    absl::StatusOr<RetractResult> result = rs.store().Retract(id, doc);
    ASSERT_THAT(result, IsOk());
    EXPECT_EQ(result->provenance_retracted, expected);
    EXPECT_EQ(result->statement_removed, !ref.Indexed(id));
    if (ref.statement(id).live() == 0) out->emptied.insert(id);
    // Retraction only ever takes statements out of the indexes.
    out->cascaded +=
        indexed_before - ref.IndexedCount() - (ref.Indexed(id) ? 0 : 1);
    // Nothing live from that document any more.
    EXPECT_THAT(rs.store().Retract(id, doc),
                StatusIs(absl::StatusCode::kNotFound));
  }
  ASSERT_NO_FATAL_FAILURE(rs.ExpectStatsMatch());
}

TEST(MatchTest, RetractedStatementsLeaveDefaultMatchesAndUnquotedLeaveIndex) {
  ForEachSeed([](RandomStore& rs) {
    Reference& ref = rs.ref();
    Retracted retracted;
    ASSERT_NO_FATAL_FAILURE(RetractSome(rs, &retracted));
    const std::set<std::string>& emptied = retracted.emptied;
    // The seeds are chosen so that retraction cascades to quoted ones.
    EXPECT_GT(emptied.size(), 50u);
    EXPECT_GT(retracted.cascaded, 0u);

    std::unique_ptr<Reader> reader = rs.store().NewReader();
    MatchOptions quoted;
    quoted.include_quoted = true;
    for (const std::string& id : emptied) {
      const RefStatement& st = ref.statement(id);
      RefPattern rp{st.subject, st.relation, st.object};
      Pattern p{rs.TermFor(st.subject), st.relation, rs.TermFor(st.object)};
      ASSERT_NO_FATAL_FAILURE(
          ExpectPatternMatchesReference(*reader, ref, p, rp, MatchOptions()));
      std::vector<Statement> got;
      ASSERT_NO_FATAL_FAILURE(MatchAll(*reader, p, quoted, &got));
      EXPECT_EQ(got.size(), ref.Indexed(id) ? 1u : 0u) << id;
      // Its id stays known.
      absl::StatusOr<Statement> s = reader->GetStatement(id);
      ASSERT_THAT(s, IsOk());
      EXPECT_EQ(s->live_provenance, 0u);
    }
    for (int shape = 0; shape < 8; ++shape) {
      for (int i = 0; i < (shape == 0 ? 1 : 25); ++i) {
        auto [p, rp] = rs.RandomPattern(shape);
        ASSERT_NO_FATAL_FAILURE(
            ExpectPatternMatchesReference(*reader, ref, p, rp, MatchOptions()));
        ASSERT_NO_FATAL_FAILURE(
            ExpectPatternMatchesReference(*reader, ref, p, rp, quoted));
        MatchOptions by_doc;
        by_doc.document_id = "doc_a";
        by_doc.min_confidence = 0.25;
        ASSERT_NO_FATAL_FAILURE(
            ExpectPatternMatchesReference(*reader, ref, p, rp, by_doc));
      }
    }

    // Asserting a retracted statement again brings it back.
    WriteBatch again;
    int n = 0;
    for (const std::string& id : emptied) {
      if (n++ == 20) break;
      bool identical = false;
      StatementInput in{ref.statement(id).triple,
                        {rs.RandomProvenance(id, &identical)}};
      ASSERT_FALSE(identical);
      ref.AddRecord(id, in.provenance[0]);
      again.statements.push_back(std::move(in));
    }
    ref.Recompute();
    ASSERT_THAT(rs.store().Write(again), IsOk());
    ASSERT_NO_FATAL_FAILURE(rs.ExpectStatsMatch());
    reader = rs.store().NewReader();
    for (const StatementInput& in : again.statements) {
      const std::string id = StatementIdOf(in.triple);
      const RefStatement& st = ref.statement(id);
      RefPattern rp{st.subject, st.relation, std::nullopt};
      Pattern p{rs.TermFor(st.subject), st.relation, std::nullopt};
      ASSERT_NO_FATAL_FAILURE(
          ExpectPatternMatchesReference(*reader, ref, p, rp, MatchOptions()));
    }
  });
}

TEST(MatchTest, CursorOfAnotherQueryIsInvalidArgument) {
  ForEachSeed([](RandomStore& rs) {
    std::unique_ptr<Reader> reader = rs.store().NewReader();
    // Two relations with several statements each.
    Pattern a, b;
    a.relation = "located_in";
    b.relation = "allied_with";
    MatchOptions first;
    first.limit = 1;
    absl::StatusOr<MatchPage> page = reader->Match(a, first);
    ASSERT_THAT(page, IsOk());
    ASSERT_NE(page->next_page_token, "");
    const std::string cursor = page->next_page_token;

    MatchOptions next = first;
    next.page_token = cursor;
    EXPECT_THAT(reader->Match(a, next), IsOk());
    EXPECT_THAT(reader->Match(b, next),
                StatusIs(absl::StatusCode::kInvalidArgument));
    const Statement& s = page->statements[0];
    Pattern narrower = a;
    narrower.subject = Term::Entity(s.subject.id);
    EXPECT_THAT(reader->Match(narrower, next),
                StatusIs(absl::StatusCode::kInvalidArgument));
    Pattern by_subject;
    by_subject.subject = Term::Entity(s.subject.id);
    EXPECT_THAT(reader->Match(by_subject, next),
                StatusIs(absl::StatusCode::kInvalidArgument));
    EXPECT_THAT(reader->Match(Pattern(), next),
                StatusIs(absl::StatusCode::kInvalidArgument));

    MatchOptions other = next;
    other.include_quoted = true;
    EXPECT_THAT(reader->Match(a, other),
                StatusIs(absl::StatusCode::kInvalidArgument));
    other = next;
    other.document_id = "doc_a";
    EXPECT_THAT(reader->Match(a, other),
                StatusIs(absl::StatusCode::kInvalidArgument));
    other = next;
    other.min_confidence = 0.5;
    EXPECT_THAT(reader->Match(a, other),
                StatusIs(absl::StatusCode::kInvalidArgument));
  });
}

TEST(MatchTest, GarbageCursorIsInvalidArgument) {
  RandomStore rs(kSeeds[0]);
  ASSERT_NO_FATAL_FAILURE(rs.Build());
  Rng& rng = rs.rng();
  std::unique_ptr<Reader> reader = rs.store().NewReader();
  Pattern a;
  a.relation = "located_in";
  MatchOptions first;
  first.limit = 1;
  absl::StatusOr<MatchPage> page = reader->Match(a, first);
  ASSERT_THAT(page, IsOk());
  const std::string valid = page->next_page_token;
  ASSERT_GT(valid.size(), 8u);

  std::vector<std::string> garbage = {
      "=",
      "==",
      "====",
      " ",
      "\n",
      std::string(1, '\0'),
      "AA",
      "AAAA",
      "%%%%",
      absl::WebSafeBase64Escape("junk"),
      absl::Base64Escape("not a cursor at all"),
      absl::WebSafeBase64Escape(std::string(34, '\0')),
      absl::WebSafeBase64Escape(std::string(34, '\xff')),
      valid.substr(0, valid.size() - 1),
      valid.substr(0, valid.size() - 2),
      valid.substr(0, valid.size() - 4),
      valid + "A",
      valid + "AAAA",
      valid + valid,
  };
  for (int i = 0; i < 40; ++i) {
    std::string bytes(1 + Pick(rng, 48), '\0');
    for (char& c : bytes) c = static_cast<char>(rng());
    garbage.push_back(i % 2 == 0 ? bytes : absl::WebSafeBase64Escape(bytes));
  }
  Pattern unused_literal;
  unused_literal.object = Term::Literal(LiteralType::kString, "never written");
  for (const std::string& cursor : garbage) {
    SCOPED_TRACE(absl::StrCat("cursor \"", absl::CHexEscape(cursor), "\""));
    MatchOptions o;
    o.limit = 7;
    o.page_token = cursor;
    for (const Pattern& p : {a, Pattern(), unused_literal}) {
      EXPECT_THAT(reader->Match(p, o),
                  StatusIs(absl::StatusCode::kInvalidArgument))
          << Describe(p);
    }
  }
}

TEST(MatchTest, UnknownNamesAreNotFoundAndUnusedTermsMatchNothing) {
  RandomStore rs(kSeeds[0]);
  ASSERT_NO_FATAL_FAILURE(rs.Build());
  std::unique_ptr<Reader> reader = rs.store().NewReader();
  const std::string some_id = rs.ref().ids().front();
  const std::string unknown_id = "s0123456789abcdef0123456789abcdef";
  ASSERT_NE(some_id, unknown_id);

  auto expect_code = [&](const Pattern& p, absl::StatusCode code) {
    SCOPED_TRACE(Describe(p));
    EXPECT_THAT(reader->Match(p, MatchOptions()), StatusIs(code));
    EXPECT_THAT(reader->Count(p), StatusIs(code));
    EXPECT_THAT(reader->EstimateCount(p), StatusIs(code));
  };
  auto expect_empty = [&](const Pattern& p) {
    SCOPED_TRACE(Describe(p));
    for (bool quoted : {false, true}) {
      MatchOptions o;
      o.include_quoted = quoted;
      absl::StatusOr<MatchPage> page = reader->Match(p, o);
      ASSERT_THAT(page, IsOk());
      EXPECT_THAT(page->statements, ::testing::IsEmpty());
      EXPECT_EQ(page->next_page_token, "");
    }
    absl::StatusOr<uint64_t> count = reader->Count(p);
    ASSERT_THAT(count, IsOk());
    EXPECT_EQ(*count, 0u);
    absl::StatusOr<uint64_t> estimate = reader->EstimateCount(p);
    ASSERT_THAT(estimate, IsOk());
    EXPECT_EQ(*estimate, 0u);
  };

  const Triple never_written{Term::Entity("e01"), "located_in",
                             Term::Entity("no_such_entity")};
  const std::vector<Term> unknown = {
      Term::Entity("no_such_entity"),
      Term::StatementId(unknown_id),
      Term::Quoted(never_written),
  };
  for (const Term& t : unknown) {
    Pattern s, o, so, spo;
    s.subject = t;
    o.object = t;
    so.subject = Term::Entity("e01");
    so.object = t;
    spo.subject = t;
    spo.relation = "located_in";
    spo.object = Term::Entity("e02");
    for (const Pattern& p : {s, o, so, spo}) {
      expect_code(p, absl::StatusCode::kNotFound);
    }
  }
  Pattern unknown_relation;
  unknown_relation.relation = "no_such_relation";
  expect_code(unknown_relation, absl::StatusCode::kNotFound);

  Pattern literal_subject;
  literal_subject.subject = Term::Literal(LiteralType::kInteger, "7");
  expect_code(literal_subject, absl::StatusCode::kInvalidArgument);
  Pattern bad_id;
  bad_id.object = Term::StatementId("sXYZ");
  expect_code(bad_id, absl::StatusCode::kInvalidArgument);

  for (const Literal& lit : UnusedLiterals()) {
    Pattern o, po, so;
    o.object = Term::Literal(lit.type, lit.lexical);
    po = o;
    po.relation = "has_value";
    so = o;
    so.subject = Term::Entity("e03");
    for (const Pattern& p : {o, po, so}) expect_code(p, absl::StatusCode::kOk);
    for (const Pattern& p : {o, po, so}) expect_empty(p);
  }
  Pattern lonely_s, lonely_o;
  lonely_s.subject = Term::Entity("lonely");
  lonely_o.object = Term::Entity("lonely");
  expect_empty(lonely_s);
  expect_empty(lonely_o);
}

TEST(MatchTest, QuotedByCountsTheIndexedStatementsQuotingEachStatement) {
  ForEachSeed([](RandomStore& rs) {
    ExpectQuotedByMatchesReference(*rs.store().NewReader(), rs.ref());
    Retracted retracted;
    ASSERT_NO_FATAL_FAILURE(RetractSome(rs, &retracted));
    ExpectQuotedByMatchesReference(*rs.store().NewReader(), rs.ref());
  });
}

// model.h: quoted_by is the number of indexed statements that quote this
// one, so a statement quoting it as both subject and object counts once.
TEST(MatchTest, QuotedByCountsAStatementQuotingTwiceOnce) {
  ScopedTempDir dir;
  StoreOptions options;
  options.sync_writes = false;
  absl::StatusOr<std::unique_ptr<Store>> store =
      Store::Open(options, dir.Sub("store"));
  ASSERT_THAT(store, IsOk());
  const std::string text = "Ann met Ann. Ann said so.";
  WriteBatch batch;
  batch.entities.push_back({"ann", "Ann", "Person", {}});
  batch.relations.push_back({"met", "met", false, Polarity::kNone});
  batch.relations.push_back({"restates", "restates", false, Polarity::kNone});
  batch.documents.push_back({"doc", "Doc", "", std::nullopt, text});
  const Triple met{Term::Entity("ann"), "met", Term::Entity("ann")};
  ProvenanceInput p1;
  p1.document_id = "doc";
  p1.evidence_start = 0;
  p1.evidence_end = 12;
  p1.evidence = "Ann met Ann.";
  ProvenanceInput p2 = p1;
  p2.evidence_start = 13;
  p2.evidence_end = 25;
  p2.evidence = "Ann said so.";
  batch.statements.push_back({met, {p1}});
  batch.statements.push_back(
      {{Term::StatementId(StatementIdOf(met)), "restates", Term::Quoted(met)},
       {p2}});
  ASSERT_THAT((*store)->Write(batch), IsOk());

  Pattern p;
  p.relation = "met";
  absl::StatusOr<MatchPage> page = (*store)->NewReader()->Match(p, {});
  ASSERT_THAT(page, IsOk());
  ASSERT_EQ(page->statements.size(), 1u);
  EXPECT_EQ(page->statements[0].quoted_by, 1u) << Describe(page->statements[0]);
}

}  // namespace
}  // namespace kg::storage
