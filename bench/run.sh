#!/usr/bin/env bash
# Benchmark: mqttdump against a bare libpcap loop and against tshark, on one generated
# capture of about 2 million packets (bench/mqttgen, deterministic), then on a
# message-dense one (bench/gen_dense.py: one small PUBLISH or PUBACK in every packet, 200,000
# packets; DENSE_PACKETS, DENSE_SLICE for tshark's slice, default 20,000).
# Usage: bench/run.sh [BUILD_DIR] [PACKETS]     (default: build, 2000000)
# Prints, per case: seconds (median of 3 runs), packets/s, MB/s, peak RSS, and the ratios.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$root/${1:-build}
packets=${2:-2000000}
work=${BENCH_DIR:-$(mktemp -d)}
cap=$work/bench.pcap
slice=$work/slice.pcap
slice_n=${TSHARK_SLICE:-100000}

[ -x "$build/mqttgen" ] && [ -x "$build/mqttdump" ] && [ -x "$build/pcaploop" ] ||
	{ echo "build first: meson compile -C ${1:-build}" >&2; exit 2; }
"$build/mqttgen" -n "$packets" -o "$cap" 2> /dev/null
npk=$("$build/pcaploop" "$cap" | awk '{print $1}')
mb=$(awk -v b="$(stat -c %s "$cap")" 'BEGIN { printf "%.1f", b / 1e6 }')

# run NAME CMD...: median wall time of 3 runs and the peak RSS, into $secs and $rss
run() {
	local t r best=() i
	for i in 1 2 3; do
		/usr/bin/time -f "%e %M" -o "$work/time" "$@" > /dev/null 2>&1
		read -r t r < "$work/time"
		best+=("$t $r")
	done
	secs=$(printf '%s\n' "${best[@]}" | sort -n | sed -n 2p | awk '{print $1}')
	rss=$(printf '%s\n' "${best[@]}" | sort -n | sed -n 2p | awk '{printf "%.1f", $2 / 1024}')
}

row() { # label seconds packets megabytes rss ratio
	awk -v l="$1" -v s="$2" -v p="$3" -v m="$4" -v r="$5" -v x="$6" 'BEGIN {
		if (s < 0.001) s = 0.001
		printf "| %-46s | %8.2f | %12.0f | %8.1f | %7s | %s |\n", l, s, p / s, m / s, r, x }'
}

echo "capture: $cap, $npk packets, $mb MB (mqttgen -n $packets)"
echo
echo "| case | seconds | packets/s | MB/s | peak MB | ratio |"
echo "|---|---|---|---|---|---|"
run "$build/pcaploop" "$cap"; floor=$secs
row "(a) libpcap read loop (floor)" "$secs" "$npk" "$mb" "$rss" "1.00"
for c in "b:-q" "c:" "d:--json"; do
	k=${c%%:*}
	opt=${c#*:}
	run "$build/mqttdump" -r "$cap" $opt
	label="(${k}) mqttdump -r F ${opt:-(summary lines)}"
	eval "s_$k=$secs"
	row "$label" "$secs" "$npk" "$mb" "$rss" "$(awk -v a="$secs" -v f="$floor" 'BEGIN { printf "%.2f x floor", a / f }')"
done
if "$build/mqttdump" --help 2>&1 | grep -- --timeline > /dev/null; then  # (not -q: with pipefail, an early exit of grep fails the pipe)
	run "$build/mqttdump" -r "$cap" --timeline /dev/null
	row "(e) mqttdump -r F --timeline /dev/null" "$secs" "$npk" "$mb" "$rss" "$(awk -v a="$secs" -v f="$floor" 'BEGIN { printf "%.2f x floor", a / f }')"
else
	echo "| (e) mqttdump -r F --timeline /dev/null | – | – | – | – | not implemented yet |"
fi

if command -v tshark > /dev/null; then
	editcap -r "$cap" "$slice" "1-$slice_n" 2> /dev/null
	smb=$(awk -v b="$(stat -c %s "$slice")" 'BEGIN { printf "%.1f", b / 1e6 }')
	run "$build/mqttdump" -r "$slice"; ours=$secs
	run "$build/mqttdump" -r "$slice" --json; ours_json=$secs
	run tshark -n -r "$slice"; ts=$secs; tsrss=$rss
	row "(f) tshark -r F (first $slice_n packets)" "$ts" "$slice_n" "$smb" "$tsrss" "$(awk -v a="$ts" -v o="$ours" 'BEGIN { printf "%.0f x mqttdump summary (%.2f s)", a / o, o }')"
	run tshark -n -r "$slice" -Y mqtt -T json; tsj=$secs; tsjrss=$rss
	row "(f) tshark -r F -Y mqtt -T json (same slice)" "$tsj" "$slice_n" "$smb" "$tsjrss" "$(awk -v a="$tsj" -v o="$ours_json" 'BEGIN { printf "%.0f x mqttdump --json (%.2f s)", a / o, o }')"
	echo
	awk -v a="$ts" -v b="$tsj" -v n="$slice_n" -v t="$npk" -v c="$s_c" -v d="$s_d" 'BEGIN {
		printf "tshark scaled to the whole capture: %.0f s (summary), %.0f s (JSON): %.0fx and %.0fx mqttdump\n",
			a * t / n, b * t / n, a * t / n / c, b * t / n / d }'
fi

# The message-dense capture: what --json costs per message.
dense=$work/dense.pcap
dslice=$work/dense-slice.pcap
dense_n=${DENSE_PACKETS:-200000}
dslice_n=${DENSE_SLICE:-20000}
python3 "$root/bench/gen_dense.py" "$dense" "$dense_n"
dnpk=$("$build/pcaploop" "$dense" | awk '{print $1}')
dmb=$(awk -v b="$(stat -c %s "$dense")" 'BEGIN { printf "%.1f", b / 1e6 }')
echo
echo "message-dense capture: $dense, $dnpk packets, $dmb MB (bench/gen_dense.py, one message a packet)"
echo
echo "| case | seconds | packets/s | MB/s | peak MB | ratio |"
echo "|---|---|---|---|---|---|"
run "$build/pcaploop" "$dense"; dfloor=$secs
row "(g) libpcap read loop (floor)" "$secs" "$dnpk" "$dmb" "$rss" "1.00"
run "$build/mqttdump" -r "$dense" -q; dq=$secs
row "(h) mqttdump -r F -q" "$secs" "$dnpk" "$dmb" "$rss" "$(awk -v a="$secs" -v f="$dfloor" 'BEGIN { printf "%.2f x floor", a / f }')"
run "$build/mqttdump" -r "$dense" --json; dj=$secs
row "(i) mqttdump -r F --json" "$secs" "$dnpk" "$dmb" "$rss" "$(awk -v a="$secs" -v f="$dfloor" -v q="$dq" 'BEGIN { printf "%.2f x floor, %.2f x -q", a / f, a / q }')"
if command -v tshark > /dev/null; then
	editcap -r "$dense" "$dslice" "1-$dslice_n" 2> /dev/null
	smb=$(awk -v b="$(stat -c %s "$dslice")" 'BEGIN { printf "%.1f", b / 1e6 }')
	run "$build/mqttdump" -r "$dslice" --json; ours_json=$secs
	run tshark -n -r "$dslice" -T json; tsj=$secs; tsjrss=$rss
	row "(j) tshark -r F -T json (first $dslice_n packets)" "$tsj" "$dslice_n" "$smb" "$tsjrss" "$(awk -v a="$tsj" -v o="$ours_json" 'BEGIN { printf "%.0f x mqttdump --json on the slice (%.2f s)", a / o, o }')"
	echo
	awk -v a="$tsj" -v n="$dslice_n" -v t="$dnpk" -v d="$dj" 'BEGIN {
		printf "tshark -T json scaled to the whole dense capture: %.0f s: %.0fx mqttdump --json\n",
			a * t / n, a * t / n / d }'
fi
[ -n "${BENCH_DIR:-}" ] || rm -rf "$work"
