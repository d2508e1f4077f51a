#!/usr/bin/env bash
# Screenshots of stillpost's embed next to react-tweet's rendering of the same fixture: an X post
# with a quote and a reply, light and dark, at 250 and 550 px. For people to compare by eye (the
# issue notes and reviews); not a test.
#   bench/render/side-by-side.sh BUILD_DIR OUT_DIR
set -euo pipefail
build="$(cd "$1" && pwd)"; out="$(mkdir -p "$2" && cd "$2" && pwd)"
here="$(cd "$(dirname "$0")" && pwd)"
fixtures="$(cd "$here/../../tests/fixtures" && pwd)"
if [ ! -d "$here/node_modules/react-tweet" ]; then
  (cd "$here" && npm install --no-audit --no-fund --loglevel=error)
fi
work="$(mktemp -d /tmp/stillpost-side-XXXXXX)"
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"' EXIT
"$build/tools/upstream-replay" --root "$fixtures/replay" > "$work/replay.out" &
pids+=($!)
for _ in $(seq 50); do grep -q listening "$work/replay.out" 2>/dev/null && break; sleep 0.1; done
upstream="$(sed -n 's/^listening on //p' "$work/replay.out")"
"$build/tools/stillpost" --db "$work/db" archive --upstream "*=$upstream" --allow-private-upstreams \
  1641895049427550208 883326060983353344 > /dev/null
"$build/tools/stillpost" --db "$work/db" serve --listen 127.0.0.1:0 > "$work/serve.out" 2>&1 &
pids+=($!)
for _ in $(seq 50); do grep -q serving "$work/serve.out" 2>/dev/null && break; sleep 0.1; done
server="$(sed -n 's/.* on //p' "$work/serve.out")"

declare -A fixture=([quote]=upstream/x/quote_tweet.json [reply]=seed-article/x/883326060983353344.json)
declare -A key=([quote]=x/1641895049427550208 [reply]=x/883326060983353344)
for theme in light dark; do
  for post in quote reply; do
    (cd "$here" && node --import ./register-scoped.mjs react_tweet_page.mjs \
      "$fixtures/${fixture[$post]}" "$theme" "$fixtures/replay") > "$work/react-$post-$theme.html"
  done
  for width in 250 550; do
    bg=$([ "$theme" = dark ] && echo '#000' || echo '#f0f0f0')
    fg=$([ "$theme" = dark ] && echo '#ddd' || echo '#222')
    page="$work/side-$theme-$width.html"
    {
      echo "<!DOCTYPE html><html><body style=\"margin:12px;background:$bg;color:$fg;font:13px sans-serif\">"
      echo "<table style=\"border-spacing:16px 4px\"><tr><th>stillpost</th><th>react-tweet 3.3.1</th></tr>"
      for post in quote reply; do
        echo "<tr style=\"vertical-align:top\"><td><iframe src=\"$server/embed/${key[$post]}?theme=$theme\" width=\"$width\" height=\"900\" style=\"border:0\"></iframe></td>"
        echo "<td><iframe src=\"file://$work/react-$post-$theme.html\" width=\"$width\" height=\"900\" style=\"border:0\"></iframe></td></tr>"
      done
      echo "</table></body></html>"
    } > "$page"
    chromium --headless --no-sandbox --disable-gpu --disable-background-networking \
      --disable-component-update --disable-sync --no-first-run --hide-scrollbars \
      --allow-file-access-from-files --user-data-dir="$work/profile-$theme-$width" \
      --window-size=$((2 * width + 80)),1880 --virtual-time-budget=8000 \
      --screenshot="$out/side-by-side-$theme-$width.png" "file://$page" 2> /dev/null
    echo "$out/side-by-side-$theme-$width.png"
  done
done
