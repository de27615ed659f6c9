#!/usr/bin/env bash
# The local SODA test server (test/soda_server), loopback only, on $SODA_PORT.
#   scripts/soda.sh start [server options...]   restarts it (a stale one is stopped first)
#   scripts/soda.sh stop
# start waits until the server has loaded its data and listens: up to $SODA_START_TIMEOUT seconds
# (default 900; the bench's 8 million rows take about 4 minutes), then stops it and fails.
set -euo pipefail
source "$(dirname "$0")/env.sh"
DIR=$RUN_DIR/soda
PIDFILE=$DIR/server.pid

# Whether pid is this set-up's test server, the one writing $PIDFILE (a pid file can outlive its
# server, and the pid be reused by any process, another set-up's server included, which stop
# must not kill).
is_test_server() {
    local args
    args=$({ tr '\0' '\n' <"/proc/$1/cmdline"; } 2>/dev/null) || return 1
    grep -q '/soda_server\.py$' <<<"$args" && grep -qxF -- "$PIDFILE" <<<"$args"
}

end_server() {
    kill "$1" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$1" 2>/dev/null || true
}

stop() {
    local pid
    if [[ -f $PIDFILE ]]; then
        pid=$(cat "$PIDFILE")
        if [[ $pid =~ ^[0-9]+$ ]] && is_test_server "$pid"; then
            end_server "$pid"
        fi
        rm -f "$PIDFILE"
    fi
    # A server whose run directory was deleted under it (rm -rf .run, git clean -fdx) has no pid
    # file left: found by its command line, which names this set-up's pid file.
    for pid in $(pgrep -f '/soda_server\.py' || true); do
        if is_test_server "$pid"; then end_server "$pid"; fi
    done
}

start() {
    stop
    mkdir -p "$DIR"
    : >"$DIR/requests.log"
    nohup "$PYTHON" "$REPO_ROOT/test/soda_server/soda_server.py" --port "$SODA_PORT" \
        --log "$DIR/requests.log" --pidfile "$PIDFILE" "$@" >"$DIR/server.out" 2>&1 &
    local pid=$!
    # The server writes its pid itself once listening; written now too, so that `stop` also
    # ends a server still loading its data (minutes for millions of bench rows).
    echo "$pid" >"$PIDFILE"
    # Real time (microseconds), not loop turns: each turn takes longer than its sleep.
    local timeout=${SODA_START_TIMEOUT:-900} started=${EPOCHREALTIME//[.,]/} limit elapsed note=30
    limit=$(awk -v t="$timeout" 'BEGIN { printf "%d", t * 1000000 }')
    while :; do
        # The whole line: "Address already in use" contains "ready" too.
        if grep -q '^ready: ' "$DIR/server.out" 2>/dev/null; then
            echo "soda: $(grep '^ready: ' "$DIR/server.out" | head -1) at $SODA_URL"
            return 0
        fi
        if ! kill -0 "$pid" 2>/dev/null; then
            rm -f "$PIDFILE"
            echo "soda: server failed to start:" >&2
            cat "$DIR/server.out" >&2
            if grep -q 'Address already in use' "$DIR/server.out"; then
                echo "soda: port $SODA_PORT is taken (another set-up's server? \`make stop\` there)." \
                    "Another SODA_PORT serves a set-up of your own, but pg_regress (make test," \
                    "make installcheck) needs the default, 25480." >&2
            fi
            exit 1
        fi
        elapsed=$((${EPOCHREALTIME//[.,]/} - started))
        ((elapsed < limit)) || break
        if ((elapsed >= note * 1000000)); then
            echo "soda: still loading after $note s"
            note=$((note + 30))
        fi
        sleep 0.1
    done
    stop
    echo "soda: server not ready after $timeout s (SODA_START_TIMEOUT); stopped it" >&2
    cat "$DIR/server.out" >&2
    exit 1
}

case "${1:-}" in
start) shift; start "$@" ;;
stop) stop ;;
*) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
