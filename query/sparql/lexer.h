// Internal to query/sparql/: the SPARQL 1.2 tokenizer the parser reads
// (query/sparql/parser.cc). It follows the grammar's terminals (SPARQL 1.1
// section 19.8, with RDF 1.2's LANG_DIR and the `<<(`, `)>>`, `{|`, `|}`,
// `~` of SPARQL 1.2). Codepoint escapes (\uXXXX, \UXXXXXXXX) are decoded
// in IRIs and strings only, once, as SPARQL 1.2 says.
#ifndef KG_QUERY_SPARQL_LEXER_H_
#define KG_QUERY_SPARQL_LEXER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace kg::sparql {

struct Token {
  enum class Kind : uint8_t {
    kIri,         // text: the IRI as written, escapes decoded (unresolved)
    kPrefixName,  // text: prefix, local: local part (escapes decoded); a
                  // PNAME_NS has `local` empty and `pname_ns` true
    kBlankLabel,  // text: the label after "_:"
    kVariable,    // text: the name after '?' or '$'
    kLangTag,     // text: the tag after '@' ("en", "en--ltr")
    kInteger,     // text: the digits as written
    kDecimal,
    kDouble,
    kString,  // text: the value, escapes decoded
    kNil,     // ( )
    kAnon,    // [ ]
    kWord,    // text: a keyword or function name as written
    kPunct,   // text: one of { } ( ) [ ] . , ; * / | ^ ? + - ! = != <
              // > <= >= && || ^^ << >> <<( )>> {| |} ~
    kEnd,
  };
  Kind kind = Kind::kEnd;
  std::string text;
  std::string local;
  bool pname_ns = false;
  bool long_string = false;  // kString: written with ''' or """
  int line = 1;
  int column = 1;  // 1-based, in code points
};

// The query's tokens, ending with one kEnd. An error is INVALID_ARGUMENT
// "line L, column C: what".
absl::StatusOr<std::vector<Token>> Tokenize(absl::string_view text);

}  // namespace kg::sparql

#endif  // KG_QUERY_SPARQL_LEXER_H_
