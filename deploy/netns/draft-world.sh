#!/usr/bin/env bash
# The draft's world on one Linux machine (draft-mrosenau-email-ipv4-to-6-00 §2.1), built from
# network namespaces, and the draft's promises checked in it with evidence printed:
#
#   (0) every host has the addresses of its own family only, and no route leaves the world
#   (1) IPv4-only ip4only.example → user@example.com and user@example.org arrive at their
#       IPv6-only servers through the tunnel (§2.2)
#   (2) IPv6-only example.com → user@ip4only.example arrives through the tunnel as relay host (§2.3)
#   (3) without Tunnel running, (1) cannot be delivered
#   (4) with tunnel node 1 stopped, (1) still arrives, via node 2
#   (5) a domain that is not tunneled is refused (no open relay)
#
# Run as root (ip netns, veth, a bridge) after `dotnet build Tunnel.sln -c Release` (it builds
# when the binaries are missing). Everything it creates (namespaces, links, processes, the
# PostgreSQL server, /etc/netns/<name>/) is removed on exit, also on failure or Ctrl-C.
# TUNNEL_DEMO_KEEP=1 keeps the working directory (logs, stored mail). The last line is
# "N passed, N failed"; the exit status is 0 only when nothing failed. See README.md beside it.
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
CONFIGURATION=${CONFIGURATION:-Release}
TUNNEL_DLL=$ROOT/src/Node/bin/$CONFIGURATION/net10.0/tunnel.dll
TOOLS_DLL=$ROOT/deploy/netns/Tunnel.NetnsTools/bin/$CONFIGURATION/net10.0/tunnel-netns.dll
PREFIX=tunnel-demo-$$          # namespace names: unique per run, so two runs never collide
RUN=$(date +%H%M%S)-$$         # in every subject, to find exactly this run's mail
ARRIVAL_TIMEOUT=90             # seconds a message may take through the tunnel

PASSED=0 FAILED=0
NAMESPACES=()                  # created by us, deleted by cleanup
PIDS=()                        # started by us (ip netns exec replaces itself, so these are the servers)
declare -A PID
WORK="" PGDATA="" PGBIN="" CREATED_ETC_NETNS=""

# --- output -------------------------------------------------------------------------------

say() { printf '%s\n' "$*"; }
show() { sed 's/^/    /'; }   # evidence, indented
pass() { PASSED=$((PASSED + 1)); say "PASS $*"; }
fail() { FAILED=$((FAILED + 1)); say "FAIL $*"; }
die() { fail "setup: $*"; exit 1; }

# --- cleanup: runs on every exit; the totals are printed after it, as the very last line ---

cleanup() {
    local pid ns i
    for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null; done
    for i in $(seq 1 40); do
        local alive=0
        for pid in "${PIDS[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
        [ "$alive" -eq 0 ] && break
        sleep 0.25
    done
    for pid in "${PIDS[@]}"; do kill -KILL "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; done
    if [ -n "$PGDATA" ] && [ -f "$PGDATA/postmaster.pid" ]; then
        (cd / && runuser -u postgres -- "$PGBIN/pg_ctl" -D "$PGDATA" -m immediate -w -t 30 stop >/dev/null 2>&1)
    fi
    for ns in "${NAMESPACES[@]}"; do
        # Anything still inside one of our namespaces was started by this script.
        for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null; done
        ip netns del "$ns" 2>/dev/null   # its veths and the bridge go with it
        rm -rf "/etc/netns/$ns"
    done
    [ -n "$CREATED_ETC_NETNS" ] && rmdir /etc/netns 2>/dev/null
    if [ -n "$WORK" ]; then
        if [ "${TUNNEL_DEMO_KEEP:-0}" = 1 ]; then touch "$WORK/.kept"; say "kept $WORK"; else rm -rf "$WORK"; fi
    fi
}

finish() {
    local status=$?
    trap - EXIT INT TERM
    if [ "$status" -ne 0 ] && [ "$FAILED" -eq 0 ]; then FAILED=1; fi   # died without saying why
    [ "$FAILED" -gt 0 ] && [ -n "$WORK" ] && print_logs
    cleanup
    local left
    left=$(ip netns list 2>/dev/null | grep -c "^$PREFIX-")
    say "cleanup: ${#NAMESPACES[@]} namespaces and everything in them removed; $left left"
    say "$PASSED passed, $FAILED failed"
    [ "$FAILED" -eq 0 ] && exit 0
    exit 1
}

print_logs() {
    local log
    for log in "$WORK"/*.log; do
        [ -f "$log" ] || continue
        say "--- last lines of $(basename "$log")"
        tail -n 15 "$log" | show
    done
}

# A run killed by SIGKILL (or a machine that stopped under it) cannot clean up after itself: the
# next run removes what such a run left, recognised by the PID in its names no longer running.
sweep_stale() {
    local name pid p dir
    for name in $(ip netns list 2>/dev/null | awk '{print $1}' | grep -E '^tunnel-demo-[0-9]+-'); do
        pid=${name#tunnel-demo-}
        pid=${pid%%-*}
        kill -0 "$pid" 2>/dev/null && continue   # that run is still going
        for p in $(ip netns pids "$name" 2>/dev/null); do kill -KILL "$p" 2>/dev/null; done
        ip netns del "$name" 2>/dev/null
        rm -rf "/etc/netns/$name"
        say "removed $name, left by run $pid that did not end cleanly"
    done
    for dir in /tmp/tunnel-demo-[0-9]*.*; do
        [ -d "$dir" ] || continue
        pid=${dir#/tmp/tunnel-demo-}
        pid=${pid%%.*}
        kill -0 "$pid" 2>/dev/null || [ -f "$dir/.kept" ] || rm -rf "$dir"
    done
}

trap finish EXIT
trap 'say "interrupted"; exit 130' INT TERM

# --- preconditions -----------------------------------------------------------------------

[ "$(id -u)" -eq 0 ] || die "run as root: network namespaces need it"
command -v ip >/dev/null || die "iproute2 (ip) is missing"
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -x "$PGBIN/pg_ctl" ] || die "PostgreSQL server binaries missing (apt-get install postgresql; ./test.sh does it)"
if [ ! -f "$TUNNEL_DLL" ] || [ ! -f "$TOOLS_DLL" ]; then
    say "building Tunnel.sln ($CONFIGURATION)"
    dotnet build "$ROOT/Tunnel.sln" -c "$CONFIGURATION" -nologo -v quiet >/dev/null || die "build failed"
fi
sweep_stale
WORK=$(mktemp -d "/tmp/$PREFIX.XXXXXX")
chmod 755 "$WORK"   # the postgres user reads its directory below it

# --- the world ---------------------------------------------------------------------------
#
# One namespace, "world", holds a bridge and nothing else: the wire between the hosts. Every
# host is a namespace with one veth ("eth0") on that bridge. IPv4 and IPv6 are one flat
# segment each: 192.0.2.0/24 and 192.0.1.0/24 reach each other on-link, 2001:db8:ffff::/64 is
# one prefix. There is no default route anywhere, so nothing leaves the world, and the host's
# own interfaces and routes are never touched.

ns() { printf '%s-%s' "$PREFIX" "$1"; }
in_ns() { local name=$1; shift; ip netns exec "$(ns "$name")" "$@"; }

new_ns() {
    NAMESPACES+=("$(ns "$1")")
    ip netns add "$(ns "$1")" && ip -n "$(ns "$1")" link set lo up
}

# host <name> <resolv.conf nameservers> -- <address/prefix>...
host() {
    local name=$1 resolvers=$2 address v4=0 v6=0
    shift 3
    new_ns "$name" || return 1
    ip -n "$(ns world)" link add "$name" type veth peer name eth0 netns "$(ns "$name")" || return 1
    ip -n "$(ns world)" link set "$name" master br0 up || return 1
    for address in "$@"; do
        case $address in
            *:*) v6=1; ip -n "$(ns "$name")" addr add "$address" dev eth0 nodad || return 1 ;;
            *)   v4=1; ip -n "$(ns "$name")" addr add "$address" dev eth0 || return 1 ;;
        esac
    done
    # An IPv4-only host has no IPv6 on its link at all, not even link-local.
    [ "$v6" -eq 0 ] && { in_ns "$name" sysctl -qw net.ipv6.conf.eth0.disable_ipv6=1 || return 1; }
    ip -n "$(ns "$name")" link set eth0 up || return 1
    if [ "$v4" -eq 1 ]; then   # the other IPv4 network of the world, on the same wire
        case " $* " in
            *" 192.0.2."*) ip -n "$(ns "$name")" route add 192.0.1.0/24 dev eth0 ;;
            *)             ip -n "$(ns "$name")" route add 192.0.2.0/24 dev eth0 ;;
        esac || return 1
    fi
    [ -d /etc/netns ] || { mkdir /etc/netns && CREATED_ETC_NETNS=1; }
    mkdir -p "/etc/netns/$(ns "$name")"
    printf 'nameserver %s\n' $resolvers > "/etc/netns/$(ns "$name")/resolv.conf"
}

build_world() {
    new_ns world || return 1
    in_ns world sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1 || return 1
    ip -n "$(ns world)" link add br0 type bridge mcast_snooping 0 || return 1
    ip -n "$(ns world)" link set br0 up || return 1
    local v4dns=192.0.2.53 v6dns=2001:db8:ffff::53
    host dns         "$v4dns $v6dns" -- "$v4dns/24" "$v6dns/64" || return 1
    host ip4only     "$v4dns"        -- 192.0.2.1/24 || return 1                 # mx1.ip4only.example
    host example-com "$v6dns"        -- 2001:db8:ffff::2:1/64 || return 1        # mx1.example.com
    host example-org "$v6dns"        -- 2001:db8:ffff::1:1/64 || return 1        # mx1.example.org
    host tunnel1     "$v4dns $v6dns" -- 192.0.1.30/24 2001:db8:ffff::1/64 || return 1
    host tunnel2     "$v4dns $v6dns" -- 192.0.1.31/24 2001:db8:ffff::2/64 || return 1
    host db          "$v4dns"        -- 192.0.1.5/24 || return 1                 # the cluster's PostgreSQL
}

# --- processes -----------------------------------------------------------------------------

# start <namespace> <log name> <command...>: runs in the background, remembered by PID. A plain
# command, not a function, so that $! is the server itself (ip netns exec execs it).
start() {
    local name=$1 log=$2
    shift 2
    ip netns exec "$(ns "$name")" "$@" >"$WORK/$log.log" 2>&1 &
    PID[$log]=$!
    PIDS+=("$!")
}

# wait_for <log name> <seconds> <grep arguments...>: true once grep finds a line in the log,
# false after the time or when the log's process has ended.
wait_for() {
    local name=$1 log=$WORK/$1.log deadline=$((SECONDS + $2))
    shift 2
    while [ "$SECONDS" -lt "$deadline" ]; do
        grep -q "$@" "$log" 2>/dev/null && return 0
        if [ -n "${PID[$name]:-}" ] && ! kill -0 "${PID[$name]}" 2>/dev/null; then return 1; fi
        sleep 0.2
    done
    return 1
}

start_peers() {
    start dns dns dotnet exec "$TOOLS_DLL" dns --zones "$ROOT/deploy/dns" \
        --listen 192.0.2.53:53 --listen '[2001:db8:ffff::53]:53'
    start ip4only ip4only dotnet exec "$TOOLS_DLL" receive --listen 192.0.2.1:25 \
        --hostname mx1.ip4only.example --maildir "$WORK/mail/ip4only.example"
    start example-com example-com dotnet exec "$TOOLS_DLL" receive --listen '[2001:db8:ffff::2:1]:25' \
        --hostname mx1.example.com --maildir "$WORK/mail/example.com"
    start example-org example-org dotnet exec "$TOOLS_DLL" receive --listen '[2001:db8:ffff::1:1]:25' \
        --hostname mx1.example.org --maildir "$WORK/mail/example.org"
    wait_for dns 60 -e "^dns: listening" || return 1
    local peer
    for peer in ip4only example-com example-org; do wait_for "$peer" 60 -e "listening on" || return 1; done
}

start_postgres() {
    PGDATA=$WORK/pg/data
    mkdir -p "$WORK/pg" && chown postgres:postgres "$WORK/pg" || return 1
    (cd / && runuser -u postgres -- "$PGBIN/initdb" -D "$PGDATA" -U tunnel --auth=trust -E UTF8 --no-instructions) \
        >"$WORK/postgres-init.log" 2>&1 || return 1
    # Trust the tunnel nodes' network: a demo in a closed world. A real cluster uses a password
    # (TUNNEL_POSTGRES) and TLS; see deploy/docker and deploy/kubernetes.
    echo "host all tunnel 192.0.1.0/24 trust" >>"$PGDATA/pg_hba.conf"
    (cd / && in_ns db runuser -u postgres -- "$PGBIN/pg_ctl" -D "$PGDATA" -l "$WORK/pg/server.log" -w -t 60 \
        -o "-c listen_addresses=192.0.1.5 -p 5432 -k $WORK/pg -c max_connections=200" start) \
        >>"$WORK/postgres-init.log" 2>&1 || return 1
    (cd / && in_ns db runuser -u postgres -- "$PGBIN/createdb" -h 192.0.1.5 -U tunnel tunnel) >>"$WORK/postgres-init.log" 2>&1
}

start_tunnel() {
    local node=$1
    start "tunnel$node" "tunnel$node" env TUNNEL_POSTGRES="Host=192.0.1.5;Port=5432;Database=tunnel;Username=tunnel;Timeout=5" \
        dotnet exec "$TUNNEL_DLL" run --config "$ROOT/deploy/netns/node$node.hocon"
    # The node logs this only once it is a member of the cluster (it joins before it listens).
    wait_for "tunnel$node" 120 -e "SMTP listening on"
}

# send <from host> <log name> <send options...>: one message by the host's own MTA; returns its exit code.
send() {
    local name=$1 log=$2
    shift 2
    in_ns "$name" dotnet exec "$TOOLS_DLL" send "$@" >"$WORK/$log.log" 2>&1
}

# The lines of a send transcript that tell the route: DNS, address choice, connections, verdicts.
route_lines() {
    grep -E "this host has|dns |candidate|skipped|connect |< 220 |> RCPT|< [0-9]{3} [0-9]\.[0-9]|delivered|relaying through" "$WORK/$1.log" \
        | grep -vE "< 2[0-9]{2} 2\.1\.0|< 221 " | show
}

queue_id() { grep -oE "queued as [0-9A-Z]+" "$WORK/$1.log" | tail -n 1 | awk '{print $3}'; }

# The mail log lines of one message on every node.
mail_log() {
    local id=$1 node
    [ -n "$id" ] || return 0
    for node in tunnel1 tunnel2; do
        grep -F "mail $id:" "$WORK/$node.log" 2>/dev/null | sed "s/^/$node | /"
    done | sort -s -k3,3 | show
}

# stored <receiver log> <subject>: the receiver's line for that subject, and the trace headers of the file.
stored() {
    local line file
    line=$(grep -F "subject=$2" "$WORK/$1.log" | head -n 1)
    [ -n "$line" ] || return 1
    printf '%s\n' "$line" | show
    file=$(printf '%s\n' "$line" | sed -E 's/.* stored ([^ ]+) from .*/\1/')
    awk '/^$/ { exit } /^(Received|\t|        )/' "$file" | cut -c1-160 | show
}

# --- the checks ----------------------------------------------------------------------------

check_topology() {
    say ""
    say "(0) The world: each host has only the addresses of its family; no default route anywhere"
    local name global4 global6 ok=1 routes
    for name in ip4only example-com example-org tunnel1 tunnel2 dns db; do
        global4=$(ip -n "$(ns "$name")" -4 -o addr show scope global | awk '{print $4}' | xargs)
        global6=$(ip -n "$(ns "$name")" -6 -o addr show scope global | awk '{print $4}' | xargs)
        printf '%-12s IPv4: %-16s IPv6: %s\n' "$name" "${global4:--}" "${global6:--}" | show
        routes=$(ip -n "$(ns "$name")" route show default; ip -n "$(ns "$name")" -6 route show default)
        [ -z "$routes" ] || { ok=0; say "    $name has a default route: $routes"; }
    done
    [ -z "$(ip -n "$(ns ip4only)" -6 -o addr show dev eth0)" ] || ok=0
    [ -z "$(ip -n "$(ns example-com)" -4 -o addr show dev eth0)" ] || ok=0
    [ -z "$(ip -n "$(ns example-org)" -4 -o addr show dev eth0)" ] || ok=0
    if [ "$ok" -eq 1 ]; then
        pass "(0) ip4only has no IPv6 at all, example.com and example.org no IPv4; no route leaves the world"
    else
        fail "(0) a host has an address of the wrong family or a default route"
    fi
}

check_no_tunnel() {
    say ""
    say "(3) Without Tunnel running: ip4only.example → user@example.com cannot be delivered"
    local subject="draft-world $RUN (3) no tunnel" status
    send ip4only send-3 --from example@ip4only.example --to user@example.com --helo mx1.ip4only.example --subject "$subject"
    status=$?
    route_lines send-3
    sleep 1
    if [ "$status" -eq 75 ] && ! grep -qF "subject=$subject" "$WORK/example-com.log" \
        && grep -q "skipped: IPv6" "$WORK/send-3.log"; then
        pass "(3) mx1.example.com's AAAA is out of an IPv4-only host's reach and its A records lead to no server: not delivered (exit $status)"
    else
        fail "(3) expected exit 75 and nothing at mx1.example.com; send exited $status"
    fi
}

# deliver <check> <from host> <to> <receiver log> <description> <expected next hop regex> [send options...]
deliver() {
    local check=$1 from=$2 to=$3 receiver=$4 description=$5 hop=$6 status id
    shift 6
    local subject="draft-world $RUN ($check) $from to $to"
    send "$from" "send-$check-$receiver" --to "$to" --subject "$subject" "$@"
    status=$?
    say "  $from's MTA:"
    route_lines "send-$check-$receiver"
    id=$(queue_id "send-$check-$receiver")
    if [ "$status" -ne 0 ]; then
        fail "($check) $description: the sender's MTA could not hand it over (exit $status)"
        return
    fi
    if ! grep -qE "delivered to [^ ]*\[$hop\]" "$WORK/send-$check-$receiver.log"; then
        fail "($check) $description: handed to an unexpected next hop (expected $hop)"
        return
    fi
    if ! wait_for "$receiver" "$ARRIVAL_TIMEOUT" -F -e "subject=$subject"; then
        say "  the tunnel's mail log:"
        mail_log "$id"
        fail "($check) $description: did not arrive at $receiver within ${ARRIVAL_TIMEOUT}s"
        return
    fi
    # The mail log's "sent" line can follow the receiver's store by a moment.
    local i
    for i in $(seq 1 50); do
        cat "$WORK/tunnel1.log" "$WORK/tunnel2.log" 2>/dev/null | grep -qE "mail $id: .*status=sent" && break
        sleep 0.2
    done
    say "  the tunnel's mail log:"
    mail_log "$id"
    say "  stored at $receiver:"
    local evidence
    evidence=$(stored "$receiver" "$subject")
    printf '%s\n' "$evidence"
    # Captured first: grep -q stops reading early, which pipefail would count as a failure.
    if grep -qE "from \[(2001:db8:ffff::[12]|192\.0\.1\.3[01])\]:" <<<"$evidence"; then
        pass "($check) $description"
    else
        fail "($check) $description: arrived, but not from a tunnel address"
    fi
}

check_ipv4_to_ipv6() {
    say ""
    say "(1) IPv4-only ip4only.example → IPv6-only example.com and example.org, through the tunnel (draft §2.2)"
    deliver 1 ip4only user@example.com example-com \
        "ip4only.example → user@example.com arrived at mx1.example.com [2001:db8:ffff::2:1] over IPv6, via the A record 192.0.1.3x" \
        '192\.0\.1\.3[01]' --from example@ip4only.example --helo mx1.ip4only.example
    deliver 1 ip4only user@example.org example-org \
        "ip4only.example → user@example.org arrived at mx1.example.org [2001:db8:ffff::1:1]: the same A records, a different server" \
        '192\.0\.1\.3[01]' --from example@ip4only.example --helo mx1.ip4only.example
}

check_ipv6_to_ipv4() {
    say ""
    say "(2) IPv6-only example.com → IPv4-only ip4only.example, the tunnel as relay host (draft §2.3)"
    deliver 2 example-com user@ip4only.example ip4only \
        "example.com → user@ip4only.example arrived at mx1.ip4only.example [192.0.2.1] over IPv4, relayed by the tunnel" \
        '2001:db8:ffff::[12]' --from example@example.com --helo mx1.example.com --tunnel mail-tunnel.example
}

check_not_tunneled_refused() {
    say ""
    say "(5) A domain that is not tunneled is refused: ip4only.example (MX 192.0.2.1 only) asked of a tunnel node by a stranger"
    local subject="draft-world $RUN (5) open relay attempt" status
    send ip4only send-5 --server 192.0.1.30 --from example@ip4only.example --to user@ip4only.example \
        --helo mx1.ip4only.example --subject "$subject"
    status=$?
    route_lines send-5
    if [ "$status" -eq 69 ] && grep -q "< 550 5.7.1" "$WORK/send-5.log"; then
        pass "(5) RCPT TO:<user@ip4only.example> from 192.0.2.1 refused with 550 5.7.1: Tunnel is no open relay"
    else
        fail "(5) expected 550 5.7.1 at RCPT (exit 69); send exited $status"
    fi
}

check_node_down() {
    say ""
    say "(4) Tunnel node 1 stopped (SIGTERM: it leaves the cluster): ip4only.example → user@example.com still arrives, via node 2"
    local pid=${PID[tunnel1]} status i
    kill -TERM "$pid"
    for i in $(seq 1 240); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    if kill -0 "$pid" 2>/dev/null; then
        fail "(4) node 1 did not stop within 60 s of SIGTERM"
        return
    fi
    wait "$pid"
    status=$?
    say "  node 1 (pid $pid) exited with $status"
    deliver 4 ip4only user@example.com example-com \
        "with node 1 down, ip4only.example → user@example.com arrived through node 2 (192.0.1.31)" \
        '192\.0\.1\.31' --from example@ip4only.example --helo mx1.ip4only.example
    grep -q "connect mx1.example.com\[192.0.1.30\]:25: ConnectionRefused" "$WORK/send-4-example-com.log" \
        || say "  note: the sender did not try 192.0.1.30 first"
}

# --- run ---------------------------------------------------------------------------------

say "The draft's world in network namespaces $PREFIX-* (work directory $WORK)"
build_world || die "could not build the namespaces and links"
start_peers || die "the DNS server or a mail host did not start"
check_topology
check_no_tunnel
start_postgres || die "PostgreSQL did not start in $(ns db)"
say ""
say "Starting the tunnel: two nodes, one cluster, one PostgreSQL"
start_tunnel 1 || die "tunnel node 1 did not start"
start_tunnel 2 || die "tunnel node 2 did not start"
for node in tunnel1 tunnel2; do
    grep -hE "SMTP listening on|Relaying for|Delivering over|Storage:" "$WORK/$node.log" \
        | sed -E "s/^\[[A-Z]+\]\[[^]]*\]\[[^]]*\]\[[^]]*\] /$node | /" | show
done
check_ipv4_to_ipv6
check_ipv6_to_ipv4
check_not_tunneled_refused
check_node_down
