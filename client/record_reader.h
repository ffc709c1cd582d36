// The line reader for `kgctl import` of kg JSON Lines: it turns one line
// into a kg.v1 record or a per-line error (Item), with no connection. The
// Importer sends what it yields; fuzz/import_jsonl_fuzzer.cc drives it
// directly. (RDF files are read by rdf/ and mapped by rdf_mapping.h.)
//
//   std::vector<Item> items;
//   ReadJsonlLine(text, line_number, &items);  // for every line
//
// Thread-compatible.
#ifndef KG_CLIENT_RECORD_READER_H_
#define KG_CLIENT_RECORD_READER_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "kg/v1/kg.pb.h"

namespace kg::client {

// What a reader makes of a line: a record, or an error, each with the line
// it starts on.
struct Item {
  int64_t line = 0;
  std::optional<kg::v1::Record> record;
  std::string error;  // set when record is not
};

// One line of kg JSON Lines (one kg.v1.Record in the protobuf JSON mapping;
// a trailing line break is ignored): appends its record, or the reason it
// is not one, to `out`. A blank line appends nothing.
void ReadJsonlLine(absl::string_view text, int64_t line,
                   std::vector<Item>* out);

}  // namespace kg::client

#endif  // KG_CLIENT_RECORD_READER_H_
