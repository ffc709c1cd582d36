// statement, match, count and retract commands.
#include <cstdio>
#include <memory>
#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "client/commands.h"
#include "client/describe.h"
#include "client/format.h"
#include "client/term_syntax.h"

namespace kg::client {

namespace {

constexpr char kTermHelp[] =
    "entity id/label/alias, statement id, int:N, dec:N, date:D, str:S or "
    "<<s r o>>";

// Parses an optional term flag into `out`; false (after printing why) when
// it is malformed.
bool ParseOptionalTerm(const std::string& flag, const std::string& text,
                       kg::v1::Term* out, bool* set) {
  *set = false;
  if (text.empty()) return true;
  absl::StatusOr<kg::v1::Term> t = ParseTerm(text);
  if (!t.ok()) {
    Fail(kExitUsage, absl::StrCat(flag, ": ", t.status().message()));
    return false;
  }
  *out = *std::move(t);
  *set = true;
  return true;
}

// The statement id a term names, asking the server for a quoted one.
grpc::Status StatementIdOf(Connection& conn, const kg::v1::Term& term,
                           std::string* id) {
  if (term.has_statement_id()) {
    *id = term.statement_id();
    return grpc::Status::OK;
  }
  kg::v1::GetStatementRequest req;
  *req.mutable_statement() = term;
  kg::v1::Statement resp;
  auto ctx = conn.Context();
  grpc::Status status = conn.kg().GetStatement(ctx.get(), req, &resp);
  if (status.ok()) *id = resp.id();
  return status;
}

void PrintStatement(const kg::v1::Statement& s, Describer& d) {
  const int width = TerminalWidth();
  std::fputs(Fields({{"id", s.id()},
                     {"statement", d.Triple(s)},
                     {"subject", d.NodeWithLabel(s.subject())},
                     {"relation", s.relation()},
                     {"object", d.NodeWithLabel(s.object())},
                     {"records", absl::StrCat(s.live_provenance(), " live")},
                     {"quoted by", Counted(s.quoted_by(), "statement")}},
                    width)
                 .c_str(),
             stdout);
  if (s.provenance_size() == 0) return;
  std::printf("provenance\n");
  const std::string claimant = d.Claimant(s);
  for (const auto& p : s.provenance()) {
    std::fputs(d.Evidence(p, claimant, "  ", width).c_str(), stdout);
  }
}

void AddStatementGroup(Cli& cli) {
  CLI::App* statement = AddCommand(&cli.app(), "statement",
                                   "statements: add (with provenance), get");
  statement->require_subcommand(1);
  {
    struct Flags {
      std::string subject, relation, object;
      std::string document, evidence;
      int64_t evidence_start = -1, evidence_end = -1;
      std::string hedge;
      double confidence = -1;
      std::string valid_from, valid_to;
    };
    auto f = std::make_shared<Flags>();
    CLI::App* cmd = AddCommand(
        statement, "add",
        "write a statement with one provenance record: the document and the "
        "exact evidence sentence (its offsets are found in the stored text)",
        "  kgctl statement add north_korea deployed_troops_to russia \\\n"
        "      --document seed_article --hedge believed --confidence 0.7 \\\n"
        "      --evidence \"North Korea is believed to have deployed four "
        "brigades\"\n"
        "  kgctl statement add kremlin denied \"<<north_korea "
        "deployed_troops_to russia>>\" \\\n"
        "      --document seed_article --evidence \"Both Russia and North "
        "Korea have denied\"\n"
        "  kgctl statement add north_korea troop_count int:12000 --document "
        "d1 --evidence \"12,000\" \\\n"
        "      --valid-from 2024-10\n");
    cmd->add_option("SUBJECT", f->subject, "an entity or a statement")
        ->required();
    cmd->add_option("RELATION", f->relation, "relation id")->required();
    cmd->add_option("OBJECT", f->object, kTermHelp)->required();
    cmd->add_option("--document", f->document, "source document id")
        ->required();
    cmd->add_option("--evidence", f->evidence,
                    "the exact text of the evidence span in the document")
        ->required();
    cmd->add_option("--evidence-start", f->evidence_start,
                    "start of the span in code points (default: where the "
                    "evidence occurs)")
        ->check(CLI::NonNegativeNumber);
    cmd->add_option("--evidence-end", f->evidence_end,
                    "end of the span in code points, exclusive")
        ->check(CLI::NonNegativeNumber);
    AddChoice(
        cmd, "--hedge", &f->hedge,
        {"asserted", "believed", "reportedly", "plausible", "unconfirmed"},
        "how the source words it (default asserted)");
    cmd->add_option("--confidence", f->confidence,
                    "how sure the source is, 0..1 (default 1)")
        ->check(CLI::Range(0.0, 1.0));
    cmd->add_option("--valid-from", f->valid_from,
                    "when the fact starts to hold: YYYY, YYYY-MM, YYYY-MM-DD");
    cmd->add_option("--valid-to", f->valid_to, "when it stops holding");
    cli.BindWrite(cmd, [f](Connection& conn, const Globals& g) {
      kg::v1::WriteStatementsRequest req;
      kg::v1::StatementInput* in = req.add_statements();
      absl::StatusOr<kg::v1::Term> s = ParseTerm(f->subject);
      if (!s.ok()) return Fail(kExitUsage, s.status().message());
      absl::StatusOr<kg::v1::Term> o = ParseTerm(f->object);
      if (!o.ok()) return Fail(kExitUsage, o.status().message());
      if (absl::Status u = CheckUtf8("--evidence", f->evidence); !u.ok()) {
        return Fail(kExitUsage, u.message());
      }
      *in->mutable_triple()->mutable_subject() = *s;
      in->mutable_triple()->set_relation(f->relation);
      *in->mutable_triple()->mutable_object() = *o;
      kg::v1::Provenance* p = in->add_provenance();
      p->set_document_id(f->document);
      p->set_evidence(f->evidence);
      if (f->evidence.empty()) {
        return Fail(kExitInvalid,
                    "--evidence: is empty; quote the words of the document "
                    "that state it (the exact span of its text)");
      }
      if (f->evidence_end >= 0 && f->evidence_start < 0) {
        return Fail(kExitUsage, "--evidence-end needs --evidence-start");
      }
      if (f->evidence_start >= 0) {
        // An occurrence chosen: its end follows from the quote.
        p->set_evidence_start(f->evidence_start);
        p->set_evidence_end(f->evidence_end >= 0
                                ? f->evidence_end
                                : f->evidence_start + CodePoints(f->evidence));
      }
      // Else the server finds the quote in the document's text (and says
      // where it occurs when more than once, or what is nearest when not).
      if (f->hedge == "asserted") p->set_hedge(kg::v1::HEDGE_ASSERTED);
      if (f->hedge == "believed") p->set_hedge(kg::v1::HEDGE_BELIEVED);
      if (f->hedge == "reportedly") p->set_hedge(kg::v1::HEDGE_REPORTEDLY);
      if (f->hedge == "plausible") p->set_hedge(kg::v1::HEDGE_PLAUSIBLE);
      if (f->hedge == "unconfirmed") p->set_hedge(kg::v1::HEDGE_UNCONFIRMED);
      if (f->confidence >= 0) p->set_confidence(f->confidence);
      p->mutable_valid_time()->set_start(f->valid_from);
      p->mutable_valid_time()->set_end(f->valid_to);
      kg::v1::WriteStatementsResponse resp;
      auto ctx = conn.Context();
      grpc::Status status = conn.kg().WriteStatements(ctx.get(), req, &resp);
      if (!status.ok()) return ReportError(status, conn.server());
      Connection::ReportWritten(*ctx);
      if (g.json) {
        PrintJson(resp);
        return kExitOk;
      }
      // What was stored: resolved names, located evidence.
      Describer d(conn);
      if (resp.statements_size() > 0) PrintStatement(resp.statements(0), d);
      std::printf(
          "result     %llu statements created, %llu records added, "
          "%llu unchanged\n",
          static_cast<unsigned long long>(resp.statements_created()),
          static_cast<unsigned long long>(resp.provenance_added()),
          static_cast<unsigned long long>(resp.provenance_unchanged()));
      return kExitOk;
    });
  }
  {
    auto text = std::make_shared<std::string>();
    CLI::App* cmd = AddCommand(
        statement, "get",
        "one statement, by id or by content, with its live provenance",
        "  kgctl statement get s0f3c...\n"
        "  kgctl statement get \"<<north_korea deployed_troops_to "
        "russia>>\"\n");
    cmd->add_option("STATEMENT", *text, "statement id or <<s r o>>")
        ->required();
    cli.Bind(cmd, [text](Connection& conn, const Globals& g) {
      absl::StatusOr<kg::v1::Term> term = ParseStatementTerm(*text);
      if (!term.ok()) return Fail(kExitUsage, term.status().message());
      kg::v1::GetStatementRequest req;
      *req.mutable_statement() = *term;
      req.set_include_provenance(true);
      kg::v1::Statement resp;
      auto ctx = conn.Context();
      grpc::Status status = conn.kg().GetStatement(ctx.get(), req, &resp);
      if (!status.ok()) return ReportError(status, conn.server());
      if (g.json) {
        PrintJson(resp);
        return kExitOk;
      }
      Describer d(conn);
      PrintStatement(resp, d);
      return kExitOk;
    });
  }
}

void AddMatch(Cli& cli) {
  struct Flags {
    std::string subject, relation, object, document;
    double min_confidence = 0;
    bool include_quoted = false;
    bool provenance = false;
    PageFlags page;
  };
  auto f = std::make_shared<Flags>();
  CLI::App* cmd = AddCommand(
      &cli.app(), "match",
      "statements matching (subject?, relation?, object?); open positions "
      "match everything",
      "  kgctl match --subject north_korea\n"
      "  kgctl match --relation denied --all\n"
      "  kgctl match --object \"<<north_korea deployed_troops_to russia>>\"\n"
      "  kgctl match --document seed_article --min-confidence 0.8 --json\n");
  cmd->add_option("--subject", f->subject, "an entity or a statement");
  cmd->add_option("--relation", f->relation, "relation id");
  cmd->add_option("--object", f->object, kTermHelp);
  cmd->add_option("--document", f->document,
                  "only statements with a live record from this document");
  cmd->add_option("--min-confidence", f->min_confidence,
                  "only statements with a record at least this sure")
      ->check(CLI::Range(0.0, 1.0));
  cmd->add_flag("--include-quoted", f->include_quoted,
                "also statements that are only quoted (not asserted)");
  cmd->add_flag("--provenance", f->provenance,
                "include each statement's records (JSON; human: evidence)");
  AddPageFlags(cmd, &f->page);
  cli.Bind(cmd, [f](Connection& conn, const Globals& g) {
    kg::v1::MatchStatementsRequest req;
    bool set = false;
    if (!ParseOptionalTerm("--subject", f->subject, req.mutable_subject(),
                           &set)) {
      return kExitUsage;
    }
    if (!set) req.clear_subject();
    if (!ParseOptionalTerm("--object", f->object, req.mutable_object(), &set)) {
      return kExitUsage;
    }
    if (!set) req.clear_object();
    req.set_relation(f->relation);
    req.set_document_id(f->document);
    req.set_min_confidence(f->min_confidence);
    req.set_include_quoted(f->include_quoted);
    req.set_include_provenance(f->provenance);
    req.set_page_size(f->page.limit);
    Describer d(conn);
    Table table({"ID", "REC", "SUBJECT", "RELATION", "OBJECT"});
    std::string evidence;
    const int width = TerminalWidth();
    grpc::Status status = ForEachPage(f->page, [&](const std::string& token,
                                                   std::string* next) {
      req.set_page_token(token);
      kg::v1::MatchStatementsResponse resp;
      auto ctx = conn.Context();
      grpc::Status s = conn.kg().MatchStatements(ctx.get(), req, &resp);
      if (!s.ok()) return s;
      for (const auto& st : resp.statements()) {
        if (g.json) {
          PrintJson(st);
          continue;
        }
        table.AddRow({st.id(), absl::StrCat(st.live_provenance()),
                      d.Node(st.subject()), st.relation(),
                      d.Node(st.object())});
        if (f->provenance) {
          absl::StrAppend(&evidence, st.id(), " ", d.Triple(st), "\n");
          const std::string claimant = d.Claimant(st);
          for (const auto& p : st.provenance()) {
            absl::StrAppend(&evidence, d.Evidence(p, claimant, "  ", width));
          }
        }
      }
      *next = resp.next_page_token();
      return s;
    });
    if (!g.json && table.rows() > 0) {
      std::fputs(table.Render(width).c_str(), stdout);
      if (!evidence.empty()) std::printf("\n%s", evidence.c_str());
    }
    if (!status.ok()) return ReportError(status, conn.server());
    if (table.rows() == 0) SayNothing(g.json, "no statements match");
    return kExitOk;
  });
}

void AddCount(Cli& cli) {
  struct Flags {
    std::string subject, relation, object;
    bool exact = false;
  };
  auto f = std::make_shared<Flags>();
  CLI::App* cmd =
      AddCommand(&cli.app(), "count",
                 "how many statements (asserted and quoted) match a pattern",
                 "  kgctl count\n"
                 "  kgctl count --relation reported --exact\n");
  cmd->add_option("--subject", f->subject, "an entity or a statement");
  cmd->add_option("--relation", f->relation, "relation id");
  cmd->add_option("--object", f->object, kTermHelp);
  cmd->add_flag(
      "--exact", f->exact,
      "count exactly (a scan) instead of estimating from index sizes");
  cli.Bind(cmd, [f](Connection& conn, const Globals& g) {
    kg::v1::CountStatementsRequest req;
    bool set = false;
    if (!ParseOptionalTerm("--subject", f->subject, req.mutable_subject(),
                           &set)) {
      return kExitUsage;
    }
    if (!set) req.clear_subject();
    if (!ParseOptionalTerm("--object", f->object, req.mutable_object(), &set)) {
      return kExitUsage;
    }
    if (!set) req.clear_object();
    req.set_relation(f->relation);
    req.set_exact(f->exact);
    kg::v1::CountStatementsResponse resp;
    auto ctx = conn.Context();
    grpc::Status status = conn.kg().CountStatements(ctx.get(), req, &resp);
    if (!status.ok()) return ReportError(status, conn.server());
    if (g.json) {
      PrintJson(resp);
    } else {
      std::printf("%llu%s\n", static_cast<unsigned long long>(resp.count()),
                  resp.exact() ? "" : " (estimate)");
    }
    return kExitOk;
  });
}

void AddRetract(Cli& cli) {
  struct Flags {
    std::string statement, document;
  };
  auto f = std::make_shared<Flags>();
  CLI::App* cmd = AddCommand(
      &cli.app(), "retract",
      "retract one document's live provenance records of a statement (the "
      "statement stays while other records remain)",
      "  kgctl retract s0f3c... seed_article\n"
      "  kgctl retract \"<<kremlin denied <<north_korea deployed_troops_to "
      "russia>>>>\" seed_article\n");
  cmd->add_option("STATEMENT", f->statement, "statement id or <<s r o>>")
      ->required();
  cmd->add_option("DOCUMENT", f->document, "document id")->required();
  cli.BindWrite(cmd, [f](Connection& conn, const Globals& g) {
    absl::StatusOr<kg::v1::Term> term = ParseStatementTerm(f->statement);
    if (!term.ok()) return Fail(kExitUsage, term.status().message());
    kg::v1::RetractProvenanceRequest req;
    grpc::Status status =
        StatementIdOf(conn, *term, req.mutable_statement_id());
    if (!status.ok()) return ReportError(status, conn.server());
    req.set_document_id(f->document);
    kg::v1::RetractProvenanceResponse resp;
    auto ctx = conn.Context();
    status = conn.kg().RetractProvenance(ctx.get(), req, &resp);
    if (!status.ok()) return ReportError(status, conn.server());
    Connection::ReportWritten(*ctx);
    if (g.json) {
      PrintJson(resp);
    } else {
      std::printf("retracted %llu record(s) of %s from %s; %s\n",
                  static_cast<unsigned long long>(resp.provenance_retracted()),
                  req.statement_id().c_str(), req.document_id().c_str(),
                  resp.statement_removed()
                      ? "the statement left the store"
                      : "the statement stays (other records or quoters)");
    }
    return kExitOk;
  });
}

}  // namespace

void AddStatementCommands(Cli& cli) {
  AddStatementGroup(cli);
  AddMatch(cli);
  AddCount(cli);
  AddRetract(cli);
}

}  // namespace kg::client
