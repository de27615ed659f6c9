# Sourced by the other scripts: where the throwaway cluster and the local SODA server live.
# Override any of these in the environment to run a second, independent set-up (pg_regress's
# tests need the default SODA_PORT: make installcheck refuses another).
REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export RUN_DIR=${RUN_DIR:-$REPO_ROOT/.run}
# Ports below 32768, outside Linux's ephemeral range (32768-60999): a port in that range can be
# held by any client connection's source port, and the SODA server once failed to start on
# 55480 with "Address already in use". The bench uses 25433/25481, 25434/25482 and 25435/25483.
export PGPORT=${PGPORT:-25432}
export PGHOST=${PGHOST_DIR:-$RUN_DIR/sock}
export PGUSER=postgres
export PGDATABASE=${PGDATABASE:-chicago}
export SODA_PORT=${SODA_PORT:-25480}
# libpq settings that would take psql elsewhere than the cluster above (a service file's host, a
# host address) or change what the tests see (session options, time zone, date style, client
# encoding): never this set-up's. (Sourced in your own shell, it unsets them there too.)
unset PGSERVICE PGSERVICEFILE PGHOSTADDR PGOPTIONS PGTZ PGDATESTYLE PGCLIENTENCODING
export SODA_URL="http://127.0.0.1:$SODA_PORT"
PG_BINDIR=$(pg_config --bindir 2>/dev/null || echo /usr/lib/postgresql/15/bin)
PYTHON=/usr/bin/python3   # Debian's, with its modules (a pyenv shim may shadow python3)
