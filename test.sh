#!/usr/bin/env bash
# Runs every Tunnel test on a fresh machine of this kind (Debian, .NET 10 SDK): builds the
# solution, runs the xunit suite (unit, actor, integration and process tests on loopback), then
# the draft's topology in network namespaces (deploy/netns/draft-world.sh), and prints the totals
# of both as its last line: "N passed, N failed[, N skipped]". Exit status 0 only when the build
# succeeded and nothing failed.
#
# What the tests need besides the SDK: PostgreSQL's server binaries (Debian's postgresql
# package, installed here when missing; the tests start private servers of their own on
# loopback ports and stop them), BIND 9 (bind9 and bind9-utils: the DANE tests sign a zone and
# run a signing and a validating named on loopback ports), and for the TLS tests OpenSSL's
# command-line client and Postfix (openssl, postfix as "No configuration"); these are installed
# when missing, with their services kept from starting (the tests run private instances of their
# own, as root, and stop them); and for the namespace demo root, iproute2 and procps (installed
# when missing; without root or `ip netns` the demo is counted as one skipped). SQLite is
# embedded; the DNS and MX servers the tests talk to are started by the tests themselves on
# 127.0.0.0/8 and ::1, and by the demo inside its own namespaces.
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

# Installs Debian packages without letting them start their services (policy-rc.d says no while
# it runs): the tests start private servers of their own and want none of the system's.
install_packages() {
    local added=""
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d && added=1
    fi
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq && apt-get install -y -qq "$@" >/dev/null
    local status=$?
    if [ -n "$added" ]; then rm -f /usr/sbin/policy-rc.d; fi
    return $status
}

if [ ! -x /usr/sbin/postfix ] || ! command -v openssl >/dev/null; then
    echo "installing Postfix and OpenSSL (Debian packages postfix, openssl) for the TLS tests"
    echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
    if ! install_packages postfix openssl; then
        echo "cannot install postfix and openssl (apt-get failed)"
        echo "0 passed, 1 failed"
        exit 1
    fi
fi

if ! { [ -x /usr/sbin/named ] && [ -x /usr/bin/dnssec-signzone ]; }; then
    echo "installing BIND 9 (Debian packages bind9, bind9-utils) for the DANE tests"
    if ! install_packages bind9 bind9-utils; then
        echo "cannot install bind9 (apt-get failed)"
        echo "0 passed, 1 failed"
        exit 1
    fi
fi

if [ "$(id -u)" -eq 0 ] && ! { command -v ip && command -v sysctl; } >/dev/null; then
    echo "installing iproute2 and procps (ip, sysctl) for the network-namespace demo"
    { export DEBIAN_FRONTEND=noninteractive; apt-get update -qq && apt-get install -y -qq iproute2 procps >/dev/null; } \
        || echo "cannot install iproute2 and procps: the demo will be skipped or fail"
fi

configuration=Release
log=$(mktemp)
demo_log=$(mktemp)
trap 'rm -f "$log" "$demo_log"' EXIT

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

# The draft's world in network namespaces: its own last line is "N passed, N failed". It
# cleans up after itself on any exit, including the timeout's SIGTERM.
echo
echo "deploy/netns/draft-world.sh"
if [ "$(id -u)" -ne 0 ]; then
    echo "skipped: network namespaces need root"
    skipped=$((skipped + 1))
elif ! ip netns list >/dev/null 2>&1; then
    echo "skipped: ip netns is not available here (iproute2 missing, or no namespace support)"
    skipped=$((skipped + 1))
else
    CONFIGURATION=$configuration timeout --kill-after=30 300 deploy/netns/draft-world.sh 2>&1 | tee "$demo_log"
    demo_status=${PIPESTATUS[0]}
    read -r demo_passed demo_failed < <(tail -n 1 "$demo_log" |
        awk '/^[0-9]+ passed, [0-9]+ failed$/ { print $1, $3; found = 1 } END { if (!found) print 0, 1 }')
    if [ "$demo_status" -ne 0 ] && [ "$demo_failed" -eq 0 ]; then demo_failed=1; fi
    passed=$((passed + demo_passed))
    failed=$((failed + demo_failed))
fi
# The demo prints a lot after the xunit run: name the failed xunit tests again, next to the totals.
failed_tests=$(grep -E '^ +Failed .+ \[[^]]+\] *$' "$log" | sed -E 's/^ +Failed (.+) \[[^]]+\] *$/  \1/' | sort -u)
if [ -n "$failed_tests" ]; then
    echo
    echo "failed xunit tests:"
    echo "$failed_tests"
fi
totals="$passed passed, $failed failed"
[ "$skipped" -gt 0 ] && totals="$totals, $skipped skipped"
echo "$totals"
[ "$status" -eq 0 ] && [ "$failed" -eq 0 ]
