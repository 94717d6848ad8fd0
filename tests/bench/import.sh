#!/usr/bin/env bash
# make bench-import: POST /v1/import of generated topics over HTTP, and how
# long an editor's POST /v1/topics waits while the import holds the writer.
#
# For each size in $IMPORT_SIZES (default "5000 20000"), bench-gen writes
# that many topics (seed $IMPORT_SEED, default 1); a database is made with
# their categories and no topic (wenda import --categories of an empty
# file), the server started on it, and the topics sent as one NDJSON body
# with an admin token.  bench-gen gives every topic an order; unless
# IMPORT_ORDER=1 it is taken out, so that each topic is given the next
# order when it is created, as a topic written without one is.  From 0.2 s after the upload begins until the import
# answers, an editor creates one topic after another (POST /v1/topics
# without an order), each waiting for the one before; the longest of these
# waits, and how many went through, are printed beside the import's time.
# Then the same body is sent again, over the topics it created: every topic
# is replaced by its slug.
#
# WENDA names the binary (default $BUILD/wenda), so that two builds can be
# compared on the same data.  Everything listens on 127.0.0.1 only; the
# data lives in one temporary directory, removed at the end.
set -euo pipefail
cd "$(dirname "$0")/../.."

BUILD=${BUILD:-build}
WENDA=${WENDA:-$BUILD/wenda}
SIZES=${IMPORT_SIZES:-5000 20000}
SEED=${IMPORT_SEED:-1}
ORDER=${IMPORT_ORDER:-0}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/wenda-import-XXXXXX")
spid=""
wpid=""

cleanup() {
    for p in "$wpid" "$spid"; do
        if [ -n "$p" ]; then
            kill "$p" 2>/dev/null || true
            wait "$p" 2>/dev/null || true
        fi
    done
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

. tests/bench/lib.sh

wait_up() {   # url log
    for _ in $(seq 1 1000); do
        curl -fs -o /dev/null "$1" && return 0
        kill -0 "$spid" 2>/dev/null || break
        sleep 0.01
    done
    echo "bench-import: $1 did not come up" >&2
    tail -n 5 "$2" >&2 || true
    exit 1
}

# Creates topics as the editor token $2 on the server at $1, one after the
# other, until the file $3 exists; prints each one's status and seconds.
editor_posts() {   # base token stop-file
    local i=0
    while [ ! -e "$3" ]; do
        i=$((i + 1))
        curl -s -o /dev/null -w '%{http_code} %{time_total}\n' \
            -H "Authorization: Bearer $2" -H 'Content-Type: application/json' \
            --data "{\"slug\":\"during-import-$i-$RANDOM\",\"title\":\"t $i\",\"title_en\":\"\",\"category\":\"$4\",\"tags\":[\"bench\"],\"aliases\":[],\"answer\":\"a\"}" \
            "$1/v1/topics"
    done
}

echo "wenda bench-import: $WENDA, sizes $SIZES, seed $SEED, $(nproc) cores," \
     "topics $([ "$ORDER" = 0 ] && echo without || echo with) an order"
printf '%7s %9s %9s %11s %7s %11s %7s\n' topics body_MB import_s max_wait_s posts reimport_s wal_MB
for n in $SIZES; do
    d="$tmp/$n"
    mkdir -p "$d"
    "$BUILD/tests/bench-gen" --seed "$SEED" --count "$n" --out "$d/gen" >/dev/null
    if [ "$ORDER" = 0 ]; then
        sed -i 's/,"order":[0-9]*,/,/' "$d/gen/topics.ndjson"
    fi
    : >"$d/empty.ndjson"
    "$WENDA" import --no-progress --db "$d/wenda.db" \
        --categories "$d/gen/categories.yml" "$d/empty.ndjson" >/dev/null
    admin=$("$WENDA" token create --role admin --name bench --db "$d/wenda.db" 2>/dev/null)
    editor=$("$WENDA" token create --role editor --name editor --db "$d/wenda.db" 2>/dev/null)
    category=$(sed -n 's/^- *slug: *//p; s/^ *slug: *//p' "$d/gen/categories.yml" |
               head -n 1 | tr -d '"'"'")
    port=$(free_port)
    base="http://127.0.0.1:$port"
    "$WENDA" serve --bind 127.0.0.1 --port "$port" --db "$d/wenda.db" \
        --max-body 1073741824 --idle-timeout 3600 2>"$d/log" &
    spid=$!
    wait_up "$base/healthz" "$d/log"

    body_mb=$(awk -v b="$(stat -c %s "$d/gen/topics.ndjson")" \
              'BEGIN { printf "%.1f", b / 1048576 }')
    rm -f "$d/stop"
    ( sleep 0.2; editor_posts "$base" "$editor" "$d/stop" "$category" ) \
        >"$d/posts" &
    wpid=$!
    import_s=$(curl -s -o "$d/answer" -w '%{time_total}' \
        -H "Authorization: Bearer $admin" \
        -H 'Content-Type: application/x-ndjson' \
        --data-binary @"$d/gen/topics.ndjson" "$base/v1/import")
    touch "$d/stop"
    wait "$wpid"
    wpid=""
    grep -q "\"imported\":$n" "$d/answer" || {
        echo "bench-import: the import answered: $(head -c 300 "$d/answer")" >&2
        exit 1
    }
    if grep -qv '^201 ' "$d/posts"; then
        echo "bench-import: an editor's POST failed: $(grep -v '^201 ' "$d/posts" | head -n 3)" >&2
        exit 1
    fi
    posts=$(wc -l <"$d/posts")
    max_wait=$(awk 'BEGIN { m = 0 } $2 > m { m = $2 } END { printf "%.3f", m }' "$d/posts")
    reimport_s=$(curl -s -o "$d/answer" -w '%{time_total}' \
        -H "Authorization: Bearer $admin" \
        -H 'Content-Type: application/x-ndjson' \
        --data-binary @"$d/gen/topics.ndjson" "$base/v1/import")
    grep -q "\"imported\":$n" "$d/answer" || {
        echo "bench-import: the second import answered: $(head -c 300 "$d/answer")" >&2
        exit 1
    }
    # The writer empties the log after it answers: give it 5 s.
    for _ in $(seq 1 50); do
        [ "$(stat -c %s "$d/wenda.db-wal" 2>/dev/null || echo 0)" -lt 8388608 ] &&
            break
        sleep 0.1
    done
    wal_mb=$(awk -v b="$(stat -c %s "$d/wenda.db-wal" 2>/dev/null || echo 0)" \
             'BEGIN { printf "%.1f", b / 1048576 }')
    kill "$spid"
    wait "$spid" 2>/dev/null || true
    spid=""
    printf '%7s %9s %9.2f %11s %7s %11.2f %7s\n' "$n" "$body_mb" "$import_s" \
        "$max_wait" "$posts" "$reimport_s" "$wal_mb"
    rm -rf "$d"
done
echo "(import_s: POST /v1/import into a database without topics, upload"
echo " included; max_wait_s: the longest an editor's POST /v1/topics took"
echo " meanwhile, posts: how many were sent, one after the other;"
echo " reimport_s: the same body again, every topic replaced; wal_MB: the"
echo " write-ahead log up to 5 s after the second import answered)"
