#!/usr/bin/env bash
# beian gate proxy against nginx with a map of the same domains, in front of the same upstream,
# with wrk at the same concurrency, half the requests allowed and half denied. Loopback only.
#
# usage: bench/gate/proxy-vs-nginx.sh [DURATION=15s] [CONNECTIONS=64] [ROUNDS=2]
# needs: release builds of `beian` and the `upstream` example, data from `gate_bench_data`
#        in /tmp/gate-bench, Debian packages nginx-light and wrk.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
target=${CARGO_TARGET_DIR:-$here/../../target}
BEIAN=${BEIAN:-$target/release/beian}
UPSTREAM_BIN=${UPSTREAM_BIN:-$target/release/examples/upstream}
dir=${GATE_BENCH_DIR:-/tmp/gate-bench}
dur=${1:-15s} conns=${2:-64} rounds=${3:-2}
export HOSTS_LUA=$dir/hosts.lua

pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    [ -f "$dir/nginx.pid" ] && kill "$(cat "$dir/nginx.pid")" 2>/dev/null || true
}
trap cleanup EXIT

"$UPSTREAM_BIN" 127.0.0.1:9000 1 > "$dir/upstream.log" 2>&1 & pids+=($!)
t0=$(date +%s.%N)
BEIAN_LOG=warn "$BEIAN" gate proxy --listen 127.0.0.1:8081 --upstream 127.0.0.1:9000 \
    --domains "$dir/domains.txt" > "$dir/gate.log" 2>&1 & pids+=($!)
"$here/nginx-conf.sh" "$dir" 127.0.0.1:8082 127.0.0.1:9000 2 > /dev/null
nginx -c "$dir/nginx.conf"
for port in 8081 8082; do
    until curl -s -o /dev/null "http://127.0.0.1:$port/"; do sleep 0.05; done
done
echo "both ready after $(echo "$(date +%s.%N) - $t0" | bc) s (gate loads the list, nginx parses the map)"

allowed=$(sed -n 2p "$HOSTS_LUA" | tr -d ' ",')
denied=$(sed -n 3p "$HOSTS_LUA" | tr -d ' ",')
for port in 8081 8082; do
    a=$(curl -s -o /dev/null -w '%{http_code}' -H "Host: $allowed" "http://127.0.0.1:$port/")
    d=$(curl -s -o /dev/null -w '%{http_code}' -H "Host: $denied" "http://127.0.0.1:$port/")
    echo "port $port: $allowed -> $a, $denied -> $d"
    [ "$a" = 200 ] && [ "$d" = 403 ]
done

# Warm both up first (connection pools, page faults, caches), so that neither pays it in a round.
for port in 8081 8082; do
    wrk -t2 -c"$conns" -d5s -s "$here/rotate.lua" "http://127.0.0.1:$port/" > /dev/null
done

# CPU time (user + system, clock ticks) of processes, from /proc: on a machine where wrk, the
# upstream and the proxy share the cores, CPU per request says more than requests per second.
ticks() {
    local total=0 u s
    for p in "$@"; do
        read -r u s < <(awk '{print $14, $15}' "/proc/$p/stat")
        total=$((total + u + s))
    done
    echo "$total"
}
hz=$(getconf CLK_TCK)

for round in $(seq 1 "$rounds"); do
    for target_name in gate nginx; do
        port=8081 procs=${pids[1]}
        [ "$target_name" = nginx ] && port=8082 procs=$(pgrep -x nginx | paste -sd' ')
        echo "== round $round: $target_name (wrk -t2 -c$conns -d$dur --latency)"
        # shellcheck disable=SC2086
        before=$(ticks $procs)
        out=$(wrk -t2 -c"$conns" -d"$dur" --latency -s "$here/rotate.lua" "http://127.0.0.1:$port/")
        # shellcheck disable=SC2086
        after=$(ticks $procs)
        echo "$out" | grep -E "Requests/sec|Non-2xx|^\s+(50|90|99)%|Latency|requests in"
        requests=$(echo "$out" | awk '/requests in/ {print $1}')
        echo "$target_name CPU: $(echo "scale=2; ($after - $before) / $hz" | bc) s, $(echo "scale=2; ($after - $before) * 1000000 / $hz / $requests" | bc) us per request"
    done
done
echo "gate RSS: $(ps -o rss= -p "${pids[1]}") KiB; nginx RSS (all processes): $(ps -C nginx -o rss= | paste -sd+ | bc) KiB"
