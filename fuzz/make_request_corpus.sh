#!/usr/bin/env bash
# Rebuilds fuzz/corpus/request/ from fuzz/request_seeds/: each file
# <Rpc>.<name>.txtpb (a kg.v1.<Rpc>Request in protobuf text format) becomes
# corpus/request/<Rpc>.<name>: the rpc's selector byte (its index in kRpcs
# in request_fuzzer.cc) followed by the encoded request.
set -euo pipefail
cd "$(dirname "$0")"

# The order of kRpcs in request_fuzzer.cc. DO NOT REORDER; append.
RPCS=(WriteStatements CreateEntity UpdateEntity CreateRelation CreateDocument
      RetractProvenance MatchStatements CountStatements GetStatement
      ListStatements FindPaths GetNeighborhood Why ListByDocument
      ListByClaimant ListContested GetClaimTimeline ExportProvenance
      SearchEntities ResolveEntity GetEntity ListEntities GetRelation
      GetDocument ListDocuments Query)

out=corpus/request
mkdir -p "$out"
rm -f "$out"/*
for src in request_seeds/*.txtpb; do
  base=$(basename "$src" .txtpb)
  rpc=${base%%.*}
  index=-1
  for i in "${!RPCS[@]}"; do
    [ "${RPCS[$i]}" = "$rpc" ] && index=$i
  done
  if [ "$index" -lt 0 ]; then
    echo "make_request_corpus: $src: unknown rpc $rpc" >&2
    exit 1
  fi
  {
    printf "\\x$(printf %02x "$index")"
    grep -v '^#' "$src" | protoc -I ../proto --encode="kg.v1.${rpc}Request" \
      kg/v1/kg.proto
  } >"$out/$base"
done
echo "make_request_corpus: $(ls "$out" | wc -l) inputs in fuzz/$out" >&2
