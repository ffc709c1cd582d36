// The on-disk grammar of the kg store: column families, keys and values.
// Every byte that goes into RocksDB is produced and parsed here.
//
// Column families (docs/storage.md explains the why):
//
//   default   "format"                       -> fixed32 kFormatVersion
//             "counters"                     -> Counters
//             "base"                         -> the base IRI of kg's names
//             "page_token_key"               -> 32 random bytes: the key of
//                                               the page tokens' MAC
//             "short_statement_keys"         -> "" (format 6: created so)
//             "log_position"                 -> fixed64: the replicated
//                                               log's last position applied
//                                               (ReplicaStamp), then fixed64:
//                                               its time, µs since the epoch
//                                               (absent in stores before it)
//             "contested_index"              -> "" (format 5: the contested
//                                               index below is complete)
//             "contested:S" stmt_tid         -> ContestedFigures hash16
//             "contested:R" ~distinct hash16 -> stmt_tid ContestedFigures
//   term      term_key                       -> tid            (dictionary;
//                                               a statement's by 'S' and 8
//                                               bytes of its hash since
//                                               format 6, tid a varint)
//   tid       tid                            -> term_key       (reverse;
//                                               none for a statement's
//                                               term since format 6)
//   entity    entity_id                      -> EntityValue (its history)
//   name      lower(name) 0x00 entity_id     -> ""             (name index)
//   relation  relation_id                    -> RelationValue
//   document  document_id                    -> DocumentValue
//   stmt      stmt_tid                       -> StmtValue
//   spo       s_tid p_tid o_tid              -> stmt_tid asserted
//   pos       p_tid o_tid s_tid              -> stmt_tid asserted
//   osp       o_tid s_tid p_tid              -> stmt_tid asserted
//   prov      stmt_tid doc_tid start end rec -> ProvValue
//             0 doc_tid                      -> SharedRecord (format 7)
//   doc_prov  doc_tid start end stmt_tid rec -> ""
//
//   tid        fixed64, big-endian; 0 is never allocated
//   start/end  fixed32 evidence span in code points
//   rec        signed64 recorded time, microseconds since the Unix epoch
//   asserted   one byte (format 4): 1 when the statement has a live
//              provenance record, 0 when it is only quoted; absent in
//              entries written before format 4 (read the stmt row)
//   term_key   'E' entity_id | 'R' relation_id | 'D' document_id
//              | 'S' 16-byte statement hash | 'L' LiteralType lexical
//              | 'L' 5 len(datatype) datatype lexical
//              | 'L' 6 language 0x00 direction lexical
//              | 'I' iri | 'B' 16-byte blank node id
//
// Record values (Counters, EntityValue, RelationValue, DocumentValue,
// StmtValue, ProvValue) start with a format byte (kValueFormat); the
// dictionary's values are a bare tid or term key, the index families' a
// bare tid, and the name and doc_prov families' empty. DO NOT CHANGE the
// meaning of an existing byte; add a new format instead.
#ifndef KG_STORAGE_KEYS_H_
#define KG_STORAGE_KEYS_H_

#include <array>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "storage/model.h"

namespace kg::storage {

// Format 2 added IRI ('I') and blank node ('B') terms, literal types 5 and
// 6, data documents, and the "base" key; a format-1 store is a format-2
// store without them, upgraded in place on open (database.cc). Format 3
// added entity histories (kEntityHistoryFormat values); a format-2 store
// is a format-3 store whose entities have one version each. Format 4 added
// the asserted byte to index values, so an ids-only scan of asserted
// statements needs no statement row; a format-3 store is a format-4 store
// whose index entries do not say, and stays so until they are rewritten.
// Format 5 added the contested index (ListContested's current state, kept
// on write); the first writable open of an older store builds it. Format 6
// stopped writing a statement term's reverse (tid family) entry, which its
// statement row implies (dictionary.h); a format-5 store is a format-6
// store whose statements all have one. Format 7 added shared provenance
// records (a fresh load's, one per document, named by statement rows); a
// format-6 store is a format-7 store without any.
inline constexpr uint32_t kFormatVersion = 7;
inline constexpr char kBaseKey[] = "base";
inline constexpr char kLogPositionKey[] = "log_position";
inline constexpr char kDefaultBaseIri[] = "https://kg.invalid/";
inline constexpr uint8_t kValueFormat = 1;
// EntityValue since entity histories: every version (EncodeEntityHistory).
inline constexpr uint8_t kEntityHistoryFormat = 2;
// StmtValue since format 6: varints (kValueFormat: fixed-width integers,
// still read).
inline constexpr uint8_t kStmtVarintFormat = 2;
inline constexpr char kFormatKey[] = "format";
inline constexpr char kCountersKey[] = "counters";
// Written when a store is created, or on the first writable open of a store
// made before page tokens carried a MAC; never changed (page_token.h).
inline constexpr char kPageTokenKeyKey[] = "page_token_key";

// Column family indexes, in the order Open creates them. DO NOT CHANGE.
enum Cf : int {
  kDefaultCf = 0,
  kTermCf,
  kTidCf,
  kEntityCf,
  kNameCf,
  kRelationCf,
  kDocumentCf,
  kStmtCf,
  kSpoCf,
  kPosCf,
  kOspCf,
  kProvCf,
  kDocProvCf,
  kNumCfs,
};
// Names of the column families, indexed by Cf.
extern const std::array<const char*, kNumCfs> kCfNames;

enum class TermTag : char {  // DO NOT CHANGE.
  kEntity = 'E',
  kRelation = 'R',
  kDocument = 'D',
  kStatement = 'S',
  kLiteral = 'L',
  kIri = 'I',    // format 2
  kBlank = 'B',  // format 2
};

inline constexpr size_t kStatementHashBytes = 16;
inline constexpr size_t kBlankIdBytes = 16;

std::string EntityTermKey(absl::string_view id);
std::string RelationTermKey(absl::string_view id);
std::string DocumentTermKey(absl::string_view id);
std::string StatementTermKey(absl::string_view hash16);
// The first key and the prefix of every statement term key (the statement
// listing's range).
std::string StatementTermPrefix();
// A literal's key: 'L', its type, then kTyped: the length-prefixed datatype
// IRI; kLangString: the language tag, NUL, the direction byte; then the
// lexical form. The language tag goes in as given: the dictionary's key
// (the term family) holds it lowercased (TermIdentityKey), the reverse
// dictionary (the tid family) as first written.
std::string LiteralTermKey(const Literal& literal);
std::string IriTermKey(absl::string_view iri);
std::string BlankTermKey(absl::string_view id16);
// The key that decides term identity: `key` with a language tag lowercased.
std::string TermIdentityKey(absl::string_view key);
// "b" + 32 lowercase hex digits <-> the 16-byte blank node id.
std::string BlankIdFromBytes(absl::string_view id16);
std::optional<std::string> BlankBytesFromId(absl::string_view id);

// "s" + 32 lowercase hex digits <-> the 16-byte hash.
std::string StatementIdFromHash(absl::string_view hash16);
std::optional<std::string> HashFromStatementId(absl::string_view id);

// The tag of a term key and what follows it (an id, a hash, a typed
// literal), unchecked. False for an empty key.
bool SplitTermKey(absl::string_view key, TermTag* tag, absl::string_view* rest);
// The id in a relation ('R') or document ('D') term key. False when the key
// has another tag or is malformed.
bool DecodeIdTermKey(absl::string_view key, TermTag tag, std::string* id);
// The predicate of a relation ('R') or IRI ('I') term key.
bool DecodePredicateTermKey(absl::string_view key, std::string* predicate);
// Decodes a term key into a TermValue (entity, statement, literal, IRI or
// blank node). Returns false for relation and document keys and malformed
// input.
bool DecodeTermKey(absl::string_view key, TermValue* out);

std::string TidKey(uint64_t tid);
// The tid of a TidKey (stmt and tid families). False for malformed input.
bool DecodeTidKey(absl::string_view key, uint64_t* tid);
// A term family value: the tid as a varint (fixed64 before format 6, and
// for a tid of 2^49 or more); DecodeTidValue reads both. False for
// malformed input.
std::string TidValue(uint64_t tid);
bool DecodeTidValue(absl::string_view value, uint64_t* tid);

// Since format 6 a statement's term family key is 'S' and the first 8
// bytes of its hash; only a statement whose 8 bytes another already holds
// (a collision) is keyed by its whole StatementTermKey, as every statement
// was before (dictionary.h, LookupTid). `statement_key` is the whole key.
inline constexpr size_t kStatementShortHashBytes = 8;
// Written when a store is created at format 6 or later: every statement
// there has a short key, or its whole key only because another statement
// holds its short one, so a lookup that finds no short key need not try
// the whole one. A store upgraded from format 5 keeps whole keys and has
// no such entry.
inline constexpr char kShortStatementKeysKey[] = "short_statement_keys";
std::string ShortStatementTermKey(absl::string_view statement_key);

// Index keys: three tids in the index's order; the value is the statement's
// tid and whether it is asserted.
inline constexpr size_t kIndexKeyBytes = 24;
std::string IndexKey(uint64_t a, uint64_t b, uint64_t c);
std::string IndexValue(uint64_t stmt, bool asserted);
// The prefix of the index keys whose leading tids are `tids` (at most 3).
std::string IndexPrefix(std::initializer_list<uint64_t> tids);
// One index entry: its three tids in the index's order, the statement's
// tid, and whether it is asserted (nullopt in an entry written before
// format 4). False unless the key and value have exactly their sizes.
struct IndexEntry {
  uint64_t a = 0, b = 0, c = 0;
  uint64_t stmt = 0;
  std::optional<bool> asserted;
};
bool DecodeIndexEntry(absl::string_view key, absl::string_view value,
                      IndexEntry* out);

std::string NameKey(absl::string_view name, absl::string_view entity_id);
// The entity id of a name key, and its lower-case name when asked. False
// for malformed input.
bool DecodeNameKey(absl::string_view key, std::string* entity_id,
                   std::string* lower_name = nullptr);
std::string NamePrefix(absl::string_view name);  // lower(name) 0x00
std::string LowerAscii(absl::string_view s);

std::string ProvKey(uint64_t stmt, uint64_t doc, uint32_t start, uint32_t end,
                    int64_t recorded_micros);
// Prefixes of the provenance keys of a statement, of its records from one
// document, and of its records from one span of that document.
std::string ProvPrefix(uint64_t stmt);
std::string ProvPrefix(uint64_t stmt, uint64_t doc);
std::string ProvPrefix(uint64_t stmt, uint64_t doc, uint32_t start,
                       uint32_t end);
struct ProvKeyParts {
  uint64_t stmt = 0;
  uint64_t doc = 0;
  uint32_t start = 0;
  uint32_t end = 0;
  int64_t recorded_micros = 0;
};
bool DecodeProvKey(absl::string_view key, ProvKeyParts* out);
std::string DocProvKey(uint64_t doc, uint32_t start, uint32_t end,
                       uint64_t stmt, int64_t recorded_micros);
bool DecodeDocProvKey(absl::string_view key, ProvKeyParts* out);

struct Counters {
  uint64_t next_tid = 1;
  uint64_t entities = 0;
  uint64_t relations = 0;
  uint64_t documents = 0;
  uint64_t statements = 0;
  uint64_t provenance = 0;
  uint64_t terms = 0;
};
std::string EncodeCounters(const Counters& c);
bool DecodeCounters(absl::string_view in, Counters* out);

// A fresh load in parts under way (Store::LoadFresh, FreshLoad::Part), in
// the default family from its first part's ingest to its last's: the time
// its records carry, and the counters before it, which a rollback restores
// (an open that finds it rolls the parts back).
inline constexpr char kFreshPartsKey[] = "fresh_load_parts";
struct FreshParts {
  int64_t now_micros = 0;
  Counters before;
};
std::string EncodeFreshParts(const FreshParts& p);
bool DecodeFreshParts(absl::string_view in, FreshParts* out);

// An entity's value is its history (format kEntityHistoryFormat); a value of
// format 1, written before histories, is one live version since always.
std::string EncodeEntityHistory(uint64_t tid, const EntityHistory& h);
bool DecodeEntityHistory(absl::string_view id, absl::string_view in,
                         uint64_t* tid, EntityHistory* out);
// The current version's names, whatever its state.
bool DecodeEntity(absl::string_view id, absl::string_view in, uint64_t* tid,
                  Entity* out);

std::string EncodeRelation(uint64_t tid, const Relation& r);
bool DecodeRelation(absl::string_view id, absl::string_view in, uint64_t* tid,
                    Relation* out);

std::string EncodeDocument(uint64_t tid, const Document& d);
// With include_text false, out->text stays empty.
bool DecodeDocument(absl::string_view id, absl::string_view in,
                    bool include_text, uint64_t* tid, Document* out);

struct StmtValue {
  uint64_t subject = 0;
  uint64_t relation = 0;
  uint64_t object = 0;
  uint32_t live = 0;    // live provenance records
  uint32_t quoted = 0;  // indexed statements quoting this one
  // Format 7: the document tid of the shared record this statement has
  // (SharedRecord, counted in `live`), 0 for none. A statement whose
  // shared record changes is given a record of its own in its place.
  uint64_t shared = 0;
  bool indexed() const { return live > 0 || quoted > 0; }
};
std::string EncodeStmt(const StmtValue& s);
bool DecodeStmt(absl::string_view in, StmtValue* out);

struct ProvValue {
  Hedge hedge = Hedge::kAsserted;
  double confidence = 1.0;
  ValidTime valid_time;
  std::string evidence;
  std::optional<int64_t> retracted_micros;
};
std::string EncodeProv(const ProvValue& p);
bool DecodeProv(absl::string_view in, ProvValue* out);
// Only a record's confidence and whether it is live (not retracted),
// without copying its evidence.
bool DecodeProvConfidence(absl::string_view in, double* confidence, bool* live);

// A shared provenance record (format 7; docs/storage.md, "Shared
// provenance records"): the one record a fresh load gives each statement
// it creates from a document, stored once, in the prov family under
// statement tid 0. Each statement row that names the document (StmtValue::
// shared) has it, as a live record keyed (statement, doc, 0, 0,
// recorded_micros); no record of its own has that key while it does.
// `first` and `last` bound the tids of the statements that were given it.
struct SharedRecord {
  int64_t recorded_micros = 0;
  uint64_t first = 0;
  uint64_t last = 0;
  ProvValue value;  // never retracted
};
std::string SharedRecordKey(uint64_t doc);
// The prefix of every SharedRecordKey, which sorts before all records.
std::string SharedRecordPrefix();
bool DecodeSharedRecordKey(absl::string_view key, uint64_t* doc);
std::string EncodeSharedRecord(const SharedRecord& r);
bool DecodeSharedRecord(absl::string_view in, SharedRecord* out);

// The contested index (format 5; docs/storage.md "The contested index"):
// every statement that, in the current state, has at least one supporting
// and one opposing claim (a claim counts while it is asserted), with its
// figures; by statement, and ranked by distinct claimants (descending),
// then by statement hash, which is ListContested's order.
inline constexpr char kContestedBuiltKey[] = "contested_index";
struct ContestedFigures {
  uint32_t supporting = 0;  // distinct claimants supporting
  uint32_t opposing = 0;    // distinct claimants opposing
  uint32_t distinct = 0;    // distinct claimants on either side
  bool operator==(const ContestedFigures&) const = default;
};
std::string ContestedStatementPrefix();
std::string ContestedStatementKey(uint64_t stmt);
bool DecodeContestedStatementKey(absl::string_view key, uint64_t* stmt);
std::string ContestedStatementValue(const ContestedFigures& f,
                                    absl::string_view hash16);
bool DecodeContestedStatementValue(absl::string_view in, ContestedFigures* f,
                                   std::string* hash16);
// The prefix of every ranking key, and the keys themselves.
std::string ContestedRankPrefix();
std::string ContestedRankKey(uint32_t distinct, absl::string_view hash16);
std::string ContestedRankValue(uint64_t stmt, const ContestedFigures& f);
struct ContestedRankEntry {
  uint32_t distinct = 0;
  std::string hash16;
  uint64_t stmt = 0;
  ContestedFigures figures;
};
bool DecodeContestedRankEntry(absl::string_view key, absl::string_view value,
                              ContestedRankEntry* out);

int64_t ToMicros(absl::Time t);
absl::Time FromMicros(int64_t micros);

}  // namespace kg::storage

#endif  // KG_STORAGE_KEYS_H_
