#!/usr/bin/env bash
# make bench: wenda against a fixed-response libmicrohttpd server (and
# nginx serving the same topic as a static file, when nginx is installed),
# driven by wrk in one run: 64 keep-alive connections, 2 threads,
# $BENCH_SECONDS seconds each (default 10).  The search mixes: clean queries
# from the notes' words, and the same words misspelt or slipped.  Prints req/s, p50, p99 and each
# rate as a ratio to the fixed-response server's.  Everything listens on
# 127.0.0.1 only and is stopped at the end.
set -euo pipefail
cd "$(dirname "$0")/../.."

BUILD=${BUILD:-build}
SECONDS_EACH=${BENCH_SECONDS:-10}
CONNS=${BENCH_CONNECTIONS:-64}
THREADS=$(nproc)
tmp=$(mktemp -d /tmp/wenda-bench-XXXXXX)
pids=()
. tests/bench/lib.sh
trap 'stop_all; rm -rf "$tmp"' EXIT

wait_up() {   # url
    for _ in $(seq 1 500); do
        curl -fs -o /dev/null "$1" && return 0
        sleep 0.01
    done
    echo "bench: $1 did not come up" >&2
    tail -n 5 "$tmp"/*.log "$tmp"/nginx/stderr "$tmp"/nginx/error.log >&2 || true
    exit 1
}

ms() { awk -v us="$1" 'BEGIN { printf "%.2f", us / 1000 }'; }

# -- wenda: build its database once, then measure the time to first 200 ----
"$BUILD/wenda" import --db "$tmp/wenda.db" content >/dev/null
pw=$(free_port)
t0=$(date +%s%N)
"$BUILD/wenda" serve --port "$pw" --db "$tmp/wenda.db" 2>"$tmp/wenda.log" &
wpid=$!
pids+=("$wpid")
wait_up "http://127.0.0.1:$pw/healthz"
first_ms=$(( ($(date +%s%N) - t0) / 1000000 ))

# -- the reference servers -------------------------------------------------
curl -fs "http://127.0.0.1:$pw/v1/topics/35" >"$tmp/topic.json"
pf=$(free_port)
"$BUILD/tests/bench-fixed" "$pf" "$THREADS" "$tmp/topic.json" &
pids+=("$!")
wait_up "http://127.0.0.1:$pf/"

pn=""
if command -v nginx >/dev/null 2>&1; then
    pn=$(free_port)
    mkdir -p "$tmp/www" "$tmp/nginx"
    chmod 755 "$tmp" "$tmp/www"   # nginx workers may run as another user
    install -m 644 "$tmp/topic.json" "$tmp/www/topic.json"
    cat >"$tmp/nginx/nginx.conf" <<CONF
worker_processes $THREADS;
pid $tmp/nginx/nginx.pid;
error_log $tmp/nginx/error.log;
events { worker_connections 1024; }
http {
    access_log off;
    keepalive_requests 100000;
    client_body_temp_path $tmp/nginx;
    proxy_temp_path $tmp/nginx;
    fastcgi_temp_path $tmp/nginx;
    uwsgi_temp_path $tmp/nginx;
    scgi_temp_path $tmp/nginx;
    server {
        listen 127.0.0.1:$pn;
        root $tmp/www;
        location / { default_type application/json; try_files /topic.json =404; }
    }
}
CONF
    nginx -p "$tmp/nginx" -c "$tmp/nginx/nginx.conf" -g "daemon off;" 2>"$tmp/nginx/stderr" &
    pids+=("$!")
    wait_up "http://127.0.0.1:$pn/"
fi

# -- request mixes -----------------------------------------------------------
echo "/" >"$tmp/fixed.txt"
for i in $(seq 1 64); do echo "/v1/topics/$i"; done >"$tmp/byid.txt"
{
    echo "/v1/topics?limit=20"
    for c in web-frameworks python networking processes-threads concurrency http tools; do
        echo "/v1/topics?limit=20&category=$c"
    done
    cursor=$(curl -fs "http://127.0.0.1:$pw/v1/topics?limit=20" |
             sed -n 's/.*"next":"\([^"]*\)".*/\1/p')
    echo "/v1/topics?limit=20&cursor=$cursor"
} >"$tmp/list.txt"
"$BUILD/tests/bench-queries" content 2000 2>/dev/null |
    sed 's|^|/v1/search?q=|' >"$tmp/search.txt"
nq=$(wc -l <"$tmp/search.txt")
"$BUILD/tests/bench-queries" --slips content 500 2>/dev/null |
    sed 's|^|/v1/search?q=|' >"$tmp/slips.txt"
ns=$(wc -l <"$tmp/slips.txt")

run() {   # name port paths-file
    local out
    out=$(BENCH_PATHS="$3" wrk -t2 -c"$CONNS" -d"${SECONDS_EACH}s" \
          -s tests/bench/paths.lua "http://127.0.0.1:$2" | grep '^RESULT')
    echo "$1 ${out#RESULT }"
}

echo "wenda bench: $CONNS keep-alive connections, 2 wrk threads, ${SECONDS_EACH}s each, $THREADS server threads"
echo "search mix: $nq distinct queries from the notes' vocabulary"
echo "slips mix: $ns distinct misspelt or input-method-slipped queries"
results=()
results+=("$(run fixed "$pf" "$tmp/fixed.txt")")
[ -n "$pn" ] && results+=("$(run nginx-static "$pn" "$tmp/fixed.txt")")
results+=("$(run get-by-id "$pw" "$tmp/byid.txt")")
results+=("$(run list "$pw" "$tmp/list.txt")")
results+=("$(run search "$pw" "$tmp/search.txt")")
results+=("$(run search-slips "$pw" "$tmp/slips.txt")")
rss_kb=$(awk '/VmHWM/ { print $2 }' "/proc/$wpid/status")

# -- writes: 16 editors, with and without group commit ------------------
write_run() {   # name batch
    local db="$tmp/w$2/wenda.db" port pid token out
    mkdir -p "$tmp/w$2"
    "$BUILD/wenda" import --db "$db" content >/dev/null
    token=$("$BUILD/wenda" token create --db "$db" --role editor \
            --name bench 2>/dev/null)
    port=$(free_port)
    "$BUILD/wenda" serve --port "$port" --db "$db" --write-batch "$2" \
        2>"$tmp/w$2/log" &
    pid=$!
    pids+=("$pid")
    wait_up "http://127.0.0.1:$port/healthz"
    out=$(BENCH_TOKEN="$token" wrk -t2 -c16 -d"${SECONDS_EACH}s" \
          -s tests/bench/writes.lua "http://127.0.0.1:$port" | grep '^RESULT')
    kill "$pid"
    echo "$1 ${out#RESULT }"
}
results+=("$(write_run writes-grouped 64)")
results+=("$(write_run writes-1-each 1)")

fixed_rps=$(echo "${results[0]}" | awk '{ print $2 }')
printf '\n%-14s %12s %10s %10s %8s %10s\n' target req/s p50_ms p99_ms errors x_fixed
for r in "${results[@]}"; do
    set -- $r
    printf '%-14s %12.0f %10s %10s %8s %10.2f\n' "$1" "$2" "$(ms "$3")" \
        "$(ms "$4")" "$5" "$(awk -v a="$2" -v b="$fixed_rps" 'BEGIN { print a / b }')"
done
echo
echo "(writes: 16 connections creating topics, x_fixed as for the reads)"
echo "wenda peak RSS under read load: $((rss_kb / 1024)) MB"
echo "wenda first 200 OK after start: ${first_ms} ms"
