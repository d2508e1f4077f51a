#!/usr/bin/env bash
# Embeds rendered per second on one core: stillpost's renderer in process, and react-tweet's
# server render (renderToString of <EmbeddedTweet>) of the same fixtures, in the same run.
#   bench/render/run.sh BUILD_DIR [--seconds S] [--runs R]
set -euo pipefail
build="$1"; shift
seconds=5; runs=3
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds="$2"; shift ;;
    --runs) runs="$2"; shift ;;
    *) echo "render: unknown option '$1' (accepted: --seconds S, --runs R)" >&2; exit 2 ;;
  esac
  shift
done
here="$(cd "$(dirname "$0")" && pwd)"
. "$here/../lib.sh"
fixtures="$(cd "$here/../../tests/fixtures" && pwd)"
if [ ! -d "$here/node_modules/react-tweet" ]; then
  (cd "$here" && npm install --no-audit --no-fund --loglevel=error)
fi
ours=(); theirs=()
for r in $(seq "$runs"); do
  ours+=("$(taskset -c 0 "$build/bench/render_bench" "$fixtures" --seconds "$seconds" | sed -n 's/.* = \([0-9]*\) embeds\/s.*/\1/p')")
  theirs+=("$(cd "$here" && NODE_ENV=production taskset -c 0 node --import ./register.mjs react_tweet_render.mjs "$fixtures" "$seconds" | sed -n 's/.* = \([0-9]*\) embeds\/s.*/\1/p')")
  echo "run $r: stillpost ${ours[-1]} embeds/s, react-tweet ${theirs[-1]} embeds/s"
done
mo=$(median "${ours[@]}"); mt=$(median "${theirs[@]}")
echo
echo "render: one core (taskset -c 0), ${seconds}s per run, $runs runs (medians)"
printf "stillpost %.0f embeds/s, react-tweet %.0f embeds/s, ratio %.1fx\n" "$mo" "$mt" "$(echo "$mo / $mt" | bc -l)"
