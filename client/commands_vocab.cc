// entity, relation and document commands.
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "client/commands.h"
#include "client/format.h"
#include "google/protobuf/util/time_util.h"

namespace kg::client {

namespace {

void PrintEntity(const kg::v1::Entity& e, const Globals& g) {
  if (g.json) {
    PrintJson(e);
    return;
  }
  std::fputs(Fields({{"id", e.id()},
                     {"label", e.label()},
                     {"type", e.type()},
                     {"aliases", absl::StrJoin(e.aliases(), ", ")}},
                    TerminalWidth())
                 .c_str(),
             stdout);
}

// Prints entities as JSON lines, or adds them to `table`.
void EmitEntities(
    const google::protobuf::RepeatedPtrField<kg::v1::Entity>& entities,
    const Globals& g, Table* table) {
  for (const auto& e : entities) {
    if (g.json) {
      PrintJson(e);
    } else {
      table->AddRow(
          {e.id(), e.label(), e.type(), absl::StrJoin(e.aliases(), ", ")});
    }
  }
}

Table EntityTable() { return Table({"ID", "LABEL", "TYPE", "ALIASES"}); }

void PrintTable(const Table& table, const Globals& g) {
  if (!g.json) std::fputs(table.Render(TerminalWidth()).c_str(), stdout);
}

struct EntityFlags {
  std::string id;
  std::string label;
  std::string type;
  std::vector<std::string> aliases;
  bool shared_names = false;
};

absl::Status CheckEntity(const EntityFlags& f) {
  absl::Status s = CheckUtf8("--label", f.label);
  for (const auto& a : f.aliases) {
    if (s.ok()) s = CheckUtf8("--alias", a);
  }
  return s;
}

kg::v1::Entity ToEntity(const EntityFlags& f) {
  kg::v1::Entity e;
  e.set_id(f.id);
  e.set_label(f.label);
  e.set_type(f.type);
  for (const auto& a : f.aliases) e.add_aliases(a);
  return e;
}

const char kSharedNameHelp[] =
    "let the label or an alias also name another entity (else refused: a "
    "lookup by that name would be ambiguous)";

// `entity add`: CreateEntity.
void AddEntityAddCommand(Cli& cli, CLI::App* entity) {
  auto f = std::make_shared<EntityFlags>();
  CLI::App* cmd = AddCommand(
      entity, "add",
      "create an entity (ALREADY_EXISTS naming what differs if the id is "
      "taken; an identical one is left as it is)",
      "  kgctl entity add wagner_group --label \"Wagner Group\" "
      "--type Organization --alias Wagner\n");
  cmd->add_option("ID", f->id, "entity id: [a-z0-9_], like north_korea")
      ->required();
  cmd->add_option("--label", f->label, "display name")->required();
  cmd->add_option("--type", f->type, "type: Country, Organization, Person, ...")
      ->required();
  cmd->add_option("--alias", f->aliases, "another name (repeatable)");
  cmd->add_flag("--shared-name", f->shared_names, kSharedNameHelp);
  cli.BindWrite(cmd, [f](Connection& conn, const Globals& g) {
    if (absl::Status s = CheckEntity(*f); !s.ok()) {
      return Fail(kExitUsage, s.message());
    }
    kg::v1::CreateEntityRequest req;
    *req.mutable_entity() = ToEntity(*f);
    req.set_shared_names(f->shared_names);
    kg::v1::Entity resp;
    auto ctx = conn.Context();
    grpc::Status status = conn.kg().CreateEntity(ctx.get(), req, &resp);
    if (!status.ok()) return ReportError(status, conn.server());
    Connection::ReportWritten(*ctx);
    PrintEntity(resp, g);
    return kExitOk;
  });
}

// `entity update`: UpdateEntity, either an edit of some names or, with
// --replace, the whole entity.
void AddEntityUpdateCommand(Cli& cli, CLI::App* entity) {
  struct Flags {
    EntityFlags entity;
    std::vector<std::string> add_aliases;
    std::vector<std::string> remove_aliases;
    bool replace = false;
  };
  auto f = std::make_shared<Flags>();
  CLI::App* cmd = AddCommand(
      entity, "update",
      "change an entity's label, type or aliases; what is not given stays "
      "(every version is kept: entity history)",
      "  kgctl entity update nis --add-alias \"South Korean intelligence\"\n"
      "  kgctl entity update nis --remove-alias NIS\n"
      "  kgctl entity update nis --label \"National Intelligence Service\"\n"
      "  kgctl entity update nis --replace --label NIS --type Organization "
      "--alias \"Korean NIS\"\n");
  cmd->add_option("ID", f->entity.id, "entity id")->required();
  cmd->add_option("--label", f->entity.label, "new display name");
  cmd->add_option("--type", f->entity.type, "new type");
  cmd->add_option("--add-alias", f->add_aliases, "add a name (repeatable)");
  cmd->add_option("--remove-alias", f->remove_aliases,
                  "remove a name (repeatable)");
  cmd->add_flag("--replace", f->replace,
                "replace the whole entity: --label, --type and every alias "
                "(--alias, repeatable; none given removes them all)");
  cmd->add_option("--alias", f->entity.aliases,
                  "with --replace: the aliases it will have (repeatable)");
  cmd->add_flag("--shared-name", f->entity.shared_names, kSharedNameHelp);
  cli.BindWrite(cmd, [f](Connection& conn, const Globals& g) {
    if (absl::Status s = CheckEntity(f->entity); !s.ok()) {
      return Fail(kExitUsage, s.message());
    }
    for (const auto& a : f->add_aliases) {
      if (absl::Status s = CheckUtf8("--add-alias", a); !s.ok()) {
        return Fail(kExitUsage, s.message());
      }
    }
    kg::v1::UpdateEntityRequest req;
    req.set_shared_names(f->entity.shared_names);
    if (f->replace) {
      if (!f->add_aliases.empty() || !f->remove_aliases.empty()) {
        return Fail(kExitUsage,
                    "--replace gives the whole entity: use --alias for its "
                    "aliases, not --add-alias or --remove-alias");
      }
      if (f->entity.label.empty() || f->entity.type.empty()) {
        return Fail(kExitUsage,
                    "--replace needs --label and --type (the whole entity)");
      }
      *req.mutable_entity() = ToEntity(f->entity);
    } else {
      if (!f->entity.aliases.empty()) {
        return Fail(kExitUsage,
                    "--alias replaces every alias: add --replace (with "
                    "--label and --type), or use --add-alias / "
                    "--remove-alias to change some");
      }
      if (f->entity.label.empty() && f->entity.type.empty() &&
          f->add_aliases.empty() && f->remove_aliases.empty()) {
        return Fail(kExitUsage,
                    "nothing to change: give --label, --type, --add-alias or "
                    "--remove-alias");
      }
      req.set_id(f->entity.id);
      if (!f->entity.label.empty()) req.set_label(f->entity.label);
      if (!f->entity.type.empty()) req.set_type(f->entity.type);
      for (const auto& a : f->add_aliases) req.add_add_aliases(a);
      for (const auto& a : f->remove_aliases) req.add_remove_aliases(a);
    }
    kg::v1::Entity resp;
    auto ctx = conn.Context();
    grpc::Status status = conn.kg().UpdateEntity(ctx.get(), req, &resp);
    if (!status.ok()) return ReportError(status, conn.server());
    Connection::ReportWritten(*ctx);
    PrintEntity(resp, g);
    return kExitOk;
  });
}

std::string StateName(kg::v1::EntityVersion::State s) {
  switch (s) {
    case kg::v1::EntityVersion::STATE_LIVE:
      return "live";
    case kg::v1::EntityVersion::STATE_MERGED:
      return "merged";
    case kg::v1::EntityVersion::STATE_DELETED:
      return "deleted";
    default:
      return "?";
  }
}

// `entity merge`, `entity delete` and `entity history`.
void AddEntityLifeCommands(Cli& cli, CLI::App* entity) {
  {
    struct Flags {
      std::string from, into;
    };
    auto f = std::make_shared<Flags>();
    CLI::App* cmd = AddCommand(
        entity, "merge",
        "merge FROM into INTO: FROM's statements and provenance move to INTO, "
        "its names become INTO's aliases, its id resolves to INTO (time "
        "travel to before the merge sees them apart)",
        "  kgctl entity merge dprk north_korea\n");
    cmd->add_option("FROM", f->from, "the entity that goes: id, label or alias")
        ->required();
    cmd->add_option("INTO", f->into,
                    "the entity that stays: id, label or alias")
        ->required();
    cli.BindWrite(cmd, [f](Connection& conn, const Globals& g) {
      kg::v1::MergeEntitiesRequest req;
      req.set_from(f->from);
      req.set_into(f->into);
      kg::v1::MergeEntitiesResponse resp;
      auto ctx = conn.Context();
      grpc::Status status = conn.kg().MergeEntities(ctx.get(), req, &resp);
      if (!status.ok()) return ReportError(status, conn.server());
      Connection::ReportWritten(*ctx);
      if (g.json) {
        PrintJson(resp);
        return kExitOk;
      }
      std::printf(
          "merged %s into %s (%s): %llu statements and %llu "
          "provenance records moved\n",
          resp.merged_id().c_str(), resp.entity().id().c_str(),
          resp.entity().label().c_str(),
          static_cast<unsigned long long>(resp.statements_moved()),
          static_cast<unsigned long long>(resp.provenance_moved()));
      PrintEntity(resp.entity(), g);
      return kExitOk;
    });
  }
  {
    auto name = std::make_shared<std::string>();
    CLI::App* cmd = AddCommand(
        entity, "delete",
        "delete an entity no statement uses (its history stays: time travel "
        "to before sees it)",
        "  kgctl entity delete wagner_group\n");
    cmd->add_option("NAME", *name, "id, label or alias")->required();
    cli.BindWrite(cmd, [name](Connection& conn, const Globals& g) {
      kg::v1::DeleteEntityRequest req;
      req.set_name(*name);
      kg::v1::Entity resp;
      auto ctx = conn.Context();
      grpc::Status status = conn.kg().DeleteEntity(ctx.get(), req, &resp);
      if (!status.ok()) return ReportError(status, conn.server());
      Connection::ReportWritten(*ctx);
      if (g.json) {
        PrintJson(resp);
      } else {
        std::printf("deleted %s (%s)\n", resp.id().c_str(),
                    resp.label().c_str());
      }
      return kExitOk;
    });
  }
  {
    auto name = std::make_shared<std::string>();
    CLI::App* cmd = AddCommand(
        entity, "history",
        "every version of an entity, oldest first: its names, and when it "
        "was merged or deleted",
        "  kgctl entity history nis\n");
    cmd->add_option("NAME", *name,
                    "id (also of a merged or deleted entity), label or alias")
        ->required();
    cli.Bind(cmd, [name](Connection& conn, const Globals& g) {
      kg::v1::GetEntityHistoryRequest req;
      req.set_name(*name);
      kg::v1::GetEntityHistoryResponse resp;
      auto ctx = conn.Context();
      grpc::Status status = conn.kg().GetEntityHistory(ctx.get(), req, &resp);
      if (!status.ok()) return ReportError(status, conn.server());
      Table table({"SINCE", "STATE", "LABEL", "TYPE", "ALIASES"});
      for (const auto& v : resp.versions()) {
        if (g.json) {
          PrintJson(v);
          continue;
        }
        std::string state = StateName(v.state());
        if (!v.merged_into().empty()) {
          absl::StrAppend(&state, " into ", v.merged_into());
        }
        table.AddRow(
            {v.has_since()
                 ? google::protobuf::util::TimeUtil::ToString(v.since())
                 : "-",
             state, v.entity().label(), v.entity().type(),
             absl::StrJoin(v.entity().aliases(), ", ")});
      }
      PrintTable(table, g);
      return kExitOk;
    });
  }
}

void AddEntityCommands(Cli& cli) {
  CLI::App* entity = AddCommand(&cli.app(), "entity",
                                "entities: add, update, get, resolve, search, "
                                "list");
  entity->require_subcommand(1);

  AddEntityAddCommand(cli, entity);
  AddEntityUpdateCommand(cli, entity);
  AddEntityLifeCommands(cli, entity);
  {
    auto name = std::make_shared<std::string>();
    CLI::App* cmd =
        AddCommand(entity, "get",
                   "one entity by id, label or alias (a name matching several "
                   "is an error listing them)",
                   "  kgctl entity get north_korea\n"
                   "  kgctl entity get \"North Korea\"\n"
                   "  kgctl entity get DPRK --json\n");
    cmd->add_option("NAME", *name, "id, label or alias")->required();
    auto as_of = std::make_shared<std::string>();
    cmd->add_option("--as-of-recorded", *as_of,
                    "the entity's names at this RFC 3339 time (entity "
                    "history lists the versions)");
    cli.Bind(cmd, [name, as_of](Connection& conn, const Globals& g) {
      kg::v1::GetEntityRequest req;
      req.set_name(*name);
      if (!as_of->empty()) {
        AsOfFlags flags;
        flags.recorded = *as_of;
        if (absl::Status s = FillAsOf(flags, req.mutable_as_of()); !s.ok()) {
          return Fail(kExitUsage, s.message());
        }
      }
      kg::v1::Entity resp;
      auto ctx = conn.Context();
      grpc::Status status = conn.kg().GetEntity(ctx.get(), req, &resp);
      if (!status.ok()) return ReportError(status, conn.server());
      PrintEntity(resp, g);
      return kExitOk;
    });
  }
  {
    auto name = std::make_shared<std::string>();
    CLI::App* cmd = AddCommand(
        entity, "resolve",
        "every entity a name matches (id, label or alias, ignoring case)",
        "  kgctl entity resolve korea\n");
    cmd->add_option("NAME", *name, "id, label or alias")->required();
    cli.Bind(cmd, [name](Connection& conn, const Globals& g) {
      kg::v1::ResolveEntityRequest req;
      req.set_name(*name);
      kg::v1::ResolveEntityResponse resp;
      auto ctx = conn.Context();
      grpc::Status status = conn.kg().ResolveEntity(ctx.get(), req, &resp);
      if (!status.ok()) return ReportError(status, conn.server());
      Table table = EntityTable();
      EmitEntities(resp.candidates(), g, &table);
      PrintTable(table, g);
      return kExitOk;
    });
  }
  {
    struct Flags {
      std::string prefix;
      PageFlags page;
    };
    auto f = std::make_shared<Flags>();
    CLI::App* cmd = AddCommand(
        entity, "search",
        "entities with a name (id, label or alias) starting with a prefix",
        "  kgctl entity search north\n"
        "  kgctl entity search \"\" --all --json\n");
    cmd->add_option("PREFIX", f->prefix, "start of a name, ignoring case")
        ->required();
    AddPageFlags(cmd, &f->page);
    cli.Bind(cmd, [f](Connection& conn, const Globals& g) {
      Table table = EntityTable();
      grpc::Status status = ForEachPage(
          f->page, [&](const std::string& token, std::string* next) {
            kg::v1::SearchEntitiesRequest req;
            req.set_prefix(f->prefix);
            req.set_page_size(f->page.limit);
            req.set_page_token(token);
            kg::v1::SearchEntitiesResponse resp;
            auto ctx = conn.Context();
            grpc::Status s = conn.kg().SearchEntities(ctx.get(), req, &resp);
            if (!s.ok()) return s;
            EmitEntities(resp.entities(), g, &table);
            *next = resp.next_page_token();
            return s;
          });
      if (table.rows() > 0) PrintTable(table, g);
      if (!status.ok()) return ReportError(status, conn.server());
      if (table.rows() == 0) {
        SayNothing(g.json, absl::StrCat("no entity has a name starting with '",
                                        f->prefix, "'"));
      }
      return kExitOk;
    });
  }
  {
    auto page = std::make_shared<PageFlags>();
    CLI::App* cmd = AddCommand(entity, "list", "entities ordered by id",
                               "  kgctl entity list --all\n"
                               "  kgctl entity list --limit 10 --json\n");
    AddPageFlags(cmd, page.get());
    cli.Bind(cmd, [page](Connection& conn, const Globals& g) {
      Table table = EntityTable();
      grpc::Status status =
          ForEachPage(*page, [&](const std::string& token, std::string* next) {
            kg::v1::ListEntitiesRequest req;
            req.set_page_size(page->limit);
            req.set_page_token(token);
            kg::v1::ListEntitiesResponse resp;
            auto ctx = conn.Context();
            grpc::Status s = conn.kg().ListEntities(ctx.get(), req, &resp);
            if (!s.ok()) return s;
            EmitEntities(resp.entities(), g, &table);
            *next = resp.next_page_token();
            return s;
          });
      PrintTable(table, g);
      if (!status.ok()) return ReportError(status, conn.server());
      return kExitOk;
    });
  }
}

void PrintRelation(const kg::v1::Relation& r, const Globals& g) {
  if (g.json) {
    PrintJson(r);
    return;
  }
  std::fputs(Fields({{"id", r.id()},
                     {"label", r.label()},
                     {"polarity", PolarityName(r.polarity())},
                     {"symmetric", r.symmetric() ? "yes" : "no"}},
                    TerminalWidth())
                 .c_str(),
             stdout);
}

void AddRelationCommands(Cli& cli) {
  CLI::App* relation = AddCommand(&cli.app(), "relation",
                                  "the relation vocabulary: add, get, list");
  relation->require_subcommand(1);
  {
    struct Flags {
      std::string id;
      std::string label;
      bool symmetric = false;
      std::string polarity = "none";
      bool replace = false;
    };
    auto f = std::make_shared<Flags>();
    CLI::App* cmd = AddCommand(
        relation, "add",
        "create a relation (ALREADY_EXISTS naming what differs if the id is "
        "taken; --replace replaces it)",
        "  kgctl relation add allied_with --label \"allied with\" "
        "--symmetric\n"
        "  kgctl relation add disputed --label disputed --polarity opposes\n");
    cmd->add_option("ID", f->id, "relation id: [a-z0-9_]")->required();
    cmd->add_option("--label", f->label, "display text")->required();
    cmd->add_flag("--symmetric", f->symmetric,
                  "(a r b) implies (b r a); paths walk it both ways");
    AddChoice(cmd, "--polarity", &f->polarity, {"none", "supports", "opposes"},
              "claim polarity: a claim relation supports or opposes the "
              "statement it quotes")
        ->capture_default_str();
    cmd->add_flag("--replace", f->replace,
                  "replace the relation with this id; its polarity and "
                  "symmetry can change only while no statement uses it");
    cli.BindWrite(cmd, [f](Connection& conn, const Globals& g) {
      if (absl::Status s = CheckUtf8("--label", f->label); !s.ok()) {
        return Fail(kExitUsage, s.message());
      }
      kg::v1::CreateRelationRequest req;
      req.set_replace(f->replace);
      kg::v1::Relation* r = req.mutable_relation();
      r->set_id(f->id);
      r->set_label(f->label);
      r->set_symmetric(f->symmetric);
      r->set_polarity(f->polarity == "supports"  ? kg::v1::POLARITY_SUPPORTS
                      : f->polarity == "opposes" ? kg::v1::POLARITY_OPPOSES
                                                 : kg::v1::POLARITY_NONE);
      kg::v1::Relation resp;
      auto ctx = conn.Context();
      grpc::Status status = conn.kg().CreateRelation(ctx.get(), req, &resp);
      if (!status.ok()) return ReportError(status, conn.server());
      Connection::ReportWritten(*ctx);
      PrintRelation(resp, g);
      return kExitOk;
    });
  }
  {
    auto id = std::make_shared<std::string>();
    CLI::App* cmd = AddCommand(relation, "get", "one relation by id",
                               "  kgctl relation get denied\n");
    cmd->add_option("ID", *id, "relation id")->required();
    cli.Bind(cmd, [id](Connection& conn, const Globals& g) {
      kg::v1::GetRelationRequest req;
      req.set_id(*id);
      kg::v1::Relation resp;
      auto ctx = conn.Context();
      grpc::Status status = conn.kg().GetRelation(ctx.get(), req, &resp);
      if (!status.ok()) return ReportError(status, conn.server());
      PrintRelation(resp, g);
      return kExitOk;
    });
  }
  {
    CLI::App* cmd =
        AddCommand(relation, "list", "the whole vocabulary, ordered by id",
                   "  kgctl relation list\n"
                   "  kgctl relation list --json\n");
    cli.Bind(cmd, [](Connection& conn, const Globals& g) {
      kg::v1::ListRelationsRequest req;
      kg::v1::ListRelationsResponse resp;
      auto ctx = conn.Context();
      grpc::Status status = conn.kg().ListRelations(ctx.get(), req, &resp);
      if (!status.ok()) return ReportError(status, conn.server());
      Table table({"ID", "POLARITY", "SYMMETRIC", "LABEL"});
      for (const auto& r : resp.relations()) {
        if (g.json) {
          PrintJson(r);
        } else {
          table.AddRow({r.id(), PolarityName(r.polarity()),
                        r.symmetric() ? "yes" : "no", r.label()});
        }
      }
      PrintTable(table, g);
      return kExitOk;
    });
  }
}

// Reads a whole file, or stdin for "-".
absl::Status ReadAll(const std::string& path, std::string* out) {
  std::stringstream ss;
  if (path == "-") {
    ss << std::cin.rdbuf();
  } else {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
      return absl::NotFoundError(absl::StrCat("cannot open ", path));
    }
    ss << in.rdbuf();
  }
  *out = ss.str();
  return absl::OkStatus();
}

void AddDocumentCommands(Cli& cli) {
  CLI::App* document =
      AddCommand(&cli.app(), "document", "source documents: add, get, list");
  document->require_subcommand(1);
  {
    struct Flags {
      std::string id;
      std::string title;
      std::string publisher;
      std::string published;
      std::string text_file;
    };
    auto f = std::make_shared<Flags>();
    CLI::App* cmd = AddCommand(
        document, "add",
        "store a document and its full text (the text never changes once "
        "stored)",
        "  kgctl document add yonhap_20241018 --title \"N. Korea sends "
        "troops\" \\\n"
        "      --publisher Yonhap --published 2024-10-18 --text-file "
        "article.txt\n"
        "  curl -s https://example.org/a.txt | kgctl document add a1 --title "
        "A --text-file -\n");
    cmd->add_option("ID", f->id, "document id: [a-z0-9_]")->required();
    cmd->add_option("--title", f->title, "title")->required();
    cmd->add_option("--publisher", f->publisher, "publisher");
    cmd->add_option("--published", f->published,
                    "publication date: YYYY, YYYY-MM or YYYY-MM-DD");
    cmd->add_option("--text-file", f->text_file,
                    "file with the full UTF-8 text; - reads stdin")
        ->required();
    cli.BindWrite(cmd, [f](Connection& conn, const Globals& g) {
      kg::v1::CreateDocumentRequest req;
      kg::v1::Document* d = req.mutable_document();
      if (absl::Status s = ReadAll(f->text_file, d->mutable_text()); !s.ok()) {
        return Fail(kExitInvalid, s.message());
      }
      for (const auto& [what, text] :
           {std::pair<const char*, const std::string*>{"--title", &f->title},
            {"--publisher", &f->publisher},
            {"--text-file", &d->text()}}) {
        if (absl::Status s = CheckUtf8(what, *text); !s.ok()) {
          return Fail(kExitInvalid, s.message());
        }
      }
      d->set_id(f->id);
      d->set_title(f->title);
      d->set_publisher(f->publisher);
      d->set_published(f->published);
      kg::v1::Document resp;
      auto ctx = conn.Context();
      grpc::Status status = conn.kg().CreateDocument(ctx.get(), req, &resp);
      if (!status.ok()) return ReportError(status, conn.server());
      Connection::ReportWritten(*ctx);
      if (g.json) {
        PrintJson(resp);
      } else {
        std::fputs(Fields({{"id", resp.id()},
                           {"title", resp.title()},
                           {"publisher", resp.publisher()},
                           {"published", resp.published()},
                           {"length", absl::StrCat(CodePoints(d->text()),
                                                   " characters")}},
                          TerminalWidth())
                       .c_str(),
                   stdout);
      }
      return kExitOk;
    });
  }
  {
    struct Flags {
      std::string id;
      bool text = false;
    };
    auto f = std::make_shared<Flags>();
    CLI::App* cmd = AddCommand(document, "get", "one document's metadata",
                               "  kgctl document get seed_article\n"
                               "  kgctl document get seed_article --text\n");
    cmd->add_option("ID", f->id, "document id")->required();
    cmd->add_flag("--text", f->text, "also print the full text");
    cli.Bind(cmd, [f](Connection& conn, const Globals& g) {
      kg::v1::GetDocumentRequest req;
      req.set_id(f->id);
      req.set_include_text(f->text);
      kg::v1::Document resp;
      auto ctx = conn.Context();
      grpc::Status status = conn.kg().GetDocument(ctx.get(), req, &resp);
      if (!status.ok()) return ReportError(status, conn.server());
      if (g.json) {
        PrintJson(resp);
        return kExitOk;
      }
      std::vector<std::pair<std::string, std::string>> kv = {
          {"id", resp.id()},
          {"title", resp.title()},
          {"publisher", resp.publisher()},
          {"published", resp.published()}};
      if (f->text) {
        kv.emplace_back("length",
                        absl::StrCat(CodePoints(resp.text()), " characters"));
      }
      std::fputs(Fields(kv, TerminalWidth()).c_str(), stdout);
      if (f->text) {
        std::printf("\n%s", resp.text().c_str());
        if (!resp.text().empty() && resp.text().back() != '\n') {
          std::printf("\n");
        }
      }
      return kExitOk;
    });
  }
  {
    auto page = std::make_shared<PageFlags>();
    CLI::App* cmd = AddCommand(document, "list", "documents ordered by id",
                               "  kgctl document list --all\n");
    AddPageFlags(cmd, page.get());
    cli.Bind(cmd, [page](Connection& conn, const Globals& g) {
      Table table({"ID", "PUBLISHED", "PUBLISHER", "TITLE"});
      grpc::Status status =
          ForEachPage(*page, [&](const std::string& token, std::string* next) {
            kg::v1::ListDocumentsRequest req;
            req.set_page_size(page->limit);
            req.set_page_token(token);
            kg::v1::ListDocumentsResponse resp;
            auto ctx = conn.Context();
            grpc::Status s = conn.kg().ListDocuments(ctx.get(), req, &resp);
            if (!s.ok()) return s;
            for (const auto& d : resp.documents()) {
              if (g.json) {
                PrintJson(d);
              } else {
                table.AddRow({d.id(), d.published(), d.publisher(), d.title()});
              }
            }
            *next = resp.next_page_token();
            return s;
          });
      PrintTable(table, g);
      if (!status.ok()) return ReportError(status, conn.server());
      return kExitOk;
    });
  }
}

}  // namespace

absl::Status CheckUtf8(absl::string_view what, absl::string_view text) {
  size_t bad = 0;
  if (IsValidUtf8(text, &bad)) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat(what, ": not valid UTF-8 (byte ", bad + 1, ")"));
}

void AddVocabularyCommands(Cli& cli) {
  AddEntityCommands(cli);
  AddRelationCommands(cli);
  AddDocumentCommands(cli);
}

}  // namespace kg::client
