// Store::LoadFresh's work before the ingest: a FreshLoad's column families
// made straight from its terms' numbers, with no write transaction
// (docs/storage.md, "Fresh loads").
//
// The rules are WriteTxn's for a batch of the same items in one
// transaction on a store without terms: the same validation, terms
// numbered in the order the transaction would intern them (entities,
// relations, documents, then each statement's subject, predicate, object
// and the statement itself), the same keys and values. What it leaves out
// is everything a store without terms makes unnecessary: lookups, the
// overlay, per-statement hash tables of strings. What it does in parallel:
// checking, keying and hashing the chunks' terms, and making the
// families' keys.
#ifndef KG_STORAGE_FRESH_LOAD_H_
#define KG_STORAGE_FRESH_LOAD_H_

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "storage/adjacency.h"
#include "storage/keys.h"
#include "storage/store.h"
#include "storage/write_txn.h"

namespace kg::storage {

// Bytes kept at stable addresses until the arena goes: keys and values
// that views point into.
class ByteArena {
 public:
  absl::string_view Keep(absl::string_view bytes);

 private:
  static constexpr size_t kBlockBytes = 1 << 20;
  std::vector<std::unique_ptr<char[]>> blocks_;
  char* free_ = nullptr;
  size_t left_ = 0;
};

// A statement with its terms keyed (as written; the predicate as the
// relation's or the IRI's term key), each by its number among its chunk's
// keys, and its content hashed.
struct KeyedStatement {
  uint32_t subject, predicate, object;
  uint32_t document;
  std::array<char, kStatementHashBytes> hash;
};

struct FreshChunk::Rep {
  std::string name, base_iri, blank_scope;
  ByteArena arena;
  // The chunk's distinct term keys in order of first use: a term that
  // recurs (a subject's next triple, every predicate) is kept and later
  // numbered once per chunk, not once per use.
  std::vector<absl::string_view> keys;
  absl::flat_hash_map<absl::string_view, uint32_t> key_numbers;  // to Seal
  // What Add remembers to skip keying a term again: the last subject (a
  // subject's triples come together) and the predicates met (a few), each
  // with its key's number and, for a predicate, its canonical form.
  std::optional<Term> last_subject;
  uint32_t last_subject_number = 0;
  struct Predicate {
    uint32_t number;
    std::string canonical;
  };
  absl::flat_hash_map<std::string, Predicate> predicates;
  static constexpr size_t kMaxPredicates = 256;
  std::vector<KeyedStatement> statements;
  std::optional<std::vector<uint32_t>> documents;  // MapDocuments'
};

// The terms (identity keys) and statements (short keys) that the earlier
// parts of a fresh load in parts added, so that a later part looks up in
// the store only what they may hold: a Bloom filter per part, each key's
// bits in one 64-byte block (about 1% false positives at 10 bits a key).
// Most of a part's first uses are new; in the store, each would probe
// the filter of every part's files (docs/benchmarks.md §24).
class FreshPartsFilter {
 public:
  // A part's keys, once it is in.
  void AddPart(const std::vector<absl::string_view>& keys);
  // False: no earlier part added `key`.
  bool MayHold(absl::string_view key) const;

 private:
  struct Block {
    uint64_t words[8];
  };
  static void Bits(absl::string_view key, size_t blocks, size_t* block,
                   uint64_t masks[8]);
  std::vector<std::vector<Block>> parts_;
};

struct FreshLoadContext {
  std::string base_iri;
  Counters counters;       // the store's; next_tid is where numbering starts
  int64_t now_micros = 0;  // a load in parts: its first part's
  // A next or last part (FreshLoad::Part): the store as the parts before
  // it left it, read from several threads at once; unset otherwise. Terms
  // and statements found there keep their tids; the vocabulary must be.
  std::function<absl::StatusOr<std::optional<std::string>>(
      Cf cf, const std::string& key)>
      stored;
  bool short_statement_keys = true;           // the store's (Database)
  const FreshPartsFilter* earlier = nullptr;  // with `stored`, if kept
  // What the default family says of a load in parts after this part:
  // under way (kFreshPartsKey holds `parts_value`), or done (deleted).
  enum class Parts { kNone, kUnderWay, kDone };
  Parts parts = Parts::kNone;
  std::string parts_value;
};

// A fresh load numbered: what each column family's keys are made from.
class FreshFamilies {
 public:
  // Puts column family `cf`'s keys, in order, into `sink`, making them as
  // it goes (only a family's sort keys are held at once). Thread-safe for
  // different families.
  absl::Status Write(Cf cf, KeySink& sink) const;
  const std::vector<Adjacency::Change>& index_changes() const {
    return index_changes_;
  }
  const Counters& counters() const { return counters_; }
  // The keys of the terms and statements new in this load, as
  // FreshPartsFilter takes them.
  std::vector<absl::string_view> NewKeys() const;
  const WriteResult& result() const { return result_; }

  // A term in number order: its key as first written and its identity key
  // (a language tag lowercased), or a statement's hash.
  struct NumberedTerm {
    absl::string_view written, identity;
    bool statement = false;
    // A statement whose short key a statement of an earlier part holds:
    // it is put under its whole key.
    bool short_key_taken = false;
  };
  struct StatementRow {
    uint64_t tid;
    StmtValue row;
    uint64_t first_document;
  };
  struct Record {
    uint64_t statement, document;
  };

 private:
  friend absl::StatusOr<std::unique_ptr<FreshFamilies>> BuildFreshLoad(
      FreshLoad load, const FreshLoadContext& context);

  std::vector<FreshChunk> chunks_;  // the terms' keys are theirs
  ByteArena keys_;                  // vocabulary keys, identity keys
  std::vector<NumberedTerm> terms_;
  uint64_t first_tid_ = 0;
  std::vector<StatementRow> rows_;  // in number order
  // Statements of earlier parts that this part gave records from other
  // documents: their rows again, counting them; by tid.
  std::vector<StatementRow> updated_rows_;
  FreshLoadContext::Parts parts_ = FreshLoadContext::Parts::kNone;
  std::string parts_value_;
  std::vector<Record> records_;  // records of their own
  // The shared records this part gives (FreshLoad::share_records), by
  // document tid: one for each document that is the first to give a
  // statement of this part, its bounds merged with an earlier part's.
  std::vector<std::pair<uint64_t, SharedRecord>> shared_;
  std::vector<Entity> entities_;
  std::vector<Relation> relations_;
  std::vector<Document> documents_;
  std::vector<uint64_t> entity_tids_, relation_tids_, document_tids_;
  int64_t now_micros_ = 0;
  std::vector<Adjacency::Change> index_changes_;
  Counters counters_;
  WriteResult result_;
};

absl::StatusOr<std::unique_ptr<FreshFamilies>> BuildFreshLoad(
    FreshLoad load, const FreshLoadContext& context);

}  // namespace kg::storage

#endif  // KG_STORAGE_FRESH_LOAD_H_
