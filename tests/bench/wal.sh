#!/usr/bin/env bash
# make bench-wal: the size of the write-ahead log under continuous writes
# beside a read load, and what a clean stop leaves.  One wenda on a new
# database of content/; for $WAL_SECONDS seconds (default 60) wrk runs 32
# keep-alive connections of reads (GET by id, lists and the search mix of
# make bench) and, at the same time, 8 connections creating topics as fast
# as the writer commits them.  The -wal file's size is sampled every 0.2 s.
# Prints the writes done, the log's largest and last size, the checkpoints
# /metrics counted by result, and the log's size after SIGTERM.  Everything
# listens on 127.0.0.1 only and stops by itself.
set -euo pipefail
cd "$(dirname "$0")/../.."

BUILD=${BUILD:-build}
SECONDS_EACH=${WAL_SECONDS:-60}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/wenda-wal-XXXXXX")
pids=()
. tests/bench/lib.sh
trap 'stop_all; rm -rf "$tmp"' EXIT

db="$tmp/wenda.db"
"$BUILD/wenda" import --db "$db" content >/dev/null
token=$("$BUILD/wenda" token create --db "$db" --role editor --name wal \
        2>/dev/null)
port=$(free_port)
"$BUILD/wenda" serve --port "$port" --db "$db" 2>"$tmp/wenda.log" &
spid=$!
pids+=("$spid")
for _ in $(seq 1 500); do
    curl -fs -o /dev/null "http://127.0.0.1:$port/healthz" && break
    sleep 0.01
done

{
    for i in $(seq 1 64); do echo "/v1/topics/$i"; done
    echo "/v1/topics?limit=20"
    "$BUILD/tests/bench-queries" content 2000 2>/dev/null |
        sed 's|^|/v1/search?q=|'
} >"$tmp/reads.txt"

BENCH_PATHS="$tmp/reads.txt" wrk -t1 -c32 -d"${SECONDS_EACH}s" \
    -s tests/bench/paths.lua "http://127.0.0.1:$port" >"$tmp/reads.out" &
pids+=("$!")
BENCH_TOKEN="$token" wrk -t1 -c8 -d"${SECONDS_EACH}s" \
    -s tests/bench/writes.lua "http://127.0.0.1:$port" >"$tmp/writes.out" &
wpid=$!
pids+=("$wpid")

most=0
last=0
while kill -0 "$wpid" 2>/dev/null; do
    last=$(stat -c %s "$db-wal" 2>/dev/null || echo 0)
    [ "$last" -gt "$most" ] && most=$last
    sleep 0.2
done
wait "$wpid" || true

writes=$(grep -o '[0-9]* requests in' "$tmp/writes.out" | awk '{ print $1 }')
reads=$(grep -o '[0-9]* requests in' "$tmp/reads.out" | awk '{ print $1 }')
metrics=$(curl -fs "http://127.0.0.1:$port/metrics")
kill -TERM "$spid"
wait "$spid" 2>/dev/null || true
after=$(stat -c %s "$db-wal" 2>/dev/null || echo 0)

echo "wenda bench-wal: ${SECONDS_EACH}s, 32 connections reading, 8 creating topics"
echo "writes done:              ${writes:-?} (reads beside them: ${reads:-?})"
echo "log, largest sample:      $((most / 1024)) KiB"
echo "log, last sample:         $((last / 1024)) KiB"
{ echo "$metrics" | grep -E '^wenda_wal_checkpoints_total' || true; } |
    sed 's/^wenda_wal_checkpoints_total{result="\(.*\)"}/checkpoints, \1:/' |
    awk '{ printf "%-26s%s\n", $1 " " $2, $3 }'
echo "log after SIGTERM:        $((after / 1024)) KiB"
