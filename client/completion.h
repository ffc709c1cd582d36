// Bash completion for kgctl, generated from the command tree so that it
// always matches: `source <(kgctl completion bash)`.
#ifndef KG_CLIENT_COMPLETION_H_
#define KG_CLIENT_COMPLETION_H_

#include <string>

#include "CLI/CLI.hpp"

namespace kg::client {

// A bash script defining _kgctl and registering it for kgctl. It completes
// command names, option names, the values of choice options, and file
// names for file arguments.
std::string BashCompletion(const CLI::App& app);

}  // namespace kg::client

#endif  // KG_CLIENT_COMPLETION_H_
