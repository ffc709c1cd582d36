// Path and provenance queries: path, neighborhood, why, by-document,
// by-claimant, contested, timeline, prov-export.
#include <cstdio>
#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "client/commands.h"
#include "client/describe.h"
#include "client/format.h"
#include "client/term_syntax.h"
#include "google/protobuf/util/time_util.h"

namespace kg::client {

void AddAsOfFlags(CLI::App* cmd, AsOfFlags* f) {
  cmd->add_option("--as-of-recorded", f->recorded,
                  "the store as it stood at this instant (RFC 3339, like "
                  "2024-10-20T12:00:00Z), for audit");
  cmd->add_option("--as-of-reported", f->reported,
                  "only documents published on or before this date "
                  "(YYYY, YYYY-MM or YYYY-MM-DD)");
}

absl::Status FillAsOf(const AsOfFlags& f, kg::v1::AsOf* out) {
  if (!f.recorded.empty()) {
    absl::Time t;
    std::string err;
    if (!absl::ParseTime(absl::RFC3339_full, f.recorded, &t, &err)) {
      return absl::InvalidArgumentError(
          absl::StrCat("--as-of-recorded: '", f.recorded,
                       "' is not an RFC 3339 time (2024-10-20T12:00:00Z)"));
    }
    *out->mutable_recorded_at() =
        google::protobuf::util::TimeUtil::MicrosecondsToTimestamp(
            absl::ToUnixMicros(t));
  }
  out->set_reported_by(f.reported);
  return absl::OkStatus();
}

namespace {

// The traversal filters of PathOptions.
struct PathFlags {
  std::string mode = "shortest";
  int32_t k = 0;
  int32_t max_hops = 0;
  int32_t limit = 0;
  std::string direction = "both";
  std::vector<std::string> relations, excluded, types, documents, claimants;
  double min_confidence = 0;
  bool include_opposed = false;
  std::string valid_from, valid_to;
  bool walk_claims = false;
  std::string provenance = "summary";
  int64_t budget = 0;
  bool profile = false;
  AsOfFlags as_of;
};

void AddFilterFlags(CLI::App* cmd, PathFlags* f) {
  AddChoice(cmd, "--direction", &f->direction, {"out", "in", "both"},
            "which way edges may be walked (subject -> object is out)")
      ->capture_default_str();
  cmd->add_option("--relation", f->relations,
                  "walk only this relation (repeatable)");
  cmd->add_option("--exclude-relation", f->excluded,
                  "never walk this relation (repeatable)");
  cmd->add_option("--type", f->types,
                  "pass only through entities of this type (repeatable; "
                  "endpoints exempt)");
  cmd->add_option("--min-confidence", f->min_confidence,
                  "walk a statement only with a record at least this sure")
      ->check(CLI::Range(0.0, 1.0));
  cmd->add_flag("--include-opposed,--include-opposing", f->include_opposed,
                "also walk statements that are only opposed, and opposing "
                "claims (kremlin denied <<...>>)");
  cmd->add_option("--document", f->documents,
                  "walk a statement only if this document yields it "
                  "(repeatable)");
  cmd->add_option("--claimant", f->claimants,
                  "walk a statement only if this entity asserts it "
                  "(repeatable)");
  cmd->add_option("--valid-from", f->valid_from,
                  "valid-time window start (YYYY[-MM[-DD]])");
  cmd->add_option("--valid-to", f->valid_to, "valid-time window end");
  cmd->add_flag("--walk-claims", f->walk_claims,
                "walk claim edges into quoted statements and on to their "
                "subject and object");
  cmd->add_option("--budget", f->budget, "stop after expanding this many edges")
      ->check(CLI::PositiveNumber);
  cmd->add_flag("--profile", f->profile,
                "print on stderr where the query's time went (queue, "
                "resolve, search, build, send)");
  AddAsOfFlags(cmd, &f->as_of);
}

// PathOptions.profile's answer, on stderr: one line per phase.
void PrintProfile(
    const google::protobuf::RepeatedPtrField<kg::v1::QueryPhase>& phases) {
  if (phases.empty()) return;
  int64_t total = 0;
  for (const auto& p : phases) total += p.micros();
  std::fprintf(stderr, "profile (%.3f ms in all):\n", total / 1000.0);
  for (const auto& p : phases) {
    std::fprintf(stderr, "  %-8s %10.3f ms%s\n", p.name().c_str(),
                 p.micros() / 1000.0,
                 p.expanded_edges() > 0
                     ? absl::StrCat("  ", Thousands(p.expanded_edges()),
                                    " edges expanded")
                           .c_str()
                     : "");
  }
}

absl::Status FillPathOptions(const PathFlags& f, kg::v1::PathOptions* o) {
  if (f.mode == "shortest") o->set_mode(kg::v1::PATH_MODE_SHORTEST);
  if (f.mode == "k") o->set_mode(kg::v1::PATH_MODE_K_SHORTEST);
  if (f.mode == "all") o->set_mode(kg::v1::PATH_MODE_ALL_SIMPLE);
  if (f.mode == "weighted") o->set_mode(kg::v1::PATH_MODE_WEIGHTED);
  o->set_k(f.k);
  o->set_max_hops(f.max_hops);
  o->set_limit(f.limit);
  if (f.direction == "out") o->set_direction(kg::v1::DIRECTION_OUTGOING);
  if (f.direction == "in") o->set_direction(kg::v1::DIRECTION_INCOMING);
  if (f.direction == "both") o->set_direction(kg::v1::DIRECTION_BOTH);
  for (const auto& r : f.relations) o->add_allowed_relations(r);
  for (const auto& r : f.excluded) o->add_excluded_relations(r);
  for (const auto& t : f.types) o->add_allowed_entity_types(t);
  o->set_min_confidence(f.min_confidence);
  o->set_include_opposed(f.include_opposed);
  for (const auto& d : f.documents) o->add_only_documents(d);
  for (const auto& c : f.claimants) o->add_only_claimants(c);
  if (!f.valid_from.empty() || !f.valid_to.empty()) {
    o->mutable_valid_time()->set_start(f.valid_from);
    o->mutable_valid_time()->set_end(f.valid_to);
  }
  o->set_walk_claims(f.walk_claims);
  if (f.provenance == "summary") {
    o->set_provenance(kg::v1::PROVENANCE_DETAIL_SUMMARY);
  }
  if (f.provenance == "full") o->set_provenance(kg::v1::PROVENANCE_DETAIL_FULL);
  if (f.provenance == "none") o->set_provenance(kg::v1::PROVENANCE_DETAIL_NONE);
  o->set_max_expanded_edges(f.budget);
  o->set_profile(f.profile);
  return FillAsOf(f.as_of, o->mutable_as_of());
}

// A key that identifies a node: equal nodes give equal keys.
std::string NodeKey(const kg::v1::Node& n) {
  switch (n.kind_case()) {
    case kg::v1::Node::kEntity:
      return absl::StrCat("e:", n.entity().id());
    case kg::v1::Node::kLiteral:
      return absl::StrCat("l:", FormatLiteral(n.literal()));
    case kg::v1::Node::kStatementId:
      return absl::StrCat("s:", n.statement_id());
    case kg::v1::Node::kIri:
      return absl::StrCat("i:", n.iri());
    case kg::v1::Node::kBlankNode:
      return absl::StrCat("b:", n.blank_node());
    default:
      return "";
  }
}

// The arrow of a hop: "--reported-->", "<--reported--", "--(object)-->".
std::string Arrow(const kg::v1::Hop& hop) {
  const kg::v1::Statement& s = hop.statement();
  switch (hop.kind()) {
    case kg::v1::HOP_KIND_BACKWARD:
      return absl::StrCat("<--", s.relation(), "--");
    case kg::v1::HOP_KIND_STATEMENT_TO_PART:
      return NodeKey(hop.to()) == NodeKey(s.subject()) ? "--(subject)-->"
                                                       : "--(object)-->";
    case kg::v1::HOP_KIND_PART_TO_STATEMENT:
      return NodeKey(hop.from()) == NodeKey(s.subject()) ? "--(subject of)-->"
                                                         : "--(object of)-->";
    default:
      return absl::StrCat("--", s.relation(), "-->");
  }
}

// The chain of one path: each node on its own line, each hop's arrow under
// it with the hop's evidence quoted beneath and its claimant named (unless
// `options` asked for no provenance).
std::string RenderPath(const kg::v1::Path& path, uint64_t index,
                       const kg::v1::PathOptions& options, Describer& d,
                       int width) {
  std::string out = absl::StrCat("path ", index, ": ", path.hops_size(),
                                 path.hops_size() == 1 ? " hop" : " hops");
  if (options.mode() == kg::v1::PATH_MODE_WEIGHTED) {
    absl::StrAppend(&out, ", cost ", FormatDouble(path.cost()));
  }
  absl::StrAppend(&out, "\n");
  if (path.hops_size() == 0) return out;
  absl::StrAppend(&out,
                  Indented(d.NodeWithLabel(path.hops(0).from()), "  ", width));
  for (const kg::v1::Hop& hop : path.hops()) {
    std::string arrow = Arrow(hop);
    if (hop.contested()) absl::StrAppend(&arrow, "  [contested]");
    absl::StrAppend(&out, "    ", arrow, "\n");
    // The server may still send an empty summary: without records asked
    // for, "no records" would be false.
    if (options.provenance() == kg::v1::PROVENANCE_DETAIL_NONE) {
      absl::StrAppend(&out, Indented(d.NodeWithLabel(hop.to()), "  ", width));
      continue;
    }
    const std::string claimant = d.Claimant(hop.statement());
    constexpr absl::string_view kIndent = "        ";
    if (hop.provenance_size() > 0) {
      for (const auto& p : hop.provenance()) {
        absl::StrAppend(&out, d.Evidence(p, claimant, kIndent, width));
      }
    } else if (hop.has_summary() && hop.summary().records() > 0) {
      absl::StrAppend(
          &out, d.Evidence(hop.summary().best(), claimant, kIndent, width));
    }
    if (hop.has_summary()) {
      const kg::v1::ProvenanceSummary& s = hop.summary();
      std::vector<std::string> more;
      const uint32_t shown =
          hop.provenance_size() > 0 ? hop.provenance_size() : 1;
      if (s.records() > shown) {
        more.push_back(absl::StrCat(Counted(s.records() - shown, "more record"),
                                    " in ",
                                    Counted(s.documents(), "document")));
      }
      if (s.supporting_claims() > 0 || s.opposing_claims() > 0) {
        more.push_back(absl::StrCat(s.supporting_claims(), " supporting and ",
                                    s.opposing_claims(), " opposing claims"));
      }
      if (s.records() == 0 && more.empty()) more.push_back("no records");
      if (!more.empty()) {
        absl::StrAppend(
            &out,
            Indented(absl::StrCat("(", absl::StrJoin(more, "; "),
                                  "; kgctl why ", hop.statement().id(), ")"),
                     kIndent, width));
      }
    }
    absl::StrAppend(&out, Indented(d.NodeWithLabel(hop.to()), "  ", width));
  }
  return out;
}

// Parses a node argument; prints a usage error and returns false when bad.
bool ParseNode(const std::string& what, const std::string& text,
               kg::v1::Term* out) {
  absl::StatusOr<kg::v1::Term> t = ParseTerm(text);
  if (!t.ok()) {
    Fail(kExitUsage, absl::StrCat(what, ": ", t.status().message()));
    return false;
  }
  *out = *std::move(t);
  return true;
}

void AddPath(Cli& cli) {
  struct Flags {
    std::string from, to;
    PathFlags path;
  };
  auto f = std::make_shared<Flags>();
  CLI::App* cmd = AddCommand(
      &cli.app(), "path",
      "paths between two entities or statements; each hop shows its "
      "statement, evidence and claimant",
      "  kgctl path nis ukraine\n"
      "  kgctl path nis russia --walk-claims --provenance full\n"
      "  kgctl path north_korea ukraine --mode k --k 3 --max-hops 4\n"
      "  kgctl path kremlin \"<<north_korea deployed_troops_to russia>>\" "
      "--walk-claims\n"
      "  kgctl path nis russia --mode all --max-hops 3 --json\n"
      "  kgctl path north_korea russia --as-of-reported 2024-10-20\n");
  cmd->add_option("FROM", f->from, "an entity or a statement")->required();
  cmd->add_option("TO", f->to, "an entity or a statement")->required();
  AddChoice(cmd, "--mode", &f->path.mode, {"shortest", "k", "all", "weighted"},
            "shortest path, k shortest, all simple paths, or least cost "
            "(-ln confidence per hop)")
      ->capture_default_str();
  cmd->add_option("--k", f->path.k, "paths for --mode k (default 3)")
      ->check(CLI::Range(1, 100));
  cmd->add_option("--max-hops", f->path.max_hops,
                  "longest path in hops (default 6)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--limit", f->path.limit,
                  "most paths for --mode all (default 100)")
      ->check(CLI::PositiveNumber);
  AddChoice(cmd, "--provenance", &f->path.provenance,
            {"summary", "full", "none"},
            "per hop: the best record and counts, every record, or nothing")
      ->capture_default_str();
  AddFilterFlags(cmd, &f->path);
  cli.Bind(cmd, [f](Connection& conn, const Globals& g) {
    kg::v1::FindPathsRequest req;
    if (!ParseNode("FROM", f->from, req.mutable_from()) ||
        !ParseNode("TO", f->to, req.mutable_to())) {
      return kExitUsage;
    }
    if (absl::Status s = FillPathOptions(f->path, req.mutable_options());
        !s.ok()) {
      return Fail(kExitUsage, s.message());
    }
    auto ctx = conn.Context();
    auto reader = conn.kg().FindPaths(ctx.get(), req);
    Describer d(conn);
    const int width = TerminalWidth();
    kg::v1::FindPathsResponse resp;
    uint64_t n = 0;
    bool summary_seen = false;
    while (reader->Read(&resp)) {
      if (g.json) {
        PrintJson(resp);
        std::fflush(stdout);
        continue;
      }
      if (resp.has_path()) {
        if (n > 0) std::printf("\n");
        std::fputs(
            RenderPath(resp.path(), ++n, req.options(), d, width).c_str(),
            stdout);
        std::fflush(stdout);
      } else if (resp.has_summary()) {
        summary_seen = true;
        const kg::v1::PathSearchSummary& s = resp.summary();
        std::string line =
            s.paths() == 0
                ? absl::StrCat("no path found (", Thousands(s.expanded_edges()),
                               " edges expanded)")
                : absl::StrCat(s.paths(), s.paths() == 1 ? " path" : " paths",
                               ", ", Thousands(s.expanded_edges()),
                               " edges expanded");
        if (s.budget_exhausted()) {
          absl::StrAppend(&line,
                          "; the budget ran out: more (or shorter weighted) "
                          "paths may exist (--budget)");
        }
        // Which limit cut the answer, and how to raise it.
        const kg::v1::PathOptions& o = req.options();
        const int64_t k = o.k() > 0 ? o.k() : 3;
        const int64_t limit = o.limit() > 0 ? o.limit() : 100;
        const int64_t hops = o.max_hops() > 0 ? o.max_hops() : 6;
        if (o.mode() == kg::v1::PATH_MODE_K_SHORTEST &&
            static_cast<int64_t>(s.paths()) == k) {
          absl::StrAppend(&line, "; the ", k,
                          " shortest (--k): more may exist, raise --k");
        } else if (o.mode() == kg::v1::PATH_MODE_ALL_SIMPLE &&
                   static_cast<int64_t>(s.paths()) == limit) {
          absl::StrAppend(&line, "; stopped at --limit ", limit,
                          " paths: more may exist, raise --limit");
        } else if (s.paths() == 0 && !s.budget_exhausted()) {
          absl::StrAppend(&line, "; none within ", hops,
                          hops == 1 ? " hop" : " hops",
                          ": raise --max-hops (up to the server's "
                          "--max_path_hops, 12 by default)");
        }
        std::printf("%s%s", n > 0 ? "\n" : "",
                    Indented(line, "", width).c_str());
        std::fflush(stdout);
        PrintProfile(s.profile());
      }
    }
    grpc::Status status = reader->Finish();
    if (!status.ok()) return ReportError(status, conn.server(), "FindPaths");
    if (!g.json && !summary_seen && n == 0) std::printf("no path found\n");
    if (!g.json && n == 0 && !req.options().walk_claims()) {
      // Claims may be all that connects them: look, and say so.
      kg::v1::FindPathsRequest claims = req;
      claims.mutable_options()->set_walk_claims(true);
      claims.mutable_options()->set_mode(kg::v1::PATH_MODE_SHORTEST);
      auto claims_ctx = conn.Context();
      auto again = conn.kg().FindPaths(claims_ctx.get(), claims);
      bool found = false;
      while (again->Read(&resp)) found = found || resp.has_path();
      if (again->Finish().ok() && found) {
        std::fflush(stdout);
        std::fprintf(stderr,
                     "kgctl: only claims connect them (who said what about "
                     "whom); add --walk-claims to walk through claims and "
                     "the statements they quote\n");
      }
    }
    return kExitOk;
  });
}

void AddNeighborhood(Cli& cli) {
  struct Flags {
    std::string node;
    int32_t hops = 0;
    int32_t limit = 0;
    PathFlags path;
  };
  auto f = std::make_shared<Flags>();
  CLI::App* cmd =
      AddCommand(&cli.app(), "neighborhood",
                 "the nodes and statements within N hops of a node",
                 "  kgctl neighborhood north_korea\n"
                 "  kgctl neighborhood nis --hops 2 --walk-claims --json\n");
  cmd->add_option("NODE", f->node, "an entity or a statement")->required();
  cmd->add_option("--hops", f->hops, "radius in hops (default 2)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--limit", f->limit,
                  "most statements returned (default 1000)")
      ->check(CLI::Range(1, 10000));
  AddFilterFlags(cmd, &f->path);
  cli.Bind(cmd, [f](Connection& conn, const Globals& g) {
    kg::v1::GetNeighborhoodRequest req;
    if (!ParseNode("NODE", f->node, req.mutable_node())) return kExitUsage;
    req.set_hops(f->hops);
    req.set_limit(f->limit);
    if (absl::Status s = FillPathOptions(f->path, req.mutable_options());
        !s.ok()) {
      return Fail(kExitUsage, s.message());
    }
    kg::v1::GetNeighborhoodResponse resp;
    auto ctx = conn.Context();
    grpc::Status status = conn.kg().GetNeighborhood(ctx.get(), req, &resp);
    if (!status.ok()) {
      return ReportError(status, conn.server(), "GetNeighborhood");
    }
    if (g.json) {
      PrintJson(resp);
      return kExitOk;
    }
    Describer d(conn);
    std::printf("%d nodes, %d statements%s\n\n", resp.nodes_size(),
                resp.statements_size(),
                resp.truncated() ? " (truncated: raise --limit)" : "");
    Table table({"ID", "SUBJECT", "RELATION", "OBJECT"});
    for (const auto& s : resp.statements()) {
      table.AddRow(
          {s.id(), d.Node(s.subject()), s.relation(), d.Node(s.object())});
    }
    std::fputs(table.Render(TerminalWidth()).c_str(), stdout);
    std::fflush(stdout);
    PrintProfile(resp.profile());
    return kExitOk;
  });
}

std::string RenderClaims(
    absl::string_view title,
    const google::protobuf::RepeatedPtrField<kg::v1::Claim>& claims,
    Describer& d, int width) {
  if (claims.empty()) return "";
  std::string out = absl::StrCat(title, "\n");
  for (const kg::v1::Claim& c : claims) {
    absl::StrAppend(&out, "  ", d.Node(c.claimant()), " ", c.relation(), "  (",
                    c.claim().id(), ")\n");
    if (!c.affiliation_id().empty()) {
      absl::StrAppend(&out, "    (an affiliate: ",
                      d.StatementById(c.affiliation_id()), ")\n");
    }
    if (!c.about_statement_id().empty()) {
      // A claim about a related statement: say which, and how it relates.
      absl::StrAppend(&out, "    about ", d.Node(c.claim().object()),
                      c.polarity() == kg::v1::POLARITY_SUPPORTS
                          ? ", which entails this statement"
                          : ", which this statement entails",
                      " (", c.entailment_id(), ")\n");
    }
    for (const auto& p : c.provenance()) {
      absl::StrAppend(&out, d.Evidence(p, d.Node(c.claimant()), "    ", width));
    }
  }
  return out;
}

void AddWhy(Cli& cli) {
  struct Flags {
    std::string statement;
    bool no_evidence = false;
    bool related = false;
    bool roll_up = false;
    std::string sort = "claimant";
    AsOfFlags as_of;
    PageFlags page;
  };
  auto f = std::make_shared<Flags>();
  CLI::App* cmd = AddCommand(
      &cli.app(), "why",
      "why we believe a statement: its own records, and the claims about it "
      "grouped into supporting and opposing, each with its evidence",
      "  kgctl why \"<<north_korea deployed_troops_to russia>>\"\n"
      "  kgctl why s0f3c... --as-of-reported 2024-10-18 --json\n"
      "  kgctl why \"<<north_korea deployed_troops_to russia>>\" --sort "
      "date\n");
  cmd->add_option("STATEMENT", f->statement, "statement id or <<s r o>>")
      ->required();
  cmd->add_flag("--no-evidence", f->no_evidence,
                "leave out the evidence sentences");
  cmd->add_flag("--related", f->related,
                "also the claims on related statements: supporting claims on "
                "statements that entail this one, opposing claims on "
                "statements it entails (marked)");
  cmd->add_flag("--roll-up", f->roll_up,
                "count each claimant as the organisation it speaks for "
                "(part_of / speaks_for) in the summary; each claim still "
                "names who made it");
  AddChoice(cmd, "--sort", &f->sort, {"claimant", "date"},
            "claims by claimant, or by the date of their earliest document "
            "(undated last); records by date too")
      ->capture_default_str();
  AddAsOfFlags(cmd, &f->as_of);
  AddPageFlags(cmd, &f->page);
  cli.Bind(cmd, [f](Connection& conn, const Globals& g) {
    kg::v1::WhyRequest req;
    absl::StatusOr<kg::v1::Term> term = ParseStatementTerm(f->statement);
    if (!term.ok()) return Fail(kExitUsage, term.status().message());
    *req.mutable_statement() = *term;
    if (f->no_evidence) req.set_include_evidence(false);
    if (f->sort == "date")
      req.set_order(kg::v1::WhyRequest::ORDER_DOCUMENT_DATE);
    req.set_include_related(f->related);
    req.set_roll_up_affiliations(f->roll_up);
    if (absl::Status s = FillAsOf(f->as_of, req.mutable_as_of()); !s.ok()) {
      return Fail(kExitUsage, s.message());
    }
    req.set_page_size(f->page.limit);
    Describer d(conn);
    const int width = TerminalWidth();
    bool first = true;
    grpc::Status status = ForEachPage(f->page, [&](const std::string& token,
                                                   std::string* next) {
      req.set_page_token(token);
      kg::v1::WhyResponse resp;
      auto ctx = conn.Context();
      grpc::Status s = conn.kg().Why(ctx.get(), req, &resp);
      if (!s.ok()) return s;
      *next = resp.next_page_token();
      if (g.json) {
        PrintJson(resp);
        return s;
      }
      if (first) {
        first = false;
        std::fputs(
            Fields({{"statement", d.Triple(resp.statement())},
                    {"id", resp.statement().id()},
                    {"summary", resp.summary()},
                    {"sources",
                     absl::StrCat(
                         Counted(resp.distinct_documents(), "document"), ", ",
                         Counted(resp.distinct_claimants(), "claimant"))}},
                   width)
                .c_str(),
            stdout);
        if (resp.provenance_size() > 0) {
          std::printf("\nstated by documents\n");
          for (const auto& p : resp.provenance()) {
            std::fputs(d.Evidence(p, "", "  ", width).c_str(), stdout);
          }
        }
      }
      std::string claims =
          RenderClaims("supporting claims", resp.supporting(), d, width);
      if (!claims.empty()) std::printf("\n%s", claims.c_str());
      claims = RenderClaims("opposing claims", resp.opposing(), d, width);
      if (!claims.empty()) std::printf("\n%s", claims.c_str());
      return s;
    });
    if (!status.ok()) return ReportError(status, conn.server(), "Why");
    return kExitOk;
  });
}

void AddByDocument(Cli& cli) {
  struct Flags {
    std::string document;
    bool no_evidence = false;
    AsOfFlags as_of;
    PageFlags page;
  };
  auto f = std::make_shared<Flags>();
  CLI::App* cmd = AddCommand(
      &cli.app(), "by-document",
      "everything a document yields, in the order of its evidence in the text",
      "  kgctl by-document seed_article --all\n"
      "  kgctl by-document seed_article --json --all\n");
  cmd->add_option("DOCUMENT", f->document, "document id")->required();
  cmd->add_flag("--no-evidence", f->no_evidence,
                "leave out the evidence sentences");
  AddAsOfFlags(cmd, &f->as_of);
  AddPageFlags(cmd, &f->page);
  cli.Bind(cmd, [f](Connection& conn, const Globals& g) {
    kg::v1::ListByDocumentRequest req;
    req.set_document_id(f->document);
    if (f->no_evidence) req.set_include_evidence(false);
    if (absl::Status s = FillAsOf(f->as_of, req.mutable_as_of()); !s.ok()) {
      return Fail(kExitUsage, s.message());
    }
    req.set_page_size(f->page.limit);
    Describer d(conn);
    const int width = TerminalWidth();
    grpc::Status status =
        ForEachPage(f->page, [&](const std::string& token, std::string* next) {
          req.set_page_token(token);
          kg::v1::ListByDocumentResponse resp;
          auto ctx = conn.Context();
          grpc::Status s = conn.kg().ListByDocument(ctx.get(), req, &resp);
          if (!s.ok()) return s;
          *next = resp.next_page_token();
          for (const auto& sp : resp.statements()) {
            if (g.json) {
              PrintJson(sp);
              continue;
            }
            std::fputs(Indented(absl::StrCat(d.Triple(sp.statement()), "  (",
                                             sp.statement().id(), ")"),
                                "", width)
                           .c_str(),
                       stdout);
            const std::string claimant = d.Claimant(sp.statement());
            for (const auto& p : sp.provenance()) {
              std::fputs(d.Evidence(p, claimant, "  ", width).c_str(), stdout);
            }
          }
          return s;
        });
    if (!status.ok()) {
      return ReportError(status, conn.server(), "ListByDocument");
    }
    return kExitOk;
  });
}

void AddByClaimant(Cli& cli) {
  struct Flags {
    std::string claimant;
    std::string polarity;
    bool no_evidence = false;
    bool affiliates = false;
    AsOfFlags as_of;
    PageFlags page;
  };
  auto f = std::make_shared<Flags>();
  CLI::App* cmd = AddCommand(
      &cli.app(), "by-claimant", "everything an entity asserts or denies",
      "  kgctl by-claimant nato\n"
      "  kgctl by-claimant nato --with-affiliates\n"
      "  kgctl by-claimant Kremlin --polarity opposes --json\n");
  cmd->add_option("ENTITY", f->claimant, "entity id, label or alias")
      ->required();
  AddChoice(cmd, "--polarity", &f->polarity, {"supports", "opposes"},
            "only claims of this polarity (default both)");
  cmd->add_flag("--no-evidence", f->no_evidence,
                "leave out the evidence sentences");
  cmd->add_flag("--with-affiliates", f->affiliates,
                "also what its affiliates say: entities part_of it or "
                "speaking for it (NATO officials for NATO), each claim "
                "naming who said it");
  AddAsOfFlags(cmd, &f->as_of);
  AddPageFlags(cmd, &f->page);
  cli.Bind(cmd, [f](Connection& conn, const Globals& g) {
    kg::v1::ListByClaimantRequest req;
    req.set_claimant(f->claimant);
    req.set_include_affiliates(f->affiliates);
    if (f->polarity == "supports") req.set_polarity(kg::v1::POLARITY_SUPPORTS);
    if (f->polarity == "opposes") req.set_polarity(kg::v1::POLARITY_OPPOSES);
    if (f->no_evidence) req.set_include_evidence(false);
    if (absl::Status s = FillAsOf(f->as_of, req.mutable_as_of()); !s.ok()) {
      return Fail(kExitUsage, s.message());
    }
    req.set_page_size(f->page.limit);
    Describer d(conn);
    const int width = TerminalWidth();
    size_t claims = 0;
    grpc::Status status = ForEachPage(f->page, [&](const std::string& token,
                                                   std::string* next) {
      req.set_page_token(token);
      kg::v1::ListByClaimantResponse resp;
      auto ctx = conn.Context();
      grpc::Status s = conn.kg().ListByClaimant(ctx.get(), req, &resp);
      if (!s.ok()) return s;
      *next = resp.next_page_token();
      claims += resp.claims_size();
      for (const auto& c : resp.claims()) {
        if (g.json) {
          PrintJson(c);
          continue;
        }
        std::fputs(
            Indented(absl::StrCat(d.Node(c.claimant()), " ", c.relation(), " ",
                                  d.Node(c.claim().object()), "  (",
                                  PolarityName(c.polarity()), ")"),
                     "", width)
                .c_str(),
            stdout);
        if (!c.affiliation_id().empty()) {
          std::printf("  (an affiliate: %s)\n",
                      d.StatementById(c.affiliation_id()).c_str());
        }
        for (const auto& p : c.provenance()) {
          std::fputs(d.Evidence(p, d.Node(c.claimant()), "  ", width).c_str(),
                     stdout);
        }
      }
      return s;
    });
    if (!status.ok()) {
      return ReportError(status, conn.server(), "ListByClaimant");
    }
    if (claims == 0) {
      SayNothing(g.json, absl::StrCat("no ",
                                      f->polarity == "supports"  ? "supporting "
                                      : f->polarity == "opposes" ? "opposing "
                                                                 : "",
                                      "claims by ", f->claimant));
    }
    return kExitOk;
  });
}

void AddContested(Cli& cli) {
  struct Flags {
    AsOfFlags as_of;
    PageFlags page;
    bool roll_up = false;
    bool related = false;
  };
  auto f = std::make_shared<Flags>();
  CLI::App* cmd = AddCommand(
      &cli.app(), "contested",
      "statements with both supporting and opposing claims, most claimants "
      "first",
      "  kgctl contested\n"
      "  kgctl contested --as-of-reported 2024-10-18 --json\n");
  AddAsOfFlags(cmd, &f->as_of);
  AddPageFlags(cmd, &f->page);
  cmd->add_flag("--roll-up", f->roll_up,
                "count each claimant as the organisation it speaks for "
                "(part_of / speaks_for)");
  cmd->add_flag("--related", f->related,
                "also count the claims on related statements, as why "
                "--related does: a supported statement whose more general "
                "form is denied is contested");
  cli.Bind(cmd, [f](Connection& conn, const Globals& g) {
    kg::v1::ListContestedRequest req;
    req.set_roll_up_affiliations(f->roll_up);
    req.set_include_related(f->related);
    if (absl::Status s = FillAsOf(f->as_of, req.mutable_as_of()); !s.ok()) {
      return Fail(kExitUsage, s.message());
    }
    req.set_page_size(f->page.limit);
    Describer d(conn);
    Table table({"ID", "FOR", "AGAINST", "CLAIMANTS", "STATEMENT"});
    grpc::Status status = ForEachPage(f->page, [&](const std::string& token,
                                                   std::string* next) {
      req.set_page_token(token);
      kg::v1::ListContestedResponse resp;
      auto ctx = conn.Context();
      grpc::Status s = conn.kg().ListContested(ctx.get(), req, &resp);
      if (!s.ok()) return s;
      *next = resp.next_page_token();
      for (const auto& c : resp.statements()) {
        if (g.json) {
          PrintJson(c);
          continue;
        }
        table.AddRow(
            {c.statement().id(), absl::StrCat(c.supporting_claimants()),
             absl::StrCat(c.opposing_claimants()),
             absl::StrCat(c.distinct_claimants()), d.Triple(c.statement())});
      }
      return s;
    });
    if (!g.json && table.rows() > 0) {
      std::fputs(table.Render(TerminalWidth()).c_str(), stdout);
    }
    if (!status.ok()) {
      return ReportError(status, conn.server(), "ListContested");
    }
    if (table.rows() == 0) {
      SayNothing(g.json,
                 "no statement has both supporting and opposing claims");
    }
    return kExitOk;
  });
}

void AddTimeline(Cli& cli) {
  struct Flags {
    std::string statement;
    AsOfFlags as_of;
    bool by_claimant = false;
    bool roll_up = false;
    bool related = false;
  };
  auto f = std::make_shared<Flags>();
  CLI::App* cmd = AddCommand(
      &cli.app(), "timeline",
      "each claimant's stance on a statement, in document-date order",
      "  kgctl timeline \"<<north_korea deployed_troops_to russia>>\"\n");
  cmd->add_option("STATEMENT", f->statement, "statement id or <<s r o>>")
      ->required();
  AddAsOfFlags(cmd, &f->as_of);
  cmd->add_flag("--by-claimant", f->by_claimant,
                "group by claimant, so each one's stance over time reads in "
                "one run");
  cmd->add_flag("--roll-up", f->roll_up,
                "group by the organisation each claimant speaks for "
                "(part_of / speaks_for): presidential_office (for "
                "south_korea)");
  cmd->add_flag("--related", f->related,
                "also the claims on related statements, as why --related "
                "(the ABOUT column names the statement)");
  cli.Bind(cmd, [f](Connection& conn, const Globals& g) {
    kg::v1::GetClaimTimelineRequest req;
    req.set_group_by_claimant(f->by_claimant);
    req.set_roll_up_affiliations(f->roll_up);
    req.set_include_related(f->related);
    absl::StatusOr<kg::v1::Term> term = ParseStatementTerm(f->statement);
    if (!term.ok()) return Fail(kExitUsage, term.status().message());
    *req.mutable_statement() = *term;
    if (absl::Status s = FillAsOf(f->as_of, req.mutable_as_of()); !s.ok()) {
      return Fail(kExitUsage, s.message());
    }
    kg::v1::GetClaimTimelineResponse resp;
    auto ctx = conn.Context();
    grpc::Status status = conn.kg().GetClaimTimeline(ctx.get(), req, &resp);
    if (!status.ok()) {
      return ReportError(status, conn.server(), "GetClaimTimeline");
    }
    Describer d(conn);
    std::vector<std::string> columns = {"DATE",     "CLAIMANT", "STANCE",
                                        "RELATION", "DOCUMENT", "EVIDENCE"};
    if (f->related) columns.insert(columns.begin() + 4, "ABOUT");
    Table table(columns);
    for (const auto& e : resp.entries()) {
      if (g.json) {
        PrintJson(e);
        continue;
      }
      const char* stance = e.stance() == kg::v1::STANCE_DENIED ? "denied"
                           : e.stance() == kg::v1::STANCE_UNCONFIRMED
                               ? "unconfirmed"
                           : e.stance() == kg::v1::STANCE_STATED ? "stated"
                                                                 : "asserted";
      std::string who = d.Node(e.claimant());
      if (!e.organisation_id().empty()) {
        absl::StrAppend(&who, " (for ", e.organisation_id(), ")");
      }
      std::vector<std::string> row = {e.document().published(),
                                      who,
                                      stance,
                                      e.relation(),
                                      e.document().id(),
                                      e.provenance().evidence()};
      if (f->related) {
        row.insert(row.begin() + 4,
                   e.about_statement_id().empty()
                       ? "this statement"
                       : d.StatementById(e.about_statement_id()));
      }
      table.AddRow(row);
    }
    if (resp.entries().empty()) {
      SayNothing(g.json, "no claims about this statement");
    } else if (!g.json) {
      std::fputs(table.Render(TerminalWidth()).c_str(), stdout);
    }
    return kExitOk;
  });
}

void AddProvExport(Cli& cli) {
  struct Flags {
    std::string statement;
    std::string format = "nt";
  };
  auto f = std::make_shared<Flags>();
  CLI::App* cmd = AddCommand(
      &cli.app(), "prov-export",
      "a statement's provenance as W3C PROV-O (N-Triples or JSON-LD)",
      "  kgctl prov-export \"<<north_korea deployed_troops_to russia>>\" > "
      "prov.nt\n"
      "  kgctl prov-export s0f3c... --format jsonld\n");
  cmd->add_option("STATEMENT", f->statement, "statement id or <<s r o>>")
      ->required();
  AddChoice(cmd, "--format", &f->format, {"nt", "jsonld"}, "output format")
      ->capture_default_str();
  cli.Bind(cmd, [f](Connection& conn, const Globals& g) {
    kg::v1::ExportProvenanceRequest req;
    absl::StatusOr<kg::v1::Term> term = ParseStatementTerm(f->statement);
    if (!term.ok()) return Fail(kExitUsage, term.status().message());
    *req.mutable_statement() = *term;
    req.set_format(f->format == "jsonld"
                       ? kg::v1::PROVENANCE_FORMAT_PROV_O_JSONLD
                       : kg::v1::PROVENANCE_FORMAT_PROV_O_NTRIPLES);
    kg::v1::ExportProvenanceResponse resp;
    auto ctx = conn.Context();
    grpc::Status status = conn.kg().ExportProvenance(ctx.get(), req, &resp);
    if (!status.ok()) {
      return ReportError(status, conn.server(), "ExportProvenance");
    }
    if (g.json) {
      PrintJson(resp);
      return kExitOk;
    }
    std::fputs(resp.content().c_str(), stdout);
    if (!resp.content().empty() && resp.content().back() != '\n') {
      std::printf("\n");
    }
    return kExitOk;
  });
}

}  // namespace

void AddQueryCommands(Cli& cli) {
  AddPath(cli);
  AddNeighborhood(cli);
  AddWhy(cli);
  AddByDocument(cli);
  AddByClaimant(cli);
  AddContested(cli);
  AddTimeline(cli);
  AddProvExport(cli);
}

}  // namespace kg::client
