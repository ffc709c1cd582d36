// kg-server --load: the offline load of a file into a store directory, all
// of it or nothing, then a real server started on that directory to read
// what it holds (docs/rdf.md, "Loading offline").
#include <signal.h>

#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "grpcpp/create_channel.h"
#include "gtest/gtest.h"
#include "kg/v1/kg.grpc.pb.h"
#include "tests/support/process.h"
#include "tests/support/test_util.h"

namespace kg {
namespace {

using ::testing::HasSubstr;
using testing::RunCommand;
using testing::RunResult;
using testing::ScopedTempDir;
using testing::ServerProcess;

// N-Triples of `n` statements e<i> <relation> e<i+1>, with `tail` appended.
void WriteChain(const std::string& path, int n, const std::string& tail = "",
                const std::string& relation = "p") {
  std::ofstream out(path);
  for (int i = 0; i < n; ++i) {
    out << "<http://example.org/e" << i << "> <http://example.org/" << relation
        << "> "
        << "<http://example.org/e" << i + 1 << "> .\n";
  }
  out << tail;
  ASSERT_TRUE(out.good()) << path;
}

RunResult Load(const ScopedTempDir& dir, const std::string& data,
               const std::vector<std::string>& flags) {
  std::vector<std::string> argv = {testing::ServerBinary(),
                                   "--data_dir=" + data};
  argv.insert(argv.end(), flags.begin(), flags.end());
  return RunCommand(argv, dir.path(), absl::Seconds(120));
}

// What a server started on `data` holds.
kg::v1::Stats StatsOf(const ScopedTempDir& dir, const std::string& data,
                      const std::vector<std::string>& extra = {}) {
  ServerProcess server(data, dir.path(), extra);
  EXPECT_TRUE(server.started()) << server.process().Stderr();
  auto stub = kg::v1::KnowledgeGraph::NewStub(grpc::CreateChannel(
      server.address(), grpc::InsecureChannelCredentials()));
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  kg::v1::GetStatsResponse response;
  const grpc::Status status =
      stub->GetStats(&ctx, kg::v1::GetStatsRequest(), &response);
  EXPECT_TRUE(status.ok()) << status.error_message();
  return response.stats();
}

// The seed loaded offline is the same store as the seed loaded by a
// starting server, and the load stops cleanly (no log left to replay).
TEST(OfflineLoadTest, LoadsJsonLinesAsTheServerWouldAndStopsCleanly) {
  ScopedTempDir dir;
  const std::string seed = testing::SourceDir() + "/data/seed.jsonl";
  RunResult r = Load(dir, dir.Sub("loaded"), {"--load=" + seed});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr(dir.Sub("loaded") + ": imported "));
  EXPECT_EQ(r.err, "");
  EXPECT_EQ(testing::WalBytes(dir.Sub("loaded")), 0);

  const kg::v1::Stats loaded = StatsOf(dir, dir.Sub("loaded"));
  const kg::v1::Stats seeded =
      StatsOf(dir, dir.Sub("seeded"), {"--seed_file=" + seed});
  EXPECT_GT(loaded.statements(), 0u);
  EXPECT_EQ(loaded.statements(), seeded.statements());
  EXPECT_EQ(loaded.entities(), seeded.entities());
  EXPECT_EQ(loaded.relations(), seeded.relations());
  EXPECT_EQ(loaded.documents(), seeded.documents());
  EXPECT_EQ(loaded.provenance_records(), seeded.provenance_records());

  RunResult verify = Load(dir, dir.Sub("loaded"), {"--verify"});
  EXPECT_EQ(verify.exit_code, 0) << verify.out;
}

// RDF: the format from the file's name, the default graph's document from
// --load_document; a file of 30,000 triples goes in as SST files.
TEST(OfflineLoadTest, LoadsNTriplesIntoTheNamedDocument) {
  ScopedTempDir dir;
  WriteChain(dir.Sub("chain.nt"), 30000);
  RunResult r =
      Load(dir, dir.Sub("data"),
           {"--load=" + dir.Sub("chain.nt"), "--load_document=chain"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("30,000 statements created"));
  EXPECT_THAT(r.out, HasSubstr("default graph: document chain"));
  const kg::v1::Stats stats = StatsOf(dir, dir.Sub("data"));
  EXPECT_EQ(stats.statements(), 30000u);
  EXPECT_EQ(stats.documents(), 1u);
}

// A bad line at the end of the file loads nothing, and what the store held
// before stays.
TEST(OfflineLoadTest, ABadLastLineLoadsNothing) {
  ScopedTempDir dir;
  WriteChain(dir.Sub("first.nt"), 10);
  ASSERT_EQ(
      Load(dir, dir.Sub("data"), {"--load=" + dir.Sub("first.nt")}).exit_code,
      0);
  WriteChain(dir.Sub("bad.nt"), 25000,
             "<http://example.org/x> <http://example.org/p> \"open .\n");
  RunResult r = Load(dir, dir.Sub("data"), {"--load=" + dir.Sub("bad.nt")});
  EXPECT_EQ(r.exit_code, 4);
  EXPECT_THAT(r.err, HasSubstr("kg-server: import: " + dir.Sub("bad.nt") +
                               " line 25001"));
  EXPECT_THAT(r.err, HasSubstr("(nothing was written)"));
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(StatsOf(dir, dir.Sub("data")).statements(), 10u);
}

TEST(OfflineLoadTest, BadFlagsAndFilesAreNamed) {
  ScopedTempDir dir;
  RunResult missing =
      Load(dir, dir.Sub("data"), {"--load=" + dir.Sub("missing.nt")});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_THAT(missing.err, HasSubstr("cannot open " + dir.Sub("missing.nt") +
                                     ": no such file"));

  WriteChain(dir.Sub("chain.nt"), 1);
  RunResult format =
      Load(dir, dir.Sub("data"),
           {"--load=" + dir.Sub("chain.nt"), "--load_format=xml"});
  EXPECT_EQ(format.exit_code, 2);
  EXPECT_THAT(format.err, HasSubstr("--load_format: 'xml' is not one of"));

  // N-Triples read as JSON Lines: the first line is named.
  RunResult wrong =
      Load(dir, dir.Sub("data"),
           {"--load=" + dir.Sub("chain.nt"), "--load_format=jsonl"});
  EXPECT_EQ(wrong.exit_code, 4);
  EXPECT_THAT(wrong.err, HasSubstr("line 1"));

  std::ofstream(dir.Sub("file")) << "not a directory";
  RunResult not_dir =
      Load(dir, dir.Sub("file"), {"--load=" + dir.Sub("chain.nt")});
  EXPECT_EQ(not_dir.exit_code, 1);
  EXPECT_THAT(not_dir.err, HasSubstr("kg-server: "));

  // A directory a running server holds is refused, not shared.
  ServerProcess running(dir.Sub("busy"), dir.path());
  ASSERT_TRUE(running.started()) << running.process().Stderr();
  RunResult busy =
      Load(dir, dir.Sub("busy"), {"--load=" + dir.Sub("chain.nt")});
  EXPECT_EQ(busy.exit_code, 1);
  EXPECT_THAT(busy.err, HasSubstr("kg-server: "));
}

// SIGKILL at several moments of a load (reading, staging, committing):
// afterwards the store holds what it held before, or the whole file.
TEST(OfflineLoadTest, AKilledLoadLeavesTheStoreAsItWasOrFullyLoaded) {
  ScopedTempDir dir;
  constexpr int kBig = 150000;
  WriteChain(dir.Sub("big.nt"), kBig);
  WriteChain(dir.Sub("first.nt"), 10, "", "q");
  int interrupted = 0;
  for (int delay_ms : {200, 700, 1500, 3000}) {
    const std::string data = dir.Sub(absl::StrCat("data", delay_ms));
    ASSERT_EQ(Load(dir, data, {"--load=" + dir.Sub("first.nt")}).exit_code, 0);
    testing::Subprocess load({testing::ServerBinary(), "--data_dir=" + data,
                              "--load=" + dir.Sub("big.nt")},
                             dir.path());
    if (!load.Wait(absl::Milliseconds(delay_ms)).has_value()) {
      ++interrupted;
      load.Signal(SIGKILL);
      ASSERT_EQ(load.Wait(absl::Seconds(30)), 128 + SIGKILL);
    }
    const uint64_t statements = StatsOf(dir, data).statements();
    EXPECT_TRUE(statements == 10u || statements == 10u + kBig)
        << "after " << delay_ms << " ms: " << statements << " statements";
    RunResult verify = Load(dir, data, {"--verify"});
    EXPECT_EQ(verify.exit_code, 0) << verify.out;
  }
  // At least the early kills landed while the load ran.
  EXPECT_GE(interrupted, 1);
}

}  // namespace
}  // namespace kg
