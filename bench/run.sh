#!/usr/bin/env bash
# make bench: requests/s, latency, size and SQL of QKart's key pages, against a floor.
#
# 1. database: restore the cached pg_dump of a seeded bench database, or seed one
#    (db upgrade, seed, seed --products N) and cache its dump;
# 2. servers: QKart and bench/floor.py, each on gunicorn with 2 workers, on 127.0.0.1;
# 3. bench/measure.py: log in, check pages answer 200, count SQL, load with wrk, report.
# Every server started here is stopped on exit, failure or Ctrl+C. Settings: bench/README.md.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
BIN=${BENCH_VENV:-$ROOT/.venv}/bin

BENCH_PRODUCTS=${BENCH_PRODUCTS:-10000}
BENCH_EVENTS=${BENCH_EVENTS:-1000000}
BENCH_ADMIN_EMAIL=bench-admin@example.com
BENCH_ADMIN_PASSWORD=${BENCH_ADMIN_PASSWORD:-"bench-admin-$RANDOM$RANDOM$RANDOM"}
BENCH_DB=${BENCH_DB:-qkart_bench}
BENCH_PORT=${BENCH_PORT:-5101}
BENCH_FLOOR_PORT=${BENCH_FLOOR_PORT:-5102}
BENCH_WORKERS=${BENCH_WORKERS:-2}
BENCH_CACHE=${BENCH_CACHE:-instance/bench}
BENCH_OUT=${BENCH_OUT:-reports/bench}
export PGHOST=${BENCH_PGHOST:-127.0.0.1} PGPORT=${BENCH_PGPORT:-5432} PGUSER=${BENCH_PGUSER:-postgres}

SERVER_PIDS=()
PHASES=""
PHASE_NAME=""
PHASE_T0=0
RUN_T0=$(date +%s.%N)

die() {
    echo "bench: $*" >&2
    exit 1
}

elapsed_since() {
    awk -v start="$1" -v now="$(date +%s.%N)" 'BEGIN { printf "%.1f", now - start }'
}

phase_start() {
    PHASE_NAME=$1
    PHASE_T0=$(date +%s.%N)
    echo "== $1 =="
}

phase_end() {
    local took
    took=$(elapsed_since "$PHASE_T0")
    PHASES+="$PHASE_NAME=$took;"
    echo "   $PHASE_NAME took ${took}s"
}

stop_server() {
    local pid=$1
    kill -TERM "$pid" 2>/dev/null || return 0
    for _ in $(seq 50); do
        kill -0 "$pid" 2>/dev/null || return 0
        sleep 0.2
    done
    echo "bench: gunicorn $pid did not stop in 10 s; killing it" >&2
    kill -KILL "$pid" 2>/dev/null || true
}

cleanup() {
    local status=$?
    trap - EXIT INT TERM
    if ((${#SERVER_PIDS[@]})); then
        local t0
        t0=$(date +%s.%N)
        for pid in "${SERVER_PIDS[@]}"; do
            stop_server "$pid"
        done
        echo "== servers stopped in $(elapsed_since "$t0")s =="
    fi
    rm -f "$BENCH_CACHE"/*.dump.partial
    echo "bench: finished in $(elapsed_since "$RUN_T0")s (exit $status)"
    exit "$status"
}
trap cleanup EXIT
trap 'echo "bench: interrupted" >&2; exit 130' INT TERM

check_settings() {
    [[ $BENCH_PRODUCTS =~ ^[1-9][0-9]*$ ]] || die "BENCH_PRODUCTS must be a positive integer"
    [[ $BENCH_EVENTS =~ ^[0-9]+$ ]] || die "BENCH_EVENTS must be a whole number"
    # Only ever drop a database that is obviously ours (never test, postgres, qkart_test).
    [[ $BENCH_DB =~ ^qkart_bench[a-z0-9_]*$ ]] || die "BENCH_DB must start with qkart_bench"
    [[ -x $BIN/gunicorn && -x $BIN/flask ]] || die "no gunicorn/flask in $BIN (run make venv)"
    command -v wrk >/dev/null || die "wrk is missing: apt-get install -y wrk"
    [[ -z ${BENCH_EXTRA_SQL:-} || -f ${BENCH_EXTRA_SQL:-} ]] || die "no file $BENCH_EXTRA_SQL"
    for tool in psql pg_dump pg_restore createdb dropdb curl; do
        command -v "$tool" >/dev/null || die "$tool is missing"
    done
    psql -d postgres -Atqc 'SELECT 1' >/dev/null || die "PostgreSQL at $PGHOST:$PGPORT is not reachable"
    for port in "$BENCH_PORT" "$BENCH_FLOOR_PORT"; do
        if curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$port/"; then
            die "something already answers on 127.0.0.1:$port (set BENCH_PORT / BENCH_FLOOR_PORT)"
        fi
    done
}

configure_app_env() {
    export DATABASE_URL="postgresql+psycopg://$PGUSER@$PGHOST:$PGPORT/$BENCH_DB"
    # One key for gunicorn and for measure.py's test client, so the shopper's cookie works in both.
    export SECRET_KEY=${BENCH_SECRET_KEY:-"qkart-bench-$(date +%s)-$RANDOM$RANDOM"}
    export QKART_ENV=development FLASK_APP=wsgi
    unset REDIS_URL MAIL_SERVER STRIPE_SECRET_KEY STRIPE_WEBHOOK_SECRET
}

timed_step() {
    local label=$1 t0
    shift
    t0=$(date +%s.%N)
    "$@"
    echo "   $label took $(elapsed_since "$t0")s"
}

seed_database() {
    timed_step "db upgrade" "$BIN/flask" db upgrade
    timed_step "seed (classic catalogue, demo shopper)" "$BIN/flask" seed
    timed_step "seed --products $BENCH_PRODUCTS" "$BIN/flask" seed --products "$BENCH_PRODUCTS"
}

prepare_database() {
    local key dump
    key=$("$BIN/python" bench/dumpkey.py)
    dump="$BENCH_CACHE/qkart-bench-${BENCH_PRODUCTS}-products-${key}.dump"
    mkdir -p "$BENCH_CACHE"
    dropdb --if-exists --force "$BENCH_DB"
    createdb "$BENCH_DB"
    if [[ -f $dump ]]; then
        echo "   restoring $dump"
        timed_step "pg_restore" pg_restore --no-owner --exit-on-error --jobs=2 -d "$BENCH_DB" "$dump"
        DB_SOURCE=restored
    else
        echo "   no dump for $BENCH_PRODUCTS products at migration head ${key%-*}: seeding"
        local t0
        t0=$(date +%s.%N)
        seed_database
        SEED_SECONDS=$(elapsed_since "$t0")
        echo "   seeding took ${SEED_SECONDS}s"
        timed_step "pg_dump" pg_dump -Fc -f "$dump.partial" "$BENCH_DB"
        mv "$dump.partial" "$dump"
        echo "   cached $dump ($(du -h "$dump" | cut -f1))"
        DB_SOURCE=seeded
    fi
    if [[ -n ${BENCH_EXTRA_SQL:-} ]]; then
        # A what-if (an index, say) measured without touching migrations; never dumped.
        timed_step "extra SQL $BENCH_EXTRA_SQL" \
            psql -v ON_ERROR_STOP=1 -qX -d "$BENCH_DB" -f "$BENCH_EXTRA_SQL"
    fi
    # The analytics overview is timed on a million events (bench/analytics.py); loaded
    # after the dump, in one INSERT from generate_series, so the cached dump stays small.
    timed_step "load $BENCH_EVENTS analytics events" \
        psql -v ON_ERROR_STOP=1 -v events="$BENCH_EVENTS" -qX -d "$BENCH_DB" -f bench/analytics_events.sql
    timed_step "bench admin" "$BIN/flask" create-admin "$BENCH_ADMIN_EMAIL" --role admin \
        --password "$BENCH_ADMIN_PASSWORD"
    # Restored tables have no planner statistics yet; vacuum also sets the visibility map.
    timed_step "vacuum analyze" psql -d "$BENCH_DB" -qc 'VACUUM (ANALYZE)'
    # The closed days' summaries, as the Procfile's clock (flask jobs tick) keeps them
    # (after ANALYZE: without statistics the planner picks slow plans for a million rows).
    timed_step "summarise the events' closed days" "$BIN/flask" jobs tick
    DB_DUMP=$dump
}

start_server() {
    local name=$1 port=$2
    shift 2
    : >"$BENCH_OUT/$name-gunicorn.log"
    # No control socket: gunicorn's default path is shared by every gunicorn of this user.
    "$BIN/gunicorn" "$@" --bind "127.0.0.1:$port" --workers "$BENCH_WORKERS" \
        --graceful-timeout 5 --no-control-socket --error-logfile "$BENCH_OUT/$name-gunicorn.log" &
    SERVER_PIDS+=("$!")
    local pid=$!
    for _ in $(seq 150); do
        if curl -fs -o /dev/null --max-time 2 "http://127.0.0.1:$port/healthz"; then
            echo "   $name: gunicorn $pid on http://127.0.0.1:$port"
            return 0
        fi
        kill -0 "$pid" 2>/dev/null || die "$name did not start; see $BENCH_OUT/$name-gunicorn.log"
        sleep 0.2
    done
    die "$name did not answer /healthz within 30 s"
}

main() {
    check_settings
    configure_app_env
    mkdir -p "$BENCH_OUT"
    SEED_SECONDS=""

    phase_start "database"
    prepare_database
    phase_end
    if [[ -n $SEED_SECONDS ]]; then
        PHASES+="seeding (part of database)=$SEED_SECONDS;"
    fi

    phase_start "start servers"
    start_server app "$BENCH_PORT" wsgi:app
    start_server floor "$BENCH_FLOOR_PORT" --pythonpath bench 'floor:create_app()'
    phase_end

    BENCH_PHASES=$PHASES BENCH_BASE_URL="http://127.0.0.1:$BENCH_PORT" \
        BENCH_FLOOR_URL="http://127.0.0.1:$BENCH_FLOOR_PORT" BENCH_PRODUCTS=$BENCH_PRODUCTS \
        BENCH_WORKERS=$BENCH_WORKERS BENCH_OUT=$BENCH_OUT BENCH_DB=$BENCH_DB \
        BENCH_DB_SOURCE=$DB_SOURCE BENCH_DUMP=$DB_DUMP \
        "$BIN/python" bench/measure.py
    BENCH_BASE_URL="http://127.0.0.1:$BENCH_PORT" BENCH_OUT=$BENCH_OUT BENCH_EVENTS=$BENCH_EVENTS \
        BENCH_ADMIN_EMAIL=$BENCH_ADMIN_EMAIL BENCH_ADMIN_PASSWORD=$BENCH_ADMIN_PASSWORD \
        "$BIN/python" bench/analytics.py
}

main "$@"
