#include "storage/coding.h"

#include <cstring>

namespace kg::storage {

void PutFixed32(std::string* dst, uint32_t value) {
  char buf[4];
  for (int i = 3; i >= 0; --i) {
    buf[i] = static_cast<char>(value & 0xff);
    value >>= 8;
  }
  dst->append(buf, 4);
}

void PutFixed64(std::string* dst, uint64_t value) {
  char buf[8];
  for (int i = 7; i >= 0; --i) {
    buf[i] = static_cast<char>(value & 0xff);
    value >>= 8;
  }
  dst->append(buf, 8);
}

void PutSigned64(std::string* dst, int64_t value) {
  PutFixed64(dst, static_cast<uint64_t>(value) ^ (uint64_t{1} << 63));
}

void PutDouble(std::string* dst, double value) {
  uint64_t bits;
  std::memcpy(&bits, &value, sizeof bits);
  PutFixed64(dst, bits);
}

void PutVarint32(std::string* dst, uint32_t value) {
  while (value >= 0x80) {
    dst->push_back(static_cast<char>((value & 0x7f) | 0x80));
    value >>= 7;
  }
  dst->push_back(static_cast<char>(value));
}

void PutVarint64(std::string* dst, uint64_t value) {
  while (value >= 0x80) {
    dst->push_back(static_cast<char>((value & 0x7f) | 0x80));
    value >>= 7;
  }
  dst->push_back(static_cast<char>(value));
}

void PutLengthPrefixed(std::string* dst, absl::string_view value) {
  PutVarint32(dst, static_cast<uint32_t>(value.size()));
  dst->append(value.data(), value.size());
}

uint64_t DecodeFixed64(const char* in) {
  uint64_t value = 0;
  for (int i = 0; i < 8; ++i) {
    value = (value << 8) | static_cast<uint8_t>(in[i]);
  }
  return value;
}

bool GetFixed32(absl::string_view* in, uint32_t* value) {
  if (in->size() < 4) return false;
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v = (v << 8) | static_cast<uint8_t>((*in)[i]);
  *value = v;
  in->remove_prefix(4);
  return true;
}

bool GetFixed64(absl::string_view* in, uint64_t* value) {
  if (in->size() < 8) return false;
  *value = DecodeFixed64(in->data());
  in->remove_prefix(8);
  return true;
}

bool GetSigned64(absl::string_view* in, int64_t* value) {
  uint64_t bits;
  if (!GetFixed64(in, &bits)) return false;
  *value = static_cast<int64_t>(bits ^ (uint64_t{1} << 63));
  return true;
}

bool GetDouble(absl::string_view* in, double* value) {
  uint64_t bits;
  if (!GetFixed64(in, &bits)) return false;
  std::memcpy(value, &bits, sizeof bits);
  return true;
}

namespace {

// A little-endian base-128 varint of at most `bits` bits; false when it is
// truncated, longer, or its last byte holds bits beyond them.
template <typename T>
bool GetVarint(absl::string_view* in, T* value) {
  constexpr int kBits = sizeof(T) * 8;
  T result = 0;
  for (int shift = 0; shift < kBits && !in->empty(); shift += 7) {
    const uint8_t byte = static_cast<uint8_t>(in->front());
    in->remove_prefix(1);
    const T payload = byte & 0x7f;
    if (kBits - shift < 7 && (payload >> (kBits - shift)) != 0) return false;
    result |= payload << shift;
    if ((byte & 0x80) == 0) {
      *value = result;
      return true;
    }
  }
  return false;
}

}  // namespace

bool GetVarint32(absl::string_view* in, uint32_t* value) {
  return GetVarint(in, value);
}

bool GetVarint64(absl::string_view* in, uint64_t* value) {
  return GetVarint(in, value);
}

bool GetLengthPrefixed(absl::string_view* in, absl::string_view* value) {
  uint32_t len;
  if (!GetVarint32(in, &len) || in->size() < len) return false;
  *value = in->substr(0, len);
  in->remove_prefix(len);
  return true;
}

bool GetByte(absl::string_view* in, uint8_t* value) {
  if (in->empty()) return false;
  *value = static_cast<uint8_t>(in->front());
  in->remove_prefix(1);
  return true;
}

std::string PrefixSuccessor(absl::string_view prefix) {
  std::string s(prefix);
  while (!s.empty()) {
    auto& last = reinterpret_cast<unsigned char&>(s.back());
    if (last != 0xff) {
      ++last;
      return s;
    }
    s.pop_back();
  }
  return s;
}

}  // namespace kg::storage
