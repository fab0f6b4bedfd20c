#!/usr/bin/env bash
# Builds the fuzzing harness, instruments the project's assemblies, writes the seed corpora and runs afl-fuzz on the
# targets, at most --jobs at a time. Exits non-zero when any target saved a crash or a hang. See fuzz/README.md.
#
#   fuzz/run.sh --smoke                      every target for 20 s (what .ci/run calls)
#   fuzz/run.sh --minutes 20 bundle nupkg    two targets for 20 minutes each
#   fuzz/run.sh --list                       the targets
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
work=${SSB_FUZZ_WORK:-${TMPDIR:-/tmp}/sigstorebuild-fuzz}
conformance=${SSB_FUZZ_CONFORMANCE:-$repo/../shared/conformance}
seconds=20 jobs=2 timeout_ms=3000 targets=() list=0
while [ $# -gt 0 ]; do
  case "$1" in
    --smoke) seconds=20 ;;
    --seconds) seconds=$2; shift ;;
    --minutes) seconds=$(( $2 * 60 )); shift ;;
    --jobs) jobs=$2; shift ;;
    --timeout-ms) timeout_ms=$2; shift ;;
    --list) list=1 ;;
    -h|--help) sed -n '2,8p' "$0"; exit 0 ;;
    -*) echo "unknown option $1" >&2; exit 2 ;;
    *) targets+=("$1") ;;
  esac
  shift
done
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
started=$(date +%s)

# afl-fuzz from the distribution, the sharpfuzz instrumenter as a local dotnet tool (version pinned here).
if ! command -v afl-fuzz >/dev/null 2>&1; then
  command -v apt-get >/dev/null 2>&1 || { echo "afl-fuzz is missing and apt-get is not available; install AFL++" >&2; exit 1; }
  (export DEBIAN_FRONTEND=noninteractive; apt-get update -qq && apt-get install -y -qq --no-install-recommends afl++ >/dev/null)
fi
mkdir -p "$work"
if [ ! -x "$work/tools/sharpfuzz" ]; then
  dotnet tool install SharpFuzz.CommandLine --version 2.3.0 --tool-path "$work/tools" >/dev/null
fi

# A fresh publish each time: sharpfuzz refuses an assembly it already instrumented. plain/ stays uninstrumented, for the
# seeds command and for replaying findings outside afl-fuzz (instrumented code needs afl-fuzz's coverage map).
rm -rf "$work/bin" "$work/plain"
dotnet publish "$repo/fuzz/SigstoreBuild.Fuzz" -c Release -o "$work/plain" -nologo -v:q -tl:off >/dev/null
cp -r "$work/plain" "$work/bin"
harness=$work/plain/SigstoreBuild.Fuzz.dll
if [ "$list" -eq 1 ]; then dotnet "$harness" list; exit 0; fi
[ ${#targets[@]} -gt 0 ] || mapfile -t targets < <(dotnet "$harness" list | awk '{print $1}')
for assembly in SigstoreBuild.Core.dll SigstoreBuild.NuGet.dll SigstoreBuild.Containers.dll; do
  "$work/tools/sharpfuzz" "$work/bin/$assembly" >/dev/null
done

rm -rf "$work/seeds"
[ -d "$conformance" ] || { echo "warning: no conformance cases at $conformance; seeding from this project only" >&2; conformance=""; }
dotnet "$harness" seeds "$work/seeds" ${conformance:+--conformance "$conformance"} \
  --assets "$repo/fuzz/SigstoreBuild.Fuzz/obj/project.assets.json"

# The local instance's trusted root, so that the bundles it signed verify all the way (see FuzzTargets.ExtraTrustedRoots).
trust=()
[ -f "$work/seeds/local.trusted_root.json" ] && trust=(--trusted-root "$work/seeds/local.trusted_root.json")

export AFL_SKIP_BIN_CHECK=1 AFL_NO_UI=1 AFL_NO_AFFINITY=1 AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 \
  AFL_FAST_CAL=1 AFL_SUPPRESS_ERROR_CODE=1
mkdir -p "$work/logs" "$work/findings"
fuzz_one() {
  local target=$1 attempt
  # More attempts only when afl-fuzz gave up before fuzzing: on a loaded machine its dry run of the first seed has
  # found an empty coverage map ("No instrumentation detected") although the same seed is instrumented later.
  for attempt in 1 2 3 4; do
    rm -rf "$work/findings/$target"
    # Later attempts shuffle the seeds, so that the dry run starts from another one, and wait for the load to pass.
    if [ "$attempt" -ge 2 ]; then export AFL_SHUFFLE_QUEUE=1; sleep $(( attempt * 5 )); fi
    timeout $(( seconds + 300 )) afl-fuzz -i "$work/seeds/$target" -o "$work/findings/$target" -t "$timeout_ms" -m none -V "$seconds" \
      -- dotnet "$work/bin/SigstoreBuild.Fuzz.dll" fuzz "$target" "${trust[@]}" >"$work/logs/$target.log" 2>&1 \
      || echo "afl-fuzz for $target exited with $? (attempt $attempt; log: $work/logs/$target.log)" >&2
    [ -f "$work/findings/$target/default/fuzzer_stats" ] && return 0
  done
}
running=0
for target in "${targets[@]}"; do
  fuzz_one "$target" &
  running=$(( running + 1 ))
  if [ "$running" -ge "$jobs" ]; then wait -n || true; running=$(( running - 1 )); fi
done
wait

# One line per target from afl-fuzz's own statistics; every saved crash or hang is replayed to show what it is.
status=0
printf '%-15s %8s %10s %8s %8s %6s\n' target seconds execs/s corpus crashes hangs
for target in "${targets[@]}"; do
  stats=$work/findings/$target/default/fuzzer_stats
  if [ ! -f "$stats" ]; then
    printf '%-15s did not start (log: %s)\n' "$target" "$work/logs/$target.log"; status=1
    [ -z "${SSB_FUZZ_RESULTS:-}" ] || echo "failed $target" >>"$SSB_FUZZ_RESULTS"; continue
  fi
  stat() { awk -v k="$1" '$1 == k { print $3 }' "$stats"; }
  printf '%-15s %8s %10s %8s %8s %6s\n' "$target" "$(stat run_time)" "$(stat execs_per_sec)" "$(stat corpus_count)" "$(stat saved_crashes)" "$(stat saved_hangs)"
  verdict=passed
  if [ "$(stat saved_crashes)" != 0 ] || [ "$(stat saved_hangs)" != 0 ]; then status=1; verdict=failed; fi
  # SSB_FUZZ_RESULTS=FILE: a "passed|failed TARGET" line per target, for .ci/run's count.
  [ -z "${SSB_FUZZ_RESULTS:-}" ] || echo "$verdict $target" >>"$SSB_FUZZ_RESULTS"
done
for target in "${targets[@]}"; do
  for kind in crashes hangs; do
    dir=$work/findings/$target/default/$kind
    if compgen -G "$dir/id:*" >/dev/null; then
      echo "== $target: $kind in $dir"
      timeout 120 dotnet "$harness" replay "$target" "${trust[@]}" "$dir" 2>&1 | cut -c1-2000 | head -40 || true
    fi
  done
done
echo "fuzzing took $(( $(date +%s) - started )) s; work folder $work"
exit "$status"
