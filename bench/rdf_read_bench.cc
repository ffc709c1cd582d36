// rdf_read_bench: how fast rdf::Read reads an N-Triples (or N-Quads,
// Turtle, TriG: by extension) file on one core, in triples per second.
//
//   bench/make_wordnet_nt.py --out=/tmp/wordnet.nt
//   build/bench/rdf_read_bench /tmp/wordnet.nt [runs]
//
// The file is read into memory first; each run parses the whole buffer and
// counts the quads (the callback does nothing else). Prints every run and
// the best. KG_RDF_BENCH_FILE names the file when no argument does.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>

#include "absl/status/status.h"
#include "rdf/format.h"

int main(int argc, char** argv) {
  const char* path = argc > 1 ? argv[1] : std::getenv("KG_RDF_BENCH_FILE");
  if (path == nullptr) {
    std::fprintf(stderr, "usage: rdf_read_bench FILE [runs]\n");
    return 2;
  }
  const int runs = argc > 2 ? std::atoi(argv[2]) : 5;
  const auto format = kg::rdf::FormatFromPath(path);
  if (!format.has_value()) {
    std::fprintf(stderr, "rdf_read_bench: unknown extension: %s\n", path);
    return 2;
  }
  std::ifstream in(path, std::ios::binary);
  const std::string data((std::istreambuf_iterator<char>(in)),
                         std::istreambuf_iterator<char>());
  if (!in.good() && !in.eof()) {
    std::fprintf(stderr, "rdf_read_bench: cannot read %s\n", path);
    return 1;
  }
  double best = 0;
  for (int run = 0; run < runs; ++run) {
    int64_t quads = 0;
    const auto start = std::chrono::steady_clock::now();
    const absl::Status s = kg::rdf::Read(
        *format, data, {}, [&](const kg::rdf::Quad&, const kg::rdf::Position&) {
          ++quads;
          return absl::OkStatus();
        });
    const double secs =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
            .count();
    if (!s.ok()) {
      std::fprintf(stderr, "rdf_read_bench: %s\n", s.ToString().c_str());
      return 1;
    }
    const double rate = quads / secs;
    if (rate > best) best = rate;
    std::printf("run %d: %lld quads in %.3f s: %.0f quads/s, %.1f MB/s\n", run,
                static_cast<long long>(quads), secs, rate,
                data.size() / secs / 1e6);
  }
  std::printf("best: %.0f quads/s (%s, %s)\n", best,
              std::string(kg::rdf::FormatName(*format)).c_str(), path);
  return 0;
}
