#!/bin/sh
# Runs wenda under valgrind's memcheck; make valgrind names this script as
# WENDA_BIN, so that every server and command the end-to-end tests start
# runs this way.  WENDA_VALGRIND_BIN is the wenda binary (an absolute path:
# commands run in a temporary directory), WENDA_VALGRIND_LOGS the directory
# for one log per process.  valgrind writes to a log only when it finds an
# error or a definite or indirect leak, and then exits 99 instead of
# wenda's own status; a process killed with SIGKILL leaves its log empty.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
exec valgrind --quiet --leak-check=full \
    --show-leak-kinds=definite,indirect \
    --errors-for-leak-kinds=definite,indirect \
    --error-exitcode=99 \
    --suppressions="$here/valgrind.supp" \
    --log-file="$WENDA_VALGRIND_LOGS/wenda.%p.log" \
    "$WENDA_VALGRIND_BIN" "$@"
