#include "storage/fresh_load.h"

#include <openssl/rand.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <functional>
#include <limits>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <tuple>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/hash/hash.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "common/echo.h"
#include "storage/coding.h"
#include "storage/dictionary.h"
#include "storage/status_macros.h"
#include "storage/validate.h"

namespace kg::storage {

absl::string_view ByteArena::Keep(absl::string_view bytes) {
  if (bytes.size() > left_) {
    const size_t size = std::max(kBlockBytes, bytes.size());
    blocks_.push_back(std::make_unique<char[]>(size));
    free_ = blocks_.back().get();
    left_ = size;
  }
  if (!bytes.empty()) std::memcpy(free_, bytes.data(), bytes.size());
  const absl::string_view kept(free_, bytes.size());
  free_ += bytes.size();
  left_ -= bytes.size();
  return kept;
}

void FreshPartsFilter::Bits(absl::string_view key, size_t blocks, size_t* block,
                            uint64_t masks[8]) {
  uint64_t h = absl::Hash<absl::string_view>{}(key);
  *block =
      static_cast<size_t>((static_cast<unsigned __int128>(h) * blocks) >> 64);
  // Seven bits of the block, from the hash's other bits.
  std::fill(masks, masks + 8, 0);
  h = h * 0x9E3779B97F4A7C15 + 0x7F4A7C159E3779B9;
  for (int i = 0; i < 7; ++i) {
    const unsigned bit = (h >> (i * 9)) & 511;
    masks[bit >> 6] |= uint64_t{1} << (bit & 63);
  }
}

void FreshPartsFilter::AddPart(const std::vector<absl::string_view>& keys) {
  // 10 bits a key, in blocks of 512.
  std::vector<Block>& part =
      parts_.emplace_back(std::max<size_t>(1, (keys.size() * 10 + 511) / 512));
  for (const absl::string_view key : keys) {
    size_t block;
    uint64_t masks[8];
    Bits(key, part.size(), &block, masks);
    for (int w = 0; w < 8; ++w) part[block].words[w] |= masks[w];
  }
}

bool FreshPartsFilter::MayHold(absl::string_view key) const {
  for (const std::vector<Block>& part : parts_) {
    size_t block;
    uint64_t masks[8];
    Bits(key, part.size(), &block, masks);
    bool all = true;
    for (int w = 0; w < 8 && all; ++w) {
      all = (part[block].words[w] & masks[w]) == masks[w];
    }
    if (all) return true;
  }
  return false;
}

FreshChunk::FreshChunk(std::string name, std::string base_iri,
                       std::string blank_scope)
    : rep_(std::make_unique<Rep>()) {
  rep_->name = std::move(name);
  rep_->base_iri = std::move(base_iri);
  rep_->blank_scope = std::move(blank_scope);
}
FreshChunk::~FreshChunk() = default;
FreshChunk::FreshChunk(FreshChunk&&) noexcept = default;
FreshChunk& FreshChunk::operator=(FreshChunk&&) noexcept = default;

size_t FreshChunk::size() const { return rep_->statements.size(); }

void FreshChunk::Reserve(size_t statements) {
  rep_->statements.reserve(statements);
}

void FreshChunk::Seal() { rep_->key_numbers = {}; }

void FreshChunk::MapDocuments(std::vector<uint32_t> to_load) {
  rep_->documents = std::move(to_load);
}

namespace {

absl::Status NotFound(absl::string_view field, absl::string_view what) {
  return absl::NotFoundError(absl::StrCat(field, ": ", what));
}

absl::Status Invalid(absl::string_view field, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", what));
}

// WriteTxn::ResolveTerm's key, but for an entity not whether it exists
// (BuildFreshLoad checks that). Fields are `field` + what they name, or
// empty when `field` is.
absl::StatusOr<std::string> TermKeyOf(const std::string& field,
                                      const Term& written, bool is_subject,
                                      const FreshChunk::Rep& chunk) {
  Term made;
  const Term& term = CanonicalIri(written, chunk.base_iri, &made);
  switch (term.kind()) {
    case Term::Kind::kIri:
      KG_RETURN_IF_ERROR(ValidateIri(field, term.id()));
      return IriTermKey(term.id());
    case Term::Kind::kBlank:
      if (term.id().empty() || term.id().size() > Limits::kMaxIdBytes ||
          !IsValidUtf8(term.id())) {
        return Invalid(field,
                       absl::StrCat("a blank node label is 1 to ",
                                    Limits::kMaxIdBytes, " bytes of UTF-8"));
      }
      return BlankTermKey(BlankNodeId(chunk.blank_scope, term.id()));
    case Term::Kind::kEntity:
      KG_RETURN_IF_ERROR(ValidateId(field, term.id()));
      return EntityTermKey(term.id());
    case Term::Kind::kLiteral: {
      if (is_subject) {
        return Invalid(field, "a literal cannot be the subject of a statement");
      }
      KG_ASSIGN_OR_RETURN(Literal lit, CanonicalLiteral(field, term.literal()));
      return LiteralTermKey(lit);
    }
    case Term::Kind::kStatement:
      return Invalid(field,
                     "a fresh load takes no quoted statements (load them "
                     "through a write)");
  }
  return Invalid(field, "unknown term kind");
}

struct StatementKeys {
  std::string subject, predicate, object, hash;
};

// `prefix` empty: no field names are made (the first try; an error is
// made again with them).
absl::Status KeyStatement(const FreshChunk::Rep& chunk, const Term& subject,
                          absl::string_view relation, const Term& object,
                          const std::string& prefix, StatementKeys* out) {
  auto field = [&](absl::string_view what) {
    return prefix.empty() ? std::string() : absl::StrCat(prefix, what);
  };
  KG_ASSIGN_OR_RETURN(out->subject, TermKeyOf(field(".subject"), subject,
                                              /*is_subject=*/true, chunk));
  const std::string predicate = CanonicalPredicate(relation, chunk.base_iri);
  if (absl::StrContains(predicate, ":")) {
    KG_RETURN_IF_ERROR(ValidateIri(field(".relation"), predicate));
    out->predicate = IriTermKey(predicate);
  } else {
    KG_RETURN_IF_ERROR(ValidateId(field(".relation"), predicate));
    out->predicate = RelationTermKey(predicate);
  }
  KG_ASSIGN_OR_RETURN(out->object, TermKeyOf(field(".object"), object,
                                             /*is_subject=*/false, chunk));
  out->hash = StatementHash(TermIdentityKey(out->subject), predicate,
                            TermIdentityKey(out->object));
  return absl::OkStatus();
}

// Whether `a` and `b` are one subject as written (an IRI, a blank node or
// an entity: the kinds whose key is made from their id alone).
bool SameSubject(const Term& a, const Term& b) {
  return a.kind() == b.kind() && a.id() == b.id() &&
         (a.kind() == Term::Kind::kIri || a.kind() == Term::Kind::kBlank ||
          a.kind() == Term::Kind::kEntity);
}

}  // namespace

absl::Status FreshChunk::Add(const Term& subject, absl::string_view relation,
                             const Term& object, uint32_t document) {
  Rep& rep = *rep_;
  if (rep.keys.size() > std::numeric_limits<uint32_t>::max() - 3) {
    return absl::ResourceExhaustedError(absl::StrCat(
        rep.name, ": more distinct terms than a chunk holds (2^32 - 3)"));
  }
  // Keyed again from nothing, naming the field: any error.
  const auto again = [&]() -> absl::Status {
    StatementKeys keys;
    const std::string prefix = absl::StrCat(rep.name, ".statements[",
                                            rep.statements.size(), "].triple");
    KG_RETURN_IF_ERROR(
        KeyStatement(rep, subject, relation, object, prefix, &keys));
    return absl::InternalError(absl::StrCat(prefix, ": keyed on a retry"));
  };
  auto number = [&rep](absl::string_view key) -> uint32_t {
    auto it = rep.key_numbers.find(key);
    if (it != rep.key_numbers.end()) return it->second;
    const auto n = static_cast<uint32_t>(rep.keys.size());
    const absl::string_view kept = rep.arena.Keep(key);
    rep.keys.push_back(kept);
    rep.key_numbers.emplace(kept, n);
    return n;
  };
  // Each part's key, or what Add remembers of it.
  const bool same_subject =
      rep.last_subject.has_value() && SameSubject(subject, *rep.last_subject);
  std::string subject_key;
  if (!same_subject) {
    absl::StatusOr<std::string> key =
        TermKeyOf("", subject, /*is_subject=*/true, rep);
    if (!key.ok()) return again();
    subject_key = *std::move(key);
  }
  auto known_predicate = rep.predicates.find(relation);
  std::string predicate, predicate_key;
  if (known_predicate == rep.predicates.end()) {
    predicate = CanonicalPredicate(relation, rep.base_iri);
    if (absl::StrContains(predicate, ":")) {
      if (!ValidateIri("", predicate).ok()) return again();
      predicate_key = IriTermKey(predicate);
    } else {
      if (!ValidateId("", predicate).ok()) return again();
      predicate_key = RelationTermKey(predicate);
    }
  }
  absl::StatusOr<std::string> object_key =
      TermKeyOf("", object, /*is_subject=*/false, rep);
  if (!object_key.ok()) return again();

  KeyedStatement k;
  if (same_subject) {
    k.subject = rep.last_subject_number;
  } else {
    k.subject = number(subject_key);
    rep.last_subject = subject;
    rep.last_subject_number = k.subject;
  }
  if (known_predicate != rep.predicates.end()) {
    k.predicate = known_predicate->second.number;
  } else {
    k.predicate = number(predicate_key);
    if (rep.predicates.size() < Rep::kMaxPredicates) {
      known_predicate =
          rep.predicates
              .emplace(std::string(relation),
                       Rep::Predicate{k.predicate, std::move(predicate)})
              .first;
    }
  }
  k.object = number(*object_key);
  k.document = document;
  // A subject's key is its identity key (no language tag to lowercase).
  const std::string hash = StatementHash(rep.keys[k.subject],
                                         known_predicate != rep.predicates.end()
                                             ? known_predicate->second.canonical
                                             : predicate,
                                         TermIdentityKey(*object_key));
  std::memcpy(k.hash.data(), hash.data(), kStatementHashBytes);
  rep.statements.push_back(k);
  return absl::OkStatus();
}

namespace {

// A term's identity key (TermIdentityKey): `written` itself, or a copy in
// `arena` when a language tag has capitals.
absl::string_view IdentityOf(absl::string_view written, ByteArena* arena) {
  if (written.size() > 2 &&
      written[0] == static_cast<char>(TermTag::kLiteral) &&
      written[1] == static_cast<char>(LiteralType::kLangString)) {
    const std::string lowered = TermIdentityKey(written);
    if (lowered != written) return arena->Keep(lowered);
  }
  return written;
}

// The shard of a term key: one for keys with one identity, which differ at
// most in the case of ASCII letters (bytes ORed with 0x20 are the same).
uint64_t ShardHash(absl::string_view key) {
  constexpr uint64_t kFold = 0x2020202020202020, kMul = 0x9E3779B97F4A7C15;
  uint64_t h = key.size();
  size_t i = 0;
  for (; i + 8 <= key.size(); i += 8) {
    uint64_t w;
    std::memcpy(&w, key.data() + i, 8);
    h = (h ^ (w | kFold)) * kMul;
    h ^= h >> 29;
  }
  uint64_t w = 0;
  std::memcpy(&w, key.data() + i, key.size() - i);
  h = (h ^ (w | kFold)) * kMul;
  return h ^ (h >> 32);
}

// Where each chunk key and each statement of a load is used first. Each
// entry holds the place of that first use (chunk, index): its own place
// when it is the first, an earlier one otherwise. Numbering replaces a
// first use's entry with its tid (a statement's: its row) marked
// Numbered, and a later use's with the same as it meets them. A key that
// the load's vocabulary numbered is Numbered from the start, and one that
// names an entity or a relation the load does not give is Numbered(0).
struct FirstUses {
  std::vector<std::vector<uint64_t>> keys, statements;  // by chunk, index
  size_t new_terms = 0, new_statements = 0;             // first uses

  // The places of new statements whose short key an earlier part's
  // statement holds, in order.
  std::vector<uint64_t> taken;

  static constexpr uint64_t kNumbered = uint64_t{1} << 63;
  // A statement's first use that is an earlier part's statement: its tid.
  static constexpr uint64_t kStored = uint64_t{1} << 62;
  static uint64_t Place(size_t chunk, size_t index) {
    return (static_cast<uint64_t>(chunk) << 32) | index;
  }
  static size_t ChunkOf(uint64_t place) { return place >> 32; }
  static size_t IndexOf(uint64_t place) { return place & 0xffffffffu; }
  static uint64_t Numbered(uint64_t tid) { return kNumbered | tid; }
  static bool IsNumbered(uint64_t use) { return (use & kNumbered) != 0; }
  static uint64_t Tid(uint64_t use) { return use & ~kNumbered; }
  static uint64_t Stored(uint64_t tid) { return Numbered(kStored | tid); }
  static bool IsStored(uint64_t use) { return (use & kStored) != 0; }
  static uint64_t StoredTid(uint64_t use) {
    return use & ~(kNumbered | kStored);
  }
};

// A statement of an earlier part of the load (FreshLoadContext::stored)
// with content hash `hash`: its tid (0: none), and, when none, whether
// another statement holds its short key (LookupTid's walk, telling why).
struct StoredStatement {
  uint64_t tid = 0;
  bool short_key_taken = false;
};
absl::StatusOr<StoredStatement> FindStoredStatement(
    const FreshLoadContext& context, absl::string_view hash) {
  const CfGetter get = context.stored;
  const auto tid_at = [&](const std::string& key) -> absl::StatusOr<uint64_t> {
    KG_ASSIGN_OR_RETURN(std::optional<std::string> value, get(kTermCf, key));
    uint64_t tid = 0;
    if (value.has_value() && (!DecodeTidValue(*value, &tid) || tid == 0)) {
      return absl::DataLossError(absl::StrCat("corrupt dictionary entry \"",
                                              absl::CHexEscape(key), "\""));
    }
    return tid;
  };
  const std::string key = StatementTermKey(hash);
  StoredStatement out;
  KG_ASSIGN_OR_RETURN(const uint64_t holder,
                      tid_at(ShortStatementTermKey(key)));
  if (holder != 0) {
    KG_ASSIGN_OR_RETURN(std::optional<std::string> holder_key,
                        ReverseTermKey(get, holder));
    if (holder_key == key) {
      out.tid = holder;
      return out;
    }
    out.short_key_taken = true;
  } else if (context.short_statement_keys) {
    return out;
  }
  KG_ASSIGN_OR_RETURN(out.tid, tid_at(key));
  return out;
}

// The first uses, found on every core: each thread takes the keys and the
// statements of one shard, in load order, through a table of its own.
// `vocabulary`: the identity keys numbered so far (entities, relations,
// documents) and their tids. A next or last part of a load
// (`context.stored`) looks each first use up among the earlier parts':
// a term or a statement found there is Numbered (a statement Stored) from
// the start.
absl::StatusOr<FirstUses> FindFirstUses(
    const std::vector<FreshChunk>& chunks,
    const absl::flat_hash_map<absl::string_view, uint64_t>& vocabulary,
    const FreshLoadContext& context) {
  FirstUses first;
  first.keys.resize(chunks.size());
  first.statements.resize(chunks.size());
  size_t keys = 0, statements = 0;
  for (size_t c = 0; c < chunks.size(); ++c) {
    const FreshChunk::Rep& chunk = chunks[c].rep();
    first.keys[c].resize(chunk.keys.size());
    first.statements[c].resize(chunk.statements.size());
    keys += chunk.keys.size();
    statements += chunk.statements.size();
  }
  const size_t shards =
      std::clamp<size_t>(std::thread::hardware_concurrency(), 1, 8);
  std::vector<size_t> new_terms(shards), new_statements(shards);
  std::vector<std::vector<uint64_t>> taken(shards);
  std::vector<absl::Status> status(shards);
  // An earlier part's tid of a term, 0 when it has none.
  const auto stored_tid =
      [&](absl::string_view identity) -> absl::StatusOr<uint64_t> {
    const std::string key(identity);
    KG_ASSIGN_OR_RETURN(std::optional<std::string> value,
                        context.stored(kTermCf, key));
    uint64_t tid = 0;
    if (value.has_value() && (!DecodeTidValue(*value, &tid) || tid == 0)) {
      return absl::DataLossError(absl::StrCat("corrupt dictionary entry \"",
                                              absl::CHexEscape(key), "\""));
    }
    return tid;
  };
  const auto find_keys = [&](size_t shard) -> absl::Status {
    ByteArena lowered;  // the identities of tags with capitals
    absl::flat_hash_map<absl::string_view, uint64_t> places;
    places.reserve(keys / shards + keys / shards / 8);
    for (size_t c = 0; c < chunks.size(); ++c) {
      const FreshChunk::Rep& chunk = chunks[c].rep();
      std::vector<uint64_t>& uses = first.keys[c];
      for (size_t n = 0; n < chunk.keys.size(); ++n) {
        const absl::string_view key = chunk.keys[n];
        if (ShardHash(key) % shards != shard) continue;
        const absl::string_view identity = IdentityOf(key, &lowered);
        if (auto it = vocabulary.find(identity); it != vocabulary.end()) {
          uses[n] = FirstUses::Numbered(it->second);
          continue;
        }
        if (key[0] == static_cast<char>(TermTag::kEntity) ||
            key[0] == static_cast<char>(TermTag::kRelation)) {
          uses[n] = FirstUses::Numbered(0);  // not one of the load's
          continue;
        }
        auto [at, fresh] = places.try_emplace(identity, FirstUses::Place(c, n));
        if (fresh && context.stored &&
            (context.earlier == nullptr ||
             context.earlier->MayHold(identity))) {
          KG_ASSIGN_OR_RETURN(const uint64_t tid, stored_tid(identity));
          if (tid != 0) at->second = FirstUses::Numbered(tid);
        }
        uses[n] = at->second;
        new_terms[shard] += fresh && !FirstUses::IsNumbered(at->second);
      }
    }
    return absl::OkStatus();
  };
  const auto find_statements = [&](size_t shard) -> absl::Status {
    absl::flat_hash_map<absl::string_view, uint64_t> places;  // by hash
    places.reserve(statements / shards + statements / shards / 8);
    for (size_t c = 0; c < chunks.size(); ++c) {
      const FreshChunk::Rep& chunk = chunks[c].rep();
      std::vector<uint64_t>& uses = first.statements[c];
      for (size_t i = 0; i < chunk.statements.size(); ++i) {
        const std::array<char, kStatementHashBytes>& hash =
            chunk.statements[i].hash;
        if (DecodeFixed64(hash.data()) % shards != shard) continue;
        const absl::string_view bytes(hash.data(), hash.size());
        auto [at, fresh] = places.try_emplace(bytes, FirstUses::Place(c, i));
        // By its short key, which a statement it would collide with
        // shares.
        if (fresh && context.stored &&
            (context.earlier == nullptr ||
             context.earlier->MayHold(
                 bytes.substr(0, kStatementShortHashBytes)))) {
          KG_ASSIGN_OR_RETURN(const StoredStatement stored,
                              FindStoredStatement(context, bytes));
          if (stored.tid != 0) {
            at->second = FirstUses::Stored(stored.tid);
          } else if (stored.short_key_taken) {
            taken[shard].push_back(FirstUses::Place(c, i));
          }
        }
        uses[i] = at->second;
        new_statements[shard] += fresh && !FirstUses::IsNumbered(at->second);
      }
    }
    return absl::OkStatus();
  };
  const auto find = [&](size_t shard) {
    status[shard] = find_keys(shard);
    if (status[shard].ok()) status[shard] = find_statements(shard);
  };
  std::vector<std::thread> helpers;
  size_t shard = 1;
  for (; shard < shards; ++shard) {
    try {
      helpers.emplace_back(find, shard);
    } catch (const std::system_error&) {
      break;  // no more threads to be had: this one does the rest
    }
  }
  find(0);
  for (; shard < shards; ++shard) find(shard);
  for (std::thread& h : helpers) h.join();
  for (size_t i = 0; i < shards; ++i) {
    KG_RETURN_IF_ERROR(status[i]);
    first.new_terms += new_terms[i];
    first.new_statements += new_statements[i];
    first.taken.insert(first.taken.end(), taken[i].begin(), taken[i].end());
  }
  std::sort(first.taken.begin(), first.taken.end());
  return first;
}

}  // namespace

using NumberedTerm = FreshFamilies::NumberedTerm;
using StatementRow = FreshFamilies::StatementRow;
using Record = FreshFamilies::Record;

absl::StatusOr<std::unique_ptr<FreshFamilies>> BuildFreshLoad(
    FreshLoad load, const FreshLoadContext& context) {
  auto out = std::make_unique<FreshFamilies>();
  Counters counters = context.counters;
  const std::string& scope = load.blank_scope;
  if (scope.size() != 16) {
    return absl::InvalidArgumentError("blank_scope: 16 bytes");
  }
  for (size_t c = 0; c < load.chunks.size(); ++c) {
    const FreshChunk::Rep& chunk = load.chunks[c].rep();
    if (chunk.blank_scope != scope || chunk.base_iri != context.base_iri) {
      return absl::InvalidArgumentError(
          absl::StrCat("chunks[", c,
                       "]: made for another store or load (its base IRI or "
                       "blank scope differs)"));
    }
    // FirstUses' places: 31 bits of chunk, 32 of index.
    if (c >= (size_t{1} << 31) ||
        chunk.statements.size() >= (size_t{1} << 32)) {
      return absl::ResourceExhaustedError(
          absl::StrCat("chunks[", c,
                       "]: a load holds at most 2^31 chunks of at most 2^32 "
                       "statements"));
    }
  }
  // The vocabulary, checked as PutEntity, PutRelation and PutDocument would.
  absl::flat_hash_set<absl::string_view> entity_ids, relation_ids;
  // An item given twice is one item when the two are identical, as in a
  // write; the later copy goes.
  {
    std::vector<Entity> entities;
    absl::flat_hash_map<std::string, size_t> at;
    for (size_t i = 0; i < load.entities.size(); ++i) {
      Entity& e = load.entities[i];
      const std::string field = absl::StrCat("entities[", i, "]");
      auto [it, first] = at.try_emplace(e.id, i);
      if (!first) {
        if (e == load.entities[it->second]) continue;
        return absl::InvalidArgumentError(
            absl::StrCat(field, ".id: entity '", EchoValue(e.id),
                         "' is given twice with other content"));
      }
      KG_RETURN_IF_ERROR(ValidateEntity(field, e));
      entities.push_back(e);
      entities.back().aliases = UniqueAliases(e.aliases);
    }
    load.entities = std::move(entities);
    for (const Entity& e : load.entities) entity_ids.insert(e.id);
  }
  {
    std::vector<Relation> relations;
    absl::flat_hash_map<std::string, size_t> at;
    for (size_t i = 0; i < load.relations.size(); ++i) {
      const Relation& r = load.relations[i];
      const std::string field = absl::StrCat("relations[", i, "]");
      auto [it, first] = at.try_emplace(r.id, i);
      if (!first) {
        if (r == load.relations[it->second]) continue;
        return absl::InvalidArgumentError(
            absl::StrCat(field, ".id: relation '", EchoValue(r.id),
                         "' is given twice with other content"));
      }
      KG_RETURN_IF_ERROR(ValidateRelation(field, r));
      relations.push_back(r);
    }
    load.relations = std::move(relations);
    for (const Relation& r : load.relations) relation_ids.insert(r.id);
  }
  // Names: as CheckNamesFree, in the order the entities are put.
  if (!load.shared_names) {
    absl::flat_hash_map<std::string, absl::string_view> named;
    for (size_t i = 0; i < load.entities.size(); ++i) {
      const Entity& e = load.entities[i];
      auto check = [&](const std::string& field,
                       const std::string& name) -> absl::Status {
        auto it = named.find(LowerAscii(name));
        if (it == named.end() || it->second == e.id) return absl::OkStatus();
        return absl::AlreadyExistsError(
            absl::StrCat(field, ": \"", EchoEscaped(name),
                         "\" already names entity '", EchoValue(it->second),
                         "', so a lookup by that name would match "
                         "both it and '",
                         EchoValue(e.id),
                         "'; say that the name is shared (shared_names; kgctl "
                         "--shared-name) if it is meant to name both"));
      };
      const std::string field = absl::StrCat("entities[", i, "]");
      KG_RETURN_IF_ERROR(check(absl::StrCat(field, ".label"), e.label));
      for (size_t a = 0; a < e.aliases.size(); ++a) {
        KG_RETURN_IF_ERROR(
            check(absl::StrCat(field, ".aliases[", a, "]"), e.aliases[a]));
      }
      named.try_emplace(LowerAscii(e.id), e.id);
      named.try_emplace(LowerAscii(e.label), e.id);
      for (const std::string& a : e.aliases) {
        named.try_emplace(LowerAscii(a), e.id);
      }
    }
  }
  // Documents by canonical id (a blank graph name scoped, <base>document/x
  // as x); a repeat is the same document.
  std::vector<Document> documents;
  std::vector<size_t> document_of(load.documents.size());
  {
    absl::flat_hash_map<std::string, size_t> at;
    for (size_t i = 0; i < load.documents.size(); ++i) {
      const std::string field = absl::StrCat("documents[", i, "]");
      Document d = std::move(load.documents[i]);
      absl::string_view rest = d.id;
      d.id =
          absl::ConsumePrefix(&rest, "_:") && !BlankBytesFromId(rest)
              ? absl::StrCat("_:", BlankIdFromBytes(BlankNodeId(scope, rest)))
              : CanonicalDocumentIri(d.id, context.base_iri);
      KG_RETURN_IF_ERROR(ValidateDocument(field, d));
      if (!d.text.empty()) {
        return Invalid(absl::StrCat(field, ".text"),
                       "a fresh load takes data documents only (no text)");
      }
      auto [it, fresh] = at.try_emplace(d.id, documents.size());
      if (fresh) {
        documents.push_back(std::move(d));
      } else if (!(documents[it->second] == d)) {
        return absl::InvalidArgumentError(
            absl::StrCat(field, ": document '", EchoValue(d.id),
                         "' is given twice with other content"));
      }
      document_of[i] = it->second;
    }
  }

  out->chunks_ = std::move(load.chunks);
  std::vector<FreshChunk>* chunks = &out->chunks_;

  // Numbering, in the order a transaction would intern them.
  ByteArena& misc = out->keys_;  // vocabulary keys, identity keys
  std::vector<NumberedTerm>& terms = out->terms_;
  absl::flat_hash_map<absl::string_view, uint64_t> tids;
  out->first_tid_ = counters.next_tid;
  // The vocabulary's tids: new, or, in a next or last part, the first
  // part's.
  const bool later_part = static_cast<bool>(context.stored);
  absl::Status missing;
  auto intern = [&](absl::string_view written,
                    const std::string& field) -> uint64_t {
    const absl::string_view identity = IdentityOf(written, &misc);
    auto [it, fresh] = tids.try_emplace(identity, counters.next_tid);
    if (!fresh) return it->second;
    if (later_part) {
      absl::StatusOr<std::optional<std::string>> value =
          context.stored(kTermCf, std::string(identity));
      uint64_t tid = 0;
      if (!value.ok()) {
        missing.Update(value.status());
      } else if (!value->has_value() || !DecodeTidValue(**value, &tid)) {
        missing.Update(absl::FailedPreconditionError(
            absl::StrCat(field,
                         ": not in the load's first part (every part "
                         "gives the whole load's vocabulary)")));
      }
      it->second = tid;
      return tid;
    }
    terms.push_back({written, identity, false});
    ++counters.next_tid;
    ++counters.terms;
    return it->second;
  };
  std::vector<uint64_t>& entity_tids = out->entity_tids_;
  std::vector<uint64_t>& relation_tids = out->relation_tids_;
  std::vector<uint64_t>& document_tids = out->document_tids_;
  for (size_t i = 0; i < load.entities.size(); ++i) {
    entity_tids.push_back(intern(misc.Keep(EntityTermKey(load.entities[i].id)),
                                 absl::StrCat("entities[", i, "]")));
  }
  for (size_t i = 0; i < load.relations.size(); ++i) {
    relation_tids.push_back(
        intern(misc.Keep(RelationTermKey(load.relations[i].id)),
               absl::StrCat("relations[", i, "]")));
  }
  for (size_t i = 0; i < documents.size(); ++i) {
    document_tids.push_back(intern(misc.Keep(DocumentTermKey(documents[i].id)),
                                   absl::StrCat("documents[", i, "]")));
  }
  KG_RETURN_IF_ERROR(missing);
  if (later_part) {
    // The first part wrote them.
    load.entities.clear();
    load.relations.clear();
    documents.clear();
  } else {
    counters.entities += load.entities.size();
    counters.relations += load.relations.size();
    counters.documents += documents.size();
  }

  size_t total = 0;
  for (FreshChunk& chunk : *chunks) {
    chunk.rep().key_numbers = {};  // Seal, if the chunk's maker did not
    total += chunk.size();
  }
  // First, in parallel: where each chunk key and each statement occurs
  // first in the load (FirstUses). Then, in order: the numbers.
  KG_ASSIGN_OR_RETURN(FirstUses first, FindFirstUses(*chunks, tids, context));
  tids = {};
  terms.reserve(terms.size() + first.new_terms + total);
  std::vector<StatementRow>& rows = out->rows_;
  rows.reserve(first.new_statements);
  std::vector<Record>& records = out->records_;
  records.reserve(total);
  absl::flat_hash_set<std::pair<uint64_t, uint64_t>> later_records;
  size_t shared_records = 0;  // first records given as shared ones
  // An earlier part's statement met again: its row's place in
  // updated_rows_.
  std::vector<StatementRow>& updated = out->updated_rows_;
  absl::flat_hash_map<uint64_t, size_t> updated_at;
  std::vector<uint64_t> live_before;  // updated's, as read
  auto taken = first.taken.begin();
  for (size_t c = 0; c < chunks->size(); ++c) {
    const FreshChunk::Rep& chunk = (*chunks)[c].rep();
    std::vector<uint64_t>& key_uses = first.keys[c];
    // The tid of the chunk's key `n`, used by statement `i` as `what`:
    // numbered at its first use in the load, found at a later one.
    auto resolve = [&](size_t i, absl::string_view what, uint32_t n,
                       uint64_t* tid) -> absl::Status {
      uint64_t& use = key_uses[n];
      if (use == FirstUses::Place(c, n)) {
        const absl::string_view written = chunk.keys[n];
        const absl::string_view identity = IdentityOf(written, &misc);
        terms.push_back({written, identity, false});
        use = FirstUses::Numbered(counters.next_tid++);
        ++counters.terms;
      } else if (!FirstUses::IsNumbered(use)) {
        // Numbered at its first use, an earlier one.
        use = first.keys[FirstUses::ChunkOf(use)][FirstUses::IndexOf(use)];
      }
      *tid = FirstUses::Tid(use);
      if (*tid != 0) return absl::OkStatus();
      // An entity or a relation that is not one of the load's.
      const absl::string_view key = chunk.keys[n];
      const bool relation = key[0] == static_cast<char>(TermTag::kRelation);
      std::string id;
      DecodeIdTermKey(key, relation ? TermTag::kRelation : TermTag::kEntity,
                      &id);
      return NotFound(
          absl::StrCat(chunk.name, ".statements[", i, "].triple", what),
          absl::StrCat("no ", relation ? "relation" : "entity", " '",
                       EchoValue(id), "'"));
    };
    std::vector<uint64_t>& statement_uses = first.statements[c];
    for (size_t i = 0; i < chunk.statements.size(); ++i) {
      const KeyedStatement& k = chunk.statements[i];
      uint64_t s, p, o;
      KG_RETURN_IF_ERROR(resolve(i, ".subject", k.subject, &s));
      KG_RETURN_IF_ERROR(resolve(i, ".relation", k.predicate, &p));
      KG_RETURN_IF_ERROR(resolve(i, ".object", k.object, &o));
      uint32_t document = k.document;
      if (chunk.documents.has_value()) {
        document = document < chunk.documents->size()
                       ? (*chunk.documents)[document]
                       : UINT32_MAX;
      }
      if (document >= document_of.size()) {
        return Invalid(absl::StrCat(chunk.name, ".statements[", i,
                                    "].provenance[0].document_id"),
                       "no such document in the load");
      }
      const uint64_t doc = document_tids[document_of[document]];
      uint64_t& use = statement_uses[i];
      if (use == FirstUses::Place(c, i)) {
        const absl::string_view hash(k.hash.data(), k.hash.size());
        const bool short_key_taken =
            taken != first.taken.end() && *taken == use;
        taken += short_key_taken;
        terms.push_back({hash, hash, true, short_key_taken});
        const uint64_t tid = counters.next_tid++;
        ++counters.terms;
        use = FirstUses::Numbered(rows.size());  // its row, here
        StmtValue row{s, p, o, 1, 0};
        if (load.share_records) {
          row.shared = doc;
          ++shared_records;
        } else {
          records.push_back({tid, doc});
        }
        rows.push_back({tid, row, doc});
        ++out->result_.statements_created;
        ++out->result_.provenance_added;
        continue;
      }
      const uint64_t numbered = FirstUses::IsNumbered(use)
                                    ? use
                                    : first.statements[FirstUses::ChunkOf(use)]
                                                      [FirstUses::IndexOf(use)];
      if (FirstUses::IsStored(numbered)) {
        // An earlier part's statement: a record of its own unless that
        // part or this one gave it already.
        const uint64_t tid = FirstUses::StoredTid(numbered);
        auto [at, fresh] = updated_at.try_emplace(tid, updated.size());
        if (fresh) {
          KG_ASSIGN_OR_RETURN(std::optional<std::string> value,
                              context.stored(kStmtCf, TidKey(tid)));
          StatementRow row{tid, {}, 0};
          if (!value.has_value() || !DecodeStmt(*value, &row.row)) {
            return absl::DataLossError(
                absl::StrCat("statement ", tid, ": no row, or a corrupt one"));
          }
          updated.push_back(row);
          live_before.push_back(row.row.live);
        }
        bool stored_record = false;
        if (later_records.insert({tid, doc}).second) {
          KG_ASSIGN_OR_RETURN(
              std::optional<std::string> record,
              context.stored(kProvCf,
                             ProvKey(tid, doc, 0, 0, context.now_micros)));
          stored_record =
              record.has_value() || updated[at->second].row.shared == doc;
        } else {
          stored_record = true;  // this part's
        }
        if (stored_record) {
          ++out->result_.provenance_unchanged;
          continue;
        }
        ++updated[at->second].row.live;
        records.push_back({tid, doc});
        ++out->result_.provenance_added;
        continue;
      }
      StatementRow& row = rows[FirstUses::Tid(numbered)];
      if (doc == row.first_document ||
          !later_records.insert({row.tid, doc}).second) {
        ++out->result_.provenance_unchanged;  // the same record again
        continue;
      }
      ++row.row.live;
      records.push_back({row.tid, doc});
      ++out->result_.provenance_added;
    }
  }
  counters.statements += rows.size();
  counters.provenance += records.size() + shared_records;
  if (shared_records > 0) {
    // Each document's shared record, bounded by the statements given it,
    // and by an earlier part's.
    absl::flat_hash_map<uint64_t, SharedRecord> shared;
    for (const StatementRow& r : rows) {
      if (r.row.shared == 0) continue;
      auto [it, fresh] = shared.try_emplace(r.row.shared);
      if (fresh) {
        it->second.recorded_micros = context.now_micros;
        it->second.first = r.tid;
      }
      it->second.last = r.tid;
    }
    for (auto& [doc, record] : shared) {
      if (later_part) {
        KG_ASSIGN_OR_RETURN(std::optional<std::string> stored,
                            context.stored(kProvCf, SharedRecordKey(doc)));
        SharedRecord before;
        if (stored.has_value()) {
          if (!DecodeSharedRecord(*stored, &before)) {
            return absl::DataLossError(
                absl::StrCat("document ", doc, ": corrupt shared record"));
          }
          record.first = std::min(record.first, before.first);
        }
      }
      out->shared_.emplace_back(doc, record);
    }
    std::sort(out->shared_.begin(), out->shared_.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
  }
  later_records = {};
  // Only the rows that gained a record are written again, by tid.
  {
    size_t kept = 0;
    for (size_t i = 0; i < updated.size(); ++i) {
      if (updated[i].row.live != live_before[i]) updated[kept++] = updated[i];
    }
    updated.resize(kept);
    std::sort(updated.begin(), updated.end(),
              [](const StatementRow& a, const StatementRow& b) {
                return a.tid < b.tid;
              });
  }

  out->entities_ = std::move(load.entities);
  out->relations_ = std::move(load.relations);
  out->documents_ = std::move(documents);
  out->now_micros_ = context.now_micros;
  out->index_changes_.reserve(rows.size());
  for (const StatementRow& r : rows) {
    out->index_changes_.push_back(
        {r.row.subject, r.row.relation, r.row.object, r.tid, true});
  }
  out->counters_ = counters;
  out->parts_ = context.parts;
  out->parts_value_ = context.parts_value;
  return out;
}

}  // namespace kg::storage

namespace kg::storage {

std::vector<absl::string_view> FreshFamilies::NewKeys() const {
  std::vector<absl::string_view> keys;
  keys.reserve(terms_.size());
  for (const NumberedTerm& t : terms_) {
    keys.push_back(t.statement ? t.identity.substr(0, kStatementShortHashBytes)
                               : t.identity);
  }
  return keys;
}

absl::Status FreshFamilies::Write(Cf cf, KeySink& sink) const {
  // A family whose keys are byte strings: sorted, then put.
  auto put_sorted =
      [&](std::vector<std::pair<absl::string_view, absl::string_view>>& kv)
      -> absl::Status {
    std::sort(kv.begin(), kv.end());
    kv.erase(std::unique(kv.begin(), kv.end()), kv.end());
    for (const auto& [key, value] : kv) {
      KG_RETURN_IF_ERROR(sink.Put(key, value));
    }
    return absl::OkStatus();
  };
  // An index family: (a, b, c, statement) as integers, sorted.
  auto index = [&](auto order) -> absl::Status {
    std::vector<std::array<uint64_t, 4>> entries;
    entries.reserve(rows_.size());
    for (const StatementRow& r : rows_) entries.push_back(order(r));
    std::sort(entries.begin(), entries.end());
    for (const auto& e : entries) {
      KG_RETURN_IF_ERROR(sink.Put(IndexKey(e[0], e[1], e[2]),
                                  IndexValue(e[3], /*asserted=*/true)));
    }
    return absl::OkStatus();
  };
  // The records by (a, b): statement and document, or the other way.
  auto records = [&](bool by_document) {
    std::vector<Record> out = records_;
    if (by_document) {
      for (Record& r : out) std::swap(r.statement, r.document);
    }
    std::sort(out.begin(), out.end(), [](const Record& a, const Record& b) {
      return std::tie(a.statement, a.document) <
             std::tie(b.statement, b.document);
    });
    return out;
  };
  switch (cf) {
    case kDefaultCf:
      static_assert(std::string_view(kCountersKey) <
                    std::string_view(kFreshPartsKey));
      KG_RETURN_IF_ERROR(sink.Put(kCountersKey, EncodeCounters(counters_)));
      switch (parts_) {
        case FreshLoadContext::Parts::kNone:
          return absl::OkStatus();
        case FreshLoadContext::Parts::kUnderWay:
          return sink.Put(kFreshPartsKey, parts_value_);
        case FreshLoadContext::Parts::kDone:
          return sink.Delete(kFreshPartsKey);
      }
      return absl::OkStatus();
    case kTermCf: {
      // The dictionary. Statements' keys are a range of their own (tag
      // `S`): 8 bytes of the hash, or all 16 when an earlier statement took
      // those 8 (format 6; as NewTermFamilyKey, the short key whenever it
      // is free, whatever format the store was created at). They are
      // sorted as integers, the other terms' keys as bytes around them.
      struct StatementEntry {
        uint64_t high;     // the hash's first 8 bytes, the short key's
        const char* hash;  // all 16
        uint64_t tid;
        bool whole;
      };
      std::vector<std::pair<absl::string_view, uint64_t>> others;
      std::vector<StatementEntry> statements;
      statements.reserve(rows_.size());
      others.reserve(terms_.size() - rows_.size());
      for (size_t i = 0; i < terms_.size(); ++i) {
        const NumberedTerm& t = terms_[i];
        if (t.statement) {
          statements.push_back({DecodeFixed64(t.identity.data()),
                                t.identity.data(), first_tid_ + i,
                                t.short_key_taken});
        } else {
          others.push_back({t.identity, first_tid_ + i});
        }
      }
      std::sort(statements.begin(), statements.end(),
                [](const StatementEntry& a, const StatementEntry& b) {
                  return std::tie(a.high, a.tid) < std::tie(b.high, b.tid);
                });
      // Within a run of one short key: the earliest statement has it
      // (unless an earlier part's does), the others their whole keys,
      // which sort after it by their bytes.
      for (auto run = statements.begin(); run != statements.end();) {
        auto end = std::find_if(
            run, statements.end(),
            [&](const StatementEntry& e) { return e.high != run->high; });
        for (auto it = run + 1; it != end; ++it) it->whole = true;
        std::sort(run->whole ? run : run + 1, end,
                  [](const StatementEntry& a, const StatementEntry& b) {
                    return std::memcmp(a.hash, b.hash, kStatementHashBytes) < 0;
                  });
        run = end;
      }
      std::sort(others.begin(), others.end());
      const std::string tag(1, static_cast<char>(TermTag::kStatement));
      const auto after =
          std::lower_bound(others.begin(), others.end(),
                           std::pair<absl::string_view, uint64_t>{tag, 0});
      for (auto it = others.begin(); it != after; ++it) {
        KG_RETURN_IF_ERROR(sink.Put(it->first, TidValue(it->second)));
      }
      for (const StatementEntry& e : statements) {
        std::string key =
            StatementTermKey(absl::string_view(e.hash, kStatementHashBytes));
        if (!e.whole) key = ShortStatementTermKey(key);
        KG_RETURN_IF_ERROR(sink.Put(key, TidValue(e.tid)));
      }
      for (auto it = after; it != others.end(); ++it) {
        KG_RETURN_IF_ERROR(sink.Put(it->first, TidValue(it->second)));
      }
      return absl::OkStatus();
    }
    case kTidCf:
      // The reverse dictionary, in number order: none for statements.
      for (size_t i = 0; i < terms_.size(); ++i) {
        if (terms_[i].statement) continue;
        KG_RETURN_IF_ERROR(sink.Put(TidKey(first_tid_ + i), terms_[i].written));
      }
      return absl::OkStatus();
    case kStmtCf:
      // An earlier part's statements are older than this part's.
      for (const StatementRow& r : updated_rows_) {
        KG_RETURN_IF_ERROR(sink.Put(TidKey(r.tid), EncodeStmt(r.row)));
      }
      for (const StatementRow& r : rows_) {
        KG_RETURN_IF_ERROR(sink.Put(TidKey(r.tid), EncodeStmt(r.row)));
      }
      return absl::OkStatus();
    case kSpoCf:
      return index([](const StatementRow& r) {
        return std::array<uint64_t, 4>{r.row.subject, r.row.relation,
                                       r.row.object, r.tid};
      });
    case kPosCf:
      return index([](const StatementRow& r) {
        return std::array<uint64_t, 4>{r.row.relation, r.row.object,
                                       r.row.subject, r.tid};
      });
    case kOspCf:
      return index([](const StatementRow& r) {
        return std::array<uint64_t, 4>{r.row.object, r.row.subject,
                                       r.row.relation, r.tid};
      });
    case kProvCf: {
      for (const auto& [doc, record] : shared_) {  // first: statement tid 0
        KG_RETURN_IF_ERROR(
            sink.Put(SharedRecordKey(doc), EncodeSharedRecord(record)));
      }
      const std::string value = EncodeProv(ProvValue());
      for (const Record& r : records(/*by_document=*/false)) {
        KG_RETURN_IF_ERROR(sink.Put(
            ProvKey(r.statement, r.document, 0, 0, now_micros_), value));
      }
      return absl::OkStatus();
    }
    case kDocProvCf:
      // (document, statement) after the swap.
      for (const Record& r : records(/*by_document=*/true)) {
        KG_RETURN_IF_ERROR(sink.Put(
            DocProvKey(r.statement, 0, 0, r.document, now_micros_), ""));
      }
      return absl::OkStatus();
    case kEntityCf: {
      ByteArena values;
      std::vector<std::pair<absl::string_view, absl::string_view>> kv;
      for (size_t i = 0; i < entities_.size(); ++i) {
        EntityHistory history;
        EntityVersion& v = history.versions.emplace_back();
        v.since = absl::FromUnixMicros(now_micros_);
        v.entity = entities_[i];
        kv.push_back({entities_[i].id, values.Keep(EncodeEntityHistory(
                                           entity_tids_[i], history))});
      }
      return put_sorted(kv);
    }
    case kNameCf: {
      // The id, the label and each alias, once each.
      ByteArena keys;
      std::vector<std::pair<absl::string_view, absl::string_view>> kv;
      for (const Entity& e : entities_) {
        kv.push_back({keys.Keep(NameKey(e.id, e.id)), ""});
        kv.push_back({keys.Keep(NameKey(e.label, e.id)), ""});
        for (const std::string& a : e.aliases) {
          kv.push_back({keys.Keep(NameKey(a, e.id)), ""});
        }
      }
      return put_sorted(kv);
    }
    case kRelationCf: {
      ByteArena values;
      std::vector<std::pair<absl::string_view, absl::string_view>> kv;
      for (size_t i = 0; i < relations_.size(); ++i) {
        kv.push_back(
            {relations_[i].id,
             values.Keep(EncodeRelation(relation_tids_[i], relations_[i]))});
      }
      return put_sorted(kv);
    }
    case kDocumentCf: {
      ByteArena values;
      std::vector<std::pair<absl::string_view, absl::string_view>> kv;
      for (size_t i = 0; i < documents_.size(); ++i) {
        kv.push_back(
            {documents_[i].id,
             values.Keep(EncodeDocument(document_tids_[i], documents_[i]))});
      }
      return put_sorted(kv);
    }
    default:
      return absl::OkStatus();
  }
}

}  // namespace kg::storage
