#!/usr/bin/env bash
# Start or stop the services the test suite needs, on loopback, in a private folder:
#   scripts/services.sh start DIR   -> prints `export` lines (TEST_POSTGRES_URL, TEST_BROKER_URL, TEST_CHROMIUM)
#   scripts/services.sh stop DIR
# PostgreSQL, RabbitMQ and Chromium are installed from Debian's packages when missing. Nothing listens beyond 127.0.0.1.
set -euo pipefail

cmd=${1:?usage: services.sh start|stop DIR}
dir=${2:?usage: services.sh start|stop DIR}

say() { echo "services: $*" >&2; }

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

apt_install() {
    say "installing $* from Debian's packages"
    if [ "$(id -u)" = 0 ]; then
        [ -n "${APT_UPDATED:-}" ] || { apt-get update -qq >&2; APT_UPDATED=1; }
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >&2
    else
        say "not root: cannot install $*; install them and retry"
        return 1
    fi
}

pg_bin() {
    local found
    found=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
    echo "$found"
}

start_postgres() {
    local bin
    bin=$(pg_bin)
    if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
        apt_install postgresql
        bin=$(pg_bin)
    fi
    local data="$dir/pg" port
    port=$(free_port)
    mkdir -p "$data"
    local runas=()
    if [ "$(id -u)" = 0 ]; then
        # PostgreSQL refuses to run as root: run it as the `postgres` system user (created by the package) or nobody.
        local user=postgres
        id "$user" >/dev/null 2>&1 || user=nobody
        chown -R "$user" "$data"
        runas=(runuser -u "$user" --)
    fi
    if ! "${runas[@]}" "$bin/initdb" -D "$data/db" -U postgres -A trust --no-sync >"$data/initdb.log" 2>&1; then
        say "initdb failed:"; cat "$data/initdb.log" >&2; return 1
    fi
    "${runas[@]}" "$bin/pg_ctl" -D "$data/db" -l "$data/server.log" -w \
        -o "-p $port -k $data -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
        start >&2
    "$bin/psql" -h 127.0.0.1 -p "$port" -U postgres -qc "CREATE DATABASE treeherder_test" >&2
    echo "$port" >"$data/port"
    echo "export TEST_POSTGRES_URL=postgresql+psycopg://postgres@127.0.0.1:$port/treeherder_test"
    echo "export TEST_POSTGRES_ADMIN_URL=postgresql+psycopg://postgres@127.0.0.1:$port/postgres"
}

stop_postgres() {
    local bin data="$dir/pg"
    bin=$(pg_bin)
    [ -d "$data/db" ] || return 0
    local runas=()
    if [ "$(id -u)" = 0 ]; then
        runas=(runuser -u "$(stat -c %U "$data/db")" --)
    fi
    "${runas[@]}" "$bin/pg_ctl" -D "$data/db" -m fast -w stop >&2 || true
}

start_rabbitmq() {
    # The Debian wrapper in /usr/sbin switches to the system user and its folders; the real script takes our env.
    local server=/usr/lib/rabbitmq/bin/rabbitmq-server
    if [ ! -x "$server" ]; then
        apt_install rabbitmq-server
    fi
    # The package starts a system-wide node; ours is private (own name, ports, data dir), so stop theirs.
    if command -v systemctl >/dev/null 2>&1; then systemctl stop rabbitmq-server >/dev/null 2>&1 || true; fi
    local data="$dir/rabbitmq" port dist_port
    port=$(free_port)
    dist_port=$(free_port)
    mkdir -p "$data"
    local node="treeherder-test-$$@localhost"
    cat >"$data/rabbitmq.conf" <<CONF
listeners.tcp.1 = 127.0.0.1:$port
loopback_users = none
management_agent.disable_metrics_collector = true
CONF
    echo "[]." >"$data/enabled_plugins"
    (
        export RABBITMQ_NODENAME="$node" RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 RABBITMQ_NODE_PORT="$port" \
            RABBITMQ_DIST_PORT="$dist_port" RABBITMQ_MNESIA_BASE="$data/mnesia" RABBITMQ_LOG_BASE="$data/log" \
            RABBITMQ_CONFIG_FILE="$data/rabbitmq" RABBITMQ_ENABLED_PLUGINS_FILE="$data/enabled_plugins" \
            RABBITMQ_PID_FILE="$data/pid" HOME="$data"
        [ -f "$HOME/.erlang.cookie" ] || { head -c 20 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$HOME/.erlang.cookie"; chmod 400 "$HOME/.erlang.cookie"; }
        nohup "$server" >"$data/server.out" 2>&1 &
        echo $! >"$data/launcher.pid"
    )
    for _ in $(seq 1 240); do
        if ! kill -0 "$(cat "$data/launcher.pid")" 2>/dev/null; then
            break
        fi
        if python3 -c "import socket,sys; s=socket.create_connection(('127.0.0.1', $port), 1); s.close()" 2>/dev/null; then
            sleep 1
            echo "$node" >"$data/node"
            echo "$port" >"$data/port"
            echo "export TEST_BROKER_URL=amqp://guest:guest@127.0.0.1:$port//"
            echo "export TEST_RABBITMQ_DIR=$data"
            return 0
        fi
        sleep 0.5
    done
    say "RabbitMQ did not start; see $data/server.out"
    return 1
}

stop_rabbitmq() {
    local data="$dir/rabbitmq"
    [ -f "$data/launcher.pid" ] || return 0
    if [ -f "$data/pid" ]; then kill "$(cat "$data/pid")" 2>/dev/null || true; fi
    pkill -f "treeherder-test-.*$(basename "$dir")" 2>/dev/null || true
    kill "$(cat "$data/launcher.pid")" 2>/dev/null || true
    # Erlang's beam process is a grandchild; find it by its data dir.
    pkill -f "$data/mnesia" 2>/dev/null || true
}

# The browser tests drive Debian's Chromium through Playwright (never `playwright install`: no downloads at test time).
ensure_chromium() {
    if [ ! -x /usr/bin/chromium ]; then
        apt_install chromium
    fi
    echo "export TEST_CHROMIUM=/usr/bin/chromium"
}

case "$cmd" in
    start)
        mkdir -p "$dir"
        # The servers run as their own system users, which must be able to reach their data folders.
        chmod 755 "$dir"
        ensure_chromium
        start_postgres
        start_rabbitmq
        ;;
    stop)
        stop_rabbitmq
        stop_postgres
        ;;
    *)
        echo "usage: services.sh start|stop DIR" >&2
        exit 2
        ;;
esac
