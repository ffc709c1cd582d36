#include "storage/sha256.h"

#include <openssl/evp.h>

#include <cstdlib>
#include <memory>

namespace kg::storage {
namespace {

struct ContextDeleter {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};

}  // namespace

std::array<unsigned char, 32> Sha256(absl::string_view bytes) {
  // Fetched explicitly: EVP_sha256() would be fetched again at each init.
  static EVP_MD* const kSha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  thread_local const std::unique_ptr<EVP_MD_CTX, ContextDeleter> ctx(
      EVP_MD_CTX_new());
  std::array<unsigned char, 32> digest;
  unsigned int size = 0;
  // Each step fails only when OpenSSL cannot allocate: no id can be made.
  if (kSha256 == nullptr || ctx == nullptr ||
      EVP_DigestInit_ex(ctx.get(), kSha256, nullptr) != 1 ||
      EVP_DigestUpdate(ctx.get(), bytes.data(), bytes.size()) != 1 ||
      EVP_DigestFinal_ex(ctx.get(), digest.data(), &size) != 1 ||
      size != digest.size()) {
    std::abort();
  }
  return digest;
}

}  // namespace kg::storage
