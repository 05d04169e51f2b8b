#!/usr/bin/env bash
# Start (installing first when missing) the services envoxy's integration tests
# use, each only if nothing already listens on its loopback port. Idempotent.
#
#   scripts/services.sh start|stop|status [postgres redis mosquitto rabbitmq couchdb clickhouse]
#
# Ports follow the ENVOXY_TEST_*_PORT variables the tests read. Daemons are
# started by hand (no systemd); apt never starts them on these machines.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RUN_DIR="${ENVOXY_SERVICES_DIR:-$ROOT/.services}"
PG_PORT="${ENVOXY_TEST_PG_PORT:-5432}"
REDIS_PORT="${ENVOXY_TEST_REDIS_PORT:-6379}"
MQTT_PORT="${ENVOXY_TEST_MQTT_PORT:-1883}"
AMQP_PORT="${ENVOXY_TEST_AMQP_PORT:-5672}"
COUCH_PORT="${ENVOXY_TEST_COUCHDB_PORT:-5984}"
CLICKHOUSE_PORT="${ENVOXY_TEST_CLICKHOUSE_PORT:-8123}"
COUCH_DIR="$ROOT/tools/couchdb-stand-in"
CLICKHOUSE_DIR="$ROOT/tools/clickhouse-stand-in"
# chdb is ~900 MB: installed once per machine, outside the checkout
CACHE_DIR="${ENVOXY_SERVICES_CACHE:-$HOME/.cache/envoxy-services}"
mkdir -p "$RUN_DIR"

say() { printf '[services] %s\n' "$*" >&2; }
listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# wait_until SECONDS WHAT COMMAND...: poll COMMAND every 0.2 s, bounded.
wait_until() {
  local limit=$1 what=$2 start=$SECONDS
  shift 2
  until "$@" >/dev/null 2>&1; do
    if (( SECONDS - start >= limit )); then say "$what did not come up within ${limit}s"; return 1; fi
    sleep 0.2
  done
  say "$what is up"
}

need_packages() {
  local missing=() pkg
  for pkg in "$@"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
  (( ${#missing[@]} )) || return 0
  say "installing ${missing[*]}"
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

start_postgres() {
  if listening "$PG_PORT"; then say "postgres already listening on $PG_PORT"; else
    need_packages postgresql
    local version
    version="$(ls /usr/lib/postgresql | sort -V | tail -1)"
    pg_lsclusters -h | awk '{print $1, $2}' | grep -qx "$version main" \
      || pg_createcluster "$version" main -p "$PG_PORT" >/dev/null
    pg_ctlcluster --skip-systemctl-redirect "$version" main start
    wait_until 30 postgres pg_isready -q -h 127.0.0.1 -p "$PG_PORT"
  fi
  # The tests use database "test"; make sure it exists.
  if command -v psql >/dev/null && ! psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -Atqc \
      "select 1 from pg_database where datname = 'test'" postgres 2>/dev/null | grep -q 1; then
    psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -qc "create database test" postgres >/dev/null 2>&1 \
      || say "could not create database test (check pg_hba trust for 127.0.0.1)"
  fi
}

start_redis() {
  if listening "$REDIS_PORT"; then say "redis already listening on $REDIS_PORT"; return; fi
  need_packages redis-server
  redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --daemonize yes --save '' --appendonly no \
    --dir "$RUN_DIR" --pidfile "$RUN_DIR/redis.pid" --logfile "$RUN_DIR/redis.log"
  wait_until 10 redis listening "$REDIS_PORT"
}

start_mosquitto() {
  if listening "$MQTT_PORT"; then say "mosquitto already listening on $MQTT_PORT"; return; fi
  need_packages mosquitto mosquitto-clients
  local dir="$RUN_DIR/mosquitto"
  mkdir -p "$dir"
  chown mosquitto: "$dir" 2>/dev/null || true   # run as root, mosquitto drops to its own user
  cat > "$dir/mosquitto.conf" <<EOF
listener $MQTT_PORT 127.0.0.1
allow_anonymous true
persistence false
pid_file $dir/mosquitto.pid
log_dest file $dir/mosquitto.log
EOF
  mosquitto -d -c "$dir/mosquitto.conf"
  wait_until 10 mosquitto listening "$MQTT_PORT"
}

start_rabbitmq() {
  if listening "$AMQP_PORT"; then say "rabbitmq already listening on $AMQP_PORT"; return; fi
  need_packages rabbitmq-server
  RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 RABBITMQ_NODE_PORT="$AMQP_PORT" ERL_EPMD_ADDRESS=127.0.0.1 \
    rabbitmq-server -detached
  # await_startup fails at once before the node registers: wait for the port first.
  wait_until 90 rabbitmq listening "$AMQP_PORT"
  rabbitmqctl -q await_startup --timeout 60 >/dev/null 2>&1 || say "rabbitmqctl await_startup did not confirm"
}

start_couchdb() {
  if listening "$COUCH_PORT"; then say "couchdb stand-in already listening on $COUCH_PORT"; return; fi
  command -v node >/dev/null || need_packages nodejs npm
  if [ ! -d "$COUCH_DIR/node_modules" ]; then
    (cd "$COUCH_DIR" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
  fi
  PORT="$COUCH_PORT" LOG_PATH="$RUN_DIR/couchdb.log" \
    nohup node "$COUCH_DIR/server.js" >"$RUN_DIR/couchdb.out" 2>&1 &
  echo $! >"$RUN_DIR/couchdb.pid"
  wait_until 30 "couchdb stand-in" listening "$COUCH_PORT"
}

start_clickhouse() {
  if listening "$CLICKHOUSE_PORT"; then say "clickhouse stand-in already listening on $CLICKHOUSE_PORT"; return; fi
  local requirement target
  requirement="$(grep -v '^#' "$CLICKHOUSE_DIR/requirements.txt" | tr -d '[:space:]')"
  target="$CACHE_DIR/${requirement/==/-}"
  if [ ! -f "$target/.installed" ]; then
    say "installing $requirement into $target"
    rm -rf "$target" && mkdir -p "$target"
    python3 -m pip install --quiet --disable-pip-version-check --no-warn-conflicts --root-user-action=ignore --target "$target" "$requirement"
    touch "$target/.installed"
  fi
  rm -rf "$RUN_DIR/clickhouse" && mkdir -p "$RUN_DIR/clickhouse"
  PYTHONPATH="$target" nohup python3 "$CLICKHOUSE_DIR/server.py" --port "$CLICKHOUSE_PORT" \
    --path "$RUN_DIR/clickhouse/data" >"$RUN_DIR/clickhouse/server.out" 2>&1 &
  echo $! >"$RUN_DIR/clickhouse.pid"
  wait_until 60 "clickhouse stand-in" listening "$CLICKHOUSE_PORT"
}

stop_pid_file() { [ -f "$1" ] && kill "$(cat "$1")" 2>/dev/null; rm -f "$1"; }
stop_postgres() { say "postgres is left running (shared by the machine)"; }
stop_redis() { stop_pid_file "$RUN_DIR/redis.pid" || true; }
stop_mosquitto() { stop_pid_file "$RUN_DIR/mosquitto/mosquitto.pid" || true; }
stop_rabbitmq() { say "rabbitmq is left running (shared by the machine)"; }
stop_couchdb() { stop_pid_file "$RUN_DIR/couchdb.pid" || true; }
stop_clickhouse() { stop_pid_file "$RUN_DIR/clickhouse.pid" || true; }

status() {
  local entry
  for entry in "postgres:$PG_PORT" "redis:$REDIS_PORT" "mosquitto:$MQTT_PORT" \
               "rabbitmq:$AMQP_PORT" "couchdb:$COUCH_PORT" "clickhouse:$CLICKHOUSE_PORT"; do
    if listening "${entry#*:}"; then echo "${entry%%:*}: up (${entry#*:})"
    else echo "${entry%%:*}: down (${entry#*:})"; fi
  done
}

command="${1:-start}"
shift || true
names=("$@")
(( ${#names[@]} )) || names=(postgres redis mosquitto rabbitmq couchdb clickhouse)
case "$command" in
  start) for name in "${names[@]}"; do "start_$name"; done ;;
  stop) for name in "${names[@]}"; do "stop_$name"; done ;;
  status) status ;;
  *) echo "usage: $0 start|stop|status [postgres redis mosquitto rabbitmq couchdb clickhouse]" >&2; exit 2 ;;
esac
