#!/usr/bin/env bash
# bench/serve: wrk against `stillpost serve` and, in the same run, nginx serving the same HTML
# and the same 5 MB video from files. Prints rps, p99 and the ratios, and the server's RSS.
#   bench/serve/run.sh BUILD_DIR [--posts 100000] [--duration 10s] [--runs 3]
set -euo pipefail
build="$1"; shift
posts=100000; duration=10s; runs=3
while [ $# -gt 0 ]; do
  case "$1" in
    --posts) posts="$2"; shift ;;
    --duration) duration="$2"; shift ;;
    --runs) runs="$2"; shift ;;
    *) echo "serve: unknown option '$1' (accepted: --posts N, --duration D, --runs R)" >&2; exit 2 ;;
  esac
  shift
done
here="$(cd "$(dirname "$0")" && pwd)"
. "$here/../lib.sh"
work="$(mktemp -d /tmp/stillpost-serve-bench-XXXXXX)"
chmod 755 "$work"  # nginx workers run as an unprivileged user
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

"$build/bench/serve_data" "$work" --posts "$posts"
video=$(cat "$work/video.txt")

# The access log goes to a file, as a deployment's would (buffered, written once a second).
"$build/tools/stillpost" --db "$work/db" serve --listen 127.0.0.1:0 --threads 2 \
  --log "$work/serve.log" > "$work/serve.out" &
pids+=($!); serve_pid=$!
for _ in $(seq 50); do grep -q serving "$work/serve.out" && break; sleep 0.1; done
ours=$(sed -n 's/.* on //p' "$work/serve.out")

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat > "$work/nginx.conf" <<CONF
worker_processes 2;
pid $work/nginx.pid;
error_log $work/nginx-error.log;
events { worker_connections 1024; }
http {
  access_log off;
  sendfile off;
  open_file_cache max=1000;
  keepalive_requests 1000000;
  default_type text/html;
  server {
    listen 127.0.0.1:$port;
    root $work/nginx;
    location /media/ { default_type video/mp4; }
  }
}
CONF
nginx -c "$work/nginx.conf" -g 'daemon off;' &
pids+=($!)
sleep 0.5
theirs="http://127.0.0.1:$port"
curl -sf "$ours/embed/$(head -1 "$work/keys.txt")" > /dev/null
curl -sf "$theirs/embed/$(head -1 "$work/keys.txt")" > /dev/null

measure() { measure_embeds "$1" "$work/keys.txt" "$duration" "$work/wrk.txt"; }  # URL /embed/
measure_one() {  # URL -> rps
  wrk -t2 -c16 -d"$duration" "$1" | awk '/Requests\/sec/ {print $2}'
}

# Warm both: every key once is too slow at 100k; a short run touches most blocks.
measure "$ours" /embed/ > /dev/null
measure "$theirs" /embed/ > /dev/null

o_rps=(); o_p99=(); n_rps=(); n_p99=(); om=(); nm=()
for r in $(seq "$runs"); do
  read -r a b < <(measure "$ours" /embed/); o_rps+=("$a"); o_p99+=("$b")
  read -r a b < <(measure "$theirs" /embed/); n_rps+=("$a"); n_p99+=("$b")
  om+=("$(measure_one "$ours/media/$video")"); nm+=("$(measure_one "$theirs/media/$video")")
  echo "run $r: embed stillpost ${o_rps[-1]} rps p99 ${o_p99[-1]} ms | nginx ${n_rps[-1]} rps p99 ${n_p99[-1]} ms | 5 MB media stillpost ${om[-1]} rps, nginx ${nm[-1]} rps"
done
rss_kb=$(awk '/VmHWM/ {print $2}' "/proc/$serve_pid/status")

mo=$(median "${o_rps[@]}"); mn=$(median "${n_rps[@]}")
po=$(median "${o_p99[@]}"); pn=$(median "${n_p99[@]}")
mmo=$(median "${om[@]}"); mmn=$(median "${nm[@]}")
echo
echo "serve: $posts posts, wrk -t2 -c64 -d$duration --latency, random keys, $runs runs (medians)"
printf "/embed/:  stillpost %.0f rps (p99 %.2f ms), nginx %.0f rps (p99 %.2f ms), ratio %.2fx\n" "$mo" "$po" "$mn" "$pn" "$(echo "$mo / $mn" | bc -l)"
printf "/media/ (5 MB, -c16): stillpost %.0f rps, nginx %.0f rps, ratio %.2fx\n" "$mmo" "$mmn" "$(echo "$mmo / $mmn" | bc -l)"
echo "stillpost serve peak RSS: $((rss_kb / 1024)) MB"

# The same comparison with each side on one core: the server (one thread; nginx one worker)
# pinned to CPU 0 and wrk (one thread) to CPU 1. On a 2-core machine the run above shares both
# cores between four threads and moves by +-15% from minute to minute; pinned runs isolate what
# each server costs per request. Informative; the target is the run above.
if command -v taskset > /dev/null && [ "$(nproc)" -ge 2 ]; then
  kill "$serve_pid" 2>/dev/null || true
  wait "$serve_pid" 2>/dev/null || true
  taskset -c 0 "$build/tools/stillpost" --db "$work/db" serve --listen 127.0.0.1:0 --threads 1 \
    --log "$work/serve1.log" > "$work/serve1.out" &
  pids+=($!)
  for _ in $(seq 50); do grep -q serving "$work/serve1.out" && break; sleep 0.1; done
  ours1=$(sed -n 's/.* on //p' "$work/serve1.out")
  port1=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  sed -e 's/worker_processes 2;/worker_processes 1;/' -e "s/127.0.0.1:$port;/127.0.0.1:$port1;/" \
      -e "s#$work/nginx.pid#$work/nginx1.pid#" "$work/nginx.conf" > "$work/nginx1.conf"
  taskset -c 0 nginx -c "$work/nginx1.conf" -g 'daemon off;' &
  pids+=($!)
  sleep 0.5
  pinned() {  # URL -> rps
    KEYS="$work/keys.txt" PREFIX=/embed/ taskset -c 1 wrk -t1 -c32 -d"$duration" -s "$here/random_key.lua" "$1" |
      awk '/Requests\/sec/ {print $2}'
  }
  pinned "$ours1" > /dev/null
  pinned "http://127.0.0.1:$port1" > /dev/null
  p_o=(); p_n=()
  for r in $(seq "$runs"); do
    p_o+=("$(pinned "$ours1")"); p_n+=("$(pinned "http://127.0.0.1:$port1")")
  done
  po1=$(median "${p_o[@]}"); pn1=$(median "${p_n[@]}")
  printf "/embed/ pinned, one core each (runs: stillpost %s | nginx %s): stillpost %.0f rps, nginx %.0f rps, ratio %.2fx\n" \
    "${p_o[*]}" "${p_n[*]}" "$po1" "$pn1" "$(echo "$po1 / $pn1" | bc -l)"
fi
