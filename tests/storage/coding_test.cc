#include "storage/coding.h"

#include <cstdint>
#include <map>
#include <optional>
#include <random>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "storage/huge_page_allocator.h"
#include "storage/keys.h"
#include "storage/sha256.h"
#include "storage/write_txn.h"

namespace kg::storage {
namespace {

TEST(CodingTest, Fixed64IsBigEndian) {
  std::string s;
  PutFixed64(&s, 0x0102030405060708ull);
  EXPECT_EQ(s, std::string("\x01\x02\x03\x04\x05\x06\x07\x08", 8));
  std::string t;
  PutFixed32(&t, 0x0a0b0c0d);
  EXPECT_EQ(t, std::string("\x0a\x0b\x0c\x0d", 4));
}

TEST(CodingTest, BytewiseOrderMatchesNumericOrder) {
  std::mt19937_64 rng(42);
  for (int i = 0; i < 10000; ++i) {
    const uint64_t a = rng() >> (rng() % 64), b = rng() >> (rng() % 64);
    std::string ea, eb;
    PutFixed64(&ea, a);
    PutFixed64(&eb, b);
    ASSERT_EQ(a < b, ea < eb) << "seed 42, a=" << a << " b=" << b;
  }
}

TEST(CodingTest, SignedOrderMatchesNumericOrder) {
  const int64_t values[] = {INT64_MIN, -1000, -1, 0, 1, 1000, INT64_MAX};
  std::string prev;
  for (int64_t v : values) {
    std::string e;
    PutSigned64(&e, v);
    if (!prev.empty()) {
      EXPECT_LT(prev, e) << v;
    }
    absl::string_view in(e);
    int64_t back;
    ASSERT_TRUE(GetSigned64(&in, &back));
    EXPECT_EQ(back, v);
    prev = e;
  }
}

TEST(CodingTest, RoundTripsAndRejectsShortInput) {
  std::string s;
  PutFixed32(&s, 7);
  PutFixed64(&s, 1ull << 40);
  PutDouble(&s, 0.25);
  PutLengthPrefixed(&s, std::string(300, 'x'));
  PutVarint32(&s, 123456);
  absl::string_view in(s);
  uint32_t a, v;
  uint64_t b;
  double d;
  absl::string_view str;
  ASSERT_TRUE(GetFixed32(&in, &a));
  ASSERT_TRUE(GetFixed64(&in, &b));
  ASSERT_TRUE(GetDouble(&in, &d));
  ASSERT_TRUE(GetLengthPrefixed(&in, &str));
  ASSERT_TRUE(GetVarint32(&in, &v));
  EXPECT_EQ(a, 7u);
  EXPECT_EQ(b, 1ull << 40);
  EXPECT_EQ(d, 0.25);
  EXPECT_EQ(str, std::string(300, 'x'));
  EXPECT_EQ(v, 123456u);
  EXPECT_TRUE(in.empty());

  absl::string_view short_in("\x01\x02", 2);
  EXPECT_FALSE(GetFixed32(&short_in, &a));
  absl::string_view bad_len(
      "\x05"
      "ab",
      3);
  EXPECT_FALSE(GetLengthPrefixed(&bad_len, &str));
}

TEST(CodingTest, VarintsRoundTripAndRejectOverflow) {
  for (uint64_t v : {uint64_t{0}, uint64_t{127}, uint64_t{128},
                     uint64_t{1} << 35, ~uint64_t{0}}) {
    std::string s;
    PutVarint64(&s, v);
    absl::string_view in(s);
    uint64_t got = 1;
    ASSERT_TRUE(GetVarint64(&in, &got)) << v;
    EXPECT_EQ(got, v);
    EXPECT_TRUE(in.empty());
  }
  std::string s;
  PutVarint32(&s, ~uint32_t{0});
  absl::string_view in(s);
  uint32_t v32 = 0;
  ASSERT_TRUE(GetVarint32(&in, &v32));
  EXPECT_EQ(v32, ~uint32_t{0});
  // A value of 2^32 does not fit 32 bits: refused, not truncated to 0.
  std::string big;
  PutVarint64(&big, uint64_t{1} << 32);
  in = big;
  EXPECT_FALSE(GetVarint32(&in, &v32));
  // Eleven bytes are one too many for 64 bits; a truncated one fails too.
  std::string eleven(10, '\x80');
  eleven.push_back('\x01');
  in = eleven;
  uint64_t v64 = 0;
  EXPECT_FALSE(GetVarint64(&in, &v64));
  in = absl::string_view("\x80\x80", 2);
  EXPECT_FALSE(GetVarint64(&in, &v64));
}

// A statement row is written with varints since format 6, and a row
// written before (fixed-width integers) still reads.
TEST(KeysTest, StatementRowsOfBothEncodingsRead) {
  const StmtValue row{.subject = 5,
                      .relation = 300,
                      .object = uint64_t{1} << 40,
                      .live = 2,
                      .quoted = 70000};
  const std::string now = EncodeStmt(row);
  EXPECT_EQ(now[0], static_cast<char>(kStmtVarintFormat));
  EXPECT_LT(now.size(), 16u);
  std::string before(1, static_cast<char>(kValueFormat));
  PutFixed64(&before, row.subject);
  PutFixed64(&before, row.relation);
  PutFixed64(&before, row.object);
  PutFixed32(&before, row.live);
  PutFixed32(&before, row.quoted);
  for (const std::string& encoded : {now, before}) {
    StmtValue got;
    ASSERT_TRUE(DecodeStmt(encoded, &got));
    EXPECT_EQ(got.subject, row.subject);
    EXPECT_EQ(got.relation, row.relation);
    EXPECT_EQ(got.object, row.object);
    EXPECT_EQ(got.live, row.live);
    EXPECT_EQ(got.quoted, row.quoted);
    EXPECT_EQ(got.shared, 0u);
    StmtValue ignored;
    EXPECT_FALSE(DecodeStmt(encoded + "xx", &ignored));
    EXPECT_FALSE(DecodeStmt(encoded.substr(0, encoded.size() - 1), &ignored));
  }
  StmtValue ignored;
  EXPECT_FALSE(DecodeStmt(std::string(1, '\x03') + now.substr(1), &ignored));
  EXPECT_FALSE(DecodeStmt(before + "x", &ignored));  // format 1: fixed

  // Format 7: a row naming its document's shared record ends with the
  // document's tid; 0 is not one, and a row without a live record has none.
  StmtValue with_shared = row;
  with_shared.shared = 300;
  const std::string shared = EncodeStmt(with_shared);
  EXPECT_EQ(shared.size(), now.size() + 2);
  StmtValue got;
  ASSERT_TRUE(DecodeStmt(shared, &got));
  EXPECT_EQ(got.shared, 300u);
  EXPECT_EQ(got.live, row.live);
  ASSERT_TRUE(DecodeStmt(now, &got));
  EXPECT_EQ(got.shared, 0u);  // reset, not left from the row before
  EXPECT_FALSE(DecodeStmt(now + std::string(1, '\0'), &ignored));
  StmtValue unasserted = with_shared;
  unasserted.live = 0;
  EXPECT_FALSE(DecodeStmt(EncodeStmt(unasserted), &ignored));
}

TEST(KeysTest, SharedRecordsSortFirstAndRoundTrip) {
  EXPECT_LT(SharedRecordKey(UINT64_MAX), ProvKey(1, 1, 0, 0, INT64_MIN));
  uint64_t doc = 0;
  ASSERT_TRUE(DecodeSharedRecordKey(SharedRecordKey(42), &doc));
  EXPECT_EQ(doc, 42u);
  EXPECT_FALSE(DecodeSharedRecordKey(SharedRecordKey(0), &doc));
  EXPECT_FALSE(DecodeSharedRecordKey(ProvKey(1, 42, 0, 0, 5), &doc));
  ProvKeyParts parts;
  EXPECT_FALSE(DecodeProvKey(SharedRecordKey(42), &parts));

  SharedRecord r;
  r.recorded_micros = -7;
  r.first = 10;
  r.last = 1000000;
  r.value.confidence = 0.25;
  SharedRecord got;
  ASSERT_TRUE(DecodeSharedRecord(EncodeSharedRecord(r), &got));
  EXPECT_EQ(got.recorded_micros, -7);
  EXPECT_EQ(got.first, 10u);
  EXPECT_EQ(got.last, 1000000u);
  EXPECT_EQ(got.value.confidence, 0.25);
  SharedRecord backwards = r;
  backwards.first = 2000000;
  EXPECT_FALSE(DecodeSharedRecord(EncodeSharedRecord(backwards), &got));
  SharedRecord retracted = r;
  retracted.value.retracted_micros = 5;
  EXPECT_FALSE(DecodeSharedRecord(EncodeSharedRecord(retracted), &got));
}

TEST(CodingTest, PrefixSuccessor) {
  EXPECT_EQ(PrefixSuccessor("abc"), "abd");
  EXPECT_EQ(PrefixSuccessor(std::string("a\xff", 2)), "b");
  EXPECT_EQ(PrefixSuccessor(std::string("\xff\xff", 2)), "");
  EXPECT_EQ(PrefixSuccessor(""), "");
}

TEST(KeysTest, IndexKeyIsThreeBigEndianTids) {
  EXPECT_EQ(
      IndexKey(1, 2, 3),
      std::string("\0\0\0\0\0\0\0\1\0\0\0\0\0\0\0\2\0\0\0\0\0\0\0\3", 24));
}

TEST(KeysTest, StatementIdRoundTrip) {
  const std::string hash(16, '\xab');
  const std::string id = StatementIdFromHash(hash);
  EXPECT_EQ(id, "sabababababababababababababababab");
  EXPECT_EQ(HashFromStatementId(id), hash);
  EXPECT_FALSE(HashFromStatementId("sABABABABABABABABABABABABABABABAB"));
  EXPECT_FALSE(HashFromStatementId("s123"));
  EXPECT_FALSE(HashFromStatementId("x" + std::string(32, '0')));
}

TEST(KeysTest, ProvenanceValueRoundTrip) {
  ProvValue v;
  v.hedge = Hedge::kBelieved;
  v.confidence = 0.7;
  v.valid_time.start = Date{2024, 6, 0};
  v.evidence = "North Korea is believed to have deployed four brigades";
  v.retracted_micros = 1234567;
  ProvValue back;
  ASSERT_TRUE(DecodeProv(EncodeProv(v), &back));
  EXPECT_EQ(back.hedge, v.hedge);
  EXPECT_EQ(back.confidence, v.confidence);
  EXPECT_EQ(back.valid_time, v.valid_time);
  EXPECT_EQ(back.evidence, v.evidence);
  EXPECT_EQ(back.retracted_micros, v.retracted_micros);
  std::string bad = EncodeProv(v);
  bad[0] = 9;  // unknown value format
  EXPECT_FALSE(DecodeProv(bad, &back));
}

TEST(Sha256Test, KnownAnswers) {
  const auto hex = [](absl::string_view in) {
    const std::array<unsigned char, 32> d = Sha256(in);
    return absl::BytesToHexString(
        absl::string_view(reinterpret_cast<const char*>(d.data()), d.size()));
  };
  EXPECT_EQ(hex(""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  // Each thread has a context of its own.
  std::string other;
  std::thread t([&] { other = hex("abc"); });
  t.join();
  EXPECT_EQ(other, hex("abc"));
}

TEST(HugePageAllocatorTest, LargeAllocationsAreAlignedAndUsable) {
  HugePageAllocator<uint64_t> alloc;
  const size_t n = (3 * kHugePageBytes) / sizeof(uint64_t) + 7;
  uint64_t* p = alloc.allocate(n);
  if (kMapsHugePages) {
    EXPECT_EQ(reinterpret_cast<uintptr_t>(p) % kHugePageBytes, 0u);
  }
  for (size_t i = 0; i < n; ++i) p[i] = i;
  uint64_t sum = 0;
  for (size_t i = 0; i < n; ++i) sum += p[i];
  EXPECT_EQ(sum, uint64_t{n} * (n - 1) / 2);
  alloc.deallocate(p, n);
  // Small ones come from std::allocator, aligned for their type.
  uint64_t* q = alloc.allocate(3);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(q) % alignof(uint64_t), 0u);
  alloc.deallocate(q, 3);
}

TEST(HugePageAllocatorTest, TablesGrowFromSmallToHugeAndBack) {
  absl::flat_hash_map<uint64_t, uint64_t, absl::Hash<uint64_t>,
                      std::equal_to<uint64_t>,
                      HugePageAllocator<std::pair<const uint64_t, uint64_t>>>
      table;
  for (uint64_t i = 0; i < 300000; ++i) table[i * 7919] = i;
  for (uint64_t i = 0; i < 300000; i += 1000) {
    ASSERT_EQ(table.at(i * 7919), i);
  }
  table.clear();
  table.rehash(0);
  table[1] = 2;
  EXPECT_EQ(table.at(1), 2u);
}

// A load's changes: more than the huge-page threshold of keys, repeats and
// deletes, read by prefix midway (which orders those before it) and sorted
// twice.
TEST(PendingChangesTest, ALargeTransactionSortsAndKeepsTheLastChange) {
  PendingChanges changes;
  std::map<std::string, std::optional<std::string>> want;
  std::mt19937_64 rng(7);
  const auto key = [](uint64_t i) {
    std::string k;
    PutFixed64(&k, i * 2654435761u % 1000003);
    k.append(24, 'k');  // 32 bytes: ~150k keys pass 4 MiB of blocks
    return k;
  };
  const auto set = [&](uint64_t i) {
    const std::string k = key(i);
    std::optional<std::string> v;
    if (rng() % 5 != 0) v = absl::StrCat("v", rng() % 100);
    changes.Set(k, v);
    want[k] = v;
  };
  for (uint64_t i = 0; i < 150000; ++i) set(i);
  // A prefix read: the changes so far become indexed and ordered.
  std::string prefix;
  PutFixed64(&prefix, 12345);
  prefix.append(24, 'k');
  const std::vector<PendingChanges::Change> found = changes.WithPrefix(prefix);
  ASSERT_EQ(found.size(), want.count(prefix));
  // Repeats of earlier keys and new ones, after it.
  for (uint64_t i = 100000; i < 200000; ++i) set(i);
  for (int round = 0; round < 2; ++round) {
    const PendingChanges::Changes sorted = changes.Sorted();
    ASSERT_EQ(sorted.size(), want.size());
    size_t at = 0;
    for (const auto& [k, v] : want) {
      ASSERT_EQ(sorted[at].key, k) << at;
      ASSERT_EQ(sorted[at].value.has_value(), v.has_value()) << at;
      if (v) {
        ASSERT_EQ(*sorted[at].value, *v) << at;
      }
      ++at;
    }
  }
  ASSERT_TRUE(changes.Find(key(150001)).has_value());
}

}  // namespace
}  // namespace kg::storage
