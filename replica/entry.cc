#include "replica/entry.h"

#include <cstdint>
#include <cstring>
#include <fstream>
#include <optional>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace kg::replica {
namespace {

using storage::Date;
using storage::Document;
using storage::Entity;
using storage::EntityEdit;
using storage::EntityMerge;
using storage::Literal;
using storage::ProvenanceInput;
using storage::Relation;
using storage::StatementInput;
using storage::Term;
using storage::Triple;
using storage::ValidTime;
using storage::WriteBatch;

// Version 1. A reader refuses versions it does not know; a new field gets
// a new version, never a changed meaning.
constexpr uint8_t kVersion = 1;
// Version 2 adds Entry::Kind::kByReference; only such entries are written
// in it, so a kg that reads version 1 reads every other entry.
constexpr uint8_t kByReferenceVersion = 2;
// Quoted triples nest; a store refuses deeper ones, the codec far deeper.
constexpr int kMaxDepth = 64;

class Writer {
 public:
  void Byte(uint8_t b) { out_.push_back(static_cast<char>(b)); }
  void Varint(uint64_t v) {
    while (v >= 0x80) {
      out_.push_back(static_cast<char>((v & 0x7f) | 0x80));
      v >>= 7;
    }
    out_.push_back(static_cast<char>(v));
  }
  void Signed(int64_t v) {  // zigzag
    Varint((static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63));
  }
  void Bytes(absl::string_view s) {
    Varint(s.size());
    out_.append(s.data(), s.size());
  }
  void Double(double d) {
    uint64_t bits;
    std::memcpy(&bits, &d, sizeof(bits));
    for (int i = 0; i < 8; ++i)
      out_.push_back(static_cast<char>(bits >> (8 * i)));
  }
  void Time(absl::Time t) { Signed(absl::ToUnixMicros(t)); }
  void OptionalDate(const std::optional<Date>& d) {
    Byte(d.has_value());
    if (!d) return;
    Signed(d->year);
    Signed(d->month);
    Signed(d->day);
  }
  void Strings(const std::vector<std::string>& v) {
    Varint(v.size());
    for (const std::string& s : v) Bytes(s);
  }
  void Term(const storage::Term& t) {
    Byte(static_cast<uint8_t>(t.kind()));
    Bytes(t.id());
    if (t.kind() == Term::Kind::kLiteral) {
      const Literal& l = t.literal();
      Byte(static_cast<uint8_t>(l.type));
      Bytes(l.lexical);
      Bytes(l.datatype);
      Bytes(l.language);
      Byte(static_cast<uint8_t>(l.direction));
    }
    if (t.kind() == Term::Kind::kStatement) {
      Byte(t.triple() != nullptr);
      if (t.triple() != nullptr) Triple(*t.triple());
    }
  }
  void Triple(const storage::Triple& t) {
    Term(t.subject);
    Bytes(t.relation);
    Term(t.object);
  }
  std::string Take() { return std::move(out_); }

 private:
  std::string out_;
};

class Reader {
 public:
  explicit Reader(absl::string_view in) : in_(in) {}
  bool ok() const { return ok_; }
  bool done() const { return in_.empty(); }
  uint8_t Byte() {
    if (in_.empty()) return Fail(), 0;
    const uint8_t b = static_cast<uint8_t>(in_[0]);
    in_.remove_prefix(1);
    return b;
  }
  uint64_t Varint() {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      const uint8_t b = Byte();
      if (!ok_) return 0;
      v |= static_cast<uint64_t>(b & 0x7f) << shift;
      if ((b & 0x80) == 0) return v;
    }
    return Fail(), 0;
  }
  int64_t Signed() {
    const uint64_t z = Varint();
    return static_cast<int64_t>((z >> 1) ^ (~(z & 1) + 1));
  }
  std::string Bytes() {
    const uint64_t n = Varint();
    if (!ok_ || n > in_.size()) return Fail(), std::string();
    std::string s(in_.substr(0, n));
    in_.remove_prefix(n);
    return s;
  }
  double Double() {
    uint64_t bits = 0;
    for (int i = 0; i < 8; ++i)
      bits |= static_cast<uint64_t>(Byte()) << (8 * i);
    double d;
    std::memcpy(&d, &bits, sizeof(d));
    return d;
  }
  absl::Time Time() { return absl::FromUnixMicros(Signed()); }
  std::optional<Date> OptionalDate() {
    if (Byte() == 0) return std::nullopt;
    Date d;
    d.year = static_cast<int32_t>(Signed());
    d.month = static_cast<int32_t>(Signed());
    d.day = static_cast<int32_t>(Signed());
    return d;
  }
  // A count of items that each take at least one byte: no more than are
  // left, so a damaged count cannot make a huge vector.
  size_t Count() {
    const uint64_t n = Varint();
    if (n > in_.size()) return Fail(), 0;
    return static_cast<size_t>(n);
  }
  std::vector<std::string> Strings() {
    std::vector<std::string> v(Count());
    for (std::string& s : v) s = Bytes();
    return v;
  }
  storage::Term Term(int depth) {
    if (depth > kMaxDepth) return Fail(), storage::Term();
    const uint8_t kind = Byte();
    std::string id = Bytes();
    switch (static_cast<Term::Kind>(kind)) {
      case Term::Kind::kEntity:
        return Term::Entity(std::move(id));
      case Term::Kind::kIri:
        return Term::Iri(std::move(id));
      case Term::Kind::kBlank:
        return Term::Blank(std::move(id));
      case Term::Kind::kLiteral: {
        const auto type = static_cast<storage::LiteralType>(Byte());
        std::string lexical = Bytes(), datatype = Bytes(), language = Bytes();
        const auto direction = static_cast<storage::LiteralDirection>(Byte());
        if (type == storage::LiteralType::kTyped ||
            type == storage::LiteralType::kLangString) {
          return Term::RdfLiteral(std::move(lexical), std::move(datatype),
                                  std::move(language), direction);
        }
        return Term::Literal(type, std::move(lexical));
      }
      case Term::Kind::kStatement:
        if (Byte() == 0) return Term::StatementId(std::move(id));
        return Term::Quoted(Triple(depth + 1));
    }
    return Fail(), storage::Term();
  }
  storage::Triple Triple(int depth) {
    storage::Triple t;
    t.subject = Term(depth);
    t.relation = Bytes();
    t.object = Term(depth);
    return t;
  }
  void Fail() { ok_ = false; }

 private:
  absl::string_view in_;
  bool ok_ = true;
};

void EncodeBatch(const WriteBatch& b, Writer& w) {
  w.Byte(static_cast<uint8_t>(b.entity_mode));
  w.Byte(b.shared_names);
  w.Varint(b.entities.size());
  for (const Entity& e : b.entities) {
    w.Bytes(e.id);
    w.Bytes(e.label);
    w.Bytes(e.type);
    w.Strings(e.aliases);
  }
  w.Varint(b.entity_edits.size());
  for (const EntityEdit& e : b.entity_edits) {
    w.Bytes(e.id);
    w.Byte(e.label.has_value());
    if (e.label) w.Bytes(*e.label);
    w.Byte(e.type.has_value());
    if (e.type) w.Bytes(*e.type);
    w.Strings(e.add_aliases);
    w.Strings(e.remove_aliases);
  }
  w.Varint(b.relations.size());
  for (const Relation& r : b.relations) {
    w.Bytes(r.id);
    w.Bytes(r.label);
    w.Byte(r.symmetric);
    w.Byte(static_cast<uint8_t>(r.polarity));
  }
  w.Varint(b.documents.size());
  for (const Document& d : b.documents) {
    w.Bytes(d.id);
    w.Bytes(d.title);
    w.Bytes(d.publisher);
    w.OptionalDate(d.published);
    w.Bytes(d.text);
  }
  w.Varint(b.statements.size());
  for (const StatementInput& s : b.statements) {
    w.Triple(s.triple);
    w.Varint(s.provenance.size());
    for (const ProvenanceInput& p : s.provenance) {
      w.Bytes(p.document_id);
      w.Varint(p.evidence_start);
      w.Varint(p.evidence_end);
      w.Bytes(p.evidence);
      w.Byte(static_cast<uint8_t>(p.hedge));
      w.Double(p.confidence);
      w.OptionalDate(p.valid_time.start);
      w.OptionalDate(p.valid_time.end);
    }
  }
  w.Varint(b.merges.size());
  for (const EntityMerge& m : b.merges) {
    w.Bytes(m.from);
    w.Bytes(m.into);
  }
  w.Strings(b.entity_deletes);
  w.Bytes(b.blank_scope);
}

WriteBatch DecodeBatch(Reader& r) {
  WriteBatch b;
  b.entity_mode = static_cast<WriteBatch::EntityMode>(r.Byte());
  b.shared_names = r.Byte() != 0;
  b.entities.resize(r.Count());
  for (Entity& e : b.entities) {
    e.id = r.Bytes();
    e.label = r.Bytes();
    e.type = r.Bytes();
    e.aliases = r.Strings();
  }
  b.entity_edits.resize(r.Count());
  for (EntityEdit& e : b.entity_edits) {
    e.id = r.Bytes();
    if (r.Byte() != 0) e.label = r.Bytes();
    if (r.Byte() != 0) e.type = r.Bytes();
    e.add_aliases = r.Strings();
    e.remove_aliases = r.Strings();
  }
  b.relations.resize(r.Count());
  for (Relation& rel : b.relations) {
    rel.id = r.Bytes();
    rel.label = r.Bytes();
    rel.symmetric = r.Byte() != 0;
    rel.polarity = static_cast<storage::Polarity>(r.Byte());
  }
  b.documents.resize(r.Count());
  for (Document& d : b.documents) {
    d.id = r.Bytes();
    d.title = r.Bytes();
    d.publisher = r.Bytes();
    d.published = r.OptionalDate();
    d.text = r.Bytes();
  }
  b.statements.resize(r.Count());
  for (StatementInput& s : b.statements) {
    if (!r.ok()) break;
    s.triple = r.Triple(0);
    s.provenance.resize(r.Count());
    for (ProvenanceInput& p : s.provenance) {
      p.document_id = r.Bytes();
      p.evidence_start = static_cast<uint32_t>(r.Varint());
      p.evidence_end = static_cast<uint32_t>(r.Varint());
      p.evidence = r.Bytes();
      p.hedge = static_cast<storage::Hedge>(r.Byte());
      p.confidence = r.Double();
      p.valid_time.start = r.OptionalDate();
      p.valid_time.end = r.OptionalDate();
    }
  }
  b.merges.resize(r.Count());
  for (EntityMerge& m : b.merges) {
    m.from = r.Bytes();
    m.into = r.Bytes();
  }
  b.entity_deletes = r.Strings();
  b.blank_scope = r.Bytes();
  return b;
}

}  // namespace

std::string EncodeEntry(const Entry& entry) {
  Writer w;
  w.Byte(entry.kind == Entry::Kind::kByReference ? kByReferenceVersion
                                                 : kVersion);
  w.Byte(static_cast<uint8_t>(entry.kind));
  w.Time(entry.at);
  if (entry.kind == Entry::Kind::kWrite) {
    EncodeBatch(entry.batch, w);
  } else if (entry.kind == Entry::Kind::kRetract) {
    w.Bytes(entry.statement_id);
    w.Bytes(entry.document_id);
  } else {
    w.Byte(entry.bulk);
    w.Bytes(entry.payload.name);
    w.Varint(entry.payload.size);
    w.Bytes(entry.payload.sha256);
    w.Bytes(entry.payload.address);
  }
  return w.Take();
}

std::string EncodePayloadPart(const PayloadPart& part) {
  Writer body;
  body.Bytes(part.name);
  EncodeBatch(part.batch, body);
  Writer record;
  record.Bytes(body.Take());
  return record.Take();
}

namespace {

// A record's body: the part's name and batch.
absl::StatusOr<PayloadPart> DecodePartBody(absl::string_view body) {
  Reader r(body);
  PayloadPart part;
  part.name = r.Bytes();
  part.batch = DecodeBatch(r);
  if (!r.ok() || !r.done()) {
    return absl::DataLossError("a payload record that does not decode");
  }
  return part;
}

}  // namespace

absl::StatusOr<PayloadPart> DecodePayloadPart(absl::string_view record) {
  Reader r(record);
  const std::string body = r.Bytes();
  if (!r.ok() || !r.done()) {
    return absl::DataLossError("a payload record that does not decode");
  }
  return DecodePartBody(body);
}

absl::Status ForEachPayloadPart(
    const std::string& path,
    const std::function<absl::Status(PayloadPart part)>& part) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::InternalError(absl::StrCat("cannot read ", path));
  std::string record;
  for (uint64_t offset = 0;;) {
    // The record's length, a varint.
    uint64_t length = 0;
    int shift = 0;
    int c;
    bool any = false;
    while ((c = in.get()) != EOF) {
      any = true;
      ++offset;
      length |= static_cast<uint64_t>(c & 0x7f) << shift;
      if ((c & 0x80) == 0) break;
      shift += 7;
      if (shift > 63) break;
    }
    if (!any) return absl::OkStatus();  // the end
    if (c == EOF || (c & 0x80) != 0 || length > (uint64_t{1} << 34)) {
      return absl::DataLossError(absl::StrCat(
          "payload ", path, ": a damaged record length at byte ", offset));
    }
    record.resize(static_cast<size_t>(length));
    in.read(record.data(), static_cast<std::streamsize>(length));
    if (static_cast<uint64_t>(in.gcount()) != length) {
      return absl::DataLossError(absl::StrCat(
          "payload ", path, ": a record cut off at byte ", offset));
    }
    absl::StatusOr<PayloadPart> decoded = DecodePartBody(record);
    if (!decoded.ok()) {
      return absl::DataLossError(absl::StrCat("payload ", path,
                                              ": a record at byte ", offset,
                                              " that does not decode"));
    }
    offset += length;
    KG_RETURN_IF_ERROR(part(*std::move(decoded)));
  }
}

absl::StatusOr<Entry> DecodeEntry(absl::string_view bytes) {
  Reader r(bytes);
  const uint8_t version = r.Byte();
  if (r.ok() && version != kVersion && version != kByReferenceVersion) {
    return absl::DataLossError(absl::StrCat(
        "log entry: codec version ", version, "; this kg reads versions ",
        kVersion, " and ", kByReferenceVersion, " (a newer kg wrote it)"));
  }
  Entry e;
  e.kind = static_cast<Entry::Kind>(r.Byte());
  e.at = r.Time();
  if (e.kind == Entry::Kind::kWrite) {
    e.batch = DecodeBatch(r);
    e.batch.replica.at = e.at;
  } else if (e.kind == Entry::Kind::kRetract) {
    e.statement_id = r.Bytes();
    e.document_id = r.Bytes();
  } else if (e.kind == Entry::Kind::kByReference &&
             version == kByReferenceVersion) {
    e.bulk = r.Byte() != 0;
    e.payload.name = r.Bytes();
    e.payload.size = r.Varint();
    e.payload.sha256 = r.Bytes();
    e.payload.address = r.Bytes();
  } else {
    r.Fail();
  }
  if (!r.ok() || !r.done()) {
    return absl::DataLossError(
        absl::StrCat("log entry: ", bytes.size(), " bytes that do not decode"));
  }
  return e;
}

}  // namespace kg::replica
