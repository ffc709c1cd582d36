// SHA-256 of a stream of bytes fed in pieces (a file sent in chunks), with
// OpenSSL's EVP interface. Header-only; link OpenSSL::Crypto.
#ifndef KG_COMMON_SHA256_STREAM_H_
#define KG_COMMON_SHA256_STREAM_H_

#include <openssl/evp.h>

#include <memory>
#include <string>

#include "absl/strings/string_view.h"

namespace kg {

class Sha256Stream {
 public:
  Sha256Stream() : ctx_(EVP_MD_CTX_new()) {
    EVP_DigestInit_ex(ctx_.get(), EVP_sha256(), nullptr);
  }

  void Update(absl::string_view bytes) {
    EVP_DigestUpdate(ctx_.get(), bytes.data(), bytes.size());
  }

  // The 32 bytes of the digest of everything fed so far; ends the stream.
  std::string Finish() {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int size = 0;
    EVP_DigestFinal_ex(ctx_.get(), digest, &size);
    return std::string(reinterpret_cast<const char*>(digest), size);
  }

 private:
  struct Free {
    void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
  };
  std::unique_ptr<EVP_MD_CTX, Free> ctx_;
};

}  // namespace kg

#endif  // KG_COMMON_SHA256_STREAM_H_
