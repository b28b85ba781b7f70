#!/usr/bin/env bash
# Rewrite captures/expected/ (summary, JSON Lines, timeline, stats, filter cases) from the current build, for an intended change of output.
# Read `git diff captures/expected` before committing what this writes.
# Usage: tests/regen.sh [BUILD_DIR]   (default: build)
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
bin=$root/${1:-build}/mqttdump
mkdir -p "$root/captures/expected/damaged"
cd "$root/captures"
for c in *.pcap *.pcapng damaged/*.pcap; do
	[ -e "$c" ] || continue
	name=${c%.*}
	args=()
	[ -f "$name.args" ] && read -r -a args < "$name.args"
	TZ=UTC LC_ALL=C "$bin" -r "$c" "${args[@]}" > "expected/$name.txt" 2>/dev/null
	TZ=UTC LC_ALL=C "$bin" -r "$c" "${args[@]}" --json > "expected/$name.jsonl" 2>/dev/null
	TZ=UTC LC_ALL=C "$bin" -r "$c" "${args[@]}" -q --timeline - > "expected/$name.timeline.json" 2>/dev/null
	TZ=UTC LC_ALL=C "$bin" -r "$c" "${args[@]}" -q --stats > "expected/$name.stats.txt" 2>/dev/null
	echo "$c: $(wc -l < "expected/$name.txt") lines, $(wc -l < "expected/$name.jsonl") records"
done
# the filter cases of tests/sessions.sh
mkdir -p expected/filters
sed -e '/^#/d' -e '/^ *$/d' "$root/tests/filters.list" | while IFS='|' read -r case cap fargs; do
	read -r -a a <<< "$fargs"
	TZ=UTC LC_ALL=C "$bin" -r "$cap" "${a[@]}" > "expected/filters/$case.out" 2>/dev/null
	echo "filter $case: $(wc -l < "expected/filters/$case.out") lines"
done
# Teaching outputs (tests/teaching.sh) for the captures of tests/teaching.list.
for c in $(grep -v '^#' "$root/tests/teaching.list"); do
	run() { TZ=UTC LC_ALL=C "$bin" -r "$c.pcap" "$@" 2>/dev/null; }
	run -V > "expected/$c.detail.txt"
	run -x > "expected/$c.hex.txt"
	run --explain --lang en > "expected/$c.explain.en.txt"
	run --explain --lang fr > "expected/$c.explain.fr.txt"
	run --diagram > "expected/$c.diagram.txt"
	run -q --diagram=svg "expected/$c.svg"
	echo "$c: teaching outputs"
done
# docs/teaching.md's command blocks (tests/teaching_doc.py checks them)
python3 "$root/tests/teaching_doc.py" "$bin" "$root" --fix && echo "docs/teaching.md: outputs"
# the SVG diagrams docs/teaching.md shows
for svg in "$root"/docs/img/*.svg; do
	name=$(basename "$svg" .svg)
	TZ=UTC LC_ALL=C "$bin" -r "$root/captures/$name.pcap" -q --diagram=svg "$svg" 2>/dev/null
done
