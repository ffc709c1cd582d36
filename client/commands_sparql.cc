// kgctl query: a SPARQL query through the Query rpc, printed as a table or
// in a W3C results format (docs/cli.md "query").
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "client/cli.h"
#include "client/commands.h"
#include "client/connection.h"
#include "query/sparql/results.h"
#include "rdf/format.h"
#include "rdf/term.h"
#include "rdf_proto/rdf_term.h"

namespace kg::client {
namespace {

namespace v1 = ::kg::v1;

// A cell of the table, written to be read: xsd:string literals as the bare
// string, numbers and booleans as their lexical form, other XSD literals
// as "lexical"^^xsd:type, anything else in N-Triples syntax.
std::string Cell(const std::optional<rdf::Term>& t) {
  if (!t.has_value()) return "";
  if (!t->is_literal() || !t->language().empty()) return rdf::ToNTriples(*t);
  if (t->datatype() == rdf::kXsdString) return t->value();
  const absl::string_view xsd = rdf::kXsdNs;
  if (!absl::StartsWith(t->datatype(), xsd)) return rdf::ToNTriples(*t);
  const std::string type = t->datatype().substr(xsd.size());
  static const auto* kBare =
      new absl::flat_hash_set<std::string>{"integer",
                                           "decimal",
                                           "double",
                                           "float",
                                           "boolean",
                                           "nonNegativeInteger",
                                           "positiveInteger",
                                           "nonPositiveInteger",
                                           "negativeInteger",
                                           "long",
                                           "int",
                                           "short",
                                           "byte",
                                           "unsignedLong",
                                           "unsignedInt",
                                           "unsignedShort",
                                           "unsignedByte"};
  if (kBare->contains(type)) return t->value();
  const std::string nt = rdf::ToNTriples(rdf::Term::Literal(t->value()));
  return absl::StrCat(nt, "^^xsd:", type);
}

// Prints rows as an aligned table (columns at most 60 characters wide).
void PrintTable(const std::vector<std::string>& variables,
                const std::vector<sparql::Solution>& rows) {
  std::vector<size_t> width(variables.size());
  std::vector<std::vector<std::string>> cells;
  for (size_t i = 0; i < variables.size(); ++i)
    width[i] = variables[i].size() + 1;
  for (const sparql::Solution& row : rows) {
    std::vector<std::string> line;
    for (size_t i = 0; i < variables.size(); ++i) {
      std::string c = i < row.size() ? Cell(row[i]) : "";
      if (c.size() > 60) c = c.substr(0, 57) + "...";
      width[i] = std::max(width[i], c.size());
      line.push_back(std::move(c));
    }
    cells.push_back(std::move(line));
  }
  auto print_line = [&](const std::vector<std::string>& line) {
    std::string out;
    for (size_t i = 0; i < line.size(); ++i) {
      out += line[i];
      if (i + 1 < line.size())
        out += std::string(width[i] - line[i].size() + 2, ' ');
    }
    while (!out.empty() && out.back() == ' ') out.pop_back();
    std::printf("%s\n", out.c_str());
  };
  std::vector<std::string> header;
  for (const std::string& v : variables) header.push_back("?" + v);
  print_line(header);
  for (const auto& line : cells) print_line(line);
}

absl::StatusOr<std::string> ReadQueryFile(const std::string& path) {
  if (path == "-") {
    std::ostringstream s;
    s << std::cin.rdbuf();
    return s.str();
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::InvalidArgumentError(
        absl::StrCat("--file ", path,
                     ": cannot be read (no such file, or "
                     "not readable)"));
  }
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

void AddSparqlCommands(Cli& cli) {
  struct Flags {
    std::string query;
    std::string file;
    std::string format = "table";
    bool explain = false;
    bool profile = false;
    uint64_t max_results = 0;
    std::vector<std::string> from;
    std::vector<std::string> from_named;
    AsOfFlags as_of;
  };
  auto f = std::make_shared<Flags>();
  CLI::App* cmd = AddCommand(
      &cli.app(), "query",
      "answer a SPARQL 1.1 query (with SPARQL 1.2's triple terms)",
      "  kgctl query 'SELECT ?what WHERE { <https://kg.invalid/entity/"
      "yoon_suk_yeol> ?r ?what }'\n"
      "  kgctl query -f question.rq --format csv > answer.csv\n"
      "  kgctl query 'CONSTRUCT WHERE { ?s ?p ?o }' --format ttl\n"
      "  kgctl query 'SELECT * { ?s ?p ?o }' --explain\n");
  cmd->add_option("QUERY", f->query, "the query text (or use --file)");
  cmd->add_option("-f,--file", f->file,
                  "read the query from a file (- for stdin)");
  AddChoice(cmd, "--format", &f->format,
            {"table", "json", "xml", "csv", "tsv", "nt", "ttl"},
            "output: a table, a W3C results format (SELECT, ASK), or "
            "N-Triples/Turtle (CONSTRUCT, DESCRIBE)")
      ->capture_default_str();
  cmd->add_flag("--explain", f->explain,
                "print the query's algebra and its plan with the store's "
                "estimates; do not run it");
  cmd->add_flag("--profile", f->profile,
                "run it, then print on stderr the plan with each "
                "operator's rows and time");
  cmd->add_option("--max-results", f->max_results,
                  "send at most this many rows or triples (0: all)");
  cmd->add_option(
      "--from", f->from,
      "a document of the default graph (repeatable; replaces FROM)");
  cmd->add_option(
      "--from-named", f->from_named,
      "a document as a named graph (repeatable; replaces FROM NAMED)");
  AddAsOfFlags(cmd, &f->as_of);
  cli.Bind(cmd, [f](Connection& conn, const Globals& g) {
    std::string text = f->query;
    if (!f->file.empty()) {
      if (!text.empty()) {
        return Fail(kExitUsage,
                    "give the query inline or with --file, not both");
      }
      absl::StatusOr<std::string> read = ReadQueryFile(f->file);
      if (!read.ok()) return Fail(kExitUsage, read.status().message());
      text = *std::move(read);
    }
    if (text.empty())
      return Fail(kExitUsage, "QUERY: no query given (inline or --file)");
    v1::QueryRequest req;
    req.set_query(text);
    req.set_max_results(f->max_results);
    if (f->explain && f->profile) {
      return Fail(kExitUsage, "--explain and --profile: choose one");
    }
    req.set_mode(f->explain   ? v1::QUERY_MODE_EXPLAIN
                 : f->profile ? v1::QUERY_MODE_PROFILE
                              : v1::QUERY_MODE_RUN);
    for (const std::string& d : f->from) req.add_default_graph(d);
    for (const std::string& d : f->from_named) req.add_named_graph(d);
    if (!f->as_of.recorded.empty() || !f->as_of.reported.empty()) {
      if (absl::Status s = FillAsOf(f->as_of, req.mutable_as_of()); !s.ok()) {
        return Fail(kExitUsage, s.message());
      }
    }
    std::string format = f->format;
    if (g.json && format == "table") format = "json";

    auto ctx = conn.StreamContext();
    auto reader = conn.kg().Query(ctx.get(), req);
    v1::QueryResponse resp;
    v1::QueryHeader header;
    std::vector<sparql::Solution> rows;  // kept for the table only
    std::optional<sparql::SolutionsWriter> writer;
    std::string out;
    std::optional<bool> boolean;
    std::string graph;
    std::optional<rdf::Writer> graph_writer;
    uint64_t results = 0;
    v1::QueryTrailer trailer;
    auto flush = [&out] {
      std::fputs(out.c_str(), stdout);
      out.clear();
    };
    while (reader->Read(&resp)) {
      if (resp.has_header()) {
        header = resp.header();
        const bool select = header.form() == v1::QUERY_FORM_SELECT;
        if (select && format != "table" && format != "nt" && format != "ttl" &&
            !f->explain) {
          absl::StatusOr<sparql::ResultsFormat> rf =
              sparql::ResultsFormatNamed(format);
          writer.emplace(*rf,
                         std::vector<std::string>(header.variables().begin(),
                                                  header.variables().end()));
          writer->Begin(&out);
        }
        if (header.form() == v1::QUERY_FORM_CONSTRUCT ||
            header.form() == v1::QUERY_FORM_DESCRIBE) {
          graph_writer.emplace(
              format == "ttl" ? rdf::Format::kTurtle : rdf::Format::kNTriples,
              &out);
        }
      }
      for (const v1::QueryRow& row : resp.rows().rows()) {
        sparql::Solution s = rdf_proto::FromProto(row);
        ++results;
        if (writer.has_value()) {
          writer->Row(s, &out);
        } else {
          rows.push_back(std::move(s));
        }
      }
      for (const v1::RdfTriple& t : resp.triples().triples()) {
        ++results;
        if (graph_writer.has_value()) {
          (void)graph_writer->Write(
              rdf::Quad{rdf_proto::FromProto(t.subject()),
                        rdf_proto::FromProto(t.predicate()),
                        rdf_proto::FromProto(t.object()), std::nullopt});
        }
      }
      if (resp.part_case() == v1::QueryResponse::kBoolean)
        boolean = resp.boolean();
      if (resp.has_trailer()) trailer = resp.trailer();
      if (out.size() > (1 << 16)) flush();
    }
    const grpc::Status status = reader->Finish();
    if (!status.ok()) {
      flush();
      return ReportError(status, conn.server(), "Query");
    }
    if (f->explain) {
      std::printf("%s\n%s", trailer.plan().c_str(), trailer.profile().c_str());
      return kExitOk;
    }
    if (writer.has_value()) writer->End(&out);
    if (graph_writer.has_value()) graph_writer->Finish();
    if (boolean.has_value()) {
      if (format == "table" || format == "nt" || format == "ttl") {
        out += *boolean ? "true\n" : "false\n";
      } else {
        out += sparql::BooleanResult(*sparql::ResultsFormatNamed(format),
                                     *boolean);
      }
    }
    if (header.form() == v1::QUERY_FORM_SELECT && !writer.has_value()) {
      if (rows.empty()) {
        std::fprintf(stderr, "kgctl: no solutions\n");
      } else {
        PrintTable(std::vector<std::string>(header.variables().begin(),
                                            header.variables().end()),
                   rows);
      }
    } else if (results == 0 && !boolean.has_value() && !g.json) {
      std::fprintf(
          stderr, "kgctl: no %s\n",
          header.form() == v1::QUERY_FORM_SELECT ? "solutions" : "triples");
    }
    flush();
    if (f->profile) {
      // On stderr, so that stdout stays the answer in its format.
      std::fflush(stdout);
      std::fprintf(stderr, "%s%.3f ms in all\n", trailer.profile().c_str(),
                   trailer.elapsed_micros() / 1000.0);
    }
    if (trailer.truncated()) {
      std::fprintf(stderr,
                   "kgctl: the answer stops at %llu results (--max-results); "
                   "raise it or use 0 for all\n",
                   static_cast<unsigned long long>(trailer.results()));
    }
    return kExitOk;
  });
}

}  // namespace kg::client
