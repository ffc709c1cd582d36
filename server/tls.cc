#include "server/tls.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <memory>

#include "absl/strings/str_cat.h"

namespace kg::server {

namespace {

struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
struct PkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};

std::unique_ptr<BIO, BioFree> Bio(const std::string& pem) {
  return std::unique_ptr<BIO, BioFree>(
      BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
}

// The first certificate in `file`, or null.
std::unique_ptr<X509, X509Free> FirstCertificate(const TlsFile& file) {
  auto bio = Bio(file.pem);
  if (bio == nullptr) return nullptr;
  return std::unique_ptr<X509, X509Free>(
      PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
}

absl::Status Refused(const TlsFile& file, absl::string_view what) {
  // OpenSSL queues why it failed; the message says it in our words.
  ERR_clear_error();
  return absl::InvalidArgumentError(
      absl::StrCat("--", file.flag, ": ", file.path, " ", what));
}

}  // namespace

absl::Status CheckTlsMaterial(const TlsFile& cert, const TlsFile& key,
                              const TlsFile* client_ca) {
  std::unique_ptr<X509, X509Free> certificate = FirstCertificate(cert);
  if (certificate == nullptr) return Refused(cert, "holds no PEM certificate");
  auto bio = Bio(key.pem);
  std::unique_ptr<EVP_PKEY, PkeyFree> private_key(
      bio == nullptr
          ? nullptr
          : PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  if (private_key == nullptr) {
    return Refused(key, "holds no PEM private key (or one with a passphrase)");
  }
  if (X509_check_private_key(certificate.get(), private_key.get()) != 1) {
    return Refused(key, absl::StrCat("is not the private key of the "
                                     "certificate in ",
                                     cert.path));
  }
  if (client_ca != nullptr && FirstCertificate(*client_ca) == nullptr) {
    return Refused(*client_ca, "holds no PEM certificate");
  }
  return absl::OkStatus();
}

}  // namespace kg::server
