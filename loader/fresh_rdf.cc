#include "loader/fresh_rdf.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <deque>
#include <functional>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "client/format.h"
#include "client/importer.h"
#include "client/rdf_mapping.h"
#include "kg/v1/kg.pb.h"

namespace kg::loader {

namespace {

// A file mapped for reading; empty when it is empty.
class MappedFile {
 public:
  ~MappedFile() {
    if (data_ != nullptr) munmap(data_, size_);
  }
  absl::Status Open(const std::string& path) {
    const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return absl::NotFoundError(absl::StrCat("cannot open ", path));
    struct stat st {};
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
      close(fd);
      return absl::InvalidArgumentError(
          absl::StrCat(path, " is not a regular file"));
    }
    size_ = static_cast<size_t>(st.st_size);
    if (size_ > 0) {
      void* m = mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd, 0);
      if (m == MAP_FAILED) {
        close(fd);
        return absl::UnavailableError(absl::StrCat("cannot map ", path));
      }
      data_ = m;
      madvise(data_, size_, MADV_SEQUENTIAL);
    }
    close(fd);
    return absl::OkStatus();
  }
  absl::string_view text() const {
    return absl::string_view(static_cast<const char*>(data_), size_);
  }
  // Gives back the memory of the whole pages in `piece`, a part of text()
  // that is read no more (mapped, they count in the process's RSS until
  // unmapped: the whole file, by the end).
  void Release(absl::string_view piece) {
    const auto page = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
    const auto begin = reinterpret_cast<uintptr_t>(piece.data());
    const uintptr_t first = (begin + page - 1) / page * page;
    const uintptr_t last = (begin + piece.size()) / page * page;
    if (first < last) {
      madvise(reinterpret_cast<void*>(first), last - first, MADV_DONTNEED);
    }
  }

 private:
  void* data_ = nullptr;
  size_t size_ = 0;
};

// Runs task(i) for i in [0, n) on up to `threads` threads (this one too).
void RunParallel(size_t n, int threads,
                 const std::function<void(size_t)>& task) {
  std::atomic<size_t> next{0};
  const auto work = [&] {
    for (size_t i; (i = next.fetch_add(1)) < n;) task(i);
  };
  std::vector<std::thread> helpers;
  for (int t = 1; t < threads && static_cast<size_t>(t) < n; ++t) {
    try {
      helpers.emplace_back(work);
    } catch (const std::system_error&) {
      break;
    }
  }
  work();
  for (std::thread& h : helpers) h.join();
}

// `text` cut at line ends into pieces of about `size` bytes.
std::vector<absl::string_view> CutAtLines(absl::string_view text, size_t size) {
  std::vector<absl::string_view> out;
  while (!text.empty()) {
    size_t end = std::min(text.size(), size);
    if (end < text.size()) {
      const size_t nl = text.find('\n', end);
      end = nl == absl::string_view::npos ? text.size() : nl + 1;
    }
    out.push_back(text.substr(0, end));
    text.remove_prefix(end);
  }
  return out;
}

// The store's term for an RDF term, as kgctl import sends it
// (RdfImport::ToTerm, then the server's conversion); nullopt for a triple
// term, which the fast path does not take.
std::optional<storage::Term> StoreTerm(const rdf::Term& t) {
  switch (t.kind()) {
    case rdf::Term::Kind::kIri:
      return storage::Term::Iri(t.value());
    case rdf::Term::Kind::kBlank:
      return storage::Term::Blank(t.value());
    case rdf::Term::Kind::kLiteral: {
      std::string datatype;
      if (t.language().empty() && t.datatype() != rdf::kXsdString) {
        datatype = t.datatype();
      }
      storage::LiteralDirection direction = storage::LiteralDirection::kNone;
      if (t.direction() == rdf::Direction::kLtr) {
        direction = storage::LiteralDirection::kLtr;
      } else if (t.direction() == rdf::Direction::kRtl) {
        direction = storage::LiteralDirection::kRtl;
      }
      return storage::Term::RdfLiteral(t.value(), std::move(datatype),
                                       t.language(), direction);
    }
    case rdf::Term::Kind::kTriple:
      return std::nullopt;
  }
  return std::nullopt;
}

storage::Polarity StorePolarity(kg::v1::Polarity p) {
  switch (p) {
    case kg::v1::POLARITY_SUPPORTS:
      return storage::Polarity::kSupports;
    case kg::v1::POLARITY_OPPOSES:
      return storage::Polarity::kOpposes;
    default:
      return storage::Polarity::kNone;
  }
}

// One piece's reading: its data, keyed; its descriptions; its graphs.
struct ParsedChunk {
  explicit ParsedChunk(storage::FreshChunk c) : chunk(std::move(c)) {}
  storage::FreshChunk chunk;  // documents: the piece's own numbers
  // kg's descriptions: N-Triples and N-Quads as their lines' text (read
  // again, in order, on one thread; cheaper than keeping the quads),
  // Turtle and TriG as quads.
  std::string description_lines;
  std::deque<rdf::Quad> descriptions;  // no copies as it grows
  std::vector<std::string> documents;  // the piece's number -> document id
  uint64_t triples = 0;
  std::string declined;  // why not, when the piece cannot be taken
};

// What ParseChunk keeps: everything; kg's descriptions and the graphs'
// documents only (a load in parts reads those first, from the whole file);
// the data only, keyed.
enum class Reading { kAll, kDescriptions, kData };

void ParseChunk(rdf::Format format, absl::string_view text,
                const rdf::ReadOptions& read, const client::RdfImport& mapper,
                Reading reading, ParsedChunk* out) {
  absl::flat_hash_map<std::string, uint32_t> local;
  std::optional<rdf::Term> last_graph;
  uint32_t last_document = 0;
  bool have_last = false;
  // About a statement a line.
  if (reading != Reading::kDescriptions) {
    out->chunk.Reserve(
        static_cast<size_t>(std::count(text.begin(), text.end(), '\n')) + 1);
  }
  const bool line_based =
      format == rdf::Format::kNTriples || format == rdf::Format::kNQuads;
  // Where line `line` of `text` starts: the reader's lines only increase.
  int64_t line = 1, kept_line = 0;
  size_t line_start = 0;
  auto keep_line = [&](int64_t at) {
    for (; line < at; ++line) {
      const size_t nl = text.find('\n', line_start);
      line_start = nl == absl::string_view::npos ? text.size() : nl + 1;
    }
    if (at == kept_line) return;  // two descriptions on one line
    kept_line = at;
    const size_t nl = text.find('\n', line_start);
    const absl::string_view text_of_line = text.substr(
        line_start, nl == absl::string_view::npos ? absl::string_view::npos
                                                  : nl - line_start);
    out->description_lines.append(text_of_line.data(), text_of_line.size());
    out->description_lines.push_back('\n');
  };
  const absl::Status status = rdf::Read(
      format, text, read,
      [&](const rdf::Quad& q, const rdf::Position& at) -> absl::Status {
        ++out->triples;
        if (mapper.Describes(q)) {
          if (reading == Reading::kData) return absl::OkStatus();
          if (line_based) {
            keep_line(at.line);
          } else {
            out->descriptions.push_back(q);
          }
          return absl::OkStatus();
        }
        if (q.subject.kind() == rdf::Term::Kind::kTriple ||
            q.object.kind() == rdf::Term::Kind::kTriple) {
          return absl::CancelledError("the file has triple terms");
        }
        if (!have_last || !(q.graph == last_graph)) {
          const std::string id = mapper.DocumentId(q.graph);
          auto [it, fresh] = local.try_emplace(id, out->documents.size());
          if (fresh) out->documents.push_back(id);
          last_graph = q.graph;
          last_document = it->second;
          have_last = true;
        }
        if (reading == Reading::kDescriptions) return absl::OkStatus();
        return out->chunk.Add(*StoreTerm(q.subject), q.predicate.value(),
                              *StoreTerm(q.object), last_document);
      });
  if (status.ok()) return;
  // A syntax error's line is the piece's, not the file's: the import that
  // follows names it, as it does an invalid term. A load in parts, which
  // no import follows, says what it can.
  out->declined = absl::IsCancelled(status) || reading == Reading::kData
                      ? std::string(status.message())
                      : "the file has a line the reader or the store refuses";
}

// kg's descriptions in `parsed` (read in file order, as kgctl import reads
// them) into `load`'s entities, relations and documents, then each
// graph's data document in order of first use; `documents` gives each
// document id its place. Counts the triples read into `result`. Why the
// fast path declines, or empty.
std::string TakeVocabulary(
    const FreshRdfOptions& options, const rdf::ReadOptions& read,
    const std::vector<ParsedChunk>& parsed, client::RdfImport* mapper,
    storage::FreshLoad* load,
    absl::flat_hash_map<std::string, uint32_t>* documents,
    FreshRdfResult* result) {
  int64_t order = 0;
  const auto collect = [&](const rdf::Quad& q) {
    return mapper->Collect(q, ++order);  // a data quad is nothing to it
  };
  for (const ParsedChunk& chunk : parsed) {
    result->triples += chunk.triples;
    absl::Status s = rdf::Read(
        options.format, chunk.description_lines, read,
        [&](const rdf::Quad& q, const rdf::Position&) { return collect(q); });
    for (auto it = chunk.descriptions.begin();
         s.ok() && it != chunk.descriptions.end(); ++it) {
      s = collect(*it);
    }
    if (!s.ok()) return "a description of kg's is invalid";
  }
  if (mapper->DescribesStatements()) {
    return "the file has statement reifiers or provenance records";
  }
  const absl::Status finished = mapper->Finish(
      [&](kg::v1::Record record, int64_t) -> absl::Status {
        if (record.has_entity()) {
          const kg::v1::Entity& e = record.entity();
          load->entities.push_back(
              {e.id(), e.label(), e.type(),
               std::vector<std::string>(e.aliases().begin(),
                                        e.aliases().end())});
          return absl::OkStatus();
        }
        if (record.has_relation()) {
          const kg::v1::Relation& r = record.relation();
          load->relations.push_back(
              {r.id(), r.label(), r.symmetric(), StorePolarity(r.polarity())});
          return absl::OkStatus();
        }
        if (record.has_document()) {
          const kg::v1::Document& d = record.document();
          if (!d.text().empty()) {
            return absl::CancelledError("the file describes a text document");
          }
          storage::Document document;
          document.id = d.id();
          document.title = d.title();
          document.publisher = d.publisher();
          if (!d.published().empty()) {
            document.published = storage::ParseDate(d.published());
            if (!document.published) {
              return absl::CancelledError("a document's date is not a date");
            }
          }
          load->documents.push_back(std::move(document));
          return absl::OkStatus();
        }
        return absl::CancelledError("the file describes provenance records");
      },
      [](int64_t) { return false; });
  if (!finished.ok()) {
    // Its line numbers are the order of the descriptions, not the file's:
    // the import that follows names the line.
    return absl::IsCancelled(finished)
               ? std::string(finished.message())
               : "a description of kg's is incomplete or invalid";
  }
  // The described documents first, then each graph's data document in
  // order of use.
  for (size_t i = 0; i < load->documents.size(); ++i) {
    documents->try_emplace(load->documents[i].id, i);
  }
  for (const ParsedChunk& piece : parsed) {
    for (const std::string& id : piece.documents) {
      auto [it, fresh] = documents->try_emplace(id, load->documents.size());
      if (fresh) {
        storage::Document d;
        d.id = id;
        load->documents.push_back(std::move(d));
      }
    }
  }
  return std::string();
}

}  // namespace

std::string FreshRdfSummary(const FreshRdfResult& r) {
  using client::Thousands;
  std::string line = absl::StrCat(
      "loaded ", Thousands(r.triples), " triples (", Thousands(r.entities),
      " entities, ", Thousands(r.relations), " relations, ",
      Thousands(r.documents), " documents) in ",
      r.parts == 1 ? std::string("one fresh load")
                   : absl::StrCat("a fresh load of ", r.parts, " parts"),
      ": ", Thousands(r.write.statements_created), " statements created, ",
      Thousands(r.write.provenance_added), " provenance records added, ",
      Thousands(r.write.provenance_unchanged), " unchanged; read in ",
      absl::FormatDuration(absl::Trunc(r.parse, absl::Milliseconds(1))),
      ", written in ",
      absl::FormatDuration(absl::Trunc(r.load, absl::Milliseconds(1))));
  if (!r.default_document.empty()) {
    absl::StrAppend(&line, "; default graph: document ", r.default_document);
  }
  return line;
}

std::optional<FreshRdfResult> LoadRdfFresh(storage::Store& store,
                                           const FreshRdfOptions& options,
                                           std::string* why_not,
                                           absl::Status* failed) {
  auto decline = [&](std::string why) {
    *why_not = std::move(why);
    return std::nullopt;
  };
  {
    std::unique_ptr<storage::Reader> reader = store.NewReader();
    absl::StatusOr<storage::StoreStats> counts = reader->Counts();
    if (!counts.ok()) return decline(std::string(counts.status().message()));
    if (counts->terms > 0) return decline("the store is not empty");
  }
  if (options.path == "-") return decline("the input is stdin");
  MappedFile file;
  if (absl::Status s = file.Open(options.path); !s.ok()) {
    return decline(std::string(s.message()));
  }
  const int threads =
      options.threads > 0
          ? options.threads
          : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  const absl::Time start = absl::Now();
  FreshRdfResult result;
  result.default_document = options.document.empty()
                                ? client::SlugOfFile(options.path)
                                : options.document;
  const client::KgIris iris(store.base_iri());
  client::RdfImport mapper(iris, result.default_document);
  rdf::ReadOptions read;
  read.base =
      options.base.empty() ? client::FileUrl(options.path) : options.base;

  // Read: line-based formats in pieces on every core.
  const bool line_based = options.format == rdf::Format::kNTriples ||
                          options.format == rdf::Format::kNQuads;
  const std::vector<absl::string_view> pieces =
      line_based
          ? CutAtLines(file.text(), std::max<size_t>(options.piece_bytes, 1))
          : std::vector<absl::string_view>{file.text()};
  // The parts: runs of pieces of at most part_bytes (a piece at least).
  std::vector<size_t> part_starts = {0};
  if (options.part_bytes > 0) {
    size_t bytes = 0;
    for (size_t i = 0; i < pieces.size(); ++i) {
      if (bytes > 0 && bytes + pieces[i].size() > options.part_bytes) {
        part_starts.push_back(i);
        bytes = 0;
      }
      bytes += pieces[i].size();
    }
  }
  const bool in_parts = part_starts.size() > 1;
  std::string scope(16, '\0');
  absl::BitGen random;
  for (char& c : scope) c = static_cast<char>(absl::Uniform<uint8_t>(random));
  // Pieces [begin, end) read, each a chunk named by its place in the file.
  const auto parse = [&](size_t begin, size_t end, Reading reading) {
    std::vector<ParsedChunk> parsed;
    parsed.reserve(end - begin);
    for (size_t i = begin; i < end; ++i) {
      parsed.emplace_back(storage::FreshChunk(absl::StrCat("chunks[", i, "]"),
                                              store.base_iri(), scope));
    }
    RunParallel(end - begin, threads, [&](size_t k) {
      ParseChunk(options.format, pieces[begin + k], read, mapper, reading,
                 &parsed[k]);
      parsed[k].chunk.Seal();
      file.Release(pieces[begin + k]);  // what a chunk keeps, it copied
    });
    return parsed;
  };
  const auto declined = [](const std::vector<ParsedChunk>& parsed) {
    for (const ParsedChunk& chunk : parsed) {
      if (!chunk.declined.empty()) return chunk.declined;
    }
    return std::string();
  };

  // kg's descriptions and the graphs' documents: with the data, or, in
  // parts, from the whole file first.
  std::vector<ParsedChunk> parsed = parse(
      0, pieces.size(), in_parts ? Reading::kDescriptions : Reading::kAll);
  if (std::string why = declined(parsed); !why.empty()) return decline(why);
  storage::FreshLoad vocabulary;
  vocabulary.blank_scope = scope;
  absl::flat_hash_map<std::string, uint32_t> documents;
  if (std::string why = TakeVocabulary(options, read, parsed, &mapper,
                                       &vocabulary, &documents, &result);
      !why.empty()) {
    return decline(why);
  }
  // Each chunk's documents by their place in the load.
  const auto map_documents = [&](ParsedChunk& piece) {
    std::vector<uint32_t> to_load(piece.documents.size());
    for (size_t i = 0; i < piece.documents.size(); ++i) {
      to_load[i] = documents.at(piece.documents[i]);
    }
    piece.chunk.MapDocuments(std::move(to_load));
  };
  result.entities = vocabulary.entities.size();
  result.relations = vocabulary.relations.size();
  result.documents = vocabulary.documents.size();

  if (!in_parts) {
    storage::FreshLoad& load = vocabulary;  // and the data, all of it
    for (ParsedChunk& piece : parsed) {
      map_documents(piece);
      load.chunks.push_back(std::move(piece.chunk));
    }
    parsed.clear();
    result.parse = absl::Now() - start;
    if (options.progress) {
      std::fprintf(stderr, "kg-server: read %s triples in %s\n",
                   client::Thousands(result.triples).c_str(),
                   absl::FormatDuration(result.parse).c_str());
    }
    absl::StatusOr<storage::WriteResult> written =
        store.LoadFresh(std::move(load));
    if (!written.ok()) return decline(std::string(written.status().message()));
    result.write = *std::move(written);
    result.load = absl::Now() - start - result.parse;
    return result;
  }

  parsed.clear();
  result.parse = absl::Now() - start;
  result.parts = part_starts.size();
  for (size_t p = 0; p < part_starts.size(); ++p) {
    using Part = storage::FreshLoad::Part;
    const bool last = p + 1 == part_starts.size();
    const absl::Time part_start = absl::Now();
    std::vector<ParsedChunk> data =
        parse(part_starts[p], last ? pieces.size() : part_starts[p + 1],
              Reading::kData);
    const auto fail = [&](absl::Status status) {
      if (p > 0) {
        if (absl::Status abandoned = store.AbandonFreshLoad();
            !abandoned.ok()) {
          status = absl::Status(
              status.code(),
              absl::StrCat(status.message(),
                           "; rolling back the parts loaded failed too (the "
                           "next open does): ",
                           abandoned.message()));
        }
      }
      *failed = std::move(status);
      return std::nullopt;
    };
    for (size_t k = 0; k < data.size(); ++k) {
      if (data[k].declined.empty()) continue;
      const absl::string_view piece = pieces[part_starts[p] + k];
      return fail(absl::InvalidArgumentError(absl::StrCat(
          "the piece of the file from byte ", piece.data() - file.text().data(),
          ": ", data[k].declined)));
    }
    storage::FreshLoad load;
    load.entities = vocabulary.entities;
    load.relations = vocabulary.relations;
    load.documents = vocabulary.documents;
    load.blank_scope = scope;
    load.part = p == 0 ? Part::kFirst : last ? Part::kLast : Part::kNext;
    for (ParsedChunk& piece : data) {
      map_documents(piece);
      load.chunks.push_back(std::move(piece.chunk));
    }
    data.clear();
    const absl::Time load_start = absl::Now();
    result.parse += load_start - part_start;
    // A part that fails rolls back the parts before it.
    absl::StatusOr<storage::WriteResult> written =
        store.LoadFresh(std::move(load));
    if (!written.ok()) {
      *failed = written.status();
      return std::nullopt;
    }
    result.write.statements_created += written->statements_created;
    result.write.provenance_added += written->provenance_added;
    result.write.provenance_unchanged += written->provenance_unchanged;
    result.load += absl::Now() - load_start;
    if (options.progress) {
      std::fprintf(
          stderr, "kg-server: part %zu of %zu loaded, %s s in\n", p + 1,
          part_starts.size(),
          absl::StrFormat("%.1f", absl::ToDoubleSeconds(absl::Now() - start))
              .c_str());
    }
  }
  return result;
}

}  // namespace kg::loader
