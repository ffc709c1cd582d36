// Format names and the dispatch of rdf::Read and rdf::Writer to the
// N-Triples family (rdf/ntriples.cc) or the Turtle family (rdf/turtle.h).
#include "rdf/format.h"

#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/string_view.h"
#include "rdf/ntriples.h"
#include "rdf/turtle.h"

namespace kg::rdf {

std::optional<Format> FormatFromName(absl::string_view name) {
  const std::string n = absl::AsciiStrToLower(name);
  if (n == "nt" || n == "ntriples" || n == "n-triples")
    return Format::kNTriples;
  if (n == "nq" || n == "nquads" || n == "n-quads") return Format::kNQuads;
  if (n == "ttl" || n == "turtle") return Format::kTurtle;
  if (n == "trig") return Format::kTriG;
  return std::nullopt;
}

std::optional<Format> FormatFromPath(absl::string_view path) {
  const size_t slash = path.find_last_of('/');
  if (slash != absl::string_view::npos) path.remove_prefix(slash + 1);
  const size_t dot = path.rfind('.');
  if (dot == absl::string_view::npos) return std::nullopt;
  const std::string ext = absl::AsciiStrToLower(path.substr(dot + 1));
  if (ext == "nt") return Format::kNTriples;
  if (ext == "nq") return Format::kNQuads;
  if (ext == "ttl") return Format::kTurtle;
  if (ext == "trig") return Format::kTriG;
  return std::nullopt;
}

absl::string_view FormatName(Format format) {
  switch (format) {
    case Format::kNTriples:
      return "N-Triples";
    case Format::kNQuads:
      return "N-Quads";
    case Format::kTurtle:
      return "Turtle";
    case Format::kTriG:
      return "TriG";
  }
  return "unknown";
}

bool HasGraphs(Format format) {
  return format == Format::kNQuads || format == Format::kTriG;
}

absl::Status Read(Format format, absl::string_view input,
                  const ReadOptions& options, const QuadCallback& on_quad,
                  const SkipCallback& on_skipped) {
  switch (format) {
    case Format::kNTriples:
    case Format::kNQuads:
      return ReadNTriples(format == Format::kNQuads, input, options, on_quad,
                          on_skipped);
    case Format::kTurtle:
    case Format::kTriG:
      return ReadTurtle(format == Format::kTriG, input, options, on_quad);
  }
  return absl::InvalidArgumentError("unknown format");
}

struct Writer::State {
  std::unique_ptr<QuadWriter> impl;
};

Writer::Writer(Format format, std::string* out, WriteOptions options)
    : state_(std::make_unique<State>()) {
  switch (format) {
    case Format::kNTriples:
    case Format::kNQuads:
      state_->impl = NewNTriplesWriter(format == Format::kNQuads, out);
      break;
    case Format::kTurtle:
    case Format::kTriG:
      state_->impl =
          NewTurtleWriter(format == Format::kTriG, out, std::move(options));
      break;
  }
}

Writer::~Writer() = default;

absl::Status Writer::Write(const Quad& quad) {
  return state_->impl->Write(quad);
}

void Writer::Finish() { state_->impl->Finish(); }

}  // namespace kg::rdf
