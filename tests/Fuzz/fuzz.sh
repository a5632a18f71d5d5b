#!/usr/bin/env bash
# Fuzzes one target of the ingress protocol code with AFL++ and SharpFuzz, for a bounded time.
#
#   tests/Fuzz/fuzz.sh <command|data|conversation> [seconds]     (default 600)
#
# Needs afl++ (Debian: apt-get install afl++) and the SharpFuzz instrumentation tool
# (dotnet tool install --tool-path ~/.dotnet/sharpfuzz SharpFuzz.CommandLine --version 2.3.0).
# Builds into a scratch folder, instruments Tunnel.Cluster.dll (only the Tunnel.Cluster.Ingress
# namespaces), runs afl-fuzz from the seeds in corpus/<target>, and prints AFL's totals. Findings
# stay in the scratch folder (printed at the end); replay one with the uninstrumented build
# (the instrumented one needs AFL's shared memory):
#   dotnet run --project tests/Fuzz -c Release -- <target> --replay <file or folder>
set -euo pipefail
cd "$(dirname "$0")"
target=${1:?usage: fuzz.sh <command|data|conversation> [seconds]}
seconds=${2:-600}
sharpfuzz=${SHARPFUZZ:-$(command -v sharpfuzz || echo "$HOME/.dotnet/sharpfuzz/sharpfuzz")}
work=${FUZZ_WORK:-$(mktemp -d /tmp/tunnel-fuzz-XXXXXX)}

dotnet build -c Release -nologo -v quiet -o "$work/bin" >/dev/null
"$sharpfuzz" "$work/bin/Tunnel.Cluster.dll" Tunnel.Cluster.Ingress

# Containers rarely let AFL tune the CPU governor or core dumps; neither matters for managed code.
export AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_SKIP_BIN_CHECK=1 AFL_NO_UI=1
afl-fuzz -i "corpus/$target" -o "$work/findings" -t 5000 -m none -V "$seconds" \
    -- dotnet "$work/bin/Tunnel.Fuzz.dll" "$target" > "$work/afl.log" 2>&1 || { tail -40 "$work/afl.log"; exit 1; }

stats="$work/findings/default/fuzzer_stats"
grep -E '^(run_time|execs_done|execs_per_sec|corpus_count|saved_crashes|saved_hangs|bitmap_cvg)' "$stats"
echo "findings: $work/findings/default/crashes (replay: dotnet run --project tests/Fuzz -c Release -- $target --replay <file>)"
