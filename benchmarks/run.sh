#!/usr/bin/env bash
# Every start-up and restore figure in one run, each section as medians of interleaved rounds with its ratio:
#   1. verification in-process: crypto floor vs fresh verifier (unseen certificate) vs shared verifier (cached);
#   2. cold start of the installed tool: sigstore-js vs framework-dependent vs Native AOT, --version vs a bare AOT app;
#   3. restore verification of 50 and 200 signed packages: off / cold / up to date / cache hit, for the task closure
#      as IL and as ReadyToRun (the package's default), interleaved in the same rounds;
#   4. dotnet pack of a 10-project solution: unsigned / signed / incremental, SigstoreBuild packed as ReadyToRun and IL.
# Usage: benchmarks/run.sh [--quick] [--only N[,N...]]    (--quick: fewer rounds, for checking the script itself)
# Takes 20-30 minutes on 2 cores (the Native AOT pack alone takes minutes); keep the machine otherwise idle.
# Needs the .NET SDK, clang or gcc (Native AOT), Node.js (sigstore-js) and python3. Output also goes to
# ${TMPDIR:-/tmp}/sigstorebuild-bench/report.md.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
quick=false
only="1,2,3,4"
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) quick=true; shift ;;
    --only) only=$2; shift 2 ;;
    *) echo "usage: $0 [--quick] [--only N[,N...]]" >&2; exit 2 ;;
  esac
done
if $quick; then verify_rounds=10 cold_rounds=5 restore_rounds=2 pack_rounds=2; else verify_rounds=60 cold_rounds=21 restore_rounds=7 pack_rounds=5; fi
out="${TMPDIR:-/tmp}/sigstorebuild-bench"
mkdir -p "$out"
report="$out/report.md"
want() { [[ ",$only," == *",$1,"* ]]; }
section() { printf '\n## %s\n\n' "$1" | tee -a "$report"; echo "benchmarks: $1" >&2; }

{
  echo "# SigstoreBuild start-up and restore benchmarks"
  echo
  echo "$(date -u +%Y-%m-%dT%H:%MZ), commit $(git -C "$repo" rev-parse --short HEAD)$(git -C "$repo" diff --quiet || echo ' (modified)'), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
} | tee "$report"

if want 1; then
  section "1. Verification in-process (us per verification; Fresh = unseen certificate, Shared = cached)"
  dotnet run -c Release --project "$repo/benchmarks/SigstoreBuild.Benchmarks" -- --interleaved "$verify_rounds" 2>&1 | tee -a "$report"
fi

if want 2; then
  section "2. Cold start of the installed sigstore tool"
  "$repo/benchmarks/cold-start.sh" -n "$cold_rounds" 2>&1 | tee -a "$report"
fi

if want 3; then
  # The ReadyToRun closure is what the package ships (dotnet pack publishes it into obj/); the IL one is the plain build.
  echo "benchmarks: packing src/SigstoreBuild.Tasks for its ReadyToRun task closure" >&2
  dotnet pack "$repo/src/SigstoreBuild.Tasks" -c Release -o "$out/tasks-feed" -nologo -v:q >"$out/tasks-pack.log" 2>&1 \
    || { cat "$out/tasks-pack.log"; exit 1; }
  tasks="$repo/src/SigstoreBuild.Tasks"
  variants="il=$tasks/bin/Release/net10.0 r2r=$tasks/obj/Release/net10.0/readytorun"
  for n in 50 200; do
    section "3. Restore verification, $n packages (ms; +wall = median minus verification off)"
    SSB_TASKS_VARIANTS="$variants" "$repo/benchmarks/restore/run.sh" "$n" "$restore_rounds" embedded 2>&1 | tee -a "$report"
  done
  section "3b. Restore verification, 200 packages, sidecar bundles (ReadyToRun)"
  SSB_TASKS_VARIANTS="r2r=$tasks/obj/Release/net10.0/readytorun" "$repo/benchmarks/restore/run.sh" 200 "$restore_rounds" sidecar 2>&1 | tee -a "$report"
fi

if want 4; then
  section "4. dotnet pack, 10 projects (ms)"
  SSB_PACK_VARIANTS="r2r= il=-p:SigstoreReadyToRunRuntime=" "$repo/benchmarks/pack/run.sh" 10 "$pack_rounds" 2>&1 | tee -a "$report"
fi

echo >&2
echo "benchmarks: report in $report" >&2
