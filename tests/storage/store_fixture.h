// StoreTest fixture: a fresh store in a temporary directory, with Reopen()
// for persistence tests and a controllable clock. Also a tiny vocabulary
// (entities, relations, one document) most storage tests start from.
#ifndef KG_TESTS_STORAGE_STORE_FIXTURE_H_
#define KG_TESTS_STORAGE_STORE_FIXTURE_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "rocksdb/db.h"
#include "storage/store.h"
#include "tests/support/test_util.h"

namespace kg::storage {

class StoreTest : public ::testing::Test {
 protected:
  // The document every sample record quotes. Sentence one: [0, 45).
  static constexpr char kText[] =
      "North Korea sent troops to Russia in October. The Kremlin denied it. "
      "Seoul’s spies said so.";

  StoreTest();

  Store& store() { return *store_; }
  std::string path() const { return dir_.Sub("db"); }
  void Reopen();
  void Close() { store_.reset(); }

  // Entities north_korea, russia, kremlin, nis; relations sent_troops_to,
  // denied (opposes), reported (supports), allied_with (symmetric); the
  // document "doc1" with kText.
  WriteBatch Vocabulary() const;
  // A provenance record quoting sentence `n` (0, 1 or 2) of kText.
  ProvenanceInput Evidence(int n, double confidence = 0.9,
                           const std::string& doc = "doc1") const;
  StatementInput Sent() const;    // north_korea sent_troops_to russia
  StatementInput Denial() const;  // kremlin denied <<Sent>>

  // Every key of every column family, for "nothing changed" checks (the
  // page token key, random per store, as "(random key)").
  std::string Dump();

  testing::ScopedTempDir dir_;
  absl::Time now_ = absl::FromUnixSeconds(1729209600);  // 2024-10-18
  // Applied by Reopen. No background rebuilds unless a test asks: a test
  // knows whether its readers have a compact adjacency.
  bool compact_adjacency_ = true;
  absl::Duration compact_adjacency_delay_ = absl::InfiniteDuration();
  size_t entity_table_max_entities_ = 2'000'000;
  absl::Duration bulk_load_idle_timeout_ = absl::Seconds(60);
  std::unique_ptr<Store> store_;
};

// Opens the raw database of a closed store at `path`, lets `fn` change it,
// flushes and closes it: damage, or a store as an older kg left it.
void EditRawStore(
    const std::string& path,
    const std::function<void(rocksdb::DB*,
                             std::vector<rocksdb::ColumnFamilyHandle*>&)>& fn);

}  // namespace kg::storage

#endif  // KG_TESTS_STORAGE_STORE_FIXTURE_H_
