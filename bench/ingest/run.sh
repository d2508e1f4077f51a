#!/usr/bin/env bash
# bench/ingest: `stillpost archive` of N posts (default 5000) from upstream-replay, against
# `curl --parallel` fetching the same URLs into files, in the same run on the same machine.
#   bench/ingest/run.sh BUILD_DIR [--posts N] [--parallel N] [--runs R]
set -euo pipefail
build="$1"; shift
posts=5000; parallel=16; runs=3
while [ $# -gt 0 ]; do
  case "$1" in
    --posts) posts="$2"; shift ;;
    --parallel) parallel="$2"; shift ;;
    --runs) runs="$2"; shift ;;
    *) echo "ingest: unknown option '$1' (accepted: --posts N, --parallel N, --runs R)" >&2; exit 2 ;;
  esac
  shift
done
here="$(cd "$(dirname "$0")" && pwd)"
. "$here/../lib.sh"
work="$(mktemp -d /tmp/stillpost-ingest-XXXXXX)"
replay_pid=""
cleanup() { [ -n "$replay_pid" ] && kill "$replay_pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

echo "ingest: generating $posts posts in $work ..."
python3 "$here/make-data.py" "$work/root" "$posts"
data_bytes=$(du -sb "$work/root" | cut -f1)

"$build/tools/upstream-replay" --root "$work/root" > "$work/replay.out" &
replay_pid=$!
for _ in $(seq 50); do grep -q listening "$work/replay.out" 2>/dev/null && break; sleep 0.1; done
base=$(sed -n 's/^listening on //p' "$work/replay.out")

# curl's config: one url/output pair per URL, the raw fetch limit.
while read -r u; do printf 'url = "%s/%s"\noutput = "%s/curl/%s"\n' "$base" "$u" "$work" "$(echo "$u" | md5sum | cut -c1-16)"; done \
  < "$work/urls.txt" > "$work/curl.cfg"

ours=(); theirs=(); rss=()
for r in $(seq "$runs"); do
  rm -rf "$work/db" "$work/curl"; mkdir -p "$work/curl"
  sync
  /usr/bin/time -f "%e %M" -o "$work/time.txt" "$build/tools/stillpost" --db "$work/db" archive \
    --from "$work/ids.txt" --upstream "*=$base" --allow-private-upstreams \
    --max-connections "$parallel" --max-per-host "$parallel" > "$work/archive.out"
  read -r secs kb < "$work/time.txt"
  tail -1 "$work/archive.out"
  ours+=("$secs"); rss+=("$kb")
  sync
  start=$(date +%s.%N)
  curl --silent --show-error --no-progress-meter --parallel --parallel-max "$parallel" -K "$work/curl.cfg"
  end=$(date +%s.%N)
  theirs+=("$(echo "$end - $start" | bc -l)")
  echo "run $r: stillpost ${secs}s (peak RSS $((kb / 1024)) MB), curl ${theirs[-1]}s"
done

m_ours=$(median "${ours[@]}"); m_curl=$(median "${theirs[@]}"); m_rss=$(median "${rss[@]}")
urls=$(wc -l < "$work/urls.txt")
echo
echo "ingest: $posts posts, $urls URLs, $((data_bytes / 1000000)) MB, $runs runs, --parallel-max $parallel"
printf "stillpost archive: median %.2f s = %.0f posts/s, %.1f MB/s, peak RSS %d MB\n" \
  "$m_ours" "$(echo "$posts / $m_ours" | bc -l)" "$(echo "$data_bytes / 1000000 / $m_ours" | bc -l)" "$((m_rss / 1024))"
printf "curl --parallel:   median %.2f s\n" "$m_curl"
printf "ratio stillpost / curl: %.2fx\n" "$(echo "$m_ours / $m_curl" | bc -l)"
