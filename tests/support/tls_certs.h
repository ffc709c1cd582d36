// Throwaway TLS material for tests, made with the openssl command line: a
// CA, a server certificate for 127.0.0.1 and localhost signed by it, a
// client certificate signed by it, and a second, unrelated CA with its own
// client certificate. EC P-256 keys, valid for two days.
//
//   const TlsFiles& tls = TestTls();   // made once per process
//   options.security.tls_cert_file = tls.server_cert;
#ifndef KG_TESTS_SUPPORT_TLS_CERTS_H_
#define KG_TESTS_SUPPORT_TLS_CERTS_H_

#include <string>

namespace kg::testing {

struct TlsFiles {
  std::string ca_cert;
  std::string server_cert;
  std::string server_key;
  std::string client_cert;
  std::string client_key;
  // Not trusted by the server or its clients.
  std::string other_ca_cert;
  std::string other_client_cert;
  std::string other_client_key;
};

// Makes the files under a temporary directory on first use; aborts the
// test binary with the openssl output when that fails.
const TlsFiles& TestTls();

// SHA-256 of `text` as 64 lowercase hex digits (what a tokens file holds).
std::string Sha256Hex(const std::string& text);

}  // namespace kg::testing

#endif  // KG_TESTS_SUPPORT_TLS_CERTS_H_
