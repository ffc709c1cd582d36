#include "client/completion.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "client/cli.h"

namespace kg::client {

namespace {

struct Node {
  std::string path;  // "entity add"
  std::vector<std::string> subcommands;
  std::vector<std::string> options;  // long names
  std::vector<std::string> value_options;
  std::vector<std::pair<std::string, std::vector<std::string>>> choices;
  bool files = false;  // positional file arguments
};

void Walk(const CLI::App* app, const std::string& path,
          std::vector<Node>* out) {
  Node node;
  node.path = path;
  for (const CLI::App* sub :
       app->get_subcommands([](const CLI::App*) { return true; })) {
    node.subcommands.push_back(sub->get_name());
  }
  for (const CLI::Option* opt : app->get_options()) {
    if (opt->get_positional()) {
      if (opt->get_name() == "FILE" || opt->get_name() == "DIR") {
        node.files = true;
      }
      continue;
    }
    for (const std::string& l : opt->get_lnames()) {
      const std::string name = absl::StrCat("--", l);
      node.options.push_back(name);
      if (opt->get_type_size() != 0) node.value_options.push_back(name);
      if (const auto* choices = ChoicesOf(opt)) {
        node.choices.emplace_back(name, *choices);
      }
    }
  }
  out->push_back(node);
  for (const CLI::App* sub :
       app->get_subcommands([](const CLI::App*) { return true; })) {
    Walk(sub,
         path.empty() ? sub->get_name()
                      : absl::StrCat(path, " ", sub->get_name()),
         out);
  }
}

}  // namespace

std::string BashCompletion(const CLI::App& app) {
  std::vector<Node> nodes;
  Walk(&app, "", &nodes);
  std::string subs, opts, values, choices, files;
  for (const Node& n : nodes) {
    const std::string key = absl::StrCat("\"", n.path, "\")");
    absl::StrAppend(&subs, "    ", key, " echo \"",
                    absl::StrJoin(n.subcommands, " "), "\" ;;\n");
    absl::StrAppend(&opts, "    ", key, " echo \"",
                    absl::StrJoin(n.options, " "), "\" ;;\n");
    if (!n.value_options.empty()) {
      absl::StrAppend(&values, "    ", key, " echo \"",
                      absl::StrJoin(n.value_options, " "), "\" ;;\n");
    }
    for (const auto& [opt, list] : n.choices) {
      absl::StrAppend(&choices, "    \"", n.path, " ", opt, "\") echo \"",
                      absl::StrJoin(list, " "), "\" ;;\n");
    }
    if (n.files) absl::StrAppend(&files, "    ", key, " return 0 ;;\n");
  }
  return absl::StrCat(
      R"SH(# bash completion for kgctl. Load it with
#   source <(kgctl completion bash)
# or install it as /etc/bash_completion.d/kgctl.

_kgctl_subcommands() {
  case "$1" in
)SH",
      subs, R"SH(    *) echo "" ;;
  esac
}

_kgctl_options() {
  case "$1" in
)SH",
      opts, R"SH(    *) echo "" ;;
  esac
}

_kgctl_value_options() {
  case "$1" in
)SH",
      values, R"SH(    *) echo "" ;;
  esac
}

_kgctl_choices() {
  case "$1" in
)SH",
      choices, R"SH(    *) return 1 ;;
  esac
}

_kgctl_takes_files() {
  case "$1" in
)SH",
      files, R"SH(    *) return 1 ;;
  esac
}

_kgctl() {
  local cur prev path i w subs values
  cur=${COMP_WORDS[COMP_CWORD]}
  prev=${COMP_WORDS[COMP_CWORD-1]}
  path=""
  # Walk the words before the cursor to find the command path, skipping
  # options and their values.
  for ((i = 1; i < COMP_CWORD; i++)); do
    w=${COMP_WORDS[i]}
    case "$w" in
      --*=*) continue ;;
      -*)
        values=" $(_kgctl_value_options "$path") $(_kgctl_value_options "") "
        if [[ $values == *" $w "* ]]; then ((i++)); fi
        continue ;;
    esac
    subs=" $(_kgctl_subcommands "$path") "
    if [[ $subs == *" $w "* ]]; then
      path=${path:+$path }$w
    fi
  done
  local choices
  if choices=$(_kgctl_choices "$path $prev"); then
    COMPREPLY=($(compgen -W "$choices" -- "$cur"))
    return 0
  fi
  case "$prev" in
    --output|--text-file)
      COMPREPLY=($(compgen -f -- "$cur"))
      return 0 ;;
  esac
  values=" $(_kgctl_value_options "$path") $(_kgctl_value_options "") "
  if [[ $values == *" $prev "* ]]; then
    COMPREPLY=()
    return 0
  fi
  if [[ $cur == -* ]]; then
    COMPREPLY=($(compgen -W "$(_kgctl_options "$path") $(_kgctl_options "")" -- "$cur"))
    return 0
  fi
  subs=$(_kgctl_subcommands "$path")
  if [[ -n $subs ]]; then
    COMPREPLY=($(compgen -W "$subs" -- "$cur"))
    return 0
  fi
  if _kgctl_takes_files "$path"; then
    COMPREPLY=($(compgen -f -- "$cur"))
  fi
  return 0
}

complete -o default -F _kgctl kgctl
)SH");
}

}  // namespace kg::client
