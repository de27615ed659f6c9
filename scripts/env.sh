# Sourced by the other scripts: where the throwaway cluster and the local SODA server live.
# Override any of these in the environment to run a second, independent set-up.
REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export RUN_DIR=${RUN_DIR:-$REPO_ROOT/.run}
export PGPORT=${PGPORT:-55432}
export PGHOST=${PGHOST_DIR:-$RUN_DIR/sock}
export PGUSER=postgres
export PGDATABASE=${PGDATABASE:-chicago}
export SODA_PORT=${SODA_PORT:-55480}
export SODA_URL="http://127.0.0.1:$SODA_PORT"
PG_BINDIR=$(pg_config --bindir 2>/dev/null || echo /usr/lib/postgresql/15/bin)
PYTHON=/usr/bin/python3   # Debian's, with its modules (a pyenv shim may shadow python3)
