#!/bin/sh
# Work at session end is linear: the issue 13 inputs, then twice as much of them.
#
# usage: bench/session_end.sh [BUILD_DIR [SESSIONS [TOPICS]]]
#   SESSIONS  sessions with 1,500 unacknowledged QoS 1 PUBLISH each, then 3,000 each (the
#             issue's: 5,000 sessions x 3,000): the work per session doubles (default 2500)
#   TOPICS    distinct topics of 60 KB (default 4000; the issue's: 8000), then twice as many
# Prints, per input and output (-q alone, --stats, --timeline to a file): CPU seconds
# (user + system), peak RSS, the timeline's size, and the ratio to the smaller input (2.0
# is linear).
set -e
build=${1:-build}
sessions=${2:-2500}
topics=${3:-4000}
here=$(dirname "$0")
tmp=$(mktemp -d "${TMPDIR:-/tmp}/mqttdump-session-end.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

measure() { # label capture options...
	label=$1 cap=$2
	shift 2
	/usr/bin/time -f '%M %U %S' -o "$tmp/time" "$build/mqttdump" -r "$cap" "$@" \
		>/dev/null 2>&1 || true
	tail -n 1 "$tmp/time" | { read -r rss user sys
		echo "$label $(echo "$user + $sys" | bc) $((rss / 1024))"; }
}

run() { # kind n size
	python3 "$here/hostile_pcap.py" "$1" "$tmp/c.pcap" "$2" "$3"
	measure "$1:$2x$3 -q" "$tmp/c.pcap" -q
	measure "$1:$2x$3 --stats" "$tmp/c.pcap" -q --stats
	measure "$1:$2x$3 --timeline" "$tmp/c.pcap" -q --timeline "$tmp/tl.json"
	echo "$1:$2x$3 timeline-bytes $(stat -c %s "$tmp/tl.json")"
	rm -f "$tmp/c.pcap" "$tmp/tl.json"
}

{
	run qos1 "$sessions" 1500
	run qos1 "$sessions" 3000
	run topics "$topics" 60000
	run topics $((topics * 2)) 60000
} >"$tmp/out"
printf '%-22s %-12s %9s %9s\n' input output "cpu s" "RSS MB"
awk '$2 != "timeline-bytes" { printf "%-22s %-12s %9s %9s\n", $1, $2, $3, $4 }
     $2 == "timeline-bytes" { printf "%-22s %-12s %9s bytes\n", $1, "timeline", $3 }' \
	"$tmp/out"
echo
echo "ratios (twice the input / the input):"
awk '{ key = $2; split($1, a, ":"); kind = a[1]
       if (!(kind SUBSEP key in first)) { first[kind, key] = $3; rss[kind, key] = $4 }
       else if ($2 == "timeline-bytes")
	       printf "  %-7s timeline size %.2f\n", kind, $3 / first[kind, key]
       else
	       printf "  %-7s %-11s cpu %.2f  rss %.2f\n", kind, key,
		      (first[kind, key] > 0 ? $3 / first[kind, key] : 0),
		      (rss[kind, key] > 0 ? $4 / rss[kind, key] : 0) }' "$tmp/out"
