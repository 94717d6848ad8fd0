#!/bin/sh
# serve_once.sh WENDA DIR -- starts the installed WENDA in DIR, where there
# is no ./content, with a new database DIR/wenda.db, waits until it answers
# /readyz on 127.0.0.1, and stops it: the database must have been made
# from the content make install put beside the binary.  Bounded: 20 tries
# of a free port, 10 s for the server to come up.
set -u
wenda=$1 dir=$2
cd "$dir" || exit 1
for try in $(seq 1 20); do
    port=$(shuf -i 20000-60999 -n 1)
    "$wenda" serve --port "$port" --db "$dir/wenda.db" >"$dir/log" 2>&1 &
    pid=$!
    for i in $(seq 1 100); do
        if curl -fs -o /dev/null "http://127.0.0.1:$port/readyz"; then
            kill "$pid" && wait "$pid"
            grep -q 'share/wenda/content' "$dir/log" || {
                echo "serve_once: the database was not made from the installed content:" >&2
                cat "$dir/log" >&2
                exit 1
            }
            exit 0
        fi
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
    grep -q 'Address already in use\|cannot bind\|bind' "$dir/log" || break
    rm -f "$dir/wenda.db"
done
echo "serve_once: $wenda did not come up:" >&2
cat "$dir/log" >&2
exit 1
