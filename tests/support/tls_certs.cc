#include "tests/support/tls_certs.h"

#include <openssl/sha.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/support/process.h"

namespace kg::testing {

namespace {

void Run(const std::string& dir, const std::string& command) {
  const std::string log = absl::StrCat(dir, "/openssl.log");
  const std::string line = absl::StrCat(command, " >", log, " 2>&1");
  if (std::system(line.c_str()) != 0) {
    std::fprintf(stderr, "test TLS: `%s` failed:\n%s\n", command.c_str(),
                 ReadFile(log).c_str());
    std::abort();
  }
}

// A key and a certificate signed by `ca` (self-signed when ca is "").
void MakeCert(const std::string& dir, const std::string& name,
              const std::string& subject, const std::string& ca,
              const std::string& extensions) {
  const std::string key = absl::StrCat(dir, "/", name, ".key");
  const std::string cert = absl::StrCat(dir, "/", name, ".pem");
  if (ca.empty()) {
    Run(dir, absl::StrCat("openssl req -x509 -newkey ec -pkeyopt "
                          "ec_paramgen_curve:prime256v1 "
                          "-nodes -days 2 -subj ",
                          subject, " -keyout ", key, " -out ", cert));
    return;
  }
  const std::string csr = absl::StrCat(dir, "/", name, ".csr");
  const std::string ext = absl::StrCat(dir, "/", name, ".ext");
  std::ofstream(ext) << extensions << "\n";
  Run(dir,
      absl::StrCat(
          "openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "
          "-subj ",
          subject, " -keyout ", key, " -out ", csr));
  Run(dir, absl::StrCat("openssl x509 -req -days 2 -in ", csr, " -CA ", dir,
                        "/", ca, ".pem -CAkey ", dir, "/", ca,
                        ".key -CAcreateserial -extfile ", ext, " -out ", cert));
}

// The directory of this process's files, removed when the process exits.
const std::string& TlsDir() {
  static const std::string* dir = new std::string(
      absl::StrCat(::testing::TempDir(), "/kg-test-tls-", ::getpid()));
  return *dir;
}

TlsFiles Make() {
  const std::string& dir = TlsDir();
  std::filesystem::create_directories(dir);
  std::atexit([] {
    std::error_code ignored;
    std::filesystem::remove_all(TlsDir(), ignored);
  });
  MakeCert(dir, "ca", "/CN=kg-test-ca", "", "");
  MakeCert(dir, "server", "/CN=localhost", "ca",
           "subjectAltName=DNS:localhost,IP:127.0.0.1\n"
           "extendedKeyUsage=serverAuth");
  MakeCert(dir, "client", "/CN=kg-test-client", "ca",
           "extendedKeyUsage=clientAuth");
  MakeCert(dir, "other-ca", "/CN=kg-test-other-ca", "", "");
  MakeCert(dir, "other-client", "/CN=kg-test-intruder", "other-ca",
           "extendedKeyUsage=clientAuth");
  auto path = [&](const char* file) { return absl::StrCat(dir, "/", file); };
  return TlsFiles{path("ca.pem"),           path("server.pem"),
                  path("server.key"),       path("client.pem"),
                  path("client.key"),       path("other-ca.pem"),
                  path("other-client.pem"), path("other-client.key")};
}

}  // namespace

const TlsFiles& TestTls() {
  static const TlsFiles* files = new TlsFiles(Make());
  return *files;
}

std::string Sha256Hex(const std::string& text) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(),
         digest);
  std::string hex;
  for (unsigned char b : digest)
    absl::StrAppend(&hex, absl::Hex(b, absl::kZeroPad2));
  return hex;
}

}  // namespace kg::testing
