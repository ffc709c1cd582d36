#include "storage/keys.h"

#include <limits>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/strip.h"
#include "storage/coding.h"

namespace kg::storage {

const std::array<const char*, kNumCfs> kCfNames = {
    "default", "term", "tid", "entity", "name", "relation", "document",
    "stmt",    "spo",  "pos", "osp",    "prov", "doc_prov",
};

namespace {

std::string TaggedKey(TermTag tag, absl::string_view rest) {
  std::string key(1, static_cast<char>(tag));
  key.append(rest.data(), rest.size());
  return key;
}

void PutDate(std::string* dst, const std::optional<Date>& d) {
  if (!d) {
    dst->push_back(0);
    return;
  }
  dst->push_back(1);
  PutFixed32(dst, static_cast<uint32_t>(d->year));
  dst->push_back(static_cast<char>(d->month));
  dst->push_back(static_cast<char>(d->day));
}

bool GetDate(absl::string_view* in, std::optional<Date>* d) {
  uint8_t present;
  if (!GetByte(in, &present)) return false;
  if (present == 0) {
    d->reset();
    return true;
  }
  uint32_t year;
  uint8_t month, day;
  if (!GetFixed32(in, &year) || !GetByte(in, &month) || !GetByte(in, &day)) {
    return false;
  }
  *d = Date{static_cast<int32_t>(year), month, day};
  return true;
}

bool GetFormat(absl::string_view* in) {
  uint8_t format;
  return GetByte(in, &format) && format == kValueFormat;
}

}  // namespace

std::string EntityTermKey(absl::string_view id) {
  return TaggedKey(TermTag::kEntity, id);
}
std::string RelationTermKey(absl::string_view id) {
  return TaggedKey(TermTag::kRelation, id);
}
std::string DocumentTermKey(absl::string_view id) {
  return TaggedKey(TermTag::kDocument, id);
}
std::string StatementTermKey(absl::string_view hash16) {
  return TaggedKey(TermTag::kStatement, hash16);
}
std::string IriTermKey(absl::string_view iri) {
  return TaggedKey(TermTag::kIri, iri);
}
std::string BlankTermKey(absl::string_view id16) {
  return TaggedKey(TermTag::kBlank, id16);
}
std::string LiteralTermKey(const Literal& literal) {
  std::string key(1, static_cast<char>(TermTag::kLiteral));
  key.push_back(static_cast<char>(literal.type));
  switch (literal.type) {
    case LiteralType::kTyped:
      PutLengthPrefixed(&key, literal.datatype);
      break;
    case LiteralType::kLangString:
      // The tag as written; LiteralIdentityKey lowercases it.
      key.append(literal.language);
      key.push_back('\0');
      key.push_back(static_cast<char>(literal.direction));
      break;
    default:
      break;
  }
  key.append(literal.lexical);
  return key;
}

std::string TermIdentityKey(absl::string_view key) {
  std::string out(key);
  if (out.size() > 2 && out[0] == static_cast<char>(TermTag::kLiteral) &&
      out[1] == static_cast<char>(LiteralType::kLangString)) {
    for (size_t i = 2; i < out.size() && out[i] != '\0'; ++i) {
      out[i] = absl::ascii_tolower(static_cast<unsigned char>(out[i]));
    }
  }
  return out;
}

std::string BlankIdFromBytes(absl::string_view id16) {
  return "b" + absl::BytesToHexString(id16);
}

std::optional<std::string> BlankBytesFromId(absl::string_view id) {
  if (id.size() != 1 + 2 * kBlankIdBytes || id[0] != 'b') return std::nullopt;
  for (char c : id.substr(1)) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
      return std::nullopt;
    }
  }
  return absl::HexStringToBytes(id.substr(1));
}

std::string StatementIdFromHash(absl::string_view hash16) {
  return "s" + absl::BytesToHexString(hash16);
}

std::optional<std::string> HashFromStatementId(absl::string_view id) {
  if (id.size() != 1 + 2 * kStatementHashBytes || id[0] != 's') {
    return std::nullopt;
  }
  for (char c : id.substr(1)) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
      return std::nullopt;
    }
  }
  return absl::HexStringToBytes(id.substr(1));
}

std::string StatementTermPrefix() {
  return std::string(1, static_cast<char>(TermTag::kStatement));
}

bool SplitTermKey(absl::string_view key, TermTag* tag,
                  absl::string_view* rest) {
  if (key.empty()) return false;
  *tag = static_cast<TermTag>(key[0]);
  *rest = key.substr(1);
  return true;
}

bool DecodeIdTermKey(absl::string_view key, TermTag tag, std::string* id) {
  if (key.size() < 2 || key[0] != static_cast<char>(tag)) return false;
  *id = std::string(key.substr(1));
  return true;
}

bool DecodePredicateTermKey(absl::string_view key, std::string* predicate) {
  return DecodeIdTermKey(key, TermTag::kRelation, predicate) ||
         DecodeIdTermKey(key, TermTag::kIri, predicate);
}

bool DecodeNameKey(absl::string_view key, std::string* entity_id,
                   std::string* lower_name) {
  const size_t nul = key.find('\0');
  if (nul == absl::string_view::npos) return false;
  *entity_id = std::string(key.substr(nul + 1));
  if (lower_name != nullptr) *lower_name = std::string(key.substr(0, nul));
  return true;
}

bool DecodeTermKey(absl::string_view key, TermValue* out) {
  if (key.empty()) return false;
  const char tag = key[0];
  key.remove_prefix(1);
  switch (static_cast<TermTag>(tag)) {
    case TermTag::kEntity:
      out->kind = Term::Kind::kEntity;
      out->id = std::string(key);
      return true;
    case TermTag::kStatement:
      if (key.size() != kStatementHashBytes) return false;
      out->kind = Term::Kind::kStatement;
      out->id = StatementIdFromHash(key);
      return true;
    case TermTag::kIri:
      if (key.empty()) return false;
      out->kind = Term::Kind::kIri;
      out->id = std::string(key);
      return true;
    case TermTag::kBlank:
      if (key.size() != kBlankIdBytes) return false;
      out->kind = Term::Kind::kBlank;
      out->id = BlankIdFromBytes(key);
      return true;
    case TermTag::kLiteral: {
      if (key.empty()) return false;
      out->kind = Term::Kind::kLiteral;
      Literal& l = out->literal;
      l = Literal();
      const uint8_t type = static_cast<uint8_t>(key[0]);
      if (type < 1 || type > 6) return false;
      l.type = static_cast<LiteralType>(type);
      key.remove_prefix(1);
      if (l.type == LiteralType::kTyped) {
        absl::string_view dt;
        if (!GetLengthPrefixed(&key, &dt)) return false;
        l.datatype = std::string(dt);
      } else if (l.type == LiteralType::kLangString) {
        const size_t nul = key.find('\0');
        if (nul == absl::string_view::npos || nul + 1 >= key.size()) {
          return false;
        }
        l.language = std::string(key.substr(0, nul));
        const uint8_t dir = static_cast<uint8_t>(key[nul + 1]);
        if (dir > 2) return false;
        l.direction = static_cast<LiteralDirection>(dir);
        key.remove_prefix(nul + 2);
      }
      l.lexical = std::string(key);
      return true;
    }
    default:
      return false;
  }
}

std::string TidKey(uint64_t tid) {
  std::string key;
  PutFixed64(&key, tid);
  return key;
}

bool DecodeTidKey(absl::string_view key, uint64_t* tid) {
  return key.size() == 8 && GetFixed64(&key, tid);
}

std::string TidValue(uint64_t tid) {
  std::string value;
  // A varint of up to 7 bytes holds 49 bits; a larger tid keeps the fixed
  // 8 bytes, so the size alone tells the two apart.
  if (tid < (uint64_t{1} << 49)) {
    PutVarint64(&value, tid);
  } else {
    PutFixed64(&value, tid);
  }
  return value;
}

bool DecodeTidValue(absl::string_view value, uint64_t* tid) {
  if (value.size() == 8) return GetFixed64(&value, tid);
  return value.size() < 8 && GetVarint64(&value, tid) && value.empty();
}

std::string ShortStatementTermKey(absl::string_view statement_key) {
  return std::string(statement_key.substr(0, 1 + kStatementShortHashBytes));
}

std::string IndexPrefix(std::initializer_list<uint64_t> tids) {
  std::string key;
  for (uint64_t tid : tids) PutFixed64(&key, tid);
  return key;
}

bool DecodeIndexEntry(absl::string_view key, absl::string_view value,
                      IndexEntry* out) {
  if (key.size() != kIndexKeyBytes ||
      (value.size() != 8 && value.size() != 9) || !GetFixed64(&key, &out->a) ||
      !GetFixed64(&key, &out->b) || !GetFixed64(&key, &out->c) ||
      !GetFixed64(&value, &out->stmt)) {
    return false;
  }
  out->asserted.reset();
  if (value.empty()) return true;
  if (value[0] != 0 && value[0] != 1) return false;
  out->asserted = value[0] == 1;
  return true;
}

std::string IndexValue(uint64_t stmt, bool asserted) {
  std::string value = TidKey(stmt);
  value.push_back(asserted ? 1 : 0);
  return value;
}

std::string IndexKey(uint64_t a, uint64_t b, uint64_t c) {
  std::string key;
  key.reserve(kIndexKeyBytes);
  PutFixed64(&key, a);
  PutFixed64(&key, b);
  PutFixed64(&key, c);
  return key;
}

std::string LowerAscii(absl::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::string NamePrefix(absl::string_view name) {
  std::string key = LowerAscii(name);
  key.push_back('\0');
  return key;
}

std::string NameKey(absl::string_view name, absl::string_view entity_id) {
  std::string key = NamePrefix(name);
  key.append(entity_id.data(), entity_id.size());
  return key;
}

std::string ProvPrefix(uint64_t stmt) { return TidKey(stmt); }

std::string ProvPrefix(uint64_t stmt, uint64_t doc) {
  std::string key = TidKey(stmt);
  PutFixed64(&key, doc);
  return key;
}

std::string ProvPrefix(uint64_t stmt, uint64_t doc, uint32_t start,
                       uint32_t end) {
  std::string key = ProvPrefix(stmt, doc);
  PutFixed32(&key, start);
  PutFixed32(&key, end);
  return key;
}

std::string ProvKey(uint64_t stmt, uint64_t doc, uint32_t start, uint32_t end,
                    int64_t recorded_micros) {
  std::string key;
  key.reserve(32);
  PutFixed64(&key, stmt);
  PutFixed64(&key, doc);
  PutFixed32(&key, start);
  PutFixed32(&key, end);
  PutSigned64(&key, recorded_micros);
  return key;
}

bool DecodeProvKey(absl::string_view key, ProvKeyParts* out) {
  return key.size() == 32 && GetFixed64(&key, &out->stmt) &&
         GetFixed64(&key, &out->doc) && GetFixed32(&key, &out->start) &&
         GetFixed32(&key, &out->end) &&
         GetSigned64(&key, &out->recorded_micros);
}

std::string DocProvKey(uint64_t doc, uint32_t start, uint32_t end,
                       uint64_t stmt, int64_t recorded_micros) {
  std::string key;
  key.reserve(32);
  PutFixed64(&key, doc);
  PutFixed32(&key, start);
  PutFixed32(&key, end);
  PutFixed64(&key, stmt);
  PutSigned64(&key, recorded_micros);
  return key;
}

bool DecodeDocProvKey(absl::string_view key, ProvKeyParts* out) {
  return key.size() == 32 && GetFixed64(&key, &out->doc) &&
         GetFixed32(&key, &out->start) && GetFixed32(&key, &out->end) &&
         GetFixed64(&key, &out->stmt) &&
         GetSigned64(&key, &out->recorded_micros);
}

std::string EncodeCounters(const Counters& c) {
  std::string v(1, static_cast<char>(kValueFormat));
  for (uint64_t x : {c.next_tid, c.entities, c.relations, c.documents,
                     c.statements, c.provenance, c.terms}) {
    PutFixed64(&v, x);
  }
  return v;
}

bool DecodeCounters(absl::string_view in, Counters* out) {
  return GetFormat(&in) && GetFixed64(&in, &out->next_tid) &&
         GetFixed64(&in, &out->entities) && GetFixed64(&in, &out->relations) &&
         GetFixed64(&in, &out->documents) &&
         GetFixed64(&in, &out->statements) &&
         GetFixed64(&in, &out->provenance) && GetFixed64(&in, &out->terms) &&
         in.empty();
}

std::string EncodeFreshParts(const FreshParts& p) {
  std::string v(1, static_cast<char>(kValueFormat));
  PutFixed64(&v, static_cast<uint64_t>(p.now_micros));
  v += EncodeCounters(p.before);
  return v;
}

bool DecodeFreshParts(absl::string_view in, FreshParts* out) {
  uint64_t now;
  if (!GetFormat(&in) || !GetFixed64(&in, &now)) return false;
  out->now_micros = static_cast<int64_t>(now);
  return DecodeCounters(in, &out->before);
}

namespace {

void PutEntityNames(std::string* v, const Entity& e) {
  PutLengthPrefixed(v, e.label);
  PutLengthPrefixed(v, e.type);
  PutVarint32(v, static_cast<uint32_t>(e.aliases.size()));
  for (const auto& a : e.aliases) PutLengthPrefixed(v, a);
}

bool GetEntityNames(absl::string_view* in, Entity* out) {
  absl::string_view label, type;
  uint32_t n;
  if (!GetLengthPrefixed(in, &label) || !GetLengthPrefixed(in, &type) ||
      !GetVarint32(in, &n) || n > in->size()) {
    return false;
  }
  out->label = std::string(label);
  out->type = std::string(type);
  out->aliases.clear();
  for (uint32_t i = 0; i < n; ++i) {
    absl::string_view alias;
    if (!GetLengthPrefixed(in, &alias)) return false;
    out->aliases.emplace_back(alias);
  }
  return true;
}

int64_t SinceMicros(absl::Time t) {
  return t == absl::InfinitePast() ? std::numeric_limits<int64_t>::min()
                                   : absl::ToUnixMicros(t);
}

absl::Time SinceTime(int64_t micros) {
  return micros == std::numeric_limits<int64_t>::min()
             ? absl::InfinitePast()
             : absl::FromUnixMicros(micros);
}

}  // namespace

std::string EncodeEntityHistory(uint64_t tid, const EntityHistory& h) {
  std::string v(1, static_cast<char>(kEntityHistoryFormat));
  PutFixed64(&v, tid);
  PutVarint32(&v, static_cast<uint32_t>(h.versions.size()));
  for (const EntityVersion& version : h.versions) {
    PutSigned64(&v, SinceMicros(version.since));
    v.push_back(static_cast<char>(version.state));
    PutLengthPrefixed(&v, version.merged_into);
    PutEntityNames(&v, version.entity);
  }
  return v;
}

bool DecodeEntityHistory(absl::string_view id, absl::string_view in,
                         uint64_t* tid, EntityHistory* out) {
  out->versions.clear();
  uint8_t format;
  if (!GetByte(&in, &format) || !GetFixed64(&in, tid)) return false;
  if (format == kValueFormat) {  // one live version, from before histories
    EntityVersion& v = out->versions.emplace_back();
    v.entity.id = std::string(id);
    return GetEntityNames(&in, &v.entity) && in.empty();
  }
  uint32_t n;
  if (format != kEntityHistoryFormat || !GetVarint32(&in, &n) || n == 0 ||
      n > in.size()) {
    return false;
  }
  for (uint32_t i = 0; i < n; ++i) {
    EntityVersion& v = out->versions.emplace_back();
    int64_t since;
    uint8_t state;
    absl::string_view merged_into;
    if (!GetSigned64(&in, &since) || !GetByte(&in, &state) || state > 2 ||
        !GetLengthPrefixed(&in, &merged_into)) {
      return false;
    }
    v.since = SinceTime(since);
    v.state = static_cast<EntityVersion::State>(state);
    v.merged_into = std::string(merged_into);
    v.entity.id = std::string(id);
    if (!GetEntityNames(&in, &v.entity)) return false;
  }
  return in.empty();
}

bool DecodeEntity(absl::string_view id, absl::string_view in, uint64_t* tid,
                  Entity* out) {
  EntityHistory h;
  if (!DecodeEntityHistory(id, in, tid, &h)) return false;
  *out = h.current().entity;
  return true;
}

std::string EncodeRelation(uint64_t tid, const Relation& r) {
  std::string v(1, static_cast<char>(kValueFormat));
  PutFixed64(&v, tid);
  PutLengthPrefixed(&v, r.label);
  v.push_back(r.symmetric ? 1 : 0);
  v.push_back(static_cast<char>(r.polarity));
  return v;
}

bool DecodeRelation(absl::string_view id, absl::string_view in, uint64_t* tid,
                    Relation* out) {
  absl::string_view label;
  uint8_t symmetric, polarity;
  if (!GetFormat(&in) || !GetFixed64(&in, tid) ||
      !GetLengthPrefixed(&in, &label) || !GetByte(&in, &symmetric) ||
      !GetByte(&in, &polarity) || polarity > 2 || !in.empty()) {
    return false;
  }
  out->id = std::string(id);
  out->label = std::string(label);
  out->symmetric = symmetric != 0;
  out->polarity = static_cast<Polarity>(polarity);
  return true;
}

std::string EncodeDocument(uint64_t tid, const Document& d) {
  std::string v(1, static_cast<char>(kValueFormat));
  PutFixed64(&v, tid);
  PutLengthPrefixed(&v, d.title);
  PutLengthPrefixed(&v, d.publisher);
  PutDate(&v, d.published);
  PutLengthPrefixed(&v, d.text);
  return v;
}

bool DecodeDocument(absl::string_view id, absl::string_view in,
                    bool include_text, uint64_t* tid, Document* out) {
  absl::string_view title, publisher, text;
  if (!GetFormat(&in) || !GetFixed64(&in, tid) ||
      !GetLengthPrefixed(&in, &title) || !GetLengthPrefixed(&in, &publisher) ||
      !GetDate(&in, &out->published) || !GetLengthPrefixed(&in, &text) ||
      !in.empty()) {
    return false;
  }
  out->id = std::string(id);
  out->title = std::string(title);
  out->publisher = std::string(publisher);
  out->text = include_text ? std::string(text) : std::string();
  return true;
}

std::string EncodeStmt(const StmtValue& s) {
  std::string v(1, static_cast<char>(kStmtVarintFormat));
  PutVarint64(&v, s.subject);
  PutVarint64(&v, s.relation);
  PutVarint64(&v, s.object);
  PutVarint32(&v, s.live);
  PutVarint32(&v, s.quoted);
  if (s.shared != 0) PutVarint64(&v, s.shared);  // format 7
  return v;
}

bool DecodeStmt(absl::string_view in, StmtValue* out) {
  uint8_t format;
  if (!GetByte(&in, &format)) return false;
  if (format == kStmtVarintFormat) {
    out->shared = 0;
    if (!(GetVarint64(&in, &out->subject) && GetVarint64(&in, &out->relation) &&
          GetVarint64(&in, &out->object) && GetVarint32(&in, &out->live) &&
          GetVarint32(&in, &out->quoted))) {
      return false;
    }
    if (in.empty()) return true;
    return GetVarint64(&in, &out->shared) && out->shared != 0 &&
           out->live > 0 && in.empty();
  }
  out->shared = 0;
  return format == kValueFormat && GetFixed64(&in, &out->subject) &&
         GetFixed64(&in, &out->relation) && GetFixed64(&in, &out->object) &&
         GetFixed32(&in, &out->live) && GetFixed32(&in, &out->quoted) &&
         in.empty();
}

std::string EncodeProv(const ProvValue& p) {
  std::string v(1, static_cast<char>(kValueFormat));
  v.push_back(static_cast<char>(p.hedge));
  PutDouble(&v, p.confidence);
  PutDate(&v, p.valid_time.start);
  PutDate(&v, p.valid_time.end);
  PutLengthPrefixed(&v, p.evidence);
  v.push_back(p.retracted_micros ? 1 : 0);
  if (p.retracted_micros) PutSigned64(&v, *p.retracted_micros);
  return v;
}

bool DecodeProvConfidence(absl::string_view in, double* confidence,
                          bool* live) {
  uint8_t hedge, retracted;
  std::optional<Date> start, end;
  absl::string_view evidence;
  if (!GetFormat(&in) || !GetByte(&in, &hedge) || hedge > 5 ||
      !GetDouble(&in, confidence) || !GetDate(&in, &start) ||
      !GetDate(&in, &end) || !GetLengthPrefixed(&in, &evidence) ||
      !GetByte(&in, &retracted)) {
    return false;
  }
  *live = retracted == 0;
  return true;
}

std::string SharedRecordPrefix() { return ProvPrefix(0); }

std::string SharedRecordKey(uint64_t doc) { return ProvPrefix(0, doc); }

bool DecodeSharedRecordKey(absl::string_view key, uint64_t* doc) {
  uint64_t zero;
  return key.size() == 16 && GetFixed64(&key, &zero) && zero == 0 &&
         GetFixed64(&key, doc) && *doc != 0;
}

std::string EncodeSharedRecord(const SharedRecord& r) {
  std::string v(1, static_cast<char>(kValueFormat));
  PutSigned64(&v, r.recorded_micros);
  PutVarint64(&v, r.first);
  PutVarint64(&v, r.last);
  v += EncodeProv(r.value);
  return v;
}

bool DecodeSharedRecord(absl::string_view in, SharedRecord* out) {
  return GetFormat(&in) && GetSigned64(&in, &out->recorded_micros) &&
         GetVarint64(&in, &out->first) && GetVarint64(&in, &out->last) &&
         out->first != 0 && out->first <= out->last &&
         DecodeProv(in, &out->value) && !out->value.retracted_micros;
}

bool DecodeProv(absl::string_view in, ProvValue* out) {
  uint8_t hedge, retracted;
  absl::string_view evidence;
  if (!GetFormat(&in) || !GetByte(&in, &hedge) || hedge > 5 ||
      !GetDouble(&in, &out->confidence) ||
      !GetDate(&in, &out->valid_time.start) ||
      !GetDate(&in, &out->valid_time.end) ||
      !GetLengthPrefixed(&in, &evidence) || !GetByte(&in, &retracted)) {
    return false;
  }
  out->hedge = static_cast<Hedge>(hedge);
  out->evidence = std::string(evidence);
  out->retracted_micros.reset();
  if (retracted) {
    int64_t micros;
    if (!GetSigned64(&in, &micros)) return false;
    out->retracted_micros = micros;
  }
  return in.empty();
}

namespace {

constexpr char kContestedStatementPrefix[] = "contested:S";
constexpr char kContestedRankPrefix[] = "contested:R";

void PutFigures(std::string* out, const ContestedFigures& f) {
  PutFixed32(out, f.supporting);
  PutFixed32(out, f.opposing);
  PutFixed32(out, f.distinct);
}

bool GetFigures(absl::string_view* in, ContestedFigures* f) {
  return GetFixed32(in, &f->supporting) && GetFixed32(in, &f->opposing) &&
         GetFixed32(in, &f->distinct);
}

}  // namespace

std::string ContestedStatementPrefix() { return kContestedStatementPrefix; }

bool DecodeContestedStatementKey(absl::string_view key, uint64_t* stmt) {
  return absl::ConsumePrefix(&key, kContestedStatementPrefix) &&
         GetFixed64(&key, stmt) && key.empty();
}

std::string ContestedStatementKey(uint64_t stmt) {
  std::string key = kContestedStatementPrefix;
  PutFixed64(&key, stmt);
  return key;
}

std::string ContestedStatementValue(const ContestedFigures& f,
                                    absl::string_view hash16) {
  std::string value;
  PutFigures(&value, f);
  value.append(hash16.data(), hash16.size());
  return value;
}

bool DecodeContestedStatementValue(absl::string_view in, ContestedFigures* f,
                                   std::string* hash16) {
  if (!GetFigures(&in, f) || in.size() != kStatementHashBytes) return false;
  hash16->assign(in.data(), in.size());
  return true;
}

std::string ContestedRankPrefix() { return kContestedRankPrefix; }

std::string ContestedRankKey(uint32_t distinct, absl::string_view hash16) {
  std::string key = kContestedRankPrefix;
  PutFixed32(&key, ~distinct);
  key.append(hash16.data(), hash16.size());
  return key;
}

std::string ContestedRankValue(uint64_t stmt, const ContestedFigures& f) {
  std::string value;
  PutFixed64(&value, stmt);
  PutFigures(&value, f);
  return value;
}

bool DecodeContestedRankEntry(absl::string_view key, absl::string_view value,
                              ContestedRankEntry* out) {
  if (!absl::ConsumePrefix(&key, kContestedRankPrefix)) return false;
  uint32_t inverted = 0;
  if (!GetFixed32(&key, &inverted) || key.size() != kStatementHashBytes) {
    return false;
  }
  out->distinct = ~inverted;
  out->hash16.assign(key.data(), key.size());
  return GetFixed64(&value, &out->stmt) && GetFigures(&value, &out->figures) &&
         value.empty() && out->figures.distinct == out->distinct;
}

int64_t ToMicros(absl::Time t) { return absl::ToUnixMicros(t); }
absl::Time FromMicros(int64_t micros) { return absl::FromUnixMicros(micros); }

}  // namespace kg::storage
