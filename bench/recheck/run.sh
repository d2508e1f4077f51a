#!/usr/bin/env bash
# bench/recheck/run.sh: the re-check scheduler at scale, a short real run on a 10x clock.
# POSTS archived Mastodon posts over HOSTS instances served by upstream-replay (--synthetic),
# which enforces each instance's limit itself (Mastodon's 300 requests per 5 minutes, here 300
# per 30 s) and answers 429 with Mastodon's headers beyond it. `serve --recheck` runs for
# MINUTES with the intervals of posts embedded in articles under a week old (1 h, here 6 min),
# confirmations after 2 min and 10 min (here 12 s and 60 s), and buckets of 270 per 30 s per
# instance (never over the replay's window). PLANT posts are deleted in the replay a minute in;
# the run reports requests per host against the limit (and every 429), the lag of checks behind
# their due time, and how many planted deletions were announced (webhooks) and how fast.
#   bench/recheck/run.sh BUILD_DIR [--posts 100000] [--hosts 50] [--minutes 10] [--plant 100]
#                              [--interval 360]   (seconds; a shorter one for a quick look)
set -euo pipefail
build="$1"; shift
posts=100000; hosts=50; minutes=10; plant=100; interval=360
while [ $# -gt 0 ]; do
  case "$1" in
    --posts) posts="$2"; shift ;;
    --hosts) hosts="$2"; shift ;;
    --minutes) minutes="$2"; shift ;;
    --plant) plant="$2"; shift ;;
    --interval) interval="$2"; shift ;;
    *) echo "recheck: unknown option '$1' (accepted: --posts N, --hosts H, --minutes M, --plant P, --interval S)" >&2; exit 2 ;;
  esac
  shift
done
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
work="$(mktemp -d /tmp/stillpost-recheck-bench-XXXXXX)"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

avatar="$root/tests/fixtures/replay/files.mastodon.social/accounts/avatars/000/000/001/original/d96d39a0abb45b92.jpg"
"$build/tools/upstream-replay" --root "$root/tests/fixtures/replay" --synthetic .sim.example \
  --synthetic-avatar "$avatar" > "$work/replay.out" &
pids+=($!)
for _ in $(seq 50); do grep -q listening "$work/replay.out" && break; sleep 0.1; done
replay=$(sed -n 's/^listening on //p' "$work/replay.out")

per_host=$((posts / hosts))
awk -v h="$hosts" -v n="$per_host" 'BEGIN { for (i = 0; i < n; i++) for (j = 1; j <= h; j++) printf "mastodon/host%02d.sim.example/110000000%09d\n", j, i }' > "$work/keys.txt"
start=$(date +%s.%N)
"$build/tools/stillpost" --db "$work/db" archive --upstream "*=$replay" --allow-private-upstreams \
  --from "$work/keys.txt" > "$work/archive.out"
seeded=$(echo "$(date +%s.%N) - $start" | bc)
echo "seeded: $(tail -1 "$work/archive.out") in ${seeded} s"

# The platform's limits, enforced by the replay from now on: 300 per 30 s per instance.
for j in $(seq -f %02g 1 "$hosts"); do
  curl -s -X POST "$replay/_replay/limit?host=host$j.sim.example&requests=300&per=30&as=mastodon" > /dev/null
done

"$build/tools/stillpost" --db "$work/db" serve --listen 127.0.0.1:0 --no-access-log \
  --upstream "*=$replay" --allow-private-upstreams --recheck \
  --recheck-oldest "${interval}s" --recheck-floor 5s --recheck-confirm 12s --recheck-confirm 60s \
  --rate-limit '*.sim.example=270/30s,30' \
  --webhook "$replay/_hooks/bench" --webhook-secret bench-secret > "$work/serve.out" 2> "$work/serve.err" &
pids+=($!)
for _ in $(seq 100); do grep -q serving "$work/serve.out" && break; sleep 0.1; done
server=$(grep -o 'http://[0-9.:]*' "$work/serve.out" | head -1)
run_start=$(date +%s%3N)
echo "running ${minutes} min: $posts posts over $hosts hosts, each 300 requests per 30 s"

sleep 60
# Planted deletions: PLANT posts spread over the hosts, gone from now on.
plant_ms=$(date +%s%3N)
awk -v p="$plant" -v n="$(wc -l < "$work/keys.txt")" 'BEGIN { srand(7); for (i = 0; i < p; i++) print int(rand() * n) + 1 }' \
  | sort -un | while read -r line; do
  key=$(sed -n "${line}p" "$work/keys.txt")
  host=$(echo "$key" | cut -d/ -f2); id=$(echo "$key" | cut -d/ -f3)
  curl -s -X POST "$replay/_replay/gone?url=https%3A%2F%2F$host%2Fapi%2Fv1%2Fstatuses%2F$id&as=404" > /dev/null
  echo "$key" >> "$work/planted.txt"
done
planted=$(wc -l < "$work/planted.txt")
sleep $((minutes * 60 - 60))
end_ms=$(date +%s%3N)
curl -s "$server/metrics" > "$work/metrics.txt"
curl -s "$replay/_replay/limits" > "$work/limits.json"
curl -s "$replay/_replay/webhooks" > "$work/webhooks.json"

python3 - "$work" "$run_start" "$plant_ms" "$end_ms" "$planted" "$interval" <<'EOF'
import json, re, statistics, sys
work, run_start, plant_ms, end_ms, planted = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
seconds = (end_ms - run_start) / 1000
limits = json.load(open(f"{work}/limits.json"))
allowed = [v["allowed"] for v in limits.values()]
limited = sum(v["limited"] for v in limits.values())
after_first = sum(v["limited_after_first"] for v in limits.values())
cap = 300 / 30 * seconds
print(f"run: {seconds:.0f} s; per host: requests median {statistics.median(allowed):.0f}, max {max(allowed)} "
      f"against a limit of {cap:.0f} in that time ({max(allowed) / cap:.0%} of it at most); "
      f"429 answers: {limited} (after a first: {after_first})")
m = open(f"{work}/metrics.txt").read()
checks = {k: int(float(v)) for k, v in re.findall(r'stillpost_recheck_checks_total\{platform="mastodon",result="(\w+)"\} (\S+)', m)}
total = sum(checks.values())
print(f"checks: {total} ({total / seconds:.0f}/s): " + ", ".join(f"{k} {v}" for k, v in sorted(checks.items())))
buckets = [(float(le) if le != "+Inf" else float("inf"), int(float(n))) for le, n in re.findall(r'stillpost_recheck_lag_seconds_bucket\{le="([^"]+)"\} (\S+)', m)]
count = buckets[-1][1] if buckets else 0
def q(p):
    for le, n in buckets:
        if n >= p * count: return le
    return float("inf")
print(f"lag behind due time (histogram bounds): p50 <= {q(0.5)} s, p90 <= {q(0.9)} s, p99 <= {q(0.99)} s, max bucket {q(1.0)} s")
lag_now = re.search(r'\nstillpost_recheck_due_lag_seconds (\S+)', m)
print(f"oldest due check waiting at the end: {float(lag_now.group(1)) if lag_now else -1:.1f} s")
hooks = json.load(open(f"{work}/webhooks.json"))
found = {}
for h in hooks:
    if h.get("answered") != 204: continue
    e = json.loads(h["body"])
    if e.get("transition") in ("not found", "deleted"):
        found.setdefault(e["key"], h["ms"])
times = sorted((ms - plant_ms) / 1000 for ms in found.values())
if times:
    print(f"planted deletions announced: {len(found)} of {planted}; from deletion to webhook: "
          f"min {times[0]:.0f} s, median {statistics.median(times):.0f} s, max {times[-1]:.0f} s "
          f"(interval {sys.argv[6]} s, then confirmations after 12 s and 60 s)")
else:
    print(f"planted deletions announced: 0 of {planted}")
EOF
