#!/usr/bin/env bash
# How long nginx takes to enforce one new domain added to its 1M-entry map: append the entry,
# `nginx -s reload`, poll until the new domain is served (curl every 10 ms). Loopback only.
# usage: bench/gate/nginx-reload.sh [ROUNDS=5]   (data from gate_bench_data in /tmp/gate-bench)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
target=${CARGO_TARGET_DIR:-$here/../../target}
UPSTREAM_BIN=${UPSTREAM_BIN:-$target/release/examples/upstream}
dir=${GATE_BENCH_DIR:-/tmp/gate-bench}
rounds=${1:-5}
cp "$dir/map.conf" "$dir/map.conf.orig"
"$UPSTREAM_BIN" 127.0.0.1:9000 1 > /dev/null 2>&1 & up=$!
cleanup() {
    kill "$up" 2>/dev/null || true
    [ -f "$dir/nginx.pid" ] && kill "$(cat "$dir/nginx.pid")" 2>/dev/null || true
    mv "$dir/map.conf.orig" "$dir/map.conf"
}
trap cleanup EXIT
"$here/nginx-conf.sh" "$dir" 127.0.0.1:8082 127.0.0.1:9000 2 > /dev/null
nginx -c "$dir/nginx.conf"
until curl -s -o /dev/null "http://127.0.0.1:8082/"; do sleep 0.05; done
for i in $(seq 1 "$rounds"); do
    d=reloaded$i.cn
    [ "$(curl -s -o /dev/null -w '%{http_code}' -H "Host: www.$d" http://127.0.0.1:8082/)" = 403 ]
    echo ".$d 1;" >> "$dir/map.conf"
    t0=$(date +%s%N)
    nginx -c "$dir/nginx.conf" -s reload
    until [ "$(curl -s -o /dev/null -w '%{http_code}' -H "Host: www.$d" http://127.0.0.1:8082/)" = 200 ]; do
        sleep 0.01
    done
    t1=$(date +%s%N)
    echo "round $i: new map entry enforced after $(( (t1 - t0) / 1000000 )) ms"
    sleep 1
done
