#!/usr/bin/env bash
# The local SODA test server (test/soda_server), loopback only, on $SODA_PORT.
#   scripts/soda.sh start [server options...]   restarts it (a stale one is stopped first)
#   scripts/soda.sh stop
set -euo pipefail
source "$(dirname "$0")/env.sh"
DIR=$RUN_DIR/soda
PIDFILE=$DIR/server.pid

stop() {
    [[ -f $PIDFILE ]] || return 0
    local pid
    pid=$(cat "$PIDFILE")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
    rm -f "$PIDFILE"
}

start() {
    stop
    mkdir -p "$DIR"
    : >"$DIR/requests.log"
    nohup "$PYTHON" "$REPO_ROOT/test/soda_server/soda_server.py" --port "$SODA_PORT" \
        --log "$DIR/requests.log" --pidfile "$PIDFILE" "$@" >"$DIR/server.out" 2>&1 &
    for _ in $(seq 1200); do
        if grep -q ready "$DIR/server.out" 2>/dev/null; then
            echo "soda: $(grep ready "$DIR/server.out" | head -1) at $SODA_URL"
            return 0
        fi
        if ! kill -0 $! 2>/dev/null; then break; fi
        sleep 0.1
    done
    echo "soda: server failed to start:" >&2
    cat "$DIR/server.out" >&2
    exit 1
}

case "${1:-}" in
start) shift; start "$@" ;;
stop) stop ;;
*) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
