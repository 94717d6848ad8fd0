#!/usr/bin/env bash
# make bench-cluster: what a three-node Raft cluster (serve --cluster)
# costs and gives against one plain node, in one run.  Reads first, on
# databases of content/ alone: GET by id and the search mix of make bench
# on the plain node and on each node of the cluster (reads are local).
# Then writes: 16 connections creating topics (writes.lua) on the plain
# node and on the cluster's leader, acknowledged only once a majority has
# them.  wrk: 2 threads, $BENCH_CONNECTIONS keep-alive connections for
# reads (default 64), $BENCH_SECONDS seconds each (default 10).  Prints
# req/s, p50, p99 and errors, and each rate as a ratio to the plain node's
# for the same load.  Everything listens on 127.0.0.1 only and is stopped
# at the end; every wait is bounded.
set -euo pipefail
cd "$(dirname "$0")/../.."

BUILD=${BUILD:-build}
SECONDS_EACH=${BENCH_SECONDS:-10}
CONNS=${BENCH_CONNECTIONS:-64}
READY_S=${BENCH_READY_SECONDS:-30}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/wenda-bench-cluster-XXXXXX")
pids=()
. tests/bench/lib.sh
trap 'stop_all; rm -rf "$tmp"' EXIT

if ! "$BUILD/wenda" serve --help | grep -q -- '--cluster'; then
    echo "bench-cluster: $BUILD/wenda serve has no --cluster" >&2
    exit 1
fi

# wait_for URL SECONDS: until URL answers 2xx, or fail with the logs.
wait_for() {
    local i
    for i in $(seq 1 $(( $2 * 20 ))); do
        curl -fs --max-time 1 -o /dev/null "$1" && return 0
        sleep 0.05
    done
    echo "bench-cluster: $1 did not answer 2xx within $2 s" >&2
    tail -n 5 "$tmp"/*.log >&2 || true
    exit 1
}

ms() { awk -v us="$1" 'BEGIN { printf "%.2f", us / 1000 }'; }

# -- one plain node ---------------------------------------------------------
mkdir -p "$tmp/single"
"$BUILD/wenda" import --db "$tmp/single/wenda.db" content >/dev/null
single_token=$("$BUILD/wenda" token create --db "$tmp/single/wenda.db" \
               --role editor --name bench 2>/dev/null)
ps=$(free_port)
"$BUILD/wenda" serve --port "$ps" --db "$tmp/single/wenda.db" \
    2>"$tmp/single.log" &
pids+=("$!")
wait_for "http://127.0.0.1:$ps/readyz" "$READY_S"

# -- a cluster of three: node 1 seeds it with its database and token --------
mkdir -p "$tmp/n1" "$tmp/n2" "$tmp/n3"
"$BUILD/wenda" import --db "$tmp/n1/wenda.db" content >/dev/null
token=$("$BUILD/wenda" token create --db "$tmp/n1/wenda.db" --role admin \
        --name bench 2>/dev/null)
declare -a http raft
for i in 1 2 3; do
    http[i]=$(free_port)
    raft[i]=$(free_port)
done
peers="1=127.0.0.1:${raft[1]},2=127.0.0.1:${raft[2]},3=127.0.0.1:${raft[3]}"
for i in 1 2 3; do
    extra=()
    [ "$i" = 1 ] && extra=(--peers "$peers")
    "$BUILD/wenda" serve --port "${http[$i]}" --db "$tmp/n$i/wenda.db" \
        --cluster --node-id "$i" --raft-address "127.0.0.1:${raft[$i]}" \
        --advertise-url "http://127.0.0.1:${http[$i]}" "${extra[@]}" \
        2>"$tmp/n$i.log" &
    pids+=("$!")
done
for i in 1 2 3; do
    wait_for "http://127.0.0.1:${http[$i]}/readyz" "$READY_S"
done
leader_url=$(curl -fs --max-time 5 -H "Authorization: Bearer $token" \
             "http://127.0.0.1:${http[1]}/v1/cluster" |
             grep -o '"leader":{[^}]*}' | grep -o '"url":"[^"]*"' |
             sed 's/"url":"\(.*\)"/\1/') || leader_url=""
[ -n "$leader_url" ] || { echo "bench-cluster: no leader" >&2; exit 1; }
leader_port=${leader_url##*:}
leader_port=${leader_port%%/*}

# -- request mixes, as make bench's ------------------------------------------
for i in $(seq 1 64); do echo "/v1/topics/$i"; done >"$tmp/byid.txt"
"$BUILD/tests/bench-queries" content 2000 2>/dev/null |
    sed 's|^|/v1/search?q=|' >"$tmp/search.txt"

reads() {   # name port paths-file
    local out
    out=$(BENCH_PATHS="$3" wrk -t2 -c"$CONNS" -d"${SECONDS_EACH}s" \
          -s tests/bench/paths.lua "http://127.0.0.1:$2" | grep '^RESULT')
    echo "$1 ${out#RESULT }"
}
writes() {   # name port token
    local out
    out=$(BENCH_TOKEN="$3" wrk -t2 -c16 -d"${SECONDS_EACH}s" \
          -s tests/bench/writes.lua "http://127.0.0.1:$2" | grep '^RESULT')
    echo "$1 ${out#RESULT }"
}
role() {   # port: "leader" or "follower", as the node says (its own role
           # is the document's first)
    curl -fs --max-time 5 -H "Authorization: Bearer $token" \
        "http://127.0.0.1:$1/v1/cluster" |
        grep -o '"role":"[a-z]*"' | head -n 1 | sed 's/.*:"//; s/"//' ||
        echo "?"
}

echo "wenda bench-cluster: wrk 2 threads, ${SECONDS_EACH}s each;" \
     "reads on $CONNS connections, writes on 16"
echo "cluster: 3 nodes on 127.0.0.1, leader $leader_url"
results=()
for kind in get-by-id search; do
    file="$tmp/byid.txt"
    [ "$kind" = search ] && file="$tmp/search.txt"
    results+=("$(reads "$kind:single" "$ps" "$file")")
    for i in 1 2 3; do
        results+=("$(reads "$kind:node$i($(role "${http[$i]}"))" \
                    "${http[$i]}" "$file")")
    done
done
results+=("$(writes "writes:single" "$ps" "$single_token")")
results+=("$(writes "writes:leader" "$leader_port" "$token")")

printf '\n%-26s %10s %9s %9s %7s %9s\n' target req/s p50_ms p99_ms errors \
    x_single
base=0
for r in "${results[@]}"; do
    set -- $r
    case $1 in *:single) base=$2 ;; esac
    printf '%-26s %10.0f %9s %9s %7s %9.2f\n' "$1" "$2" "$(ms "$3")" \
        "$(ms "$4")" "$5" "$(awk -v a="$2" -v b="$base" \
                              'BEGIN { print (b > 0 ? a / b : 0) }')"
done
echo
echo "(x_single: the rate over the plain node's for the same load; the"
echo " writes on the leader are acknowledged once a majority has them)"
