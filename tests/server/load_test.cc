// kg-server --load: the offline load of a file into a store directory, all
// of it or nothing, then a real server started on that directory to read
// what it holds (docs/rdf.md, "Loading offline").
#include <signal.h>

#include <algorithm>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
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

  RunResult pieces =
      Load(dir, dir.Sub("data"),
           {"--load=" + dir.Sub("chain.nt"), "--load_piece_bytes=4096"});
  EXPECT_EQ(pieces.exit_code, 2);
  EXPECT_THAT(pieces.err, HasSubstr("kg-server: --load_piece_bytes: must be "
                                    "at least 65536"));

  RunResult memory =
      Load(dir, dir.Sub("data"),
           {"--load=" + dir.Sub("chain.nt"), "--load_memory_bytes=1000000"});
  EXPECT_EQ(memory.exit_code, 2);
  EXPECT_THAT(memory.err, HasSubstr("kg-server: --load_memory_bytes: must be "
                                    "at least 268435456"));

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

// An N-Quads file of what the fresh path takes: kg's entity, relation and
// document descriptions, literals of several kinds (two spellings of one
// language tag), named graphs, and repeats (the same quad again; the same
// triple in another graph); then `n` chain triples.
void WriteFreshFile(const std::string& path, int n) {
  std::ofstream out(path);
  const std::string kg = "https://kg.invalid/";
  const std::string rdf = "http://www.w3.org/1999/02/22-rdf-syntax-ns#";
  const std::string rdfs = "http://www.w3.org/2000/01/rdf-schema#";
  out << "<" << kg << "entity/nis> <" << rdf << "type> <" << kg
      << "type/Organization> .\n"
      << "<" << kg << "entity/nis> <" << rdfs << "label> \"NIS\" .\n"
      << "<" << kg << "entity/nis> <http://www.w3.org/2004/02/skos/core#"
      << "altLabel> \"National Intelligence Service\" .\n"
      << "<" << kg << "entity/ukraine> <" << rdf << "type> <" << kg
      << "type/Country> .\n"
      << "<" << kg << "entity/ukraine> <" << rdfs << "label> \"Ukraine\" .\n"
      << "<" << kg << "relation/watches> <" << rdf << "type> <" << rdf
      << "Property> .\n"
      << "<" << kg << "relation/watches> <" << kg << "ns#polarity> <" << kg
      << "ns#supports> .\n"
      << "<" << kg << "document/reports> <http://purl.org/dc/terms/title> "
      << "\"Reports\" .\n"
      << "<" << kg << "entity/nis> <" << kg << "relation/watches> <" << kg
      << "entity/ukraine> .\n"
      << "<" << kg << "entity/nis> <" << kg << "relation/watches> <" << kg
      << "entity/ukraine> <" << kg << "document/reports> .\n"
      << "<http://example.org/a> <http://example.org/name> \"A\"@en-GB .\n"
      << "<http://example.org/a> <http://example.org/nick> \"Ay\"@EN-gb .\n"
      << "<http://example.org/a> <http://example.org/age> "
      << "\"030\"^^<http://www.w3.org/2001/XMLSchema#integer> "
      << "<http://example.org/g1> .\n"
      << "<http://example.org/a> <http://example.org/age> "
      << "\"30\"^^<http://www.w3.org/2001/XMLSchema#integer> .\n"
      << "<http://example.org/a> <http://example.org/name> \"A\"@en-GB .\n";
  for (int i = 0; i < n; ++i) {
    out << "<http://example.org/e" << i << "> <http://example.org/p> "
        << "<http://example.org/e" << i + 1 << "> <http://example.org/g"
        << i % 3 << "> .\n";
  }
  ASSERT_TRUE(out.good()) << path;
}

// `kgctl export --format nq` of a server started on `data`, sorted.
std::string ExportOf(const ScopedTempDir& dir, const std::string& data) {
  ServerProcess server(data, dir.path());
  EXPECT_TRUE(server.started()) << server.process().Stderr();
  RunResult r = RunCommand({testing::KgctlBinary(), "--server",
                            server.address(), "export", "--format", "nq"},
                           dir.path());
  EXPECT_EQ(r.exit_code, 0) << r.err;
  std::vector<std::string> lines = absl::StrSplit(r.out, '\n');
  std::sort(lines.begin(), lines.end());
  return absl::StrJoin(lines, "\n");
}

// Into an empty store, an RDF file of data and kg's descriptions takes the
// fresh path: the store holds what the import would have written.
// The file is parsed in 64 KiB pieces (~13), so terms and graphs recur
// across pieces; the import takes its SST path too (past 2,000 statements).
TEST(OfflineLoadTest, AFreshLoadHoldsWhatTheImportWould) {
  ScopedTempDir dir;
  WriteFreshFile(dir.Sub("f.nq"), 9000);
  RunResult fresh = Load(dir, dir.Sub("fresh"),
                         {"--load=" + dir.Sub("f.nq"), "--load_document=f",
                          "--load_piece_bytes=65536"});
  ASSERT_EQ(fresh.exit_code, 0) << fresh.err;
  EXPECT_THAT(fresh.out, HasSubstr(dir.Sub("fresh") +
                                   ": loaded 9,015 "
                                   "triples (2 entities, 1 relations, 5 "
                                   "documents) in one fresh load"));
  EXPECT_THAT(fresh.out, HasSubstr("1 unchanged"));
  EXPECT_EQ(fresh.err, "");
  EXPECT_EQ(testing::WalBytes(dir.Sub("fresh")), 0);
  RunResult imported =
      Load(dir, dir.Sub("imported"),
           {"--load=" + dir.Sub("f.nq"), "--load_document=f",
            "--load_fresh=false", "--bulk_import_statements=2000"});
  ASSERT_EQ(imported.exit_code, 0) << imported.err;
  EXPECT_THAT(imported.out, HasSubstr(": imported "));

  const std::string exported = ExportOf(dir, dir.Sub("fresh"));
  EXPECT_THAT(exported, HasSubstr("\"National Intelligence Service\""));
  EXPECT_EQ(exported, ExportOf(dir, dir.Sub("imported")));
  const kg::v1::Stats a = StatsOf(dir, dir.Sub("fresh"));
  const kg::v1::Stats b = StatsOf(dir, dir.Sub("imported"));
  EXPECT_EQ(a.statements(), 9005u);
  EXPECT_EQ(a.statements(), b.statements());
  EXPECT_EQ(a.provenance_records(), b.provenance_records());
  EXPECT_EQ(a.entities(), b.entities());
  EXPECT_EQ(a.relations(), b.relations());
  EXPECT_EQ(a.documents(), b.documents());
  RunResult verify = Load(dir, dir.Sub("fresh"), {"--verify"});
  EXPECT_EQ(verify.exit_code, 0) << verify.out;
}

// A file loaded in parts holds what the import would: a description read
// after its use, statements met again parts later (from the same graph,
// and from another, one with its language tag spelled otherwise).
TEST(OfflineLoadTest, AFreshLoadInPartsHoldsWhatTheImportWould) {
  ScopedTempDir dir;
  WriteFreshFile(dir.Sub("body.nq"), 9000);
  const std::string kg = "https://kg.invalid/";
  const std::string ex = "http://example.org/";
  {
    std::ofstream out(dir.Sub("f.nq"));
    out << "<" << kg << "entity/nis> <" << kg << "relation/watches> <" << kg
        << "entity/kyiv> .\n"
        << std::ifstream(dir.Sub("body.nq")).rdbuf() << "<" << ex << "e0> <"
        << ex << "p> <" << ex << "e1> <" << ex << "g1> .\n"
        << "<" << ex << "e1> <" << ex << "p> <" << ex << "e2> <" << ex
        << "g1> .\n"
        << "<" << ex << "a> <" << ex << "name> \"A\"@EN-GB <" << ex << "g2> .\n"
        << "<" << kg << "entity/kyiv> <http://www.w3.org/1999/02/"
        << "22-rdf-syntax-ns#type> <" << kg << "type/City> .\n"
        << "<" << kg << "entity/kyiv> <http://www.w3.org/2000/01/"
        << "rdf-schema#label> \"Kyiv\" .\n";
    ASSERT_TRUE(out.good());
  }
  RunResult fresh =
      Load(dir, dir.Sub("fresh"),
           {"--load=" + dir.Sub("f.nq"), "--load_document=f",
            "--load_piece_bytes=65536", "--load_part_bytes=200000"});
  ASSERT_EQ(fresh.exit_code, 0) << fresh.err;
  EXPECT_THAT(fresh.out, HasSubstr("(3 entities, 1 relations, 5 documents) "
                                   "in a fresh load of 5 parts: 9,006 "
                                   "statements created"));
  EXPECT_THAT(fresh.out, HasSubstr("2 unchanged"));
  EXPECT_EQ(fresh.err, "");
  RunResult imported =
      Load(dir, dir.Sub("imported"),
           {"--load=" + dir.Sub("f.nq"), "--load_document=f",
            "--load_fresh=false", "--bulk_import_statements=2000"});
  ASSERT_EQ(imported.exit_code, 0) << imported.err;
  const std::string exported = ExportOf(dir, dir.Sub("fresh"));
  EXPECT_THAT(exported, HasSubstr("\"Kyiv\""));
  EXPECT_EQ(exported, ExportOf(dir, dir.Sub("imported")));
  const kg::v1::Stats a = StatsOf(dir, dir.Sub("fresh"));
  const kg::v1::Stats b = StatsOf(dir, dir.Sub("imported"));
  EXPECT_EQ(a.statements(), b.statements());
  EXPECT_EQ(a.provenance_records(), b.provenance_records());
  EXPECT_EQ(a.entities(), b.entities());
  EXPECT_EQ(a.documents(), b.documents());
  RunResult verify = Load(dir, dir.Sub("fresh"), {"--verify"});
  EXPECT_EQ(verify.exit_code, 0) << verify.out;
}

// A load in parts that meets a term the store refuses in a later part
// fails: nothing written (the parts in rolled back), the term's field
// named, and no import after it (it would hold the whole file at once).
TEST(OfflineLoadTest, ALoadInPartsThatFailsWritesNothingAndImportsNothing) {
  ScopedTempDir dir;
  WriteChain(dir.Sub("bad.nt"), 20000,
             "<http://example.org/x> <http://example.org/text> \"" +
                 std::string(70000, 'a') + "\" .\n");
  RunResult r = Load(dir, dir.Sub("data"),
                     {"--load=" + dir.Sub("bad.nt"), "--load_piece_bytes=65536",
                      "--load_part_bytes=200000"});
  EXPECT_EQ(r.exit_code, 4);
  EXPECT_THAT(r.err, HasSubstr("kg-server: --load: the piece of the file from "
                               "byte "));
  EXPECT_THAT(r.err, HasSubstr(".triple.object: literal of 70000 bytes; at "
                               "most 65536 (nothing was written; the load "
                               "was in parts"));
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(StatsOf(dir, dir.Sub("data")).statements(), 0u);
  RunResult verify = Load(dir, dir.Sub("data"), {"--verify"});
  EXPECT_EQ(verify.exit_code, 0) << verify.out;
}

// Turtle takes the fresh path too, parsed on one core.
TEST(OfflineLoadTest, AFreshLoadOfTurtleHoldsWhatTheImportWould) {
  ScopedTempDir dir;
  std::ofstream(dir.Sub("t.ttl"))
      << "@prefix e: <https://kg.invalid/entity/> .\n"
         "@prefix ex: <http://example.org/> .\n"
         "e:nis a <https://kg.invalid/type/Organization> ;\n"
         "  <http://www.w3.org/2000/01/rdf-schema#label> \"NIS\" ;\n"
         "  ex:watches ex:ukraine , ex:russia ;\n"
         "  ex:founded \"1961\"^^<http://www.w3.org/2001/XMLSchema#gYear> .\n"
         "ex:ukraine ex:name \"Україна\"@uk .\n";
  RunResult fresh = Load(dir, dir.Sub("fresh"), {"--load=" + dir.Sub("t.ttl")});
  ASSERT_EQ(fresh.exit_code, 0) << fresh.err;
  EXPECT_THAT(fresh.out, HasSubstr("loaded 6 triples (1 entities, 0 "
                                   "relations, 1 documents) in one fresh "
                                   "load: 4 statements created"));
  RunResult imported =
      Load(dir, dir.Sub("imported"),
           {"--load=" + dir.Sub("t.ttl"), "--load_fresh=false"});
  ASSERT_EQ(imported.exit_code, 0) << imported.err;
  const std::string exported = ExportOf(dir, dir.Sub("fresh"));
  EXPECT_THAT(exported, HasSubstr("\"Україна\"@uk"));
  EXPECT_EQ(exported, ExportOf(dir, dir.Sub("imported")));
}

// What the fresh path does not take goes through the import, which says
// so, and takes it all or names the first error.
TEST(OfflineLoadTest, WhatTheFreshPathDeclinesIsImported) {
  ScopedTempDir dir;
  std::ofstream(dir.Sub("quoted.nt"))
      << "<http://example.org/a> <http://example.org/says> <<( "
         "<http://example.org/b> <http://example.org/p> "
         "<http://example.org/c> )>> .\n";
  RunResult quoted =
      Load(dir, dir.Sub("quoted"), {"--load=" + dir.Sub("quoted.nt")});
  ASSERT_EQ(quoted.exit_code, 0) << quoted.err;
  EXPECT_THAT(quoted.err, HasSubstr("kg-server: --load: not a fresh load "
                                    "(the file has triple terms); importing"));
  EXPECT_THAT(quoted.out, HasSubstr("2 statements created"));

  // A reifier: its IRI stands for the quoted triple wherever it is used.
  std::ofstream(dir.Sub("reified.nt"))
      << "<https://kg.invalid/statement/x1> "
         "<http://www.w3.org/1999/02/22-rdf-syntax-ns#reifies> <<( "
         "<http://example.org/b> <http://example.org/p> "
         "<http://example.org/c> )>> .\n"
         "<http://example.org/a> <http://example.org/says> "
         "<https://kg.invalid/statement/x1> .\n";
  RunResult reified =
      Load(dir, dir.Sub("reified"), {"--load=" + dir.Sub("reified.nt")});
  ASSERT_EQ(reified.exit_code, 0) << reified.err;
  EXPECT_THAT(reified.err,
              HasSubstr("not a fresh load (the file has statement reifiers "
                        "or provenance records); importing"));
  EXPECT_THAT(reified.out, HasSubstr("2 statements created"));

  // An entity no description gives: the import names the line.
  std::ofstream(dir.Sub("missing.nt"))
      << "<http://example.org/a> <http://example.org/p> "
         "<https://kg.invalid/entity/atlantis> .\n";
  RunResult missing =
      Load(dir, dir.Sub("missing"), {"--load=" + dir.Sub("missing.nt")});
  EXPECT_EQ(missing.exit_code, 4);
  EXPECT_THAT(missing.err, HasSubstr("no entity 'atlantis'"));
  EXPECT_THAT(missing.err, HasSubstr("line 1"));

  // A bad last line: nothing is written, and the line is the file's.
  WriteChain(dir.Sub("bad.nt"), 25000,
             "<http://example.org/x> <http://example.org/p> \"open .\n");
  RunResult bad = Load(dir, dir.Sub("bad"), {"--load=" + dir.Sub("bad.nt")});
  EXPECT_EQ(bad.exit_code, 4);
  EXPECT_THAT(bad.err, HasSubstr("not a fresh load (the file has a line the "
                                 "reader or the store refuses)"));
  EXPECT_THAT(bad.err, HasSubstr(dir.Sub("bad.nt") + " line 25001"));
  EXPECT_EQ(StatsOf(dir, dir.Sub("bad")).statements(), 0u);
}

// SIGKILL during a fresh load: the store is empty or holds the whole file.
TEST(OfflineLoadTest, AKilledFreshLoadLeavesTheStoreEmptyOrFullyLoaded) {
  ScopedTempDir dir;
  constexpr int kBig = 300000;
  WriteChain(dir.Sub("big.nt"), kBig);
  // Whole, and in parts of about 2 MB: a kill between parts leaves parts
  // that the next open rolls back.
  int interrupted = 0;
  for (const auto& [delay_ms, part_bytes] :
       std::vector<std::pair<int, std::string>>{{50, "0"},
                                                {250, "0"},
                                                {600, "0"},
                                                {300, "2000000"},
                                                {700, "2000000"},
                                                {1200, "2000000"}}) {
    SCOPED_TRACE(absl::StrCat("parts of ", part_bytes, " bytes"));
    const std::string data =
        dir.Sub(absl::StrCat("data", delay_ms, "-", part_bytes));
    testing::Subprocess load(
        {testing::ServerBinary(), "--data_dir=" + data,
         "--load=" + dir.Sub("big.nt"), "--load_piece_bytes=1000000",
         "--load_part_bytes=" + part_bytes},
        dir.path());
    if (!load.Wait(absl::Milliseconds(delay_ms)).has_value()) {
      load.Signal(SIGKILL);
      // It may have finished just before the signal.
      const std::optional<int> code = load.Wait(absl::Seconds(30));
      ASSERT_TRUE(code == 128 + SIGKILL || code == 0) << code.value_or(-1);
      if (code == 128 + SIGKILL) ++interrupted;
    }
    const uint64_t statements = StatsOf(dir, data).statements();
    EXPECT_TRUE(statements == 0u || statements == kBig)
        << "after " << delay_ms << " ms: " << statements << " statements";
    RunResult verify = Load(dir, data, {"--verify"});
    EXPECT_EQ(verify.exit_code, 0) << verify.out;
  }
  EXPECT_GE(interrupted, 1);
}

}  // namespace
}  // namespace kg
