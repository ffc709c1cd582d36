// The planner of basic graph patterns (query/sparql/eval.h; docs/query.md
// "Join order" and "Join methods") on an in-memory dataset whose
// statistics each test sets: the order follows the solutions expected
// after each step, and a step runs as a lookup, a hash join or a merge
// join as the dataset's lookup cost makes cheapest, with the same answer.
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "query/sparql/dataset.h"
#include "query/sparql/eval.h"
#include "query/sparql/parser.h"
#include "tests/support/test_util.h"

namespace kg::sparql {
namespace {

using ::kg::testing::IsOk;
using ::testing::ContainsRegex;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kEx[] = "http://example.org/";

// A memory dataset that reports the statistics a test gives it, per
// predicate: the triple's matches alone, and its matches per solution
// that binds an end.
class StatisticsDataset : public MemoryDataset {
 public:
  struct Stats {
    uint64_t alone;
    double per_binding;
  };
  void Set(const std::string& predicate, Stats stats) {
    stats_[predicate] = stats;
  }
  void set_lookup_cost(double cost) { lookup_cost_ = cost; }

  uint64_t Estimate(Id graph, Id s, Id p, Id o) override {
    if (const Stats* st = Find(p)) return st->alone;
    return MemoryDataset::Estimate(graph, s, p, o);
  }
  double MatchesPerBinding(Id graph, Id s, Id p, Id o, bool subject_bound,
                           bool object_bound) override {
    if (const Stats* st = Find(p)) return st->per_binding;
    return MemoryDataset::MatchesPerBinding(graph, s, p, o, subject_bound,
                                            object_bound);
  }
  double LookupCost(Id) override { return lookup_cost_; }
  // Counts the reads of a triple's matches with the subject open (a scan;
  // a lookup from a bound subject is not one), by predicate.
  void Match(Id graph, Id s, Id p, Id o,
             const std::function<bool(Id, Id, Id)>& fn) override {
    if (s == 0 && p != 0) {
      ++scans_[TermOf(p).value().substr(sizeof(kEx) - 1)];
    }
    MemoryDataset::Match(graph, s, p, o, fn);
  }
  int scans(const std::string& predicate) { return scans_[predicate]; }

 private:
  const Stats* Find(Id p) {
    if (p == 0) return nullptr;
    const rdf::Term t = TermOf(p);
    auto it = stats_.find(t.value().substr(sizeof(kEx) - 1));
    return it == stats_.end() ? nullptr : &it->second;
  }
  absl::flat_hash_map<std::string, Stats> stats_;
  absl::flat_hash_map<std::string, int> scans_;
  double lookup_cost_ = 1;
};

rdf::Term Ex(const std::string& name) {
  return rdf::Term::Iri(absl::StrCat(kEx, name));
}

class PlanTest : public ::testing::Test {
 protected:
  void Add(const std::string& s, const std::string& p, const std::string& o) {
    data_.Add(rdf::Quad{Ex(s), Ex(p), Ex(o), std::nullopt});
  }
  // SELECT * WHERE { where }.
  Query Parse(const std::string& where) {
    return ParseQuery(absl::StrCat("SELECT * WHERE { ", where, " }"));
  }
  Query ParseQuery(const std::string& text) {
    ParseOptions options;
    absl::StatusOr<Query> q =
        sparql::Parse(absl::StrCat("PREFIX : <", kEx, "> ", text), options);
    EXPECT_THAT(q.status(), IsOk());
    return q.ok() ? *std::move(q) : Query();
  }
  // The solutions, each as its values joined, sorted.
  std::vector<std::string> Run(const Query& q, EvalOptions::JoinMethods methods,
                               bool profile = false) {
    EvalOptions options;
    options.join_methods = methods;
    options.profile = profile;
    absl::StatusOr<QueryResult> r = Evaluate(q, data_, options);
    EXPECT_THAT(r.status(), IsOk());
    std::vector<std::string> rows;
    if (!r.ok()) return rows;
    for (const auto& row : r->rows) {
      std::string line;
      for (const auto& v : row) {
        absl::StrAppend(&line, v.has_value() ? v->value() : "-", " ");
      }
      rows.push_back(line);
    }
    std::sort(rows.begin(), rows.end());
    return rows;
  }

  StatisticsDataset data_;
};

// Of two triples joined on ?s, the one with more matches alone runs first
// when it leaves fewer solutions: most of ?s have no :rare, while each has
// one :common.
TEST_F(PlanTest, TheNextTripleIsTheOneThatLeavesTheFewestSolutions) {
  for (int i = 0; i < 20; ++i) {
    const std::string s = absl::StrCat("s", i);
    Add(s, "in", "box");
    Add(s, "common", absl::StrCat("c", i));
    if (i % 10 == 0) {
      for (int k = 0; k < 3; ++k) Add(s, "rare", absl::StrCat("r", k));
    }
  }
  data_.Set("in", {20, 1});
  data_.Set("common", {20, 1});
  data_.Set("rare", {30, 0.3});  // more matches, fewer solutions
  const Query q = Parse("?s :in :box . ?s :common ?c . ?s :rare ?r");
  const std::string plan = Explain(q, data_);
  EXPECT_THAT(plan, ContainsRegex("in> <[^>]*box>\\)[^\n]*\n[^\n]*rare> "
                                  "\\?r\\)[^\n]*\n[^\n]*common> \\?c\\)"))
      << plan;
  EXPECT_EQ(Run(q, EvalOptions::JoinMethods::kCost).size(), 6u);
}

// A step whose triple has few matches against many solutions reads them
// once: a merge join when the solutions come in order of the join
// variable (the first triple has it as its only variable), else a hash
// join; dear lookups make joins pay sooner, cheap ones later. Every
// method answers alike.
TEST_F(PlanTest, AStepIsALookupAHashJoinOrAMergeJoinAsItCostsLeast) {
  for (int i = 0; i < 50; ++i) {
    const std::string s = absl::StrCat("s", i);
    Add(s, "tagged", "t");
    Add(s, "knows", absl::StrCat("s", (i * 7) % 50));
    if (i % 5 == 0) Add(s, "located", "p");
    if (i % 2 == 0) Add(s, "likes", absl::StrCat("o", i));
  }
  data_.Set("tagged", {50, 1});
  data_.Set("knows", {50, 1});
  data_.Set("located", {10, 0.2});
  data_.Set("likes", {25, 0.5});
  const Query merge = Parse("?s :tagged :t . ?s :located :p");
  const Query hash = Parse("?a :knows ?b . ?b :likes ?o");
  data_.set_lookup_cost(12);  // lookups seek an index
  EXPECT_THAT(Explain(merge, data_), HasSubstr("merge join on ?s"));
  EXPECT_THAT(Explain(hash, data_), HasSubstr("hash join on ?b"));
  for (const Query* q : {&merge, &hash}) {
    const std::vector<std::string> lookups =
        Run(*q, EvalOptions::JoinMethods::kLookups);
    EXPECT_EQ(Run(*q, EvalOptions::JoinMethods::kCost), lookups);
    // PROFILE runs each step over all solutions at once.
    EXPECT_EQ(Run(*q, EvalOptions::JoinMethods::kCost, /*profile=*/true),
              lookups);
    EXPECT_EQ(Run(*q, EvalOptions::JoinMethods::kJoins, /*profile=*/true),
              lookups);
  }
  data_.set_lookup_cost(1);  // lookups read memory
  EXPECT_THAT(Explain(merge, data_), Not(HasSubstr("join on")));
  EXPECT_THAT(Explain(hash, data_), Not(HasSubstr("join on")));
  for (const Query* q : {&merge, &hash}) {
    const std::vector<std::string> lookups =
        Run(*q, EvalOptions::JoinMethods::kLookups);
    EXPECT_FALSE(lookups.empty());
    EXPECT_EQ(Run(*q, EvalOptions::JoinMethods::kJoins), lookups);
    EXPECT_EQ(Run(*q, EvalOptions::JoinMethods::kCost), lookups);
  }
  EXPECT_EQ(Run(merge, EvalOptions::JoinMethods::kJoins).size(), 10u);
  EXPECT_EQ(Run(hash, EvalOptions::JoinMethods::kJoins).size(), 25u);
}

// A join step looks its first solutions up, as many as reading the
// triple's matches would cost, so that a query that needs few solutions
// (a LIMIT, ASK) never reads them; past those it reads them once.
TEST_F(PlanTest, AJoinStepReadsTheTriplesMatchesOnlyPastItsFirstLookups) {
  for (int i = 0; i < 500; ++i) {
    const std::string s = absl::StrCat("s", i);
    Add(s, "tagged", "t");
    if (i % 5 == 0) Add(s, "located", "p");
  }
  data_.Set("tagged", {500, 1});
  data_.Set("located", {100, 0.2});
  data_.set_lookup_cost(12);
  const std::string where = "?s :tagged :t . ?s :located :p";
  ASSERT_THAT(Explain(Parse(where), data_), HasSubstr("merge join on ?s"));
  absl::StatusOr<QueryResult> first = Evaluate(
      ParseQuery(absl::StrCat("SELECT * WHERE { ", where, " } LIMIT 1")), data_,
      {});
  ASSERT_THAT(first.status(), IsOk());
  EXPECT_EQ(first->rows.size(), 1u);
  EXPECT_EQ(data_.scans("tagged"), 0);
  absl::StatusOr<QueryResult> ask =
      Evaluate(ParseQuery(absl::StrCat("ASK { ", where, " }")), data_, {});
  ASSERT_THAT(ask.status(), IsOk());
  EXPECT_TRUE(ask->boolean);
  EXPECT_EQ(data_.scans("tagged"), 0);
  // The plan: :located's 100 matches, then the merge join with :tagged's
  // 500, read after 500 / 12 lookups.
  EXPECT_EQ(Run(Parse(where), EvalOptions::JoinMethods::kCost).size(), 100u);
  EXPECT_EQ(data_.scans("tagged"), 1);
}

// A join step whose matches turn out to be more than the caps let a stage
// hold (the estimate said few) looks the rest of its solutions up.
TEST_F(PlanTest, AJoinStepPastTheCapsLooksItsSolutionsUp) {
  for (int i = 0; i < 500; ++i) Add(absl::StrCat("s", i), "tagged", "t");
  Add("s7", "in", "box");
  data_.Set("in", {1, 1});
  data_.Set("tagged", {5, 1});  // wrong: 500
  const Query q = Parse("?s :in :box . ?s :tagged :t");
  EvalOptions options;
  options.join_methods = EvalOptions::JoinMethods::kJoins;
  options.max_rows = 200;
  absl::StatusOr<QueryResult> r = Evaluate(q, data_, options);
  ASSERT_THAT(r.status(), IsOk());
  EXPECT_EQ(r->rows.size(), 1u);
  EXPECT_EQ(data_.scans("tagged"), 1);  // read, refused, then a lookup
}

// A pattern of more triples than the evaluator recurses for (32) runs
// its later steps in a loop, hash joins included.
TEST_F(PlanTest, JoinsPastTheRecursionDepthAnswerAsLookups) {
  for (int i = 0; i < 60; ++i) {
    Add(absl::StrCat("n", i), "next", absl::StrCat("n", i + 1));
    Add(absl::StrCat("n", i), "next", absl::StrCat("m", i + 1));
  }
  std::string chain;
  for (int i = 0; i < 40; ++i) {
    absl::StrAppend(&chain, "?v", i, " :next ?v", i + 1, " . ");
  }
  const Query q = Parse(absl::StrCat(chain, "FILTER(?v0 = :n0)"));
  const std::vector<std::string> lookups =
      Run(q, EvalOptions::JoinMethods::kLookups);
  EXPECT_EQ(lookups.size(), 2u);  // n0 .. n39, then n40 or m40
  EXPECT_EQ(Run(q, EvalOptions::JoinMethods::kJoins), lookups);
}

// A variable bound to the same value twice within a triple, and a join
// variable that a solution binds to a term with no match: a hash join
// keeps only matches that agree.
TEST_F(PlanTest, AHashJoinKeepsOnlyMatchesThatAgree) {
  for (int i = 0; i < 10; ++i) {
    const std::string s = absl::StrCat("s", i);
    Add(s, "knows", absl::StrCat("s", (i + 1) % 10));
    Add(s, "likes", i % 3 == 0 ? s : absl::StrCat("s", (i + 2) % 10));
  }
  const Query q = Parse("?a :knows ?b . ?b :likes ?b");
  const std::vector<std::string> lookups =
      Run(q, EvalOptions::JoinMethods::kLookups);
  EXPECT_EQ(lookups.size(), 4u);  // s0, s3, s6, s9 like themselves
  EXPECT_EQ(Run(q, EvalOptions::JoinMethods::kJoins), lookups);
}

// A join of two groups hashes the first group's solutions and streams the
// second's past them: the second side is never held, so it may make more
// solutions than the cap on what a stage holds.
TEST_F(PlanTest, AJoinOfGroupsStreamsItsSecondSide) {
  for (int i = 0; i < 500; ++i) {
    Add(absl::StrCat("s", i), "knows", absl::StrCat("s", (i + 1) % 500));
  }
  Add("s1", "in", "box");
  Add("s2", "in", "box");
  const Query q =
      Parse("{ ?s :in :box FILTER(true) } { ?s :knows ?x FILTER(BOUND(?x)) }");
  EvalOptions options;
  options.max_rows = 100;
  absl::StatusOr<QueryResult> r = Evaluate(q, data_, options);
  ASSERT_THAT(r.status(), IsOk());
  EXPECT_EQ(r->rows.size(), 2u);
  // The second side's solutions alone pass the cap.
  absl::StatusOr<QueryResult> alone =
      Evaluate(Parse("?s :knows ?x FILTER(BOUND(?x))"), data_, options);
  EXPECT_EQ(alone.status().code(), absl::StatusCode::kResourceExhausted);
}

}  // namespace
}  // namespace kg::sparql
