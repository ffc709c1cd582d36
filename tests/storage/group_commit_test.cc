// Writers that commit together (docs/storage.md, "Group commit"): many
// threads writing at once get the same store, counters and answers as the
// same writes one by one; a write that fails fails alone.
#include <atomic>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/store.h"
#include "tests/storage/store_fixture.h"
#include "tests/support/test_util.h"

namespace kg::storage {
namespace {

using testing::IsOk;
using testing::StatusIs;

constexpr int kThreads = 8;
constexpr int kWritesPerThread = 40;

// Runs fn(thread, i) for every write of every thread, all threads at once.
void RunWriters(const std::function<void(int, int)>& fn) {
  std::atomic<int> ready{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      ready.fetch_add(1);
      while (ready.load() < kThreads) std::this_thread::yield();
      for (int i = 0; i < kWritesPerThread; ++i) fn(t, i);
    });
  }
  for (std::thread& th : threads) th.join();
}

TEST_F(StoreTest, ConcurrentWritersGetTheResultOfWritingOneByOne) {
  WriteBatch vocabulary = Vocabulary();
  for (int t = 0; t < kThreads; ++t) {
    for (int i = 0; i < kWritesPerThread; ++i) {
      vocabulary.entities.push_back({absl::StrCat("e", t, "_", i),
                                     absl::StrCat("E ", t, " ", i),
                                     "Thing",
                                     {}});
    }
  }
  ASSERT_THAT(store().Write(vocabulary), IsOk());

  std::atomic<uint64_t> created{0}, added{0}, refused{0};
  std::atomic<uint64_t> same_created{0}, same_added{0};
  RunWriters([&](int t, int i) {
    // A statement of its own...
    WriteBatch own;
    StatementInput st = Sent();
    st.triple.subject = Term::Entity(absl::StrCat("e", t, "_", i));
    own.statements.push_back(st);
    absl::StatusOr<WriteResult> r = store().Write(own);
    ASSERT_THAT(r, IsOk());
    created += r->statements_created;
    added += r->provenance_added;
    // ... one that every thread writes, from its own sentence or the same
    // one: one statement, with one record per distinct source...
    WriteBatch same;
    StatementInput shared = Sent();
    shared.provenance = {Evidence(i % 3)};
    same.statements.push_back(shared);
    r = store().Write(same);
    ASSERT_THAT(r, IsOk());
    same_created += r->statements_created;
    same_added += r->provenance_added;
    // ... and one that fails, alone: an entity that does not exist.
    WriteBatch bad;
    StatementInput missing = Sent();
    missing.triple.object = Term::Entity(absl::StrCat("nowhere", t));
    bad.statements.push_back(missing);
    absl::StatusOr<WriteResult> failed = store().Write(bad);
    EXPECT_THAT(failed, StatusIs(absl::StatusCode::kNotFound));
    if (!failed.ok()) ++refused;
  });

  const uint64_t writes = kThreads * kWritesPerThread;
  EXPECT_EQ(created.load(), writes);
  EXPECT_EQ(added.load(), writes);
  EXPECT_EQ(refused.load(), writes);
  // The shared statement was created once and has one record per sentence
  // (each written with a later recorded time is a new record only when its
  // content differs from every live one).
  EXPECT_EQ(same_created.load(), 1u);
  EXPECT_EQ(same_added.load(), 3u);

  std::unique_ptr<Reader> reader = store().NewReader();
  absl::StatusOr<StoreStats> stats = reader->Stats();
  ASSERT_THAT(stats, IsOk());
  EXPECT_EQ(stats->statements, writes + 1);
  EXPECT_EQ(stats->provenance_records, writes + 3);
  Pattern p;
  p.relation = "sent_troops_to";
  absl::StatusOr<uint64_t> count = reader->Count(p);
  ASSERT_THAT(count, IsOk());
  EXPECT_EQ(*count, writes + 1);
  absl::StatusOr<VerifyReport> report = store().Verify();
  ASSERT_THAT(report, IsOk());
  EXPECT_TRUE(report->ok()) << absl::StrJoin(report->problems, "\n");

  // Recorded times are distinct: no two writes share a provenance key.
  absl::StatusOr<std::vector<ProvenanceRecord>> records =
      reader->GetProvenance(StatementIdOf(Sent().triple), false);
  ASSERT_THAT(records, IsOk());
  ASSERT_EQ(records->size(), 3u);

  // And all of it survives a reopen.
  reader.reset();
  Reopen();
  stats = store().NewReader()->Stats();
  ASSERT_THAT(stats, IsOk());
  EXPECT_EQ(stats->statements, writes + 1);
}

}  // namespace
}  // namespace kg::storage
