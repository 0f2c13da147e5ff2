# shellcheck shell=bash
# A private PostgreSQL 15 cluster in a folder of its own, no system service needed: initdb +
# pg_ctl, listening on 127.0.0.1:<port> and on a unix socket in the folder, fsync on. Source it:
#   source scripts/lib/pg.sh
#   pg_init  /tmp/fleet/pg 55432     # initdb into /tmp/fleet/pg/data (once; idempotent)
#   pg_start /tmp/fleet/pg           # pg_ctl start -w (the port is in the cluster's config)
#   pg_conninfo /tmp/fleet/pg [db]   # prints the libpq conninfo (unix socket) for PostgresStore
#   pg_psql /tmp/fleet/pg DB -c 'SELECT 1'
#   pg_stop  /tmp/fleet/pg [fast|immediate]
# Root: postgres refuses to run as root. When run as root, the folder is chowned to the Debian
# `postgres` user (created by the postgresql-15 package) and initdb, pg_ctl and the server run as
# that user (runuser -u postgres --). The database superuser is `meg`, trusted on the socket and
# on 127.0.0.1 only (a private cluster for one machine; put a password and scram-sha-256 in
# pg_hba.conf before listening anywhere else).

PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}

# Runs a command as the cluster's owner: postgres when we are root, else ourselves.
_pg_as_owner() {
  if [[ $(id -u) -eq 0 ]]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

# pg_init DIR PORT [extra postgresql.conf lines...]: creates the cluster in DIR/data unless one is
# there. Extra settings, e.g. "max_wal_size = '2GB'", are appended to postgresql.conf.
pg_init() {
  local dir=$1 port=$2
  shift 2
  if [[ -f "$dir/data/PG_VERSION" ]]; then return 0; fi
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  if [[ $(id -u) -eq 0 ]]; then chown postgres: "$dir"; fi
  (cd "$dir" && _pg_as_owner "$PG_BIN/initdb" -D "$dir/data" -U meg --auth=trust --no-sync \
    --encoding=UTF8 --locale=C >"$dir/initdb.log" 2>&1) || {
    echo "pg_init: initdb failed, see $dir/initdb.log" >&2
    return 1
  }
  {
    echo ""
    echo "# scripts/lib/pg.sh"
    echo "port = $port"
    echo "listen_addresses = '127.0.0.1'"
    echo "unix_socket_directories = '$dir'"
    echo "fsync = on"
    echo "synchronous_commit = on"
    echo "recovery_init_sync_method = syncfs  # after a crash: one syncfs(2), not an fsync per file"
    for line in "$@"; do echo "$line"; done
  } >>"$dir/data/postgresql.conf"
}

# pg_start DIR: starts the cluster and waits until it accepts connections (crash recovery first,
# if it was killed). The server's log is DIR/postgres.log. After a kill -9 the dead postmaster
# must have been reaped first: an unreaped one (a zombie: this machine's init does not reap
# orphans) keeps postmaster.pid "in use" and the start fails ("lock file already exists").
pg_start() {
  local dir
  dir=$(cd "$1" && pwd)
  (cd "$dir" && _pg_as_owner "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -t 120 \
    start >"$dir/pg_ctl.log" 2>&1) || {
    echo "pg_start: the server did not start, see $dir/postgres.log" >&2
    return 1
  }
}

# pg_stop DIR [MODE]: stops the cluster (MODE fast by default: rolls back open transactions and
# checkpoints; immediate: no checkpoint, recovery at the next start). Nothing if it is not running.
pg_stop() {
  local dir mode=${2:-fast}
  dir=$(cd "$1" && pwd)
  [[ -f "$dir/data/postmaster.pid" ]] || return 0
  (cd "$dir" && _pg_as_owner "$PG_BIN/pg_ctl" -D "$dir/data" -m "$mode" -w -t 60 stop \
    >>"$dir/pg_ctl.log" 2>&1)
}

# pg_port DIR: the port the cluster listens on.
pg_port() {
  sed -n "s/^port = \([0-9]*\)$/\1/p" "$1/data/postgresql.conf" | tail -n 1
}

# pg_conninfo DIR [DB]: the libpq conninfo of database DB (default postgres) over the socket.
pg_conninfo() {
  local dir
  dir=$(cd "$1" && pwd)
  echo "host=$dir port=$(pg_port "$dir") user=meg dbname=${2:-postgres}"
}

# pg_psql DIR [DB [psql arguments...]]: psql on the cluster (give DB when giving arguments).
pg_psql() {
  local dir=$1 db=${2:-postgres}
  shift
  (($# > 0)) && shift
  "$PG_BIN/psql" -X -d "$(pg_conninfo "$dir" "$db")" "$@"
}
