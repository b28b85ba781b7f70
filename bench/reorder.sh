#!/usr/bin/env bash
# Reassembly under reordering: N one-byte segments held behind a hole (the first segment
# arrives last, bench/reorder.py), for N and 2N; the time must grow linearly (ratio ~2).
# Usage: bench/reorder.sh [BUILD_DIR] [N]     (default: build, 160000; BUILD_DIR relative to
# the source tree, or absolute: another build to compare with)
# Prints, per N: CPU and wall seconds (median of 3 runs of `mqttdump -r F -q`), peak RSS,
# and the ratio of the CPU times (at 10 ms resolution: use N of 1,600,000 for a sharp one).
# Each one-byte segment held costs about 40 bytes of the 16 MiB a direction may hold, so
# up to about 400,000 fit; for more, give REORDER_OPTS="--max-buffer BYTES".
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-build}
[[ $build = /* ]] || build=$root/$build
n=${2:-160000}
work=${BENCH_DIR:-$(mktemp -d)}
opts=${REORDER_OPTS:-}

[ -x "$build/mqttdump" ] || { echo "build first: meson compile -C ${1:-build}" >&2; exit 2; }

# run CAPTURE: the median of 3 runs: wall seconds, CPU seconds (user + system: what the
# ratio uses, as other load on the machine does not count in it) and peak RSS, into $wall,
# $cpu and $rss
run() {
	local e u s m best=() i
	for i in 1 2 3; do
		# shellcheck disable=SC2086
		/usr/bin/time -f "%e %U %S %M" -o "$work/time" "$build/mqttdump" -r "$1" -q $opts \
			> /dev/null 2> "$work/stderr"
		read -r e u s m < "$work/time"
		best+=("$(awk -v u="$u" -v s="$s" 'BEGIN { printf "%.2f", u + s }') $e $m")
	done
	read -r cpu wall rss <<< "$(printf '%s\n' "${best[@]}" | sort -n | sed -n 2p)"
	rss=$(awk -v m="$rss" 'BEGIN { printf "%.1f", m / 1024 }')
}

echo "| segments held behind the hole | CPU seconds | wall seconds | peak MB | mqttdump -q says |"
echo "|---|---|---|---|---|"
for k in "$n" $((2 * n)); do
	python3 "$root/bench/reorder.py" "$k" "$work/reorder-$k.pcap"
	run "$work/reorder-$k.pcap"
	eval "c_$k=$cpu"
	printf '| %s | %s | %s | %s | %s |\n' "$((k - 1))" "$cpu" "$wall" "$rss" \
		"$(tr -d '\n' < "$work/stderr")"
done
awk -v a="$(eval echo "\$c_$n")" -v b="$(eval echo "\$c_$((2 * n))")" 'BEGIN {
	if (a < 0.01) a = 0.01
	printf "\nCPU time ratio (2N / N): %.2f (linear: about 2; quadratic: about 4)\n", b / a }'
[ -n "${BENCH_DIR:-}" ] || rm -rf "$work"
