// End to end: the real kgctl binary against a real kg-server on a free
// loopback port, seeded with data/seed.jsonl.
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "kg/v1/kg.pb.h"
#include "rdf/format.h"
#include "rdf/isomorphism.h"
#include "tests/client/kgctl_harness.h"
#include "tests/support/process.h"
#include "tests/support/test_util.h"

namespace kg {
namespace {

using ::testing::AllOf;
using ::testing::ContainsRegex;
using ::testing::ElementsAre;
using testing::ExpectGolden;
using ::testing::HasSubstr;
using testing::Kgctl;
using ::testing::MatchesRegex;
using ::testing::Not;
using testing::ParseJsonLines;
using testing::RunResult;
using testing::ScopedTempDir;
using testing::ServerProcess;
using ::testing::StartsWith;
using testing::WriteFile;

constexpr char kTroops[] = "<<north_korea deployed_troops_to russia>>";

constexpr char kTroopsId[] = "s960c4b03ed2f9852a18dcc278536a608";

int Lines(const std::string& text) {
  return static_cast<int>(std::count(text.begin(), text.end(), '\n'));
}

// Display width of UTF-8 text, as kgctl counts it: one per code point.
size_t CodePoints(absl::string_view text) {
  return std::count_if(text.begin(), text.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  });
}

// `text` with the count before each "edges expanded" replaced by N: how many
// edges a search expands is the engine's business, not kgctl's output.
std::string MaskEdgeCounts(std::string text) {
  constexpr char kEdges[] = " edges expanded";
  size_t pos = text.find(kEdges);
  while (pos != std::string::npos) {
    size_t start = pos;
    while (start > 0 &&
           (absl::ascii_isdigit(text[start - 1]) || text[start - 1] == ',')) {
      --start;
    }
    text.replace(start, pos - start, "N");
    pos = text.find(kEdges, start + sizeof(kEdges));
  }
  return text;
}

// An entity's id, or a statement node's statement id.
std::string NodeName(const kg::v1::Node& node) {
  return node.has_entity() ? node.entity().id() : node.statement_id();
}

// The relations a path walks, hop by hop.
std::vector<std::string> Relations(const kg::v1::Path& path) {
  std::vector<std::string> out;
  for (const kg::v1::Hop& hop : path.hops()) {
    out.push_back(hop.statement().relation());
  }
  return out;
}

// Checks that `path` runs from `from` to `to` with each hop starting where
// the last one ended.
void ExpectConnected(const kg::v1::Path& path, const std::string& from,
                     const std::string& to) {
  ASSERT_GT(path.hops_size(), 0);
  EXPECT_EQ(NodeName(path.hops(0).from()), from);
  for (int i = 1; i < path.hops_size(); ++i) {
    EXPECT_EQ(NodeName(path.hops(i).from()), NodeName(path.hops(i - 1).to()));
  }
  EXPECT_EQ(NodeName(path.hops(path.hops_size() - 1).to()), to);
}

class KgctlTest : public ::testing::Test {
 protected:
  // A server loaded with the seed graph.
  std::string Seeded() {
    seeded_ = std::make_unique<ServerProcess>(
        dir_.Sub("seeded"), dir_.path(),
        std::vector<std::string>{"--seed_file=" + testing::SourceDir() +
                                 "/data/seed.jsonl"});
    EXPECT_TRUE(seeded_->started()) << seeded_->process().Stderr();
    return seeded_->address();
  }
  // A server with an empty store.
  std::string Empty(const std::string& name = "empty") {
    empty_.push_back(
        std::make_unique<ServerProcess>(dir_.Sub(name), dir_.path()));
    EXPECT_TRUE(empty_.back()->started());
    return empty_.back()->address();
  }
  RunResult Run(const std::string& server, const std::vector<std::string>& args,
                int columns = 100) {
    return Kgctl(server, args, dir_.path(), columns);
  }
  // The paths of `kgctl --json path ARGS...`, checking that the stream ends
  // with one summary that counts them.
  std::vector<kg::v1::Path> Paths(const std::string& server,
                                  std::vector<std::string> args) {
    args.insert(args.begin(), {"--json", "path"});
    RunResult r = Run(server, args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    auto messages = ParseJsonLines<kg::v1::FindPathsResponse>(r.out);
    std::vector<kg::v1::Path> paths;
    for (const auto& m : messages) {
      if (m.has_path()) paths.push_back(m.path());
    }
    EXPECT_FALSE(messages.empty());
    if (!messages.empty()) {
      EXPECT_TRUE(messages.back().has_summary()) << r.out;
      EXPECT_EQ(messages.back().summary().paths(), paths.size());
    }
    return paths;
  }
  std::string SeedFile() const {
    return testing::SourceDir() + "/data/seed.jsonl";
  }
  // Writes the seed with `replace` put in place of line `line` (1-based),
  // or inserted before it when `insert`.
  std::string SeedWith(int line, const std::string& text, bool insert,
                       const std::string& name) {
    std::vector<std::string> lines =
        absl::StrSplit(testing::ReadFile(SeedFile()), '\n', absl::SkipEmpty());
    if (insert) {
      lines.insert(lines.begin() + line - 1, text);
    } else {
      lines[line - 1] = text;
    }
    const std::string path = dir_.Sub(name);
    WriteFile(path, absl::StrCat(absl::StrJoin(lines, "\n"), "\n"));
    return path;
  }

  ScopedTempDir dir_;
  std::unique_ptr<ServerProcess> seeded_;
  std::vector<std::unique_ptr<ServerProcess>> empty_;
};

// ---- Human output: golden tables ----

TEST_F(KgctlTest, VocabularyTablesMatchGoldenFiles) {
  const std::string server = Seeded();
  struct Case {
    std::vector<std::string> args;
    std::string golden;
  };
  const std::vector<Case> cases = {
      {{"entity", "list", "--all"}, "entity_list.txt"},
      {{"entity", "get", "North Korea"}, "entity_get.txt"},
      {{"entity", "search", "no"}, "entity_search.txt"},
      {{"entity", "resolve", "pyongyang"}, "entity_resolve.txt"},
      {{"relation", "list"}, "relation_list.txt"},
      {{"relation", "get", "denied"}, "relation_get.txt"},
      {{"document", "list"}, "document_list.txt"},
      {{"document", "get", "seed_article"}, "document_get.txt"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.golden);
    RunResult r = Run(server, c.args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.err, "");
    ExpectGolden(c.golden, r.out);
  }
}

TEST_F(KgctlTest, StatementOutputMatchesGoldenFiles) {
  const std::string server = Seeded();
  struct Case {
    std::vector<std::string> args;
    std::string golden;
  };
  const std::vector<Case> cases = {
      {{"match", "--subject", "nis"}, "match_nis.txt"},
      {{"match", "--relation", "denied", "--provenance"},
       "match_denied_provenance.txt"},
      {{"match", "--object", kTroops, "--include-quoted"},
       "match_object_quoted.txt"},
      {{"statement", "get",
        "<<nis reported <<<<north_korea deployed_troops_to russia>> "
        "troop_count int:12000>>>>"},
       "statement_get_claim.txt"},
      {{"statement", "get", kTroops}, "statement_get_quoted.txt"},
      {{"count", "--relation", "denied", "--exact"}, "count_denied.txt"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.golden);
    RunResult r = Run(server, c.args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    ExpectGolden(c.golden, r.out);
  }
}

TEST_F(KgctlTest, PagesAreAnnouncedAndFollowedWithAll) {
  const std::string server = Seeded();
  RunResult page = Run(server, {"entity", "list", "--limit", "5", "--json"});
  EXPECT_EQ(page.exit_code, 0);
  EXPECT_EQ(Lines(page.out), 5);
  EXPECT_THAT(page.err, HasSubstr("more results: add --all, or --page-token="));
  const std::string token = page.err.substr(page.err.find('=') + 1);
  RunResult next =
      Run(server, {"entity", "list", "--limit", "5", "--json", "--page-token",
                   std::string(absl::StripTrailingAsciiWhitespace(token))});
  EXPECT_EQ(next.exit_code, 0) << next.err;
  EXPECT_NE(next.out, page.out);
  RunResult all =
      Run(server, {"entity", "list", "--limit", "5", "--all", "--json"});
  EXPECT_EQ(all.exit_code, 0);
  EXPECT_EQ(all.err, "");
  EXPECT_EQ(ParseJsonLines<kg::v1::Entity>(all.out).size(), 32u);
}

// The hop cap is the server's --max_path_hops (12), and the error names it
// (docs/cli.md, "Paths and provenance").
TEST_F(KgctlTest, TooManyHopsNamesTheCap) {
  const std::string server = Seeded();
  RunResult path =
      Run(server, {"path", "north_korea", "ukraine", "--max-hops", "13"});
  EXPECT_EQ(path.exit_code, 4);
  EXPECT_THAT(
      path.err,
      HasSubstr("max_hops: must be in 1..12 (--max_path_hops), got 13"));
  RunResult hood = Run(server, {"neighborhood", "north_korea", "--hops", "13"});
  EXPECT_EQ(hood.exit_code, 4);
  EXPECT_THAT(hood.err, HasSubstr("hops: must be in 1..12 (--max_path_hops)"));
  EXPECT_EQ(Run(server, {"path", "north_korea", "ukraine", "--max-hops", "12"})
                .exit_code,
            0);
}

// A missing import file is a usage error naming the file, not bad data.
TEST_F(KgctlTest, MissingImportFileIsAUsageError) {
  const std::string server = Seeded();
  RunResult r = Run(server, {"import", "/no/such/file.jsonl"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err,
              HasSubstr("cannot open /no/such/file.jsonl: no such file"));
  EXPECT_THAT(r.err, Not(HasSubstr("invalid")));
}

// ---- --json parsed back ----

TEST_F(KgctlTest, JsonOutputParsesBackIntoTheProtoMessages) {
  const std::string server = Seeded();
  {
    RunResult r = Run(server, {"--json", "entity", "list", "--all"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    auto entities = ParseJsonLines<kg::v1::Entity>(r.out);
    ASSERT_EQ(entities.size(), 32u);
    EXPECT_TRUE(std::is_sorted(
        entities.begin(), entities.end(),
        [](const auto& a, const auto& b) { return a.id() < b.id(); }));
  }
  {
    // --json may also follow the command.
    RunResult r = Run(server, {"entity", "get", "Pyongyang", "--json"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    auto e = ParseJsonLines<kg::v1::Entity>(r.out);
    ASSERT_EQ(e.size(), 1u);
    EXPECT_EQ(e[0].id(), "north_korea");
  }
  {
    RunResult r = Run(server, {"relation", "list", "--json"});
    auto relations = ParseJsonLines<kg::v1::Relation>(r.out);
    EXPECT_EQ(relations.size(), 53u);
  }
  {
    RunResult r = Run(server, {"match", "--relation", "denied", "--json",
                               "--provenance", "--all"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    auto statements = ParseJsonLines<kg::v1::Statement>(r.out);
    ASSERT_EQ(statements.size(), 4u);
    for (const auto& s : statements) {
      EXPECT_EQ(s.relation(), "denied");
      EXPECT_TRUE(s.object().has_statement_id());
      EXPECT_EQ(s.provenance_size(), 1);
    }
  }
  {
    RunResult r = Run(server, {"statement", "get", kTroops, "--json"});
    auto s = ParseJsonLines<kg::v1::Statement>(r.out);
    ASSERT_EQ(s.size(), 1u);
    EXPECT_EQ(s[0].live_provenance(), 0u);
    EXPECT_GT(s[0].quoted_by(), 0u);
  }
  {
    RunResult r = Run(server, {"stats", "--json"});
    auto stats = ParseJsonLines<kg::v1::Stats>(r.out);
    ASSERT_EQ(stats.size(), 1u);
    EXPECT_EQ(stats[0].entities(), 32u);
    EXPECT_EQ(stats[0].provenance_records(), 76u);
  }
  {
    RunResult r = Run(server, {"count", "--json", "--exact"});
    auto c = ParseJsonLines<kg::v1::CountStatementsResponse>(r.out);
    ASSERT_EQ(c.size(), 1u);
    EXPECT_TRUE(c[0].exact());
    EXPECT_EQ(c[0].count(), 93u);
  }
  {
    RunResult r =
        Run(server, {"document", "get", "seed_article", "--text", "--json"});
    auto d = ParseJsonLines<kg::v1::Document>(r.out);
    ASSERT_EQ(d.size(), 1u);
    EXPECT_THAT(d[0].text(), StartsWith("President Yoon Suk Yeol"));
  }
}

// ---- Writes ----

TEST_F(KgctlTest, StatementAddFindsTheEvidenceOffsetsInCodePoints) {
  const std::string server = Seeded();
  WriteFile(dir_.Sub("doc.txt"),
            "Wagner fighters were seen near Bakhmut. Wagner denied it.\n"
            "Prigozhin\u2019s men left.");
  EXPECT_EQ(
      Run(server, {"entity", "add", "wagner_group", "--label", "Wagner Group",
                   "--type", "Organization", "--alias", "Wagner"})
          .exit_code,
      0);
  RunResult again = Run(server, {"entity", "add", "wagner_group", "--label",
                                 "W", "--type", "Organization"});
  EXPECT_EQ(again.exit_code, 4);
  EXPECT_THAT(again.err, HasSubstr("already exists"));
  RunResult doc =
      Run(server, {"document", "add", "d1", "--title", "Report", "--published",
                   "2023-05", "--text-file", dir_.Sub("doc.txt")});
  ASSERT_EQ(doc.exit_code, 0) << doc.err;
  EXPECT_THAT(doc.out, HasSubstr("79 characters"));

  // After a curly apostrophe: code points, not bytes.
  RunResult add =
      Run(server, {"statement", "add", "Wagner", "troop_count", "int:5000",
                   "--document", "d1", "--evidence", "men left.", "--hedge",
                   "reportedly", "--confidence", "0.5", "--json"});
  ASSERT_EQ(add.exit_code, 0) << add.err;
  auto written = ParseJsonLines<kg::v1::WriteStatementsResponse>(add.out);
  ASSERT_EQ(written.size(), 1u);
  EXPECT_EQ(written[0].provenance_added(), 1u);
  RunResult get =
      Run(server, {"statement", "get", "--json", written[0].statement_ids(0)});
  auto st = ParseJsonLines<kg::v1::Statement>(get.out);
  ASSERT_EQ(st.size(), 1u);
  ASSERT_EQ(st[0].provenance_size(), 1);
  EXPECT_EQ(st[0].provenance(0).evidence_start(), 70u);
  EXPECT_EQ(st[0].provenance(0).evidence_end(), 79u);
  EXPECT_EQ(st[0].provenance(0).hedge(), kg::v1::HEDGE_REPORTEDLY);

  RunResult twice = Run(server, {"statement", "add", "wagner_group", "denied",
                                 "<<wagner_group troop_count int:5000>>",
                                 "--document", "d1", "--evidence", "Wagner"});
  EXPECT_EQ(twice.exit_code, 4);
  EXPECT_THAT(twice.err, HasSubstr("occurs 2 times"));
  RunResult absent =
      Run(server, {"statement", "add", "wagner_group", "denied",
                   "<<wagner_group troop_count "
                   "int:5000>>",
                   "--document", "d1", "--evidence", "not in the text"});
  EXPECT_EQ(absent.exit_code, 4);
  EXPECT_THAT(absent.err,
              HasSubstr("evidence: not found in the text of document 'd1'"));
  // An empty quote, and an empty string as the value: refused, by name.
  RunResult empty_quote =
      Run(server, {"statement", "add", "wagner_group", "denied",
                   "<<wagner_group troop_count int:5000>>", "--document", "d1",
                   "--evidence", ""});
  EXPECT_EQ(empty_quote.exit_code, 4);
  EXPECT_THAT(empty_quote.err, HasSubstr("--evidence: is empty"));
  RunResult empty_value =
      Run(server, {"statement", "add", "wagner_group", "troop_count",
                   "str:", "--document", "d1", "--evidence", "men left."});
  EXPECT_EQ(empty_value.exit_code, 4);
  EXPECT_THAT(empty_value.err, HasSubstr("string_value: is empty"));
  RunResult picked = Run(server, {"statement", "add", "wagner_group", "denied",
                                  "<<wagner_group troop_count "
                                  "int:5000>>",
                                  "--document", "d1", "--evidence", "Wagner",
                                  "--evidence-start", "40"});
  EXPECT_EQ(picked.exit_code, 0) << picked.err;
  EXPECT_THAT(picked.out, HasSubstr("d1 (2023-05) [40, 46)"));

  RunResult retract =
      Run(server, {"retract", "<<wagner_group troop_count int:5000>>", "d1"});
  EXPECT_EQ(retract.exit_code, 0) << retract.err;
  EXPECT_THAT(retract.out, HasSubstr("retracted 1 record(s)"));
  RunResult gone = Run(server, {"retract", written[0].statement_ids(0), "d1"});
  EXPECT_EQ(gone.exit_code, 3);
  EXPECT_EQ(Lines(gone.err), 1);
}

TEST_F(KgctlTest, BackupWritesANewDirectoryOnlyOnce) {
  const std::string server = Seeded();
  RunResult r = Run(server, {"backup", dir_.Sub("backup")});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("backup written to"));
  EXPECT_TRUE(std::filesystem::exists(dir_.Sub("backup")));
  RunResult again = Run(server, {"backup", dir_.Sub("backup")});
  EXPECT_EQ(again.exit_code, 4);
  EXPECT_THAT(again.err, HasSubstr("already exists"));
}

TEST_F(KgctlTest, VerifyChecksTheLiveStoreAndBackups) {
  const std::string server = Seeded();
  RunResult live = Run(server, {"verify"});
  EXPECT_EQ(live.exit_code, 0) << live.err;
  EXPECT_THAT(live.out, HasSubstr("checked the live store: "));
  EXPECT_THAT(live.out, HasSubstr("OK"));

  RunResult backup = Run(server, {"backup", "--verify", dir_.Sub("b1")});
  EXPECT_EQ(backup.exit_code, 0) << backup.err;
  EXPECT_THAT(backup.out, HasSubstr("backup written to"));
  EXPECT_THAT(backup.out, HasSubstr("checked the backup: "));

  RunResult of_backup = Run(server, {"verify", "--backup", dir_.Sub("b1")});
  EXPECT_EQ(of_backup.exit_code, 0) << of_backup.err;
  EXPECT_THAT(of_backup.out, HasSubstr("checked backup " + dir_.Sub("b1")));

  RunResult json = Run(server, {"--json", "verify"});
  EXPECT_EQ(json.exit_code, 0) << json.err;
  EXPECT_THAT(json.out, HasSubstr("\"ok\":true"));

  RunResult relative = Run(server, {"verify", "--backup", "relative/dir"});
  EXPECT_EQ(relative.exit_code, 4);
  EXPECT_THAT(relative.err, HasSubstr("directory: must be an absolute path"));
  RunResult missing = Run(server, {"verify", "--backup", dir_.Sub("nope")});
  EXPECT_EQ(missing.exit_code, 3);
  EXPECT_THAT(missing.err, HasSubstr("does not exist"));
}

TEST_F(KgctlTest, ARestoredServerServesTheBackup) {
  const std::string server = Seeded();
  RunResult backup = Run(server, {"backup", dir_.Sub("b2")});
  ASSERT_EQ(backup.exit_code, 0) << backup.err;
  RunResult stats = Run(server, {"stats"});
  // Offline check, then restore: a server started on the backup directory.
  RunResult offline = testing::RunCommand(
      {testing::ServerBinary(), "--verify", "--data_dir=" + dir_.Sub("b2")},
      dir_.path());
  EXPECT_EQ(offline.exit_code, 0) << offline.out << offline.err;
  EXPECT_THAT(offline.out, HasSubstr("OK"));
  ServerProcess restored(dir_.Sub("b2"), dir_.path());
  ASSERT_TRUE(restored.started());
  RunResult restored_stats = Run(restored.address(), {"stats"});
  EXPECT_EQ(restored_stats.exit_code, 0);
  // The same figures, but for the size on disk.
  auto without_bytes = [](const std::string& out) {
    return out.substr(0, out.find("bytes on disk"));
  };
  EXPECT_EQ(without_bytes(restored_stats.out), without_bytes(stats.out));
  RunResult not_a_store = testing::RunCommand(
      {testing::ServerBinary(), "--verify", "--data_dir=" + dir_.Sub("nope")},
      dir_.path());
  EXPECT_EQ(not_a_store.exit_code, 2);
  EXPECT_THAT(not_a_store.err, HasSubstr("does not exist"));
}

// ---- Import and export ----

TEST_F(KgctlTest, JsonlExportImportExportIsByteIdentical) {
  const std::string seeded = Seeded();
  RunResult first = Run(seeded, {"export"});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_EQ(Lines(first.out), 162);  // 32 + 53 + 1 + 76 records
  EXPECT_THAT(first.out, Not(HasSubstr("recorded_at")));
  EXPECT_THAT(first.out, Not(HasSubstr("statement_id")));
  auto records = ParseJsonLines<kg::v1::Record>(first.out);
  ASSERT_EQ(records.size(), 162u);
  EXPECT_TRUE(records.front().has_entity());
  EXPECT_TRUE(records.back().has_statement());

  WriteFile(dir_.Sub("a.jsonl"), first.out);
  const std::string fresh = Empty();
  RunResult import =
      Run(fresh, {"import", dir_.Sub("a.jsonl"), "--batch-size", "40"});
  ASSERT_EQ(import.exit_code, 0) << import.err;
  EXPECT_THAT(import.out, HasSubstr("imported 162 records"));
  EXPECT_THAT(import.out, HasSubstr("in one write of 5 batches"));
  EXPECT_EQ(import.err, "");  // no progress bar when stderr is a file

  RunResult second = Run(fresh, {"export", "--output", dir_.Sub("b.jsonl")});
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_EQ(testing::ReadFile(dir_.Sub("b.jsonl")), first.out);
  EXPECT_FALSE(std::filesystem::exists(dir_.Sub("b.jsonl.tmp")));

  // Importing again changes nothing: every record is already there.
  RunResult twice = Run(fresh, {"import", dir_.Sub("a.jsonl"), "--json"});
  EXPECT_EQ(twice.exit_code, 0) << twice.err;
  EXPECT_THAT(twice.out, HasSubstr("\"provenance_unchanged\":76"));
}

TEST_F(KgctlTest, TheSeedFileImportsAndExportsLikeTheSeededServer) {
  const std::string seeded = Seeded();
  const std::string fresh = Empty();
  RunResult import = Run(fresh, {"import", SeedFile()});
  ASSERT_EQ(import.exit_code, 0) << import.err;
  EXPECT_EQ(Run(fresh, {"export"}).out, Run(seeded, {"export"}).out);
}

// Every quad of an RDF file, parsed.
std::vector<rdf::Quad> ReadQuads(rdf::Format format, const std::string& text) {
  std::vector<rdf::Quad> quads;
  absl::Status s = rdf::Read(format, text, {.base = "http://example.org/"},
                             [&](const rdf::Quad& q, const rdf::Position&) {
                               quads.push_back(q);
                               return absl::OkStatus();
                             });
  EXPECT_TRUE(s.ok()) << s;
  return quads;
}

TEST_F(KgctlTest, EveryRdfFormatRoundTripsTheSeedGraph) {
  const std::string seeded = Seeded();
  const std::string jsonl = Run(seeded, {"export"}).out;
  for (const std::string format : {"nt", "nq", "ttl", "trig"}) {
    SCOPED_TRACE(format);
    RunResult first = Run(seeded, {"export", "--format", format});
    ASSERT_EQ(first.exit_code, 0) << first.err;
    if (format == "nt" || format == "nq") {
      EXPECT_THAT(first.out,
                  HasSubstr("<https://kg.invalid/entity/north_korea> "
                            "<http://www.w3.org/2000/01/rdf-schema#label> "
                            "\"North Korea\""));
      EXPECT_THAT(first.out, HasSubstr("XMLSchema#gYearMonth>"));
      // Quoted statements are RDF 1.2 triple terms.
      EXPECT_THAT(first.out, HasSubstr("<https://kg.invalid/relation/denied> "
                                       "<<( "));
    }
    const std::string file = dir_.Sub("a." + format);
    WriteFile(file, first.out);
    const std::string fresh = Empty("fresh_" + format);
    RunResult import = Run(fresh, {"import", file});
    ASSERT_EQ(import.exit_code, 0) << import.err;
    EXPECT_EQ(Run(fresh, {"export", "--format", format}).out, first.out);
    // Nothing is lost on the way: the JSON Lines export is the same too.
    EXPECT_EQ(Run(fresh, {"export"}).out, jsonl);
  }
  // N-Quads put each triple in the graph of its document.
  RunResult nq = Run(seeded, {"export", "--format", "nq"});
  EXPECT_THAT(nq.out, HasSubstr("<https://kg.invalid/ns#evidence> \"President "
                                "Yoon"));
  EXPECT_THAT(nq.out,
              HasSubstr("> <https://kg.invalid/document/seed_article> .\n"));
}

// The lines of an N-Quads file, sorted.
std::vector<std::string> SortedLines(const std::string& text) {
  std::vector<std::string> lines =
      absl::StrSplit(text, '\n', absl::SkipEmpty());
  std::sort(lines.begin(), lines.end());
  return lines;
}

// RDF has no order, so an entity's aliases come back in the file's order;
// everything else is the same, which the sorted N-Quads show.
TEST_F(KgctlTest, ASortedOrShuffledExportImportsTheSame) {
  const std::string seeded = Seeded();
  const std::string nq = Run(seeded, {"export", "--format", "nq"}).out;
  std::vector<std::string> lines = SortedLines(nq);
  WriteFile(dir_.Sub("sorted.nq"),
            absl::StrCat(absl::StrJoin(lines, "\n"), "\n"));
  std::reverse(lines.begin(), lines.end());
  std::rotate(lines.begin(), lines.begin() + lines.size() / 3, lines.end());
  WriteFile(dir_.Sub("shuffled.nq"),
            absl::StrCat(absl::StrJoin(lines, "\n"), "\n"));
  for (const std::string name : {"sorted.nq", "shuffled.nq"}) {
    SCOPED_TRACE(name);
    const std::string fresh = Empty("fresh_" + name);
    RunResult import = Run(fresh, {"import", dir_.Sub(name)});
    ASSERT_EQ(import.exit_code, 0) << import.err;
    EXPECT_EQ(SortedLines(Run(fresh, {"export", "--format", "nq"}).out),
              SortedLines(nq));
  }
}

// Any RDF 1.2 data comes in and goes out unchanged: language tags with a
// direction, datatypes (unknown ones too, lexical forms as written), blank
// nodes, nested triple terms, reifiers and annotations.
TEST_F(KgctlTest, Rdf12DataImportsAndExportsIsomorphic) {
  const std::string turtle = R"(PREFIX : <http://example.org/>
PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
:alice :name "Alice"@en , "Алиса"@ru , "أليس"@ar--rtl ;
  :age "030"^^xsd:integer , "30"^^xsd:integer ;
  :shoe "42.50"^^<http://example.org/units#eu> ;
  :knows [ :name "someone" ; :knows _:b ] .
_:b :said <<( :alice :age "30"^^xsd:integer )>> .
:bob :claims <<( _:b :knows <<( :alice :name "Alice"@EN )>> )>> .
:alice :worksFor :acme {| :since "2020"^^xsd:gYear ; :source :hr |} .
<< :carol :likes :dave ~ :r1 >> :confidence 0.5 .
:rel :empty "" ; :nul "a\u0000b" .
)";
  WriteFile(dir_.Sub("data.ttl"), turtle);
  const std::string fresh = Empty();
  RunResult import = Run(fresh, {"import", dir_.Sub("data.ttl")});
  ASSERT_EQ(import.exit_code, 0) << import.err;
  EXPECT_THAT(import.out, HasSubstr("default graph: document data"));
  for (const auto& [flag, format] :
       std::vector<std::pair<std::string, rdf::Format>>{
           {"ttl", rdf::Format::kTurtle}, {"nt", rdf::Format::kNTriples}}) {
    SCOPED_TRACE(flag);
    RunResult out = Run(fresh, {"export", "--format", flag});
    ASSERT_EQ(out.exit_code, 0) << out.err;
    std::string why;
    EXPECT_TRUE(rdf::Isomorphic(ReadQuads(rdf::Format::kTurtle, turtle),
                                ReadQuads(format, out.out), &why))
        << why << "\n"
        << out.out;
  }
  // N-Quads: the default graph's document back in the default graph.
  RunResult nq =
      Run(fresh, {"export", "--format", "nq", "--default-graph", "data"});
  std::string why;
  EXPECT_TRUE(rdf::Isomorphic(ReadQuads(rdf::Format::kTurtle, turtle),
                              ReadQuads(rdf::Format::kNQuads, nq.out), &why))
      << why;
  // Importing the same file again makes new blank nodes (they are scoped
  // to an import) but no new IRIs or literals.
  RunResult again = Run(fresh, {"import", dir_.Sub("data.ttl"), "--json"});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_THAT(again.out, Not(HasSubstr("\"statements_created\":0,")));
}

TEST_F(KgctlTest, NamedGraphsBecomeDocumentsAndComeBack) {
  const std::string trig = R"(PREFIX : <http://example.org/>
:a :p :b .
:g1 { :a :p :c . :c :q "x"@en }
_:g2 { :a :p :b . }
GRAPH :g3 { :d :p <<( :a :p :b )>> }
)";
  WriteFile(dir_.Sub("d.trig"), trig);
  const std::string fresh = Empty();
  RunResult import =
      Run(fresh, {"import", dir_.Sub("d.trig"), "--document", "main"});
  ASSERT_EQ(import.exit_code, 0) << import.err;
  RunResult docs = Run(fresh, {"document", "list"});
  EXPECT_THAT(docs.out, HasSubstr("http://example.org/g1"));
  EXPECT_THAT(docs.out, HasSubstr("main"));
  for (const auto& [flag, format] :
       std::vector<std::pair<std::string, rdf::Format>>{
           {"trig", rdf::Format::kTriG}, {"nq", rdf::Format::kNQuads}}) {
    SCOPED_TRACE(flag);
    RunResult out =
        Run(fresh, {"export", "--format", flag, "--default-graph", "main"});
    ASSERT_EQ(out.exit_code, 0) << out.err;
    std::string why;
    EXPECT_TRUE(rdf::Isomorphic(ReadQuads(rdf::Format::kTriG, trig),
                                ReadQuads(format, out.out), &why))
        << why << "\n"
        << out.out;
  }
}

TEST_F(KgctlTest, AFailedImportLeavesTheStoreAsItWas) {
  const std::string fresh = Empty();
  // 2,500 good lines (three batches of 1,000), then a bad last line.
  std::string good;
  for (int i = 0; i < 2500; ++i) {
    absl::StrAppend(&good, "<http://example.org/n", i,
                    "> <http://example.org/next> <http://example.org/n", i + 1,
                    "> .\n");
  }
  WriteFile(dir_.Sub("syntax.nt"),
            good + "<http://example.org/last> <http://example.org/p> .\n");
  RunResult syntax = Run(fresh, {"import", dir_.Sub("syntax.nt")});
  EXPECT_EQ(syntax.exit_code, 4);
  EXPECT_THAT(syntax.err, HasSubstr("syntax.nt line 2501, column "));
  EXPECT_THAT(syntax.err, HasSubstr("nothing was written"));
  EXPECT_EQ(Lines(syntax.err), 1) << syntax.err;

  // A last line the server refuses (an entity that does not exist) after
  // three batches were streamed: still nothing.
  WriteFile(dir_.Sub("server.nt"), good +
                                       "<https://kg.invalid/entity/atlantis> "
                                       "<http://example.org/p> \"x\" .\n");
  RunResult server = Run(fresh, {"import", dir_.Sub("server.nt")});
  EXPECT_EQ(server.exit_code, 4);
  EXPECT_THAT(server.err, HasSubstr("server.nt line 2501: "));
  EXPECT_THAT(server.err, HasSubstr("atlantis"));
  auto stats =
      ParseJsonLines<kg::v1::Stats>(Run(fresh, {"stats", "--json"}).out);
  ASSERT_EQ(stats.size(), 1u);
  EXPECT_EQ(stats[0].statements(), 0u);
  EXPECT_EQ(stats[0].documents(), 0u);

  // With --skip-invalid both bad lines are reported and the rest imported.
  WriteFile(dir_.Sub("both.nt"),
            good + "<http://example.org/last> <http://example.org/p> .\n" +
                "<https://kg.invalid/entity/atlantis> <http://example.org/p> "
                "\"x\" .\n");
  RunResult skip =
      Run(fresh, {"import", dir_.Sub("both.nt"), "--skip-invalid", "--json"});
  EXPECT_EQ(skip.exit_code, 0) << skip.err;
  EXPECT_THAT(skip.out, HasSubstr("\"skipped\":2"));
  EXPECT_THAT(skip.err, HasSubstr("both.nt line 2501, column "));
  EXPECT_THAT(skip.err, HasSubstr("both.nt line 2502 skipped: "));
  stats = ParseJsonLines<kg::v1::Stats>(Run(fresh, {"stats", "--json"}).out);
  ASSERT_EQ(stats.size(), 1u);
  EXPECT_EQ(stats[0].statements(), 2500u);
}

TEST_F(KgctlTest, ABrokenJsonLineStopsWithItsLineNumber) {
  const std::string fresh = Empty();
  const std::string file =
      SeedWith(41, "{\"entity\": {\"id\": \"x\", \"label\": \"X\"", true,
               "broken.jsonl");
  RunResult r = Run(fresh, {"import", file});
  EXPECT_EQ(r.exit_code, 4);
  EXPECT_THAT(r.err, HasSubstr("line 41: not a kg.v1.Record in JSON"));
  EXPECT_EQ(Lines(r.err), 1) << r.err;
}

TEST_F(KgctlTest, InvalidUtf8IsReportedWithLineAndByte) {
  const std::string fresh = Empty();
  const std::string file = SeedWith(
      3,
      "{\"entity\": {\"id\": \"y\", \"label\": \"\xff\xfe\", \"type\": \"T\"}}",
      false, "latin1.jsonl");
  RunResult r = Run(fresh, {"import", file});
  EXPECT_EQ(r.exit_code, 4);
  EXPECT_THAT(r.err, HasSubstr("line 3: invalid UTF-8 at byte 34"));
}

TEST_F(KgctlTest, AnUnknownEntityNamesItsLineAndNothingIsWritten) {
  const std::string fresh = Empty();
  const std::string file = SeedWith(
      91,
      "{\"statement\": {\"triple\": {\"subject\": {\"entity\": \"atlantis\"}, "
      "\"relation\": \"allied_with\", \"object\": {\"entity\": \"russia\"}}, "
      "\"provenance\": [{\"document_id\": \"seed_article\", "
      "\"evidence_start\": 0, \"evidence_end\": 9, \"evidence\": "
      "\"President\"}]}}",
      true, "unknown.jsonl");
  RunResult r = Run(fresh, {"import", file, "--batch-size", "50"});
  EXPECT_EQ(r.exit_code, 4);
  EXPECT_THAT(r.err, HasSubstr("line 91: triple.subject: no entity named "
                               "'atlantis'"));
  EXPECT_THAT(r.err, HasSubstr("nothing was written"));
  EXPECT_EQ(Lines(r.err), 1) << r.err;
  // An import is one write: not even the batches before it were applied.
  auto stats =
      ParseJsonLines<kg::v1::Stats>(Run(fresh, {"stats", "--json"}).out);
  ASSERT_EQ(stats.size(), 1u);
  EXPECT_EQ(stats[0].entities(), 0u);
  EXPECT_EQ(stats[0].provenance_records(), 0u);
}

TEST_F(KgctlTest, SkipInvalidCountsAndReportsSkippedLines) {
  const std::string fresh = Empty();
  std::string text = testing::ReadFile(SeedFile());
  std::vector<std::string> lines =
      absl::StrSplit(text, '\n', absl::SkipEmpty());
  lines.insert(lines.begin() + 100,
               "{\"statement\": {\"triple\": {\"subject\": {\"entity\": "
               "\"atlantis\"}, \"relation\": \"allied_with\", \"object\": "
               "{\"entity\": \"russia\"}}, \"provenance\": [{\"document_id\": "
               "\"seed_article\", \"evidence_start\": 0, \"evidence_end\": 9, "
               "\"evidence\": \"President\"}]}}");
  lines.insert(lines.begin() + 40, "not json at all");
  lines.insert(lines.begin() + 10, "{\"planet\": {}}");
  WriteFile(dir_.Sub("three_bad.jsonl"),
            absl::StrCat(absl::StrJoin(lines, "\n"), "\n"));
  RunResult r = Run(fresh, {"import", dir_.Sub("three_bad.jsonl"),
                            "--skip-invalid", "--json"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("\"skipped\":3"));
  EXPECT_THAT(r.out, HasSubstr("\"records\":162"));
  EXPECT_THAT(r.err, HasSubstr("line 11 skipped: not a kg.v1.Record"));
  EXPECT_THAT(r.err, HasSubstr("line 42 skipped: not a kg.v1.Record"));
  EXPECT_THAT(r.err, HasSubstr("line 103 skipped: triple.subject: no entity "
                               "named 'atlantis'"));
  // Everything else arrived.
  auto stats =
      ParseJsonLines<kg::v1::Stats>(Run(fresh, {"stats", "--json"}).out);
  ASSERT_EQ(stats.size(), 1u);
  EXPECT_EQ(stats[0].provenance_records(), 76u);
}

TEST_F(KgctlTest, BadRdfLinesAreReportedWithTheirLineNumbers) {
  const std::string fresh = Empty();
  WriteFile(dir_.Sub("syntax.nt"),
            "# a comment\n\n<https://kg.invalid/entity/a> "
            "<https://kg.invalid/relation/b> .\n");
  RunResult syntax = Run(fresh, {"import", dir_.Sub("syntax.nt")});
  EXPECT_EQ(syntax.exit_code, 4);
  EXPECT_THAT(syntax.err, HasSubstr("syntax.nt line 3, column 63: "));
  EXPECT_EQ(Lines(syntax.err), 1) << syntax.err;

  WriteFile(dir_.Sub("bad.ttl"),
            "@prefix : <http://example.org/> .\n:a :b :c ;\n  :d \"x\"@ .\n");
  RunResult turtle =
      Run(fresh, {"import", dir_.Sub("bad.ttl"), "--skip-invalid"});
  EXPECT_EQ(turtle.exit_code, 4);
  EXPECT_THAT(turtle.err, HasSubstr("bad.ttl line 3, column "));
  EXPECT_THAT(turtle.err, HasSubstr("cannot resume after a syntax error"));

  // kg's names must exist: an entity IRI without an entity record.
  WriteFile(dir_.Sub("plain.nt"),
            "<https://kg.invalid/entity/a> <https://kg.invalid/relation/b> "
            "<https://kg.invalid/entity/c> .\n");
  RunResult plain = Run(fresh, {"import", dir_.Sub("plain.nt")});
  EXPECT_EQ(plain.exit_code, 4);
  EXPECT_THAT(plain.err, HasSubstr("plain.nt line 1: "));

  // A relative IRI in N-Triples, a kg description that is incomplete.
  WriteFile(dir_.Sub("relative.nt"), "<a> <http://example.org/b> \"c\" .\n");
  RunResult relative = Run(fresh, {"import", dir_.Sub("relative.nt")});
  EXPECT_EQ(relative.exit_code, 4);
  EXPECT_THAT(relative.err, HasSubstr("relative.nt line 1, column 1: "));
  WriteFile(dir_.Sub("entity.nt"),
            "<https://kg.invalid/entity/x> "
            "<http://www.w3.org/2000/01/rdf-schema#label> \"X\" .\n");
  RunResult entity = Run(fresh, {"import", dir_.Sub("entity.nt")});
  EXPECT_EQ(entity.exit_code, 4);
  EXPECT_THAT(entity.err, HasSubstr("entity.nt line 1: entity "
                                    "<https://kg.invalid/entity/x> needs "
                                    "rdf:type and rdfs:label"));
  auto stats =
      ParseJsonLines<kg::v1::Stats>(Run(fresh, {"stats", "--json"}).out);
  ASSERT_EQ(stats.size(), 1u);
  EXPECT_EQ(stats[0].statements(), 0u);
}

TEST_F(KgctlTest, ImportReadsStdin) {
  const std::string fresh = Empty();
  const std::string script = absl::StrCat(testing::KgctlBinary(), " --server ",
                                          fresh, " import - < ", SeedFile());
  RunResult r = testing::RunCommand({"/bin/sh", "-c", script}, dir_.path());
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("imported 162 records"));
}

// ---- Failures ----

TEST_F(KgctlTest, UnreachableServerIsOneLineAndExitCode5) {
  int port;
  {
    ServerProcess gone(dir_.Sub("gone"), dir_.path());
    ASSERT_TRUE(gone.started());
    port = gone.port();
    gone.process().Signal(SIGTERM);
    ASSERT_EQ(gone.process().Wait(absl::Seconds(30)), 0);
  }
  const std::string address = absl::StrCat("127.0.0.1:", port);
  for (const std::vector<std::string>& args :
       std::vector<std::vector<std::string>>{
           {"--timeout", "2", "entity", "list"},
           {"--timeout", "2", "import", SeedFile()},
           {"--timeout", "2", "export"},
           {"--timeout", "2", "path", "nis", "russia"}}) {
    SCOPED_TRACE(args[2]);
    RunResult r = Run(address, args);
    EXPECT_EQ(r.exit_code, 5);
    EXPECT_THAT(r.err, StartsWith("kgctl: server 127.0.0.1:"));
    EXPECT_EQ(Lines(r.err), 1) << r.err;
  }
}

TEST_F(KgctlTest, ErrorsAreOneLineWithDocumentedExitCodes) {
  const std::string server = Seeded();
  RunResult missing = Run(server, {"entity", "get", "atlantis"});
  EXPECT_EQ(missing.exit_code, 3);
  EXPECT_EQ(missing.err,
            "kgctl: not found: name: no entity named 'atlantis'\n");

  RunResult bad_term = Run(server, {"match", "--subject", "<<nis reported"});
  EXPECT_EQ(bad_term.exit_code, 2);
  EXPECT_THAT(bad_term.err, HasSubstr("see kgctl terms"));
  EXPECT_EQ(Lines(bad_term.err), 1);

  RunResult bad_int = Run(server, {"match", "--object", "int:twelve"});
  EXPECT_EQ(bad_int.exit_code, 2);
  EXPECT_THAT(bad_int.err, HasSubstr("not a 64-bit integer"));

  RunResult not_statement = Run(server, {"statement", "get", "nis"});
  EXPECT_EQ(not_statement.exit_code, 2);
  EXPECT_THAT(not_statement.err, HasSubstr("is not a statement"));

  RunResult usage = Run(server, {"entity", "add", "x", "--label", "X"});
  EXPECT_EQ(usage.exit_code, 2);
  EXPECT_EQ(usage.err,
            "kgctl: usage: --type is required (see kgctl entity add --help)\n");
  RunResult group = Run(server, {"entity"});
  EXPECT_EQ(group.exit_code, 2);
  EXPECT_EQ(Lines(group.err), 1);
  RunResult unknown = Run(server, {"frobnicate"});
  EXPECT_EQ(unknown.exit_code, 2);
  RunResult choice = Run(server, {"export", "--format", "xml"});
  EXPECT_EQ(choice.exit_code, 2);
}

// ---- Path and provenance queries ----

TEST_F(KgctlTest, QueryCommandsAnswerOnTheSeededServer) {
  const std::string server = Seeded();
  const std::vector<std::vector<std::string>> commands = {
      {"path", "nis", "russia", "--walk-claims"},
      {"neighborhood", "nis"},
      {"why", kTroops},
      {"by-document", "seed_article"},
      {"by-claimant", "NATO officials"},
      {"contested"},
      {"timeline", kTroops},
      {"prov-export", kTroops},
  };
  for (const auto& args : commands) {
    SCOPED_TRACE(args[0]);
    RunResult r = Run(server, args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_THAT(r.err, Not(HasSubstr("not implemented")));
    EXPECT_THAT(r.out, Not(HasSubstr("not implemented")));
    EXPECT_NE(r.out, "");
  }
  RunResult prov = Run(server, {"prov-export", kTroops});
  EXPECT_THAT(prov.out, HasSubstr("<http://www.w3.org/ns/prov#Entity> .\n"));
}

TEST_F(KgctlTest, PathDrawsTheChainWithRelationsAndQuotedEvidence) {
  const std::string server = Seeded();
  RunResult r = Run(server, {"path", "NIS", "Ukraine", "--walk-claims"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  ExpectGolden("path_chain.txt", MaskEdgeCounts(r.out));
  // The claimant, its claim with the sentence that makes it, the quoted
  // statement, and on from the statement's object.
  EXPECT_THAT(r.out, StartsWith("path 1: 3 hops\n"
                                "  nis (National Intelligence Service)\n"
                                "    --reported-->\n"
                                "        \"According to the NIS, North Korea "
                                "is believed to have deployed"));
  EXPECT_THAT(r.out, HasSubstr("        -- claimant nis, seed_article "
                               "(2024-10-18) [424, 572), believed, "
                               "confidence 0.7"));
  EXPECT_THAT(r.out, HasSubstr("  <<north_korea deployed_troops_to russia>>\n"
                               "    --(object)-->  [contested]\n"
                               "        (5 supporting and 3 opposing claims; "
                               "kgctl why s960c4b03ed2f9852a18dcc278536a608)\n"
                               "  russia (Russia)\n"
                               "    --in_conflict_with-->\n"
                               "        \"Both Russia and North Korea"));
  EXPECT_THAT(r.out, HasSubstr("with Ukraine.\"\n"
                               "        -- stated in seed_article "
                               "(2024-10-18) [2771, 2964), asserted, "
                               "confidence 1\n"
                               "  ukraine (Ukraine)\n\n"));
  EXPECT_THAT(r.out, ContainsRegex("\n\n1 path, [0-9,]+ edges expanded\n$"));
}

TEST_F(KgctlTest, PathWrapsLongEvidenceToTheTerminalWidth) {
  const std::string server = Seeded();
  const std::vector<std::string> args = {"path", "NIS", "Ukraine",
                                         "--walk-claims"};
  RunResult wide = Run(server, args);
  RunResult narrow = Run(server, args, 60);
  ASSERT_EQ(narrow.exit_code, 0) << narrow.err;
  EXPECT_GT(Lines(narrow.out), Lines(wide.out));
  const std::vector<std::string> lines = absl::StrSplit(narrow.out, '\n');
  for (const std::string& line : lines) {
    EXPECT_LE(CodePoints(line), 60u) << line;
  }
  // The sentence keeps every word, each of its lines at the evidence
  // indent.
  constexpr absl::string_view kIndent = "        ";
  auto first = std::find_if(lines.begin(), lines.end(), [&](const auto& l) {
    return absl::StartsWith(l, absl::StrCat(kIndent, "\"Both Russia"));
  });
  ASSERT_NE(first, lines.end()) << narrow.out;
  std::vector<std::string> parts;
  for (auto it = first; it != lines.end(); ++it) {
    ASSERT_TRUE(absl::StartsWith(*it, kIndent)) << *it;
    const absl::string_view text = absl::StripPrefix(*it, kIndent);
    EXPECT_FALSE(absl::StartsWith(text, " ")) << *it;
    parts.emplace_back(text);
    if (absl::EndsWith(text, "\"")) break;
  }
  EXPECT_GE(parts.size(), 3u);
  EXPECT_EQ(absl::StrJoin(parts, " "),
            "\"Both Russia and North Korea have denied allegations of arms "
            "transfers and dismissed claims that North Korean military "
            "personnel have been deployed to assist Russia in its conflict "
            "with Ukraine.\"");
}

TEST_F(KgctlTest, PathJsonIsOneFindPathsResponsePerStreamMessage) {
  const std::string server = Seeded();
  RunResult r =
      Run(server, {"--json", "path", "NIS", "Ukraine", "--walk-claims"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  EXPECT_EQ(Lines(r.out), 2) << r.out;
  auto messages = ParseJsonLines<kg::v1::FindPathsResponse>(r.out);
  ASSERT_EQ(messages.size(), 2u);
  ASSERT_TRUE(messages[0].has_path());
  const kg::v1::Path& path = messages[0].path();
  ASSERT_EQ(path.hops_size(), 3);
  ExpectConnected(path, "nis", "ukraine");
  EXPECT_EQ(path.hops(0).kind(), kg::v1::HOP_KIND_FORWARD);
  EXPECT_EQ(path.hops(0).statement().relation(), "reported");
  EXPECT_EQ(NodeName(path.hops(0).to()), kTroopsId);
  EXPECT_THAT(path.hops(0).summary().best().evidence(),
              StartsWith("According to the NIS"));
  EXPECT_EQ(path.hops(1).kind(), kg::v1::HOP_KIND_STATEMENT_TO_PART);
  EXPECT_TRUE(path.hops(1).contested());
  EXPECT_EQ(path.hops(1).summary().supporting_claims(), 5u);
  EXPECT_EQ(path.hops(1).summary().opposing_claims(), 3u);
  EXPECT_EQ(path.hops(2).statement().relation(), "in_conflict_with");
  ASSERT_TRUE(messages[1].has_summary());
  EXPECT_EQ(messages[1].summary().paths(), 1u);
  EXPECT_GT(messages[1].summary().expanded_edges(), 0u);
  EXPECT_FALSE(messages[1].summary().budget_exhausted());

  // Each path is its own line as it streams, the summary last.
  RunResult k = Run(server, {"path", "north_korea", "ukraine", "--mode", "k",
                             "--k", "3", "--json"});
  ASSERT_EQ(k.exit_code, 0) << k.err;
  auto streamed = ParseJsonLines<kg::v1::FindPathsResponse>(k.out);
  ASSERT_EQ(streamed.size(), 4u);
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(streamed[i].has_path()) << i;
  ASSERT_TRUE(streamed[3].has_summary());
  EXPECT_EQ(streamed[3].summary().paths(), 3u);
}

TEST_F(KgctlTest, PathModeKFindsKDistinctPathsShortestFirst) {
  const std::string server = Seeded();
  RunResult r = Run(server, {"path", "north_korea", "ukraine", "--mode", "k",
                             "--k", "3", "--max-hops", "4"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, StartsWith("path 1: "));
  EXPECT_THAT(r.out, HasSubstr("\n\npath 3: "));
  EXPECT_THAT(r.out, Not(HasSubstr("path 4: ")));
  // k paths found: more may exist, and the summary says which limit.
  EXPECT_THAT(
      r.out, ContainsRegex("\n\n3 paths, [0-9,]+ edges expanded; the 3 "
                           "shortest \\(--k\\): more may exist, raise --k\n$"));

  const std::vector<kg::v1::Path> paths = Paths(
      server,
      {"north_korea", "ukraine", "--mode", "k", "--k", "3", "--max-hops", "4"});
  ASSERT_EQ(paths.size(), 3u);
  std::set<std::vector<std::string>> distinct;
  for (size_t i = 0; i < paths.size(); ++i) {
    SCOPED_TRACE(i);
    ExpectConnected(paths[i], "north_korea", "ukraine");
    EXPECT_LE(paths[i].hops_size(), 4);
    if (i > 0) {
      EXPECT_GE(paths[i].hops_size(), paths[i - 1].hops_size());
    }
    std::vector<std::string> ids;
    for (const auto& hop : paths[i].hops()) ids.push_back(hop.statement().id());
    distinct.insert(ids);
  }
  EXPECT_EQ(distinct.size(), 3u);
  EXPECT_EQ(Paths(server, {"north_korea", "ukraine", "--mode", "k", "--k", "5"})
                .size(),
            5u);
  // Shortest (the default) is one path.
  EXPECT_EQ(Paths(server, {"north_korea", "ukraine"}).size(), 1u);
}

TEST_F(KgctlTest, PathMaxHopsBelowTheDistanceFindsNoPath) {
  const std::string server = Seeded();
  // north_korea is two hops from ukraine; the claim chain from the NIS is
  // three.
  for (const std::vector<std::string>& args :
       std::vector<std::vector<std::string>>{
           {"path", "north_korea", "ukraine", "--max-hops", "1"},
           {"path", "NIS", "Ukraine", "--walk-claims", "--max-hops", "2"}}) {
    SCOPED_TRACE(absl::StrJoin(args, " "));
    RunResult r = Run(server, args);
    // Not an error: the search ran and found nothing.
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.err, "");
    // The hop limit is named, with how to raise it.
    EXPECT_THAT(r.out, MatchesRegex("no path found \\([0-9,]+ edges "
                                    "expanded\\); none within [12] hops?: "
                                    "raise --max-hops \\(up to the "
                                    "server's\n?.*"));
    std::vector<std::string> json = args;
    json.push_back("--json");
    auto messages =
        ParseJsonLines<kg::v1::FindPathsResponse>(Run(server, json).out);
    ASSERT_EQ(messages.size(), 1u);
    ASSERT_TRUE(messages[0].has_summary());
    EXPECT_EQ(messages[0].summary().paths(), 0u);
  }
  const std::vector<kg::v1::Path> two =
      Paths(server, {"north_korea", "ukraine", "--max-hops", "2"});
  ASSERT_EQ(two.size(), 1u);
  EXPECT_EQ(two[0].hops_size(), 2);
  const std::vector<kg::v1::Path> three =
      Paths(server, {"NIS", "Ukraine", "--walk-claims", "--max-hops", "3"});
  ASSERT_EQ(three.size(), 1u);
  EXPECT_EQ(three[0].hops_size(), 3);
}

TEST_F(KgctlTest, PathRelationFlagsRestrictTheWalk) {
  const std::string server = Seeded();
  const std::vector<std::string> k3 = {"north_korea", "ukraine", "--mode",
                                       "k",           "--k",     "3"};
  auto with = [&](std::vector<std::string> extra) {
    std::vector<std::string> args = k3;
    args.insert(args.end(), extra.begin(), extra.end());
    return Paths(server, args);
  };
  auto walks = [](const std::vector<kg::v1::Path>& paths,
                  const std::string& relation) {
    for (const auto& p : paths) {
      const std::vector<std::string> r = Relations(p);
      if (std::find(r.begin(), r.end(), relation) != r.end()) return true;
    }
    return false;
  };
  const std::vector<kg::v1::Path> free = with({});
  ASSERT_EQ(free.size(), 3u);
  EXPECT_TRUE(walks(free, "in_conflict_with"));
  // Unrestricted, some shortest path goes by another relation than these.
  EXPECT_TRUE(std::any_of(free.begin(), free.end(), [](const auto& p) {
    for (const std::string& r : Relations(p)) {
      if (r != "allied_with" && r != "in_conflict_with") return true;
    }
    return false;
  }));

  const std::vector<kg::v1::Path> allowed =
      with({"--relation", "allied_with", "--relation", "in_conflict_with"});
  ASSERT_EQ(allowed.size(), 1u);
  EXPECT_THAT(Relations(allowed[0]),
              ElementsAre("allied_with", "in_conflict_with"));

  const std::vector<kg::v1::Path> excluded =
      with({"--exclude-relation", "in_conflict_with", "--max-hops", "3"});
  EXPECT_FALSE(excluded.empty());
  EXPECT_FALSE(walks(excluded, "in_conflict_with"));
  for (const auto& p : excluded) ExpectConnected(p, "north_korea", "ukraine");

  RunResult none = Run(
      server, {"path", "north_korea", "ukraine", "--relation", "allied_with"});
  EXPECT_EQ(none.exit_code, 0) << none.err;
  EXPECT_THAT(none.out, StartsWith("no path found"));
}

TEST_F(KgctlTest, PathDirectionAndTypeFlagsRestrictTheWalk) {
  const std::string server = Seeded();
  // north_korea attended far_east_summit: out from the subject, in from the
  // object.
  const std::vector<kg::v1::Path> out =
      Paths(server, {"north_korea", "far_east_summit", "--direction", "out"});
  ASSERT_EQ(out.size(), 1u);
  ASSERT_EQ(out[0].hops_size(), 1);
  EXPECT_EQ(out[0].hops(0).kind(), kg::v1::HOP_KIND_FORWARD);
  EXPECT_EQ(out[0].hops(0).statement().relation(), "attended");
  EXPECT_TRUE(
      Paths(server, {"north_korea", "far_east_summit", "--direction", "in"})
          .empty());
  const std::vector<kg::v1::Path> in =
      Paths(server, {"far_east_summit", "north_korea", "--direction", "in"});
  ASSERT_EQ(in.size(), 1u);
  ASSERT_EQ(in[0].hops_size(), 1);
  EXPECT_EQ(in[0].hops(0).kind(), kg::v1::HOP_KIND_BACKWARD);
  RunResult drawn = Run(server, {"path", "far_east_summit", "north_korea",
                                 "--direction", "in", "--provenance", "none"});
  EXPECT_THAT(drawn.out, HasSubstr("    <--attended--\n"));

  // Without in_conflict_with the way to ukraine passes through a Place.
  const std::vector<std::string> around = {
      "north_korea", "ukraine", "--exclude-relation", "in_conflict_with"};
  EXPECT_FALSE(Paths(server, around).empty());
  std::vector<std::string> countries = around;
  countries.insert(countries.end(), {"--type", "Country"});
  EXPECT_TRUE(Paths(server, countries).empty());
}

TEST_F(KgctlTest, PathProvenanceFlagChoosesWhatEachHopShows) {
  const std::string server = Seeded();
  RunResult none = Run(server, {"path", "NIS", "Ukraine", "--walk-claims",
                                "--provenance", "none"});
  ASSERT_EQ(none.exit_code, 0) << none.err;
  EXPECT_EQ(MaskEdgeCounts(none.out),
            "path 1: 3 hops\n"
            "  nis (National Intelligence Service)\n"
            "    --reported-->\n"
            "  <<north_korea deployed_troops_to russia>>\n"
            "    --(object)-->  [contested]\n"
            "  russia (Russia)\n"
            "    --in_conflict_with-->\n"
            "  ukraine (Ukraine)\n"
            "\n"
            "1 path, N edges expanded\n");

  // Summary (the default) sends the best record; full sends every record.
  const std::vector<kg::v1::Path> summary =
      Paths(server, {"NIS", "Ukraine", "--walk-claims"});
  const std::vector<kg::v1::Path> full = Paths(
      server, {"NIS", "Ukraine", "--walk-claims", "--provenance", "full"});
  ASSERT_EQ(summary.size(), 1u);
  ASSERT_EQ(full.size(), 1u);
  ASSERT_EQ(full[0].hops_size(), 3);
  for (const auto& hop : summary[0].hops()) {
    EXPECT_EQ(hop.provenance_size(), 0);
  }
  for (int i : {0, 2}) {
    SCOPED_TRACE(i);
    const kg::v1::Hop& hop = full[0].hops(i);
    ASSERT_EQ(hop.provenance_size(), 1);
    EXPECT_EQ(hop.provenance(0).evidence(), hop.summary().best().evidence());
  }
}

TEST_F(KgctlTest, PathTimesAreCheckedByKgctlAndAppliedByTheServer) {
  const std::string server = Seeded();
  const std::vector<std::string> chain = {"path", "NIS", "Ukraine",
                                          "--walk-claims"};
  auto with = [&](std::vector<std::string> extra) {
    std::vector<std::string> args = chain;
    args.insert(args.end(), extra.begin(), extra.end());
    return Run(server, args);
  };
  RunResult bad = with({"--as-of-recorded", "yesterday"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_EQ(bad.err,
            "kgctl: --as-of-recorded: 'yesterday' is not an RFC 3339 time "
            "(2024-10-20T12:00:00Z)\n");
  EXPECT_EQ(bad.out, "");

  // Before the seed was recorded, or reported, there is nothing to walk.
  for (const std::vector<std::string>& extra :
       std::vector<std::vector<std::string>>{
           {"--as-of-recorded", "2000-01-01T00:00:00Z"},
           {"--as-of-reported", "2024-10-17"}}) {
    SCOPED_TRACE(extra[0]);
    RunResult r = with(extra);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_THAT(r.out, StartsWith("no path found"));
  }
  RunResult reported = with({"--as-of-reported", "2024-10-18"});
  EXPECT_EQ(reported.exit_code, 0) << reported.err;
  EXPECT_THAT(reported.out, StartsWith("path 1: 3 hops\n"));

  // A date kgctl passes on and the server refuses.
  RunResult month = with({"--valid-from", "2024-13"});
  EXPECT_EQ(month.exit_code, 4);
  EXPECT_THAT(month.err,
              StartsWith("kgctl: invalid: options.valid_time.start"));
  EXPECT_EQ(Lines(month.err), 1) << month.err;

  RunResult unknown = Run(server, {"path", "atlantis", "russia"});
  EXPECT_EQ(unknown.exit_code, 3);
  EXPECT_EQ(unknown.err,
            "kgctl: not found: from: no entity named 'atlantis'\n");
}

TEST_F(KgctlTest, PathSaysWhenTheBudgetRanOut) {
  const std::string server = Seeded();
  const std::vector<std::string> k3 = {
      "path", "north_korea", "ukraine", "--mode", "k", "--k", "3"};
  auto with_budget = [&](int budget, bool json) {
    std::vector<std::string> args = k3;
    args.insert(args.end(), {"--budget", absl::StrCat(budget)});
    if (json) args.push_back("--json");
    return Run(server, args);
  };
  // Out of budget before any path: an error (RESOURCE_EXHAUSTED).
  RunResult tiny = with_budget(1, false);
  EXPECT_EQ(tiny.exit_code, 4);
  EXPECT_THAT(tiny.err, AllOf(StartsWith("kgctl: "), HasSubstr("budget")));
  EXPECT_EQ(Lines(tiny.err), 1) << tiny.err;

  // Out of budget after some paths: they are printed, with a warning. Which
  // budget does that is the engine's business; look for one.
  int partial = 0;
  for (int budget = 5; budget <= 500 && partial == 0; budget += 5) {
    RunResult r = with_budget(budget, true);
    if (r.exit_code != 0) continue;
    auto messages = ParseJsonLines<kg::v1::FindPathsResponse>(r.out);
    if (!messages.empty() && messages.back().summary().budget_exhausted() &&
        messages.back().summary().paths() > 0) {
      partial = budget;
    }
  }
  ASSERT_GT(partial, 0) << "no budget between 5 and 500 ran out after a path";
  RunResult r = with_budget(partial, false);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, StartsWith("path 1: "));
  EXPECT_THAT(r.out, ContainsRegex("edges expanded; the budget ran out: more "
                                   "\\(or shorter weighted\\) paths may "
                                   "exist \\(--budget\\)\n$"));
}

TEST_F(KgctlTest, WhyGroupsClaimsByPolarityWithTheirEvidence) {
  const std::string server = Seeded();
  RunResult r = Run(server, {"why", kTroops});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  ExpectGolden("why.txt", r.out);
  const size_t supporting = r.out.find("\nsupporting claims\n");
  const size_t opposing = r.out.find("\nopposing claims\n");
  ASSERT_NE(supporting, std::string::npos) << r.out;
  ASSERT_NE(opposing, std::string::npos) << r.out;
  ASSERT_LT(supporting, opposing);
  const std::string pro = r.out.substr(supporting, opposing - supporting);
  const std::string con = r.out.substr(opposing);
  EXPECT_THAT(
      pro, HasSubstr("\n  nis reported  (s9a79402415fa6948499c7845e77ad485)\n"
                     "    \"According to the NIS"));
  EXPECT_THAT(pro, HasSubstr("    -- claimant nis, seed_article (2024-10-18)"));
  EXPECT_THAT(pro, Not(HasSubstr("kremlin")));
  EXPECT_THAT(con, HasSubstr("\n  kremlin rejected  ("));
  EXPECT_THAT(con, HasSubstr("    \"The Kremlin has specifically rejected"));
  EXPECT_THAT(con, HasSubstr("\n  russia dismissed  ("));
  EXPECT_THAT(con, Not(HasSubstr("nis reported")));

  // By id, the same answer.
  EXPECT_EQ(Run(server, {"why", kTroopsId}).out, r.out);

  RunResult bare = Run(server, {"why", kTroops, "--no-evidence"});
  EXPECT_EQ(bare.exit_code, 0) << bare.err;
  EXPECT_THAT(bare.out, Not(HasSubstr("\"")));
  EXPECT_THAT(bare.out, HasSubstr("  nis reported  ("));
  EXPECT_THAT(bare.out, HasSubstr("    -- claimant nis, seed_article"));

  auto json = ParseJsonLines<kg::v1::WhyResponse>(
      Run(server, {"why", kTroops, "--json"}).out);
  ASSERT_EQ(json.size(), 1u);
  EXPECT_EQ(json[0].statement().id(), kTroopsId);
  EXPECT_EQ(json[0].supporting_size(), 5);
  EXPECT_EQ(json[0].opposing_size(), 3);
  EXPECT_EQ(json[0].distinct_claimants(), 7u);
  for (const auto& c : json[0].supporting()) {
    EXPECT_EQ(c.polarity(), kg::v1::POLARITY_SUPPORTS);
    EXPECT_EQ(c.claim().object().statement_id(), kTroopsId);
    ASSERT_GT(c.provenance_size(), 0);
    EXPECT_NE(c.provenance(0).evidence(), "");
  }
  for (const auto& c : json[0].opposing()) {
    EXPECT_EQ(c.polarity(), kg::v1::POLARITY_OPPOSES);
  }

  // Before the seed article was published nobody had said anything.
  RunResult early =
      Run(server, {"why", kTroops, "--as-of-reported", "2024-10-17"});
  EXPECT_EQ(early.exit_code, 0) << early.err;
  EXPECT_THAT(early.out, HasSubstr("summary    no provenance\n"));
  EXPECT_THAT(early.out, Not(HasSubstr("claims\n")));
}

TEST_F(KgctlTest, ProvenanceViewsMatchGoldenFiles) {
  const std::string server = Seeded();
  struct Case {
    std::vector<std::string> args;
    std::string golden;
  };
  for (const Case& c : std::vector<Case>{
           {{"neighborhood", "north_korea", "--hops", "1"}, "neighborhood.txt"},
           {{"by-document", "seed_article", "--all"}, "by_document.txt"},
           {{"by-claimant", "NATO officials"}, "by_claimant.txt"},
           {{"contested"}, "contested.txt"},
           {{"timeline", kTroops}, "timeline.txt"}}) {
    SCOPED_TRACE(c.golden);
    RunResult r = Run(server, c.args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.err, "");
    ExpectGolden(c.golden, r.out);
  }
}

TEST_F(KgctlTest, ProvenanceViewsAnswerWhatTheyPromise) {
  const std::string server = Seeded();
  {
    // Everything the document yields, in the order of its evidence; without
    // --all a further page is announced.
    RunResult page =
        Run(server, {"by-document", "seed_article", "--limit", "5", "--json"});
    EXPECT_EQ(page.exit_code, 0) << page.err;
    EXPECT_EQ(Lines(page.out), 5);
    EXPECT_THAT(page.err,
                StartsWith("kgctl: more results: add --all, or --page-token="));
    auto all = ParseJsonLines<kg::v1::StatementWithProvenance>(
        Run(server,
            {"by-document", "seed_article", "--all", "--json", "--limit", "7"})
            .out);
    ASSERT_EQ(all.size(), 76u);
    uint32_t last = 0;
    for (const auto& s : all) {
      ASSERT_GT(s.provenance_size(), 0);
      EXPECT_EQ(s.provenance(0).document_id(), "seed_article");
      EXPECT_GE(s.provenance(0).evidence_start(), last);
      last = s.provenance(0).evidence_start();
    }
  }
  {
    auto claims = ParseJsonLines<kg::v1::Claim>(
        Run(server,
            {"by-claimant", "north_korea", "--polarity", "opposes", "--json"})
            .out);
    ASSERT_EQ(claims.size(), 3u);
    for (const auto& c : claims) {
      EXPECT_EQ(c.claimant().entity().id(), "north_korea");
      EXPECT_EQ(c.polarity(), kg::v1::POLARITY_OPPOSES);
    }
    RunResult supports =
        Run(server, {"by-claimant", "north_korea", "--polarity", "supports"});
    EXPECT_EQ(supports.exit_code, 0) << supports.err;
    EXPECT_EQ(supports.out, "");
  }
  {
    auto contested = ParseJsonLines<kg::v1::ContestedStatement>(
        Run(server, {"contested", "--json"}).out);
    ASSERT_EQ(contested.size(), 3u);
    EXPECT_EQ(contested[0].statement().id(), kTroopsId);
    for (size_t i = 0; i < contested.size(); ++i) {
      EXPECT_GT(contested[i].supporting_claimants(), 0u);
      EXPECT_GT(contested[i].opposing_claimants(), 0u);
      if (i > 0) {
        EXPECT_LE(contested[i].distinct_claimants(),
                  contested[i - 1].distinct_claimants());
      }
    }
  }
  {
    auto entries = ParseJsonLines<kg::v1::TimelineEntry>(
        Run(server, {"timeline", kTroopsId, "--json"}).out);
    ASSERT_EQ(entries.size(), 8u);
    int supports = 0;
    for (const auto& e : entries) {
      EXPECT_EQ(e.document().id(), "seed_article");
      EXPECT_EQ(e.provenance().document_id(), "seed_article");
      if (e.polarity() == kg::v1::POLARITY_SUPPORTS) ++supports;
      // Each record's stance: asserted for support, denied against.
      EXPECT_EQ(e.stance(), e.polarity() == kg::v1::POLARITY_SUPPORTS
                                ? kg::v1::STANCE_ASSERTED
                                : kg::v1::STANCE_DENIED);
    }
    EXPECT_EQ(supports, 5);
    // Grouped by claimant: ordered by claimant id.
    auto grouped = ParseJsonLines<kg::v1::TimelineEntry>(
        Run(server, {"timeline", kTroopsId, "--by-claimant", "--json"}).out);
    ASSERT_EQ(grouped.size(), 8u);
    for (size_t i = 1; i < grouped.size(); ++i) {
      EXPECT_LE(grouped[i - 1].claimant().entity().id(),
                grouped[i].claimant().entity().id());
    }
  }
  {
    auto hood = ParseJsonLines<kg::v1::GetNeighborhoodResponse>(
        Run(server, {"neighborhood", "north_korea", "--hops", "1", "--json"})
            .out);
    ASSERT_EQ(hood.size(), 1u);
    EXPECT_FALSE(hood[0].truncated());
    EXPECT_GT(hood[0].statements_size(), 0);
    for (const auto& s : hood[0].statements()) {
      EXPECT_TRUE(NodeName(s.subject()) == "north_korea" ||
                  NodeName(s.object()) == "north_korea")
          << s.id();
    }
  }
}

// ---- Help and completion ----

TEST_F(KgctlTest, HelpListsEveryCommandWithExamplesAndExitCodes) {
  RunResult top =
      testing::RunCommand({testing::KgctlBinary(), "--help"}, dir_.path());
  EXPECT_EQ(top.exit_code, 0);
  for (const char* cmd :
       {"entity",      "relation",    "document",     "statement",
        "match",       "count",       "retract",      "import",
        "export",      "path",        "neighborhood", "why",
        "by-document", "by-claimant", "contested",    "timeline",
        "prov-export", "backup",      "verify",       "health",
        "stats",       "completion",  "terms"}) {
    EXPECT_THAT(top.out, HasSubstr(absl::StrCat("  ", cmd, " "))) << cmd;
  }
  EXPECT_THAT(top.out, HasSubstr("Exit codes:"));
  EXPECT_THAT(top.out, HasSubstr("5 server unavailable"));
  for (const std::vector<std::string>& cmd :
       std::vector<std::vector<std::string>>{{"path"},
                                             {"import"},
                                             {"export"},
                                             {"statement", "add"},
                                             {"entity", "get"},
                                             {"match"},
                                             {"why"}}) {
    std::vector<std::string> argv = {testing::KgctlBinary()};
    argv.insert(argv.end(), cmd.begin(), cmd.end());
    argv.push_back("--help");
    RunResult r = testing::RunCommand(argv, dir_.path());
    EXPECT_EQ(r.exit_code, 0) << cmd[0];
    EXPECT_THAT(r.out, HasSubstr("Examples:")) << cmd[0];
  }
  RunResult terms =
      testing::RunCommand({testing::KgctlBinary(), "terms"}, dir_.path());
  EXPECT_EQ(terms.exit_code, 0);
  EXPECT_THAT(terms.out, HasSubstr("<<subject relation object>>"));
}

TEST_F(KgctlTest, BashCompletionCompletesCommandsOptionsAndChoices) {
  RunResult script = testing::RunCommand(
      {testing::KgctlBinary(), "completion", "bash"}, dir_.path());
  ASSERT_EQ(script.exit_code, 0);
  EXPECT_THAT(script.out, HasSubstr("complete -o default -F _kgctl kgctl"));
  WriteFile(dir_.Sub("kgctl.bash"), script.out);
  // Asks the completion function what it offers for a command line.
  auto complete = [&](const std::string& words) {
    const std::string sh =
        absl::StrCat("source ", dir_.Sub("kgctl.bash"), "; COMP_WORDS=(", words,
                     "); COMP_CWORD=$((${#COMP_WORDS[@]}-1)); _kgctl; "
                     "echo \"${COMPREPLY[*]}\"");
    return testing::RunCommand({"/bin/bash", "-c", sh}, dir_.path());
  };
  RunResult top = complete("kgctl ''");
  EXPECT_EQ(top.exit_code, 0) << top.err;
  EXPECT_THAT(top.out, AllOf(HasSubstr("entity"), HasSubstr("path"),
                             HasSubstr("import")));
  EXPECT_THAT(complete("kgctl entity ''").out,
              AllOf(HasSubstr("add"), HasSubstr("resolve"), HasSubstr("list")));
  EXPECT_THAT(complete("kgctl --server x:1 path a b --mo").out,
              HasSubstr("--mode"));
  EXPECT_EQ(complete("kgctl path a b --mode ''").out,
            "shortest k all weighted\n");
  EXPECT_EQ(complete("kgctl export --format n").out, "nt nq\n");
}

// ---- kgctl query (SPARQL) ----

TEST_F(KgctlTest, QueryAnswersWhoSaysNorthKoreaSentTroopsInOneCall) {
  const std::string server = Seeded();
  // Every claimant of a statement that North Korea (or anyone) deployed
  // troops somewhere, with the claim's relation: one query.
  RunResult r = Run(server, {"query",
                             "SELECT ?who ?says WHERE { ?who ?says <<( ?x "
                             "<https://kg.invalid/relation/deployed_troops_to> "
                             "?y )>> } ORDER BY ?who ?says"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("?who"));
  EXPECT_THAT(r.out, HasSubstr("<https://kg.invalid/entity/nis>"));
  EXPECT_THAT(r.out, HasSubstr("<https://kg.invalid/relation/reported>"));
  EXPECT_THAT(r.out, HasSubstr("<https://kg.invalid/entity/kremlin>"));

  // The W3C formats, streamed.
  r = Run(server, {"query", "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }",
                   "--format", "csv"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, ::testing::StartsWith("n\r\n"));
  r = Run(server, {"query", "ASK { ?s ?p ?o }", "--format", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("\"boolean\":true"));
  r = Run(server, {"query",
                   "CONSTRUCT { ?m <http://example.org/by> ?who } WHERE { ?who "
                   "<https://kg.invalid/relation/convened> ?m }",
                   "--format", "nt"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("<http://example.org/by> "
                               "<https://kg.invalid/entity/yoon_suk_yeol> ."));

  // From a file; --max-results says where it stopped.
  const std::string file = dir_.Sub("q.rq");
  WriteFile(file, "SELECT * WHERE { ?s ?p ?o }");
  r = Run(server,
          {"query", "-f", file, "--max-results", "3", "--format", "tsv"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 4) << r.out;
  EXPECT_THAT(r.err, HasSubstr("stops at 3 results (--max-results)"));

  // Who denies what, in which sentence: the provenance is in the graph.
  r = Run(server,
          {"query",
           "PREFIX kg: <https://kg.invalid/ns#> "
           "PREFIX prov: <http://www.w3.org/ns/prov#> "
           "SELECT ?who ?start ?sentence WHERE { ?who ?r <<( ?s ?p ?o )>> {| "
           "prov:wasDerivedFrom ?rec |} . ?r kg:polarity kg:opposes . ?rec "
           "prov:value ?sentence ; kg:evidenceStart ?start } ORDER BY ?start "
           "?who LIMIT 1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // Numbers print bare in a table, strings too (cut at 60 characters).
  EXPECT_THAT(r.out, HasSubstr("<https://kg.invalid/entity/nato_officials>  "
                               "1905    However, NATO officials"));
  r = Run(server, {"query",
                   "SELECT ?date WHERE { ?doc "
                   "<http://purl.org/dc/terms/issued> ?date }"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "?date\n\"2024-10-18\"^^xsd:date\n");

  // Time travel: the seed article is dated 2024-10-18.
  const std::string convened =
      "ASK { <https://kg.invalid/entity/yoon_suk_yeol> "
      "<https://kg.invalid/relation/convened> ?x }";
  r = Run(server, {"query", convened, "--as-of-reported", "2024-10-01"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "false\n");
  r = Run(server, {"query", convened, "--as-of-reported", "2024-10"});
  EXPECT_EQ(r.out, "true\n");
  r = Run(server, {"query", convened, "--as-of-recorded", "last week"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("--as-of-recorded: 'last week'"));

  // EXPLAIN prints the algebra, then the plan with the store's estimates;
  // PROFILE runs it and prints each operator's rows on stderr.
  r = Run(server,
          {"query",
           "SELECT ?s WHERE { ?s <https://kg.invalid/relation/convened> ?o } "
           "LIMIT 1",
           "--explain"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out,
            "(slice 0 1 (project (?s) (bgp (triple ?s "
            "<https://kg.invalid/relation/convened> ?o))))\n"
            "slice 0 1\n"
            "  project ?s\n"
            "    bgp\n"
            "      (triple ?s <https://kg.invalid/relation/convened> ?o)  "
            "[est 1, alone 1]\n");
  r = Run(server,
          {"query",
           "SELECT ?o WHERE { ?s <https://kg.invalid/relation/convened> ?o }",
           "--profile", "--format", "tsv"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out,
            "?o\n<https://kg.invalid/entity/emergency_security_meeting>\n");
  EXPECT_THAT(r.err, HasSubstr("  bgp  [rows 1, "));
  EXPECT_THAT(r.err, HasSubstr("[est 1, rows 1, lookups 1, alone 1]"));
  EXPECT_THAT(r.err, HasSubstr(" ms in all"));
  r = Run(server, {"query", "ASK {}", "--profile", "--explain"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("choose one"));
}

TEST_F(KgctlTest, AnEmptyAnswerSaysSoOnStderrAndJsonPrintsNothing) {
  const std::string server = Seeded();
  struct Case {
    std::vector<std::string> args;
    std::string message;
  };
  const std::vector<Case> cases = {
      {{"match", "--subject", "nato", "--relation", "signed"},
       "kgctl: no statements match\n"},
      {{"by-claimant", "ukraine"}, "kgctl: no claims by ukraine\n"},
      {{"by-claimant", "russia", "--polarity", "supports"},
       "kgctl: no supporting claims by russia\n"},
      {{"contested", "--as-of-reported", "2020"},
       "kgctl: no statement has both supporting and opposing claims\n"},
      {{"timeline", "<<russia in_conflict_with ukraine>>"},
       "kgctl: no claims about this statement\n"},
      {{"entity", "search", "zzz"},
       "kgctl: no entity has a name starting with 'zzz'\n"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.args[0]);
    RunResult r = Run(server, c.args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(r.err, c.message);
    std::vector<std::string> json = c.args;
    json.insert(json.begin(), "--json");
    r = Run(server, json);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(r.err, "");
  }
}

TEST_F(KgctlTest, PathSuggestsWalkingClaimsWhenOnlyClaimsConnect) {
  const std::string server = Seeded();
  RunResult r = Run(server, {"path", "nis", "ukraine"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("no path found"));
  EXPECT_THAT(r.err, HasSubstr("add --walk-claims"));
  r = Run(server, {"path", "nis", "ukraine", "--walk-claims"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("path 1: 3 hops"));
  EXPECT_EQ(r.err, "");
}

TEST_F(KgctlTest, VocabularyEditsNeverChangeMeaningByAccident) {
  const std::string server = Seeded();
  // A relation that exists is not replaced by `add`.
  RunResult r = Run(server, {"relation", "add", "denied", "--label", "denied"});
  EXPECT_EQ(r.exit_code, 4);
  EXPECT_EQ(r.err,
            "kgctl: already exists: relation: relation 'denied' already "
            "exists with other content: polarity opposes (this write: none); "
            "replacing it is a separate operation (replace; kgctl relation "
            "add --replace)\n");
  // Nor, while statements use it, its meaning by --replace.
  r = Run(server,
          {"relation", "add", "denied", "--label", "denied", "--replace"});
  EXPECT_EQ(r.exit_code, 4);
  EXPECT_THAT(r.err, HasSubstr("is used by statements"));
  EXPECT_THAT(r.err, HasSubstr("add a relation with a new id"));
  r = Run(server, {"relation", "add", "denied", "--label", "rejected",
                   "--polarity", "opposes", "--replace"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("rejected"));

  // A name of another entity is refused naming both, unless shared.
  r = Run(server, {"entity", "add", "nis_hq", "--label", "NIS headquarters",
                   "--type", "Place", "--alias", "NIS"});
  EXPECT_EQ(r.exit_code, 4);
  EXPECT_THAT(r.err, HasSubstr("entity.aliases[0]: \"NIS\" already names "
                               "entity 'nis' (National Intelligence "
                               "Service)"));
  EXPECT_THAT(r.err, HasSubstr("--shared-name"));
  r = Run(server, {"entity", "add", "nis_hq", "--label", "NIS headquarters",
                   "--type", "Place", "--alias", "NIS", "--shared-name"});
  EXPECT_EQ(r.exit_code, 0) << r.err;

  // `update --alias` would replace every alias: it asks for --replace.
  r = Run(server, {"entity", "update", "nis", "--alias", "Spies"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("--alias replaces every alias"));
  r = Run(server, {"entity", "update", "nis", "--add-alias", "Korean NIS"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("aliases  NIS, Korean NIS"));
  r = Run(server, {"entity", "update", "nis", "--remove-alias", "Spies"});
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_THAT(r.err, HasSubstr("remove_aliases[0]: \"Spies\" is not an "
                               "alias of entity 'nis'"));
  r = Run(server, {"entity", "history", "nis"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("SINCE"));
  EXPECT_THAT(r.out, HasSubstr("NIS, Korean NIS"));
}

TEST_F(KgctlTest, EntitiesMergeAndDeleteAndTimeTravelSeesBefore) {
  const std::string server = Seeded();
  RunResult r = Run(server, {"entity", "merge", "NATO officials", "NATO"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("merged nato_officials into nato (NATO): 3 "
                               "statements and 3 provenance records moved"));
  // The old id names NATO now, and its claims are NATO's.
  r = Run(server, {"by-claimant", "nato_officials"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("-- claimant nato,"));
  EXPECT_THAT(r.out, Not(HasSubstr("claimant nato_officials")));
  r = Run(server, {"entity", "history", "nato_officials"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("merged into nato"));
  // Time travel to before the merge sees NATO officials' own claims.
  const std::string since =
      r.out.substr(r.out.find('\n') + 1,
                   r.out.find(' ', r.out.find('\n')) - r.out.find('\n') - 1);
  r = Run(server, {"by-claimant", "nato_officials", "--as-of-recorded", since});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("-- claimant nato_officials,"));

  r = Run(server, {"entity", "delete", "kremlin"});
  EXPECT_EQ(r.exit_code, 4);
  EXPECT_THAT(r.err, HasSubstr("entity 'kremlin' is the subject of "
                               "statements"));
  r = Run(server, {"entity", "add", "nato_hq", "--label", "NATO headquarters",
                   "--type", "Place"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = Run(server, {"entity", "delete", "NATO headquarters"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "deleted nato_hq (NATO headquarters)\n");
  r = Run(server, {"entity", "get", "nato_hq"});
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_THAT(r.err, HasSubstr("entity 'nato_hq' was deleted at"));
}

TEST_F(KgctlTest, WhySortsByDocumentDateOnRequest) {
  const std::string server = Seeded();
  RunResult r = Run(server, {"why", "<<north_korea deployed_troops_to russia>>",
                             "--sort", "date"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  // One document in the seed: text order, so the NIS's report comes first.
  ASSERT_NE(r.out.find("-- claimant nis,"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("-- claimant "), r.out.find("-- claimant nis,"));
  r = Run(server, {"why", "<<north_korea deployed_troops_to russia>>", "--sort",
                   "newest"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("--sort"));
}

// Supported-only means supported: NATO officials' "no concrete evidence"
// does not connect NATO to North Korea unless opposition is asked for, in
// paths and neighbourhoods alike.
TEST_F(KgctlTest, AnOpposingClaimIsNoSupportedConnection) {
  const std::string server = Seeded();
  RunResult r = Run(server, {"path", "nato", "north_korea", "--walk-claims"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("no path found"));
  r = Run(server, {"path", "nato", "north_korea", "--walk-claims",
                   "--include-opposing"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("--found_no_evidence_of-->"));
  r = Run(server, {"neighborhood", "nato_officials", "--walk-claims"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, Not(HasSubstr("found_no_evidence_of")));
  r = Run(server, {"neighborhood", "nato_officials", "--walk-claims",
                   "--include-opposed"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("found_no_evidence_of"));
}

TEST_F(KgctlTest, PathSaysWhichLimitCutTheAnswer) {
  const std::string server = Seeded();
  RunResult r = Run(server, {"path", "north_korea", "ukraine", "--mode", "all",
                             "--limit", "2", "--provenance", "none"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("2 paths, "));
  EXPECT_THAT(r.out, HasSubstr("; stopped at --limit 2 paths: more may "
                               "exist, raise --limit"));
  r = Run(server, {"neighborhood", "north_korea", "--limit", "1"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("(truncated: raise --limit)"));
}

// JSON Lines records may quote their evidence without offsets: the server
// finds it, or names the likely cause and writes nothing.
TEST_F(KgctlTest, ImportedEvidenceIsFoundByItsQuote) {
  const std::string server = Seeded();
  const std::string claim =
      "{\"statement\": {\"triple\": {\"subject\": {\"entity\": \"nato\"}, "
      "\"relation\": \"confirmed\", \"object\": {\"quoted\": {\"subject\": "
      "{\"entity\": \"north_korea\"}, \"relation\": \"deployed_troops_to\", "
      "\"object\": {\"entity\": \"russia\"}}}}, \"provenance\": "
      "[{\"document_id\": \"seed_article\", \"evidence\": \"QUOTE\", "
      "\"hedge\": \"HEDGE_ASSERTED\", \"confidence\": 0.5}]}}\n";
  auto file = [&](const std::string& quote, const std::string& name) {
    std::string line = claim;
    line.replace(line.find("QUOTE"), 5, quote);
    WriteFile(dir_.Sub(name), line);
    return dir_.Sub(name);
  };
  const std::string count_before = Run(server, {"count"}).out;
  RunResult r = Run(server, {"import", file("North Korea's and Russia's recent "
                                            "cooperation intensified",
                                            "straight.jsonl")});
  EXPECT_EQ(r.exit_code, 4);
  EXPECT_THAT(r.err, HasSubstr("provenance[0].evidence: not found in the "
                               "text of document 'seed_article'; it differs "
                               "from the text at [2005, 2062) only in curly "
                               "and straight quotes"));
  EXPECT_THAT(r.err, HasSubstr("nothing was written"));
  EXPECT_EQ(Run(server, {"count"}).out, count_before);

  r = Run(server, {"import", file("North Korea’s and Russia’s recent "
                                  "cooperation intensified",
                                  "curly.jsonl")});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  r = Run(server, {"by-claimant", "nato", "--polarity", "supports"});
  EXPECT_THAT(r.out, HasSubstr("[2005, 2062)"));
}

// What kgctl prints after a write is what was stored: names resolved to
// ids with labels, the evidence span located.
TEST_F(KgctlTest, StatementAddEchoesWhatWasStored) {
  const std::string server = Seeded();
  RunResult r =
      Run(server, {"statement", "add", "Pyongyang", "deployed_troops_to",
                   "Moscow", "--document", "seed_article", "--evidence",
                   "which includes special forces"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(
      r.out, HasSubstr("statement  <<north_korea deployed_troops_to russia>>"));
  EXPECT_THAT(r.out, HasSubstr("subject    north_korea (North Korea)"));
  EXPECT_THAT(r.out, HasSubstr("object     russia (Russia)"));
  EXPECT_THAT(r.out, HasSubstr("seed_article (2024-10-18) [542, 571)"));
  EXPECT_THAT(r.out, Not(HasSubstr("Pyongyang")));
  r = Run(server, {"--json", "statement", "add", "Pyongyang",
                   "deployed_troops_to", "Moscow", "--document", "seed_article",
                   "--evidence", "North Korea"});
  EXPECT_EQ(r.exit_code, 4) << r.out;  // occurs many times
  EXPECT_THAT(r.err, HasSubstr("evidence: occurs 19 times"));
  r = Run(server, {"--json", "statement", "add", "Pyongyang",
                   "deployed_troops_to", "Moscow", "--document", "seed_article",
                   "--evidence", "totaling approximately 12,000 soldiers"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto resp = ParseJsonLines<kg::v1::WriteStatementsResponse>(r.out);
  ASSERT_EQ(resp.size(), 1u);
  ASSERT_EQ(resp[0].statements_size(), 1);
  EXPECT_EQ(resp[0].statements(0).subject().entity().id(), "north_korea");
  ASSERT_EQ(resp[0].statements(0).provenance_size(), 1);
  EXPECT_GT(resp[0].statements(0).provenance(0).evidence_end(), 0u);
}

// The seed's why of the deployment, with related statements, gives every
// claimant the article names for or against North Korean troops in Russia,
// each with its sentence (docs/seed.md).
TEST_F(KgctlTest, WhyWithRelatedStatementsFindsEveryClaimantOfTheArticle) {
  const std::string server = Seeded();
  RunResult r =
      Run(server, {"--json", "why", "<<north_korea deployed_troops_to russia>>",
                   "--related", "--all"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::map<std::string, std::set<std::string>> said;  // claimant: sentences
  for (const auto& page : ParseJsonLines<kg::v1::WhyResponse>(r.out)) {
    for (const auto* claims : {&page.supporting(), &page.opposing()}) {
      for (const kg::v1::Claim& c : *claims) {
        for (const auto& p : c.provenance()) {
          said[c.claimant().entity().id()].insert(p.evidence().substr(0, 30));
        }
      }
    }
  }
  std::map<std::string, std::set<std::string>> expected = {
      {"nis", {"According to the NIS, North Korea is bel"}},
      {"presidential_office",
       {"The South Korean presidential office stat",
        "The presidential office confirmed that S"}},
      {"meeting_participants", {"Participants in the emergency security m"}},
      {"south_korean_officials", {"While South Korean officials indicated t"}},
      {"volodymyr_zelenskyy", {"According to Ukrainian President Volodym"}},
      {"nato_officials", {"However, NATO officials have stated that "}},
      {"russia",
       {"Both Russia and North Korea have denied ",
        "However, both Moscow and Pyongyang conti"}},
      {"north_korea",
       {"Both Russia and North Korea have denied ",
        "However, both Moscow and Pyongyang conti"}},
      {"kremlin", {"The Kremlin has specifically rejected as"}},
      {"south_korea", {"The Kremlin has specifically rejected as"}},
  };
  for (auto& [who, sentences] : expected) {  // their first 30 characters
    std::set<std::string> prefixes;
    for (const std::string& s : sentences) prefixes.insert(s.substr(0, 30));
    sentences = prefixes;
  }
  EXPECT_EQ(said, expected);

  // Without --related, only the claims quoting the deployment itself.
  r = Run(server, {"why", "<<north_korea deployed_troops_to russia>>"});
  EXPECT_THAT(r.out, Not(HasSubstr("volodymyr_zelenskyy")));
  // The numbers are reachable from it: brigades and soldiers on the
  // deployment, those preparing on the statement that entails it.
  r = Run(server,
          {"match", "--subject", "<<north_korea deployed_troops_to russia>>",
           "--include-quoted"});
  EXPECT_THAT(r.out, HasSubstr("brigade_count"));
  EXPECT_THAT(r.out, HasSubstr("troop_count"));
  r = Run(server, {"match", "--relation", "entails", "--object",
                   "<<north_korea deployed_troops_to russia>>"});
  EXPECT_THAT(r.out, HasSubstr("preparing_troops_for"));
  r = Run(server, {"match", "--subject",
                   "<<north_korea preparing_troops_for_deployment_to russia>>",
                   "--include-quoted"});
  EXPECT_THAT(r.out, HasSubstr("10000"));
}

TEST_F(KgctlTest, ByClaimantWithAffiliatesRollsUpToTheOrganisation) {
  const std::string server = Seeded();
  RunResult r = Run(server, {"by-claimant", "nato"});
  EXPECT_EQ(r.out, "");  // NATO itself says nothing in the article
  r = Run(server, {"by-claimant", "nato", "--with-affiliates"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("nato_officials found_no_evidence_of "
                               "<<north_korea involved_in war_in_ukraine>>"));
  EXPECT_THAT(r.out,
              HasSubstr("(an affiliate: <<nato_officials part_of nato>>)"));
  EXPECT_THAT(r.out, HasSubstr("-- claimant nato_officials,"));
  // An entity without affiliates: the same as without the flag.
  EXPECT_EQ(Run(server, {"by-claimant", "kremlin", "--with-affiliates"}).out,
            Run(server, {"by-claimant", "kremlin"}).out);
}

// Rolled up, the presidential office and South Korea's officials count as
// South Korea; each claim still names who made it.
TEST_F(KgctlTest, WhyTimelineAndContestedRollUpToTheOrganisation) {
  const std::string server = Seeded();
  const std::string deployed = "<<north_korea deployed_troops_to russia>>";
  RunResult plain = Run(server, {"why", deployed, "--no-evidence"});
  RunResult rolled =
      Run(server, {"why", deployed, "--no-evidence", "--roll-up"});
  EXPECT_EQ(rolled.exit_code, 0) << rolled.err;
  EXPECT_THAT(plain.out, HasSubstr("asserted by 4 claimants"));
  EXPECT_THAT(rolled.out, HasSubstr("asserted by 3 claimants"));
  EXPECT_THAT(rolled.out, HasSubstr("  presidential_office stated"));
  EXPECT_THAT(rolled.out, HasSubstr("(an affiliate: <<presidential_office "
                                    "part_of south_korea>>)"));
  RunResult timeline = Run(server, {"timeline", deployed, "--roll-up"});
  EXPECT_EQ(timeline.exit_code, 0) << timeline.err;
  EXPECT_THAT(timeline.out, HasSubstr("presidential_office (for"));
  RunResult contested = Run(server, {"--json", "contested", "--roll-up"});
  EXPECT_EQ(contested.exit_code, 0) << contested.err;
  bool seen = false;
  for (const auto& c :
       ParseJsonLines<kg::v1::ContestedStatement>(contested.out)) {
    if (c.statement().subject().entity().id() != "north_korea" ||
        c.statement().relation() != "deployed_troops_to") {
      continue;
    }
    seen = true;
    // nis, meeting participants, South Korea (its office among them).
    EXPECT_EQ(c.supporting_claimants(), 3u);
  }
  EXPECT_TRUE(seen) << contested.out;
}

TEST_F(KgctlTest, TimelineAndContestedFollowRelatedStatements) {
  const std::string server = Seeded();
  const std::string forces =
      "<<north_korea has_forces_operating_in russian_occupied_territories>>";
  // Zelenskyy's own claim and NATO's doubt, then the three denials of the
  // deployment it entails, each naming the statement it is about.
  RunResult timeline = Run(server, {"timeline", forces, "--related"});
  EXPECT_EQ(timeline.exit_code, 0) << timeline.err;
  EXPECT_THAT(timeline.out, HasSubstr("ABOUT"));
  EXPECT_THAT(timeline.out, HasSubstr("volodymyr_zelenskyy  asserted"));
  EXPECT_THAT(timeline.out, HasSubstr("kremlin              denied"));
  EXPECT_THAT(timeline.out, HasSubstr("deployed_troops_to"));
  EXPECT_THAT(timeline.out, HasSubstr("this statement"));
  RunResult json = Run(server, {"--json", "timeline", forces, "--related"});
  EXPECT_EQ(json.exit_code, 0) << json.err;
  int related = 0;
  const auto entries = ParseJsonLines<kg::v1::TimelineEntry>(json.out);
  for (const auto& e : entries) {
    if (e.about_statement_id().empty()) continue;
    ++related;
    EXPECT_FALSE(e.entailment_id().empty()) << e.DebugString();
  }
  EXPECT_EQ(entries.size(), 5u) << json.out;
  EXPECT_EQ(related, 3);
  // Without --related only what is said of the statement itself.
  RunResult plain = Run(server, {"timeline", forces});
  EXPECT_THAT(plain.out, Not(HasSubstr("kremlin")));
  EXPECT_THAT(plain.out, Not(HasSubstr("ABOUT")));

  // Contested: the denials of the deployment count against the forces.
  auto figures = [&](bool with_related) {
    std::vector<std::string> args = {"--json", "contested", "--all"};
    if (with_related) args.push_back("--related");
    RunResult r = Run(server, args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    std::pair<uint32_t, uint32_t> found = {0, 0};
    for (const auto& c : ParseJsonLines<kg::v1::ContestedStatement>(r.out)) {
      if (c.statement().relation() == "has_forces_operating_in") {
        found = {c.supporting_claimants(), c.opposing_claimants()};
      }
    }
    return found;
  };
  EXPECT_EQ(figures(false), std::make_pair(1u, 1u));
  // Zelenskyy for; NATO officials, North Korea, Russia and the Kremlin
  // against.
  EXPECT_EQ(figures(true), std::make_pair(1u, 4u));
}

TEST_F(KgctlTest, PathAndNeighborhoodProfileWhereTheTimeWent) {
  const std::string server = Seeded();
  RunResult r =
      Run(server, {"path", "NIS", "Ukraine", "--walk-claims", "--profile"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("1 path, 52 edges expanded"));
  EXPECT_THAT(r.err, HasSubstr("profile ("));
  // The phases in order; the search's edges are the summary's.
  const size_t queue = r.err.find("  queue ");
  const size_t resolve = r.err.find("  resolve ");
  const size_t search = r.err.find("  search ");
  const size_t build = r.err.find("  build ");
  const size_t send = r.err.find("  send ");
  ASSERT_NE(send, std::string::npos) << r.err;
  EXPECT_LT(queue, resolve);
  EXPECT_LT(resolve, search);
  EXPECT_LT(search, build);
  EXPECT_LT(build, send);
  EXPECT_THAT(r.err, HasSubstr("52 edges expanded"));
  // Without --profile, nothing on stderr.
  r = Run(server, {"path", "NIS", "Ukraine", "--walk-claims"});
  EXPECT_THAT(r.err, Not(HasSubstr("profile")));
  r = Run(server, {"neighborhood", "NIS", "--profile"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.err, HasSubstr("  search "));
  EXPECT_THAT(r.err, HasSubstr("edges expanded"));
}

TEST_F(KgctlTest, QuerySaysWhatWentWrong) {
  const std::string server = Seeded();
  RunResult r = Run(server, {"query", "SELECT * WHERE { ?s ?p }"});
  EXPECT_EQ(r.exit_code, 4);
  EXPECT_THAT(r.err, HasSubstr("query: line 1, column 24"));
  r = Run(server, {"query", "-f", dir_.Sub("no-such.rq")});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("cannot be read"));
  r = Run(server, {"query"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("no query given"));
  // An empty answer says so on stderr; the table is not printed.
  r = Run(server,
          {"query", "SELECT * WHERE { <http://nothing.example/> ?p ?o }"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out, "");
  EXPECT_THAT(r.err, HasSubstr("no solutions"));
}

}  // namespace
}  // namespace kg
