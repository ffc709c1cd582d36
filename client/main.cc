// kgctl: the kg command-line client. It talks to kg-server only through the
// kg.v1 proto. `kgctl --help` lists the commands and exit codes;
// docs/cli.md describes them all.
#include "client/cli.h"
#include "client/commands.h"

int main(int argc, char** argv) {
  kg::client::Cli cli;
  kg::client::AddVocabularyCommands(cli);
  kg::client::AddStatementCommands(cli);
  kg::client::AddQueryCommands(cli);
  kg::client::AddSparqlCommands(cli);
  kg::client::AddOperationCommands(cli);
  return cli.Run(argc, argv);
}
