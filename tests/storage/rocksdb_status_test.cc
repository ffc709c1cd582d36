// FromRocksDb: each RocksDB failure gets its code, the context in front,
// and the engine's payload (so that a replica never takes it for a refusal
// by the data).
#include "storage/rocksdb_status.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/store.h"

namespace kg::storage {
namespace {

using ::testing::HasSubstr;

TEST(RocksDbStatusTest, EveryFailureIsTheEnginesWithItsCode) {
  const struct {
    rocksdb::Status from;
    absl::StatusCode code;
  } cases[] = {
      {rocksdb::Status::IOError("disk full"), absl::StatusCode::kUnavailable},
      {rocksdb::Status::Busy(), absl::StatusCode::kUnavailable},
      {rocksdb::Status::Corruption("bad block"), absl::StatusCode::kDataLoss},
      {rocksdb::Status::NotFound("file"), absl::StatusCode::kNotFound},
      {rocksdb::Status::InvalidArgument("option"),
       absl::StatusCode::kFailedPrecondition},
      {rocksdb::Status::NotSupported("feature"), absl::StatusCode::kInternal},
  };
  for (const auto& c : cases) {
    const absl::Status s = FromRocksDb(c.from, "write");
    EXPECT_EQ(s.code(), c.code) << c.from.ToString();
    EXPECT_THAT(s.message(), HasSubstr("write: "));
    EXPECT_TRUE(FromTheEngine(s)) << c.from.ToString();
  }
  EXPECT_TRUE(FromRocksDb(rocksdb::Status::OK(), "write").ok());
  EXPECT_FALSE(FromTheEngine(absl::NotFoundError("document: no such doc")));
}

}  // namespace
}  // namespace kg::storage
