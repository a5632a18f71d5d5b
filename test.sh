#!/usr/bin/env bash
# Runs every Tunnel test on a fresh machine of this kind (Debian, .NET 10 SDK): builds the
# solution, runs the xunit suite (unit, actor, integration and process tests on loopback), and
# prints the totals as its last line: "N passed, N failed[, N skipped]". Exit status 0 only when
# the build succeeded and no test failed.
#
# What the tests need besides the SDK: PostgreSQL's server binaries (Debian's postgresql
# package, installed here when missing; the tests start private servers of their own on
# loopback ports and stop them). SQLite is embedded; the DNS and MX servers the tests talk to are
# started by the tests themselves on 127.0.0.0/8 and ::1.
set -uo pipefail
cd "$(dirname "$0")"

if ! ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1; then
    echo "installing PostgreSQL (Debian package postgresql) for the storage and cluster tests"
    if ! { export DEBIAN_FRONTEND=noninteractive; apt-get update -qq && apt-get install -y -qq postgresql >/dev/null; }; then
        echo "cannot install postgresql (apt-get failed)"
        echo "0 passed, 1 failed"
        exit 1
    fi
fi

configuration=Release
log=$(mktemp)
trap 'rm -f "$log"' EXIT

if ! dotnet build Tunnel.sln -c "$configuration" -nologo -v quiet; then
    echo "build failed"
    echo "0 passed, 1 failed"
    exit 1
fi

dotnet test Tunnel.sln -c "$configuration" --no-build -nologo \
    --logger "console;verbosity=normal" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}

# dotnet test prints a summary block per test assembly:
#   Total tests: 42
#        Passed: 41
#        Failed: 1
read -r passed failed skipped < <(awk '
    /^ *Passed: *[0-9]+ *$/  { p += $2 }
    /^ *Failed: *[0-9]+ *$/  { f += $2 }
    /^ *Skipped: *[0-9]+ *$/ { s += $2 }
    END { print p+0, f+0, s+0 }' "$log")
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
    failed=1 # the run itself failed (crash, timeout) without a failing test to show for it
fi
totals="$passed passed, $failed failed"
[ "$skipped" -gt 0 ] && totals="$totals, $skipped skipped"
echo "$totals"
[ "$status" -eq 0 ] && [ "$failed" -eq 0 ]
