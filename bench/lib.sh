# Shared by the bench scripts (sourced): the median of the numbers given as arguments.
median() {
  printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'
}

# wrk on random embeds: URL KEYS_FILE DURATION OUT_FILE -> "rps p99_ms" (wrk -t2 -c64 --latency,
# random_key.lua picking keys from KEYS_FILE).
measure_embeds() {
  KEYS="$2" PREFIX=/embed/ wrk -t2 -c64 -d"$3" --latency -s "$(dirname "${BASH_SOURCE[0]}")/serve/random_key.lua" "$1" > "$4"
  local rps p99
  rps=$(awk '/Requests\/sec/ {print $2}' "$4")
  p99=$(awk '$1 == "99%" {v=$2; if (v ~ /us$/) {sub(/us/,"",v); v=v/1000} else if (v ~ /ms$/) {sub(/ms/,"",v)} else if (v ~ /s$/) {sub(/s/,"",v); v=v*1000}; print v}' "$4")
  echo "$rps $p99"
}
