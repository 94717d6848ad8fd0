# Sourced by the bench scripts: what each of them needs.

# Prints a TCP port on 127.0.0.1 that nothing listens on.
free_port() {
    local p
    while :; do
        p=$((20000 + RANDOM % 12000))
        (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
    done
}

# Stops every process whose pid is in the array pids, and waits for them.
stop_all() {
    local p
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
}
