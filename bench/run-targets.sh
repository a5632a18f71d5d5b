#!/usr/bin/env bash
# Runs every scenario of issue 7's targets in turn, one line of figures each (see bench/README.md).
# Each run starts its own node (Release build, SQLite in a temporary folder) and stops it; the JSON
# files land in bench/results/. Takes minutes; run it on an otherwise idle machine, since the
# node, the load generator and the sink share the cores (a run disturbed by other processes says
# so at the end of its line). Extra arguments go to every load run, e.g. `--messages 5000`.
set -uo pipefail
cd "$(dirname "$0")/.."
dotnet build Tunnel.sln -c Release -nologo -v quiet || exit 1
bench() { dotnet bench/Tunnel.Bench/bin/Release/net10.0/tunnel-bench.dll "$@" 2>/dev/null; }
status=0
bench --size 1KiB   --concurrency 50 --domains 10 --messages 20000 "$@" || status=1   # throughput, CPU per message
bench --size 100KiB --concurrency 10 --domains 10 --messages 5000  "$@" || status=1   # large messages
bench --size 1KiB   --concurrency 1  --domains 10 --messages 2000 --warmup 200 "$@" || status=1  # latency, one client
bench --size 1KiB   --concurrency 10 --domains 10 --messages 10000 "$@" || status=1   # latency, ten clients
bench --idle 10000 || status=1                                                        # memory per idle session
exit $status
