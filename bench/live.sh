#!/usr/bin/env bash
# Live capture rate: replay a capture at top speed through a veth pair between two
# network namespaces of our own into `mqttdump -i`, and report the rate reached and the
# kernel's drops (pcap_stats). Needs root, iproute2, tcpreplay.
# Usage: bench/live.sh [BUILD_DIR] [PACKETS]   (default: build, 500000)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$root/${1:-build}
packets=${2:-500000}
work=$(mktemp -d)
a=mqd-replay-a-$$
b=mqd-replay-b-$$
cleanup() {
	ip netns del "$a" 2> /dev/null || true
	ip netns del "$b" 2> /dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT
for t in tcpreplay ip; do
	command -v $t > /dev/null || { echo "bench/live.sh needs $t" >&2; exit 2; }
done
"$build/mqttgen" -n "$packets" -o "$work/replay.pcap" 2> /dev/null
ip netns add "$a"
ip netns add "$b"
ip link add veth-mqd-a netns "$a" type veth peer name veth-mqd-b netns "$b"
ip netns exec "$a" ip link set veth-mqd-a up
ip netns exec "$b" ip link set veth-mqd-b up
ip netns exec "$b" "$build/mqttdump" -i veth-mqd-b -q > /dev/null 2> "$work/stats" &
dump=$!
sleep 1
start=$(date +%s.%N)
ip netns exec "$a" tcpreplay -q --topspeed -i veth-mqd-a "$work/replay.pcap" > "$work/replay" 2>&1
end=$(date +%s.%N)
sleep 1
kill -INT "$dump"
wait "$dump" || true
echo "replayed: $(grep -E 'Actual|Rated' "$work/replay" | tr -s ' ' | tr '\n' ' ')"
cat "$work/stats"
awk -v s="$start" -v e="$end" -v n="$packets" 'BEGIN { printf "replay took %.2f s: %.0f packets/s offered\n", e - s, n / (e - s) }'
