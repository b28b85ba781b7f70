#!/bin/sh
# The memory attacks of issue 13, peak RSS and time with and without --max-memory.
#
# usage: bench/memory.sh [BUILD_DIR [SCALE [BUDGETS]]]
#   BUILD_DIR  where mqttdump was built (default: build)
#   SCALE      divides the issue's connection counts (default 4: 250 x 2 MiB ...; 1 is the
#              issue's full size, about 4.5 GB of captures written to $TMPDIR)
#   BUDGETS    the --max-memory values tried (default: "0 268435456 67108864"; 0 is no
#              budget, 268435456 the default; "-" runs without the option, for a build
#              from before it)
#
# Captures (bench/hostile_pcap.py), the issue's full size:
#   partial  1,000 connections, each 2 MiB of a PUBLISH claiming 16 MiB
#   ooo      the same, each connection's first PUBLISH segment missing (held out of order)
#   tls      10,000 TLS handshake messages of 60 KB, never finished
#   ws       50,000 WebSocket upgrade heads of 8 KB, never ended
#   bigseq   200 connections, one after the other, each a finished 5 MiB PUBLISH
# Prints one line per capture and budget: peak RSS (/usr/bin/time %M), user+system time,
# and the line mqttdump prints when the budget gave something up.
set -e
build=${1:-build}
scale=${2:-4}
budgets=${3:-"0 268435456 67108864"}
here=$(dirname "$0")
tmp=$(mktemp -d "${TMPDIR:-/tmp}/mqttdump-memory.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

gen() { python3 "$here/hostile_pcap.py" "$1" "$tmp/$1.pcap" "$2" "$3"; }

printf '%-8s %6s %12s %10s %9s  %s\n' capture conns budget "peak RSS" "cpu s" "given up"
for spec in "partial 1000 2097152" "ooo 1000 2097152" "tls 10000 60000" \
	    "ws 50000 8000" "bigseq 200 5242880"; do
	set -- $spec
	n=$(( $2 / scale ))
	gen "$1" "$n" "$3"
	for b in $budgets; do
		opt="--max-memory $b"
		[ "$b" = - ] && opt=
		/usr/bin/time -f '%M %U %S' -o "$tmp/time" \
			"$build/mqttdump" -r "$tmp/$1.pcap" -q $opt 2>"$tmp/err" || true
		# the last line: /usr/bin/time writes "Command exited with non-zero status"
		# before it when the run failed
		tail -n 1 "$tmp/time" | { read -r rss user sys; echo "$rss $user $sys"; } \
			>"$tmp/t1"
		read -r rss user sys <"$tmp/t1"
		given=$(grep -o '[0-9]* things given up ([0-9]* bytes not decoded), at most [0-9]*' \
			"$tmp/err" || echo "-")
		printf '%-8s %6d %12s %7d MB %9.2f  %s\n' "$1" "$n" "$b" $((rss / 1024)) \
			"$(echo "$user + $sys" | bc)" "$given"
	done
	rm -f "$tmp/$1.pcap"
done
