// CheckTlsMaterial: the server's certificate, key and client CA checked as
// gRPC will use them, at start-up. gRPC itself only finds a bad pair when
// it binds the port, and reports it as a failure to listen; kg-server
// checks first, before it opens the data directory, and names the file.
//
//   KG_RETURN_IF_ERROR(CheckTlsMaterial(
//       {"tls_cert_file", cert_path, cert_pem},
//       {"tls_key_file", key_path, key_pem}, /*client_ca=*/nullptr));
#ifndef KG_SERVER_TLS_H_
#define KG_SERVER_TLS_H_

#include <string>

#include "absl/status/status.h"

namespace kg::server {

// A PEM file named by a flag, and its contents.
struct TlsFile {
  std::string flag;  // without "--": "tls_cert_file"
  std::string path;
  std::string pem;
};

// OK when `cert` holds a certificate (the first of a chain), `key` holds a
// private key that is that certificate's, and `client_ca`, when not null,
// holds a certificate. Otherwise INVALID_ARGUMENT naming the flag and the
// file: "--tls_key_file: /etc/kg/server.key is not the private key of the
// certificate in /etc/kg/server.pem". Thread-safe.
absl::Status CheckTlsMaterial(const TlsFile& cert, const TlsFile& key,
                              const TlsFile* client_ca);

}  // namespace kg::server

#endif  // KG_SERVER_TLS_H_
