#include "tests/storage/store_fixture.h"

#include "absl/strings/escaping.h"
#include "rocksdb/db.h"
#include "storage/keys.h"

namespace kg::storage {

namespace {

const char* const kSentences[] = {
    "North Korea sent troops to Russia in October.",
    "The Kremlin denied it.",
    "Seoul’s spies said so.",
};

uint32_t CodePoints(absl::string_view s) {
  uint32_t n = 0;
  for (char c : s) n += (static_cast<unsigned char>(c) & 0xc0) != 0x80;
  return n;
}

}  // namespace

StoreTest::StoreTest() { Reopen(); }

void StoreTest::Reopen() {
  store_.reset();
  StoreOptions options;
  options.clock = [this] { return now_; };
  options.compact_adjacency = compact_adjacency_;
  options.compact_adjacency_delay = compact_adjacency_delay_;
  options.entity_table_max_entities = entity_table_max_entities_;
  options.bulk_load_idle_timeout = bulk_load_idle_timeout_;
  absl::StatusOr<std::unique_ptr<Store>> s = Store::Open(options, path());
  if (!s.ok()) {
    ADD_FAILURE() << s.status();
    return;
  }
  store_ = *std::move(s);
}

WriteBatch StoreTest::Vocabulary() const {
  WriteBatch b;
  b.entities = {
      {"north_korea", "North Korea", "Country", {"DPRK", "Pyongyang"}},
      {"russia", "Russia", "Country", {"Moscow"}},
      {"kremlin", "Kremlin", "Organization", {}},
      {"nis", "National Intelligence Service", "Organization", {"NIS"}},
  };
  b.relations = {
      {"sent_troops_to", "sent troops to", false, Polarity::kNone},
      {"denied", "denied", false, Polarity::kOpposes},
      {"reported", "reported", false, Polarity::kSupports},
      {"allied_with", "allied with", true, Polarity::kNone},
  };
  b.documents = {
      {"doc1", "Test article", "Test Wire", Date{2024, 10, 18}, kText}};
  return b;
}

ProvenanceInput StoreTest::Evidence(int n, double confidence,
                                    const std::string& doc) const {
  const absl::string_view text(kText);
  const size_t at = text.find(kSentences[n]);
  ProvenanceInput p;
  p.document_id = doc;
  p.evidence = kSentences[n];
  p.evidence_start = CodePoints(text.substr(0, at));
  p.evidence_end = p.evidence_start + CodePoints(kSentences[n]);
  p.hedge = Hedge::kAsserted;
  p.confidence = confidence;
  return p;
}

StatementInput StoreTest::Sent() const {
  return {Triple{Term::Entity("north_korea"), "sent_troops_to",
                 Term::Entity("russia")},
          {Evidence(0)}};
}

StatementInput StoreTest::Denial() const {
  return {
      Triple{Term::Entity("kremlin"), "denied", Term::Quoted(Sent().triple)},
      {Evidence(1)}};
}

std::string StoreTest::Dump() {
  std::vector<rocksdb::ColumnFamilyDescriptor> cfs;
  for (const char* name : kCfNames)
    cfs.emplace_back(name, rocksdb::ColumnFamilyOptions());
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s = rocksdb::DB::OpenForReadOnly(rocksdb::DBOptions(), path(),
                                                   cfs, &handles, &raw);
  if (!s.ok()) {
    ADD_FAILURE() << s.ToString();
    return "";
  }
  std::unique_ptr<rocksdb::DB> db(raw);
  std::string out;
  for (auto* h : handles) {
    out += "[" + h->GetName() + "]\n";
    std::unique_ptr<rocksdb::Iterator> it(
        db->NewIterator(rocksdb::ReadOptions(), h));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      // Random per store: two stores with the same content differ in it.
      const bool random =
          h->GetName() == kCfNames[kDefaultCf] && it->key() == kPageTokenKeyKey;
      out += absl::CHexEscape(it->key().ToString()) + " = " +
             (random ? std::string("(random key)")
                     : absl::CHexEscape(it->value().ToString())) +
             "\n";
    }
  }
  for (auto* h : handles) db->DestroyColumnFamilyHandle(h);
  return out;
}

void EditRawStore(
    const std::string& path,
    const std::function<void(rocksdb::DB*,
                             std::vector<rocksdb::ColumnFamilyHandle*>&)>& fn) {
  std::vector<rocksdb::ColumnFamilyDescriptor> cfs;
  for (const char* name : kCfNames) {
    cfs.emplace_back(name, rocksdb::ColumnFamilyOptions());
  }
  std::vector<rocksdb::ColumnFamilyHandle*> h;
  rocksdb::DB* raw = nullptr;
  ASSERT_TRUE(
      rocksdb::DB::Open(rocksdb::DBOptions(), path, cfs, &h, &raw).ok());
  std::unique_ptr<rocksdb::DB> db(raw);
  fn(db.get(), h);
  ASSERT_TRUE(db->Flush(rocksdb::FlushOptions(), h).ok());
  for (auto* c : h) ASSERT_TRUE(db->DestroyColumnFamilyHandle(c).ok());
  ASSERT_TRUE(db->Close().ok());
}

}  // namespace kg::storage
