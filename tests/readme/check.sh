#!/bin/sh
# check.sh BIN -- runs the README's shell examples as printed, twice.
#
# Every ```sh block from "## Try it" up to "## API", and every other ```sh
# block that starts a server of its own, runs with "sh -e" against a fresh
# server in a scratch directory laid out as the repository is (build/wenda,
# content/, data/wenda.db), on free ports instead of 8080 and 8443.  Fails
# when a command fails (curl cannot connect, a token cannot be made) or
# when the output lacks what the examples are there to show.  Bounded: the
# servers are killed on exit, every curl has a time limit.
set -eu

bin=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
repo=$(pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/wenda-readme.XXXXXX")
pids=
cleanup() {
    for p in $pids; do kill "$p" 2>/dev/null || true; done
    [ -f "$tmp/bg.pids" ] && while read -r p; do
        kill "$p" 2>/dev/null || true
    done < "$tmp/bg.pids"
    rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

# A random port from 20000 to 59999; a taken one is retried below.
random_port() {
    echo $(( $(od -An -N2 -tu2 /dev/urandom) % 40000 + 20000 ))
}
port=$(random_port)
tls_port=$(random_port)

mkdir -p "$tmp/build" "$tmp/data"
ln -s "$bin" "$tmp/build/wenda"
ln -s "$repo/content" "$tmp/content"

cd "$tmp"
tries=0
while :; do
    "$bin" serve --port "$port" --db data/wenda.db --content content \
        > server.log 2>&1 &
    pids=$!
    i=0
    until curl -fs --max-time 1 "http://127.0.0.1:$port/healthz" >/dev/null; do
        kill -0 "$pids" 2>/dev/null || break
        i=$((i + 1))
        [ $i -lt 100 ] || { echo "readme: server did not start"; cat server.log; exit 1; }
        sleep 0.1
    done
    kill -0 "$pids" 2>/dev/null && break
    tries=$((tries + 1))     # the port was taken: another one
    [ $tries -lt 5 ] || { echo "readme: server did not start"; cat server.log; exit 1; }
    port=$(random_port)
done

# The blocks, with the ports replaced and a time limit on every curl.
awk -v port="$port" -v tls="$tls_port" '
    /^## Try it/ { on = 1 }
    /^## API/ { on = 0 }
    /^```sh$/ { inblk = 1; blk = ""; next }
    /^```$/ && inblk {
        inblk = 0
        if (on || blk ~ /wenda serve/) printf "%s", blk
        next
    }
    inblk {
        gsub(/127\.0\.0\.1:8080/, "127.0.0.1:" port)
        gsub(/--port 8443/, "--port " tls)
        gsub(/127\.0\.0\.1:8443/, "127.0.0.1:" tls)
        gsub(/^curl /, "curl --max-time 10 ")
        gsub(/\$\(curl /, "$(curl --max-time 10 ")
        blk = blk $0 "\n"
        # A server started in the background is stopped at the end.
        if ($0 ~ /&$/) blk = blk "echo $! >> bg.pids\n"
    }
' "$repo/README.md" > "$tmp/examples.sh"
grep -q "curl" "$tmp/examples.sh" || { echo "readme: no examples found"; exit 1; }

# Twice: an example must leave things as a second run needs them.
for run in 1 2; do
    if ! sh -e examples.sh > out.txt 2> err.txt; then
        echo "readme: an example failed on run $run:"
        tail -20 err.txt; tail -5 out.txt
        exit 1
    fi
    for want in '"status":"ready"' '"slug":"deadlock"' '改过的题目' \
                'Invalid Parameter' '四次挥手' '"seed":7' '204'; do
        grep -qF "$want" out.txt || {
            echo "readme: no '$want' in the output of run $run"
            tail -20 out.txt; exit 1; }
    done
done
# "make run" takes the port as the README says, and as the server does.
for how in "PORT=8399" "WENDA_PORT=8399"; do
    make -s -n -C "$repo" run "$how" 2>/dev/null | grep -q -- "--port '8399'" || {
        echo "readme: 'make run $how' does not serve on port 8399"; exit 1; }
done
echo "== README examples: $(grep -c '' examples.sh) lines ran as printed"
