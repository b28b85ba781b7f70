#!/usr/bin/env bash
# Benchmark: mqttdump against a bare libpcap loop and against tshark, on two generated
# captures (bench/mqttgen, deterministic):
#   mixed  about 2 million packets of mixed traffic (payloads of 20-2,000 bytes, pure ACKs)
#   dense  about 2 million small messages, about one a packet (mqttgen --dense)
# Usage: bench/run.sh [BUILD_DIR] [PACKETS]     (default: build, 2000000 for mixed; BUILD_DIR
# relative to the source root, or absolute)
# Environment: BENCH_CAPTURES (default "mixed dense"), DENSE_MESSAGES (2000000), BENCH_RUNS
# (rounds, 3), BENCH_CLOCK (wall, or cpu), TSHARK_SLICE (100000), BENCH_DIR (kept when given; the captures are reused
# when they are already there with the same parameters).
# Prints, per capture and case: seconds (median of the rounds), packets/s, MB/s, peak RSS,
# and the ratios. Each round runs every case once in turn, so that a case and the floor are
# timed under the same load; the ratio to the floor is the median of the rounds' ratios,
# with their spread (lowest-highest) in brackets.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-build}
case $build in /*) ;; *) build=$root/$build ;; esac
packets=${2:-2000000}
work=${BENCH_DIR:-$(mktemp -d)}
mkdir -p "$work"
slice_n=${TSHARK_SLICE:-100000}
rounds=${BENCH_RUNS:-3}
cpu=0
[ "${BENCH_CLOCK:-wall}" = cpu ] && cpu=1

if ! [ -x "$build/mqttgen" ] || ! [ -x "$build/mqttdump" ] || ! [ -x "$build/pcaploop" ]; then
	echo "build first: meson compile -C ${1:-build}" >&2
	exit 2
fi
timeline=0
case $("$build/mqttdump" --help 2>&1) in *--timeline*) timeline=1 ;; esac

# timed CMD...: one run's time and peak RSS (KB), as "t r": wall time (s, to the
# millisecond: /usr/bin/time's %e has only hundredths), or with BENCH_CLOCK=cpu the CPU
# time (user + system), which other work on a shared machine disturbs less
timed() {
	local t0 t1
	t0=$(date +%s%N)
	/usr/bin/time -f "%U %S %M" -o "$work/time" "$@" > /dev/null 2>&1
	t1=$(date +%s%N)
	echo "$(( (t1 - t0) / 1000000 ))" "$(cat "$work/time")" | awk -v cpu="$cpu" '{
		printf "%.3f %s\n", cpu ? $2 + $3 : $1 / 1000, $4 }'
}

# median FILE: the middle line (by seconds) of "t r" lines: "$secs $rss_mb"
median() {
	sort -n "$1" | awk '{ l[NR] = $0 } END { split(l[int((NR + 1) / 2)], a, " ");
		printf "%s %.1f\n", a[1], a[2] / 1024 }'
}

# ratio A B: median of A's times over B's, round by round, with the spread
ratio() {
	paste -d ' ' "$1" "$2" | awk '{ b = $3 < 0.01 ? 0.01 : $3; print $1 / b }' | sort -n |
		awk '{ v[NR] = $1 } END { printf "%.2f x floor (%.2f-%.2f)", v[int((NR + 1) / 2)], v[1], v[NR] }'
}

row() { # label seconds packets megabytes rss ratio
	awk -v l="$1" -v s="$2" -v p="$3" -v m="$4" -v r="$5" -v x="$6" 'BEGIN {
		if (s < 0.001) s = 0.001
		printf "| %-46s | %8.2f | %12.0f | %8.1f | %7s | %s |\n", l, s, p / s, m / s, r, x }'
}

# bench NAME GENERATOR-ARGS...: generate the capture (unless there) and print its table
bench() {
	local name=$1 cap=$work/$1.pcap slice=$work/$1-slice.pcap npk mb k opt i secs rss s_c=0 s_d=0
	shift
	if [ "$(cat "$cap.args" 2> /dev/null)" != "$*" ] || [ ! -s "$cap" ]; then
		"$build/mqttgen" "$@" -o "$cap" 2> /dev/null
		echo "$*" > "$cap.args"
	fi
	npk=$("$build/pcaploop" "$cap" | awk '{print $1}')
	mb=$(awk -v b="$(stat -c %s "$cap")" 'BEGIN { printf "%.1f", b / 1e6 }')
	local -a cases=("a:" "b:-q" "c:" "d:--json")
	[ "$timeline" = 1 ] && cases+=("e:--timeline /dev/null")
	for c in "${cases[@]}"; do : > "$work/$name.${c%%:*}"; done
	for ((i = 0; i < rounds; i++)); do
		for c in "${cases[@]}"; do
			k=${c%%:*}
			opt=${c#*:}
			if [ "$k" = a ]; then
				timed "$build/pcaploop" "$cap" >> "$work/$name.a"
			else
				# shellcheck disable=SC2086 # the options are words
				timed "$build/mqttdump" -r "$cap" $opt >> "$work/$name.$k"
			fi
		done
	done
	echo "capture: $cap, $npk packets, $mb MB (mqttgen $*)$([ "$cpu" = 1 ] && echo ", CPU seconds")"
	echo
	echo "| case | seconds | packets/s | MB/s | peak MB | ratio |"
	echo "|---|---|---|---|---|---|"
	read -r secs rss < <(median "$work/$name.a")
	row "(a) libpcap read loop (floor)" "$secs" "$npk" "$mb" "$rss" "1.00"
	for c in "${cases[@]:1}"; do
		k=${c%%:*}
		opt=${c#*:}
		read -r secs rss < <(median "$work/$name.$k")
		case $k in c) s_c=$secs ;; d) s_d=$secs ;; esac
		row "(${k}) mqttdump -r F ${opt:-(summary lines)}" "$secs" "$npk" "$mb" "$rss" \
			"$(ratio "$work/$name.$k" "$work/$name.a")"
	done
	[ "$timeline" = 1 ] ||
		echo "| (e) mqttdump -r F --timeline /dev/null | – | – | – | – | not implemented yet |"
	command -v tshark > /dev/null || { echo; return; }
	editcap -r "$cap" "$slice" "1-$slice_n" 2> /dev/null
	local smb ours ours_json ts tsj tsrss tsjrss
	smb=$(awk -v b="$(stat -c %s "$slice")" 'BEGIN { printf "%.1f", b / 1e6 }')
	for k in s j t u; do : > "$work/$name.$k"; done
	for ((i = 0; i < rounds; i++)); do
		timed "$build/mqttdump" -r "$slice" >> "$work/$name.s"
		timed "$build/mqttdump" -r "$slice" --json >> "$work/$name.j"
		timed tshark -n -r "$slice" >> "$work/$name.t"
		timed tshark -n -r "$slice" -Y mqtt -T json >> "$work/$name.u"
	done
	read -r ours rss < <(median "$work/$name.s")
	read -r ours_json rss < <(median "$work/$name.j")
	read -r ts tsrss < <(median "$work/$name.t")
	read -r tsj tsjrss < <(median "$work/$name.u")
	row "(f) tshark -r F (first $slice_n packets)" "$ts" "$slice_n" "$smb" "$tsrss" "$(awk -v a="$ts" -v o="$ours" 'BEGIN { printf "%.0f x mqttdump summary (%.2f s)", a / o, o }')"
	row "(f) tshark -r F -Y mqtt -T json (same slice)" "$tsj" "$slice_n" "$smb" "$tsjrss" "$(awk -v a="$tsj" -v o="$ours_json" 'BEGIN { printf "%.0f x mqttdump --json (%.2f s)", a / o, o }')"
	echo
	awk -v a="$ts" -v b="$tsj" -v n="$slice_n" -v t="$npk" -v c="$s_c" -v d="$s_d" 'BEGIN {
		printf "tshark scaled to the whole capture: %.0f s (summary), %.0f s (JSON): %.0fx and %.0fx mqttdump\n",
			a * t / n, b * t / n, a * t / n / c, b * t / n / d }'
	echo
}

for capture in ${BENCH_CAPTURES:-mixed dense}; do
	case $capture in
	mixed) bench mixed -n "$packets" ;;
	dense) bench dense --dense -m "${DENSE_MESSAGES:-2000000}" ;;
	*) echo "unknown capture $capture (mixed, dense)" >&2; exit 2 ;;
	esac
done
[ -n "${BENCH_DIR:-}" ] || rm -rf "$work"
