#!/bin/sh
# structure.sh BUILD -- checks the shape of service/ that docs/design.md
# promises: no source file over 1,500 lines, no function over 80 lines, and
# modules whose calls have no cycle.  A module is a file's name up to its
# first '_' (store_read.c belongs to store); its calls are read off the
# object files in BUILD/service, so they are the calls the linker sees.
set -eu
build=${1:-build}
fail=0

for f in service/*.c; do
    n=$(wc -l < "$f")
    if [ "$n" -gt 1500 ]; then
        echo "$f: $n lines (at most 1,500)"
        fail=1
    fi
done

# A function's body opens with '{' in column 0 and closes with '}' there
# (.clang-format puts them so).
awk '
FNR == 1 { start = 0 }
/^\{/ { start = FNR; name = prev; next }
/^\}/ {
    if (start && FNR - start + 1 > 80) {
        printf "%s:%d: %s is %d lines (at most 80)\n", FILENAME, start,
               name, FNR - start + 1
        bad = 1
    }
    start = 0
    next
}
/^[A-Za-z_][A-Za-z0-9_]*\(/ { prev = $0; sub(/\(.*/, "", prev) }
END { exit bad }
' service/*.c || fail=1

# Module edges "caller callee" for tsort, which reports any loop.
module() { basename "$1" .o | sed 's/_.*//'; }
defs=$(mktemp)
edges=$(mktemp)
trap 'rm -f "$defs" "$edges"' EXIT
for o in "$build"/service/*.o; do
    m=$(module "$o")
    nm -P --defined-only "$o" | awk -v m="$m" '$2 ~ /^[TDBR]$/ { print $1, m }'
done | sort -u > "$defs"
for o in "$build"/service/*.o; do
    m=$(module "$o")
    nm -P --undefined-only "$o" | awk '{ print $1 }' | sort -u |
        join - "$defs" | awk -v m="$m" '$2 != m { print m, $2 }'
done | sort -u > "$edges"
if ! tsort "$edges" > /dev/null 2> "$defs.err"; then
    echo "the modules' calls have a cycle:"
    cat "$defs.err"
    fail=1
fi
rm -f "$defs.err"
exit $fail
