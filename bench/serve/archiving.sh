#!/usr/bin/env bash
# bench/serve/archiving.sh: embed throughput and p99 while the server archives a steady stream
# of posts (jobs of 8 posts from upstream-replay, --force, every 0.4 s: 20 posts/s), against the
# same server idle, in the same run, alternating. Prints medians and the ratios.
#   bench/serve/archiving.sh BUILD_DIR [--posts 20000] [--duration 10s] [--runs 3]
set -euo pipefail
build="$1"; shift
posts=20000; duration=10s; runs=3
while [ $# -gt 0 ]; do
  case "$1" in
    --posts) posts="$2"; shift ;;
    --duration) duration="$2"; shift ;;
    --runs) runs="$2"; shift ;;
    *) echo "serve-archiving: unknown option '$1' (accepted: --posts N, --duration D, --runs R)" >&2; exit 2 ;;
  esac
  shift
done
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
. "$here/../lib.sh"
work="$(mktemp -d /tmp/stillpost-archiving-bench-XXXXXX)"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

"$build/bench/serve_data" "$work" --posts "$posts"
"$build/tools/upstream-replay" --root "$root/tests/fixtures/replay" > "$work/replay.out" &
pids+=($!)
for _ in $(seq 50); do grep -q listening "$work/replay.out" && break; sleep 0.1; done
upstream=$(sed -n 's/^listening on //p' "$work/replay.out")
token=bench-token-0123456789abcdef
echo "bench:$token" > "$work/tokens"
"$build/tools/stillpost" --db "$work/db" serve --listen 127.0.0.1:0 --threads 2 \
  --log "$work/serve.log" --tokens "$work/tokens" --upstream "*=$upstream" \
  --allow-private-upstreams > "$work/serve.out" &
pids+=($!)
for _ in $(seq 50); do grep -q serving "$work/serve.out" && break; sleep 0.1; done
ours=$(sed -n 's/.* on //p' "$work/serve.out")

ids='"x/1629262255744503809","x/1641086480675225601","x/1641895049427550208","x/1684218600456876032","x/2023357708301455483","x/883275154715705344","x/883302522549305344","x/883326060983353344"'
feed() {  # a job of 8 posts every 0.4 s until killed
  while true; do
    curl -s -o /dev/null -H "Authorization: Bearer $token" \
      -d "{\"urls\": [$ids], \"force\": true}" "$ours/api/v1/archive"
    sleep 0.4
  done
}
measure() { measure_embeds "$ours" "$work/keys.txt" "$duration" "$work/wrk.txt"; }
captures() { curl -s "$ours/metrics" | awk '/^stillpost_archive_seconds_count/ {print $2}'; }

measure > /dev/null  # warm
i_rps=(); i_p99=(); a_rps=(); a_p99=(); archived=()
for r in $(seq "$runs"); do
  read -r a b < <(measure); i_rps+=("$a"); i_p99+=("$b")
  feed & feeder=$!
  sleep 1
  before=$(captures)
  read -r a b < <(measure); a_rps+=("$a"); a_p99+=("$b")
  after=$(captures)
  kill "$feeder"; wait "$feeder" 2>/dev/null || true
  secs=${duration%s}
  archived+=("$(echo "($after - $before) / $secs" | bc -l)")
  printf "run %s: idle %s rps p99 %s ms | archiving (%.1f posts/s) %s rps p99 %s ms\n" "$r" "${i_rps[-1]}" "${i_p99[-1]}" "${archived[-1]}" "${a_rps[-1]}" "${a_p99[-1]}"
  sleep 2  # the queue drains
done
mi=$(median "${i_rps[@]}"); ma=$(median "${a_rps[@]}")
pi=$(median "${i_p99[@]}"); pa=$(median "${a_p99[@]}")
ar=$(median "${archived[@]}")
echo
echo "serve while archiving: $posts posts, wrk -t2 -c64 -d$duration --latency, $runs runs (medians)"
printf "idle %.0f rps (p99 %.2f ms); archiving %.1f posts/s: %.0f rps (p99 %.2f ms); throughput %.2fx idle, p99 %.2fx idle\n" \
  "$mi" "$pi" "$ar" "$ma" "$pa" "$(echo "$ma / $mi" | bc -l)" "$(echo "$pa / $pi" | bc -l)"
