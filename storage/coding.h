// Byte encodings for RocksDB keys and values, in leveldb's util/coding.h
// shape: PutX(std::string* dst, ...) appends; GetX(absl::string_view* in, T*)
// parses, advances `in`, and returns false on short or malformed input.
//
// Fixed-width integers are big-endian so that bytewise order is numeric
// order. Signed integers are stored with the sign bit flipped, so that
// negative numbers sort before positive ones.
#ifndef KG_STORAGE_CODING_H_
#define KG_STORAGE_CODING_H_

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"

namespace kg::storage {

void PutFixed32(std::string* dst, uint32_t value);
void PutFixed64(std::string* dst, uint64_t value);
void PutSigned64(std::string* dst, int64_t value);
void PutDouble(std::string* dst, double value);
// A varint32 length followed by the bytes.
void PutLengthPrefixed(std::string* dst, absl::string_view value);
void PutVarint32(std::string* dst, uint32_t value);
void PutVarint64(std::string* dst, uint64_t value);

bool GetFixed32(absl::string_view* in, uint32_t* value);
bool GetFixed64(absl::string_view* in, uint64_t* value);
bool GetSigned64(absl::string_view* in, int64_t* value);
bool GetDouble(absl::string_view* in, double* value);
bool GetVarint32(absl::string_view* in, uint32_t* value);
bool GetVarint64(absl::string_view* in, uint64_t* value);
// `value` points into the input's bytes.
bool GetLengthPrefixed(absl::string_view* in, absl::string_view* value);
bool GetByte(absl::string_view* in, uint8_t* value);

// Decodes a fixed64 at the start of `in` without advancing; `in` must hold at
// least 8 bytes.
uint64_t DecodeFixed64(const char* in);

// The smallest string greater than every string that starts with `prefix`,
// or "" if there is none (prefix is all 0xff). Used as iterate_upper_bound.
std::string PrefixSuccessor(absl::string_view prefix);

}  // namespace kg::storage

#endif  // KG_STORAGE_CODING_H_
