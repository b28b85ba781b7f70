#!/usr/bin/env bash
# Golden tests: mqttdump over every capture in captures/, output compared with the expected
# files committed in captures/expected/ (summary: NAME.txt, JSON Lines: NAME.jsonl).
# Damaged captures (captures/damaged/) have theirs in captures/expected/damaged/.
# A capture may have captures/NAME.args with extra arguments (e.g. "-p 17501"); they run
# in captures/, so a file they name (a --keylog) is relative to it.
# TAP output. Usage: golden.sh MQTTDUMP SOURCE_ROOT
set -u
bin=$1
root=$2
caps=$(cd "$root/captures" && ls *.pcap *.pcapng damaged/*.pcap 2>/dev/null | sort)
n=$(printf '%s\n' $caps | grep -c .)
echo "1..$((n * 2))"
i=0
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for c in $caps; do
	name=${c%.*}
	args=()
	[ -f "$root/captures/$name.args" ] && read -r -a args < "$root/captures/$name.args"
	for kind in txt jsonl; do
		i=$((i + 1))
		exp="$root/captures/expected/$name.$kind"
		flags=()
		[ "$kind" = jsonl ] && flags=(--json)
		if ! (cd "$root/captures" && "$bin" -r "$root/captures/$c" "${args[@]}" "${flags[@]}") > "$tmp/out" 2> "$tmp/err"; then
			echo "not ok $i - $c $kind: mqttdump failed: $(tail -1 "$tmp/err")"
			fail=1
		elif [ ! -f "$exp" ]; then
			echo "not ok $i - $c $kind: no expected file $exp (run tests/regen.sh)"
			fail=1
		elif ! diff -u "$exp" "$tmp/out" > "$tmp/diff"; then
			echo "not ok $i - $c $kind differs from expected"
			head -20 "$tmp/diff" | sed 's/^/# /'
			fail=1
		else
			echo "ok $i - $c $kind"
		fi
	done
done
exit $fail
