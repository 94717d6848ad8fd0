#!/usr/bin/env bash
# make bench-scale: how wenda's costs grow with the size of the knowledge
# base.  The 64 topics of content/ are the baseline; then bench-gen writes
# 1,000, 10,000 and 100,000 topics (and 1,000,000 with SCALE_MAX=1000000;
# SCALE_MAX caps the list) and, for each size, this script measures
#
#   - wenda import: wall time, peak RSS (/usr/bin/time), database size on
#     disk (the file and its -wal);
#   - the first 200 of GET /readyz after starting the server on it;
#   - with wrk, 64 keep-alive connections, 2 threads, $SCALE_SECONDS
#     seconds each (default 5): GET /v1/topics/{id} over random ids, the
#     first page of GET /v1/topics, a page about 10,000 topics down the
#     cursor chain (or the deepest there is), and the search mix: the
#     queries of make bench (bench-queries, from the notes' words) and
#     broad ones, the commonest characters and character pairs (and
#     those broad queries alone), and the same words misspelt or slipped
#     as an input method would (bench-queries --slips);
#   - the server's peak and current RSS (VmHWM, VmRSS) after the load;
#   - one request at a time (the median of 5, by curl), the reads whose
#     cost could grow with the base: /readyz, /v1/categories, /v1/tags,
#     /v1/random, a quiz of 50, the related topics of the middle topic, and
#     a search for a common word (线程) filtered by the rarest tag and by
#     the rarest category; and a write, the PATCH of a topic's tags (the
#     median of 5 topics from the middle one on, each after its GET);
#   - wenda import of the same topics again, into the database that holds
#     them (the server stopped): an import matches every topic by slug,
#     rewrites its search index and leaves the topic as it is.
#
# Rates are also given as ratios to the 64-topic row of the same run, since
# this machine is noisy.  SCALE_SEED picks the generated data (default 1);
# SCALE_SERVE_ARGS adds flags to wenda serve.  Everything listens on
# 127.0.0.1 only; the data lives in one temporary directory, removed at the
# end, and each size's database is removed once it has been measured, but
# the last one is moved to $SCALE_KEEP when that names a directory (to look
# into it afterwards: a profile, a query plan).
set -euo pipefail
cd "$(dirname "$0")/../.."

BUILD=${BUILD:-build}
SECONDS_EACH=${SCALE_SECONDS:-5}
MAX=${SCALE_MAX:-100000}
SEED=${SCALE_SEED:-1}
CONNS=64
IMPORT_TIMEOUT=${SCALE_IMPORT_TIMEOUT:-3600}
read -r -a SERVE_ARGS <<<"${SCALE_SERVE_ARGS:-}"
if [ -n "${SCALE_KEEP:-}" ] && [ ! -d "$SCALE_KEEP" ]; then
    echo "bench-scale: SCALE_KEEP=$SCALE_KEEP is not a directory" >&2
    exit 2
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/wenda-scale-XXXXXX")
spid=""

cleanup() {
    if [ -n "$spid" ]; then
        kill "$spid" 2>/dev/null || true
        wait "$spid" 2>/dev/null || true
    fi
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

case "$SECONDS_EACH" in
''|*[!0-9]*|0) echo "bench-scale: SCALE_SECONDS must be a positive integer" >&2
                exit 2 ;;
esac
case "$MAX" in
''|*[!0-9]*) echo "bench-scale: SCALE_MAX must be a number" >&2; exit 2 ;;
esac
[ -x /usr/bin/time ] || { echo "bench-scale: needs /usr/bin/time (make deps-bench)" >&2; exit 1; }

. tests/bench/lib.sh

now_ns() { date +%s%N; }

# Waits (at most 60 s) for url to answer 200; prints the ms it took since t0.
wait_200() {   # url t0 log
    local i
    for i in $(seq 1 12000); do
        if curl -fs -o /dev/null "$1"; then
            echo $(( ($(now_ns) - $2) / 1000000 ))
            return 0
        fi
        kill -0 "$spid" 2>/dev/null || break
        sleep 0.005
    done
    echo "bench-scale: $1 did not come up" >&2
    tail -n 5 "$3" >&2 || true
    exit 1
}

# Follows "next" from $1 (a path with limit=...) up to $2 pages; prints the
# last cursor reached and how many topics precede its page.
walk_cursor() {   # base-url path-with-limit pages page-size
    local cursor="" next depth=0 i
    for i in $(seq 1 "$3"); do
        next=$(curl -fs "$1$2${cursor:+&cursor=$cursor}" |
               sed -n 's/.*"next":"\([^"]*\)".*/\1/p')
        [ -n "$next" ] || break
        cursor=$next
        depth=$((depth + $4))
    done
    echo "$cursor $depth"
}

run_wrk() {   # name port paths-file
    local out
    out=$(BENCH_PATHS="$3" timeout $((SECONDS_EACH + 60)) \
          wrk -t2 -c"$CONNS" -d"${SECONDS_EACH}s" --timeout 10s \
          -s tests/bench/paths.lua "http://127.0.0.1:$2" | grep '^RESULT')
    echo "$1 ${out#RESULT }"
}

# -- the search mix, shared by every size ------------------------------------
"$BUILD/tests/bench-queries" content 2000 2>/dev/null >"$tmp/q.txt"
"$BUILD/tests/bench-gen" --broad-queries 50 >"$tmp/broad-q.txt"
sort -u "$tmp/q.txt" "$tmp/broad-q.txt" | shuf --random-source=<(yes) |
    sed 's|^|/v1/search?q=|' >"$tmp/search.txt"
sed 's|^|/v1/search?q=|' "$tmp/broad-q.txt" >"$tmp/broad.txt"
"$BUILD/tests/bench-queries" --slips content 500 2>/dev/null |
    sed 's|^|/v1/search?q=|' >"$tmp/slips.txt"
nq=$(wc -l <"$tmp/search.txt")

sizes=(64)
for n in 1000 10000 100000 1000000; do
    [ "$n" -le "$MAX" ] && sizes+=("$n")
done

echo "wenda bench-scale: sizes ${sizes[*]} (64 = content/), seed $SEED"
echo "wrk: $CONNS keep-alive connections, 2 threads, ${SECONDS_EACH}s each; $(nproc) cores"
echo "search mix: $nq distinct queries (100 of them broad: commonest characters and pairs)"
echo "wenda serve ${SERVE_ARGS[*]:-(default flags)}"
echo

sizerows=()
readrows=()
onerows=()

# Prints the median of 5 times (ms) of one GET of $1, after one unrecorded.
one_ms() {
    local i
    curl -fs -o /dev/null "$1" || { echo "bench-scale: GET $1 failed" >&2; exit 1; }
    for i in 1 2 3 4 5; do
        curl -fs -o /dev/null -w '%{time_total}\n' "$1"
    done | sort -n | awk 'NR == 3 { printf "%.2f", $1 * 1000 }'
}

# Prints the median of 5 times (ms) of a PATCH of one topic's tags, for
# topics $2 + 1 to $2 + 5 of the server at $1 with the editor token $3,
# after one unrecorded (topic $2).
patch_ms() {   # base-url first-id token
    local i id etag
    for i in 0 1 2 3 4 5; do
        id=$(( $2 + i ))
        etag=$(curl -fsI "$1/v1/topics/$id" | tr -d '\r' |
               sed -n 's/^[Ee][Tt][Aa][Gg]: //p')
        curl -fs -o /dev/null -w '%{time_total}\n' -X PATCH \
            -H "Authorization: Bearer $3" -H "If-Match: $etag" \
            -H 'Content-Type: application/merge-patch+json' \
            --data '{"tags":["bench-scale"]}' "$1/v1/topics/$id" ||
            { echo "bench-scale: PATCH of topic $id failed" >&2; exit 1; }
    done | tail -n 5 | sort -n | awk 'NR == 3 { printf "%.2f", $1 * 1000 }'
}

# The single requests, as "name path" lines, for a server on $1.
one_paths() {
    local base="http://127.0.0.1:$1" tag cat mid
    tag=$(curl -fs "$base/v1/tags" | grep -o '"tag":"[^"]*"' | tail -n 1 |
          sed 's/"tag":"\(.*\)"/\1/')
    cat=$(curl -fs "$base/v1/categories" |
          grep -o '"slug":"[^"]*"[^}]*"count":[0-9]*' |
          sed 's/"slug":"\([^"]*\)".*"count":\([0-9]*\)/\2 \1/' |
          sort -n | awk '$1 > 0 { print $2; exit }')
    mid=$(( ($2 + 1) / 2 ))
    echo "readyz /readyz"
    echo "categories /v1/categories"
    echo "tags /v1/tags"
    echo "random /v1/random"
    echo "quiz50 /v1/quiz?count=50&seed=1"
    echo "related /v1/topics/$mid/related"
    echo "q+tag /v1/search?q=%E7%BA%BF%E7%A8%8B&tag=$tag"
    echo "q+cat /v1/search?q=%E7%BA%BF%E7%A8%8B&category=$cat"
}
for n in "${sizes[@]}"; do
    d="$tmp/$n"
    mkdir -p "$d"
    gen_s="-"
    if [ "$n" = 64 ]; then
        src=(content)
    else
        t0=$(now_ns)
        "$BUILD/tests/bench-gen" --seed "$SEED" --count "$n" --out "$d/gen"
        gen_s=$(awk -v ns=$(( $(now_ns) - t0 )) 'BEGIN { printf "%.2f", ns / 1e9 }')
        src=(--categories "$d/gen/categories.yml" "$d/gen/topics.ndjson")
    fi
    echo "== $n topics: importing" >&2
    timeout "$IMPORT_TIMEOUT" /usr/bin/time -f '%e %M' -o "$d/time" \
        "$BUILD/wenda" import --db "$d/wenda.db" "${src[@]}" >/dev/null
    read -r import_s import_kb <"$d/time"
    db_bytes=0
    for f in "$d/wenda.db" "$d/wenda.db-wal"; do
        [ -f "$f" ] && db_bytes=$((db_bytes + $(stat -c %s "$f")))
    done

    token=$("$BUILD/wenda" token create --role editor --name bench-scale \
            --db "$d/wenda.db")
    port=$(free_port)
    t0=$(now_ns)
    "$BUILD/wenda" serve --bind 127.0.0.1 --port "$port" --db "$d/wenda.db" \
        "${SERVE_ARGS[@]}" 2>"$d/log" &
    spid=$!
    first_ms=$(wait_200 "http://127.0.0.1:$port/readyz" "$t0" "$d/log")
    got=$(curl -fs "http://127.0.0.1:$port/readyz" |
          sed -n 's/.*"topics":\([0-9]*\).*/\1/p')
    if [ "$got" != "$n" ]; then
        echo "bench-scale: the server holds $got topics, not $n" >&2
        exit 1
    fi

    echo "== $n topics: reads" >&2
    awk -v n="$n" 'BEGIN { srand(1); for (i = 0; i < 20000; i++)
                           printf "/v1/topics/%d\n", 1 + int(rand() * n) }' \
        >"$d/byid.txt"
    echo "/v1/topics?limit=20" >"$d/first.txt"
    if [ "$n" -gt 200 ]; then
        read -r cursor depth < <(walk_cursor "http://127.0.0.1:$port" \
                                 "/v1/topics?limit=100" 100 100)
    else
        read -r cursor depth < <(walk_cursor "http://127.0.0.1:$port" \
                                 "/v1/topics?limit=20" 500 20)
    fi
    echo "/v1/topics?limit=20&cursor=$cursor" >"$d/deep.txt"
    # One second of the id mix first, unrecorded: the first measurement of
    # a fresh server should not pay for its warm-up alone.
    BENCH_PATHS="$d/byid.txt" timeout 60 wrk -t2 -c"$CONNS" -d1s \
        -s tests/bench/paths.lua "http://127.0.0.1:$port" >/dev/null
    for target in byid first deep; do
        readrows+=("$n $(run_wrk "$target" "$port" "$d/$target.txt")")
    done
    readrows+=("$n $(run_wrk search "$port" "$tmp/search.txt")")
    readrows+=("$n $(run_wrk broad "$port" "$tmp/broad.txt")")
    readrows+=("$n $(run_wrk slips "$port" "$tmp/slips.txt")")
    while read -r name path; do
        onerows+=("$n $name $(one_ms "http://127.0.0.1:$port$path")")
    done < <(one_paths "$port" "$n")
    onerows+=("$n patch $(patch_ms "http://127.0.0.1:$port" \
                          $(( (n + 1) / 2 )) "$token")")
    hwm_kb=$(awk '/^VmHWM/ { print $2 }' "/proc/$spid/status")
    rss_kb=$(awk '/^VmRSS/ { print $2 }' "/proc/$spid/status")
    kill "$spid"
    wait "$spid" 2>/dev/null || true
    spid=""
    echo "== $n topics: importing again" >&2
    timeout "$IMPORT_TIMEOUT" /usr/bin/time -f '%e' -o "$d/time" \
        "$BUILD/wenda" import --db "$d/wenda.db" "${src[@]}" >/dev/null
    read -r reimport_s <"$d/time"
    rm -rf "$d/gen"
    sizerows+=("$n $gen_s $import_s $import_kb $db_bytes $first_ms $depth $hwm_kb $rss_kb $reimport_s")
    if [ -n "${SCALE_KEEP:-}" ] && [ "$n" = "${sizes[${#sizes[@]}-1]}" ]; then
        for f in wenda.db wenda.db-wal token.key; do
            if [ -f "$d/$f" ]; then mv "$d/$f" "$SCALE_KEEP/${f/wenda/wenda-$n}"; fi
        done
    fi
    rm -rf "$d"
done

printf '\n%9s %7s %9s %10s %9s %11s %10s %11s %11s %11s\n' topics gen_s \
    import_s import_MB db_MB first200_ms deep_at serve_HWM serve_RSS \
    reimport_s
for r in "${sizerows[@]}"; do
    set -- $r
    printf '%9s %7s %9s %10.1f %9.1f %11s %10s %11.1f %11.1f %11s\n' "$1" \
        "$2" "$3" "$(awk -v k="$4" 'BEGIN { print k / 1024 }')" \
        "$(awk -v b="$5" 'BEGIN { print b / 1048576 }')" "$6" "$7" \
        "$(awk -v k="$8" 'BEGIN { print k / 1024 }')" \
        "$(awk -v k="$9" 'BEGIN { print k / 1024 }')" "${10}"
done
echo "(import_MB: peak RSS of wenda import; db_MB: database and -wal;"
echo " deep_at: topics before the deep list page; serve_*: MB after the load;"
echo " reimport_s: the same topics imported again over them)"

printf '\n%-8s %9s %10s %9s %9s %7s %7s %7s\n' target topics req/s p50_ms \
    p99_ms errors x_64 p99_x64
for target in byid first deep search broad slips; do
    base_rps="" base_p99=""
    for r in "${readrows[@]}"; do
        set -- $r
        [ "$2" = "$target" ] || continue
        if [ "$1" = 64 ]; then base_rps=$3; base_p99=$5; fi
        printf '%-8s %9s %10.0f %9.2f %9.2f %7s %7.2f %7.2f\n' "$2" "$1" "$3" \
            "$(awk -v us="$4" 'BEGIN { print us / 1000 }')" \
            "$(awk -v us="$5" 'BEGIN { print us / 1000 }')" "$6" \
            "$(awk -v a="$3" -v b="$base_rps" 'BEGIN { print a / b }')" \
            "$(awk -v a="$5" -v b="$base_p99" 'BEGIN { print (b > 0 ? a / b : 0) }')"
    done
done
echo "(byid: random ids; first: the first list page; deep: a page deep in"
echo " the cursor chain; search: the mix; broad: its 100 broad queries alone;"
echo " slips: its words misspelt or slipped as an input method would;"
echo " x_64 and p99_x64: over the 64-topic row's)"

names=(readyz categories tags random quiz50 related q+tag q+cat patch)
printf '\n%9s' topics
for name in "${names[@]}"; do printf ' %10s' "$name"; done
printf '\n'
for n in "${sizes[@]}"; do
    printf '%9s' "$n"
    for name in "${names[@]}"; do
        for r in "${onerows[@]}"; do
            set -- $r
            if [ "$1" = "$n" ] && [ "$2" = "$name" ]; then printf ' %10s' "$3"; fi
        done
    done
    printf '\n'
done
echo "(ms, median of 5 single requests: quiz50 a quiz of 50; related: of the"
echo " middle topic; q+tag, q+cat: 线程 with the rarest tag, the rarest category;"
echo " patch: a PATCH of a topic's tags, from the middle topic on)"
