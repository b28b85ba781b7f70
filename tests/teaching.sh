#!/usr/bin/env bash
# Golden tests of the teaching outputs: -V, -x, --explain (en, fr), --diagram (text, SVG)
# over the captures of tests/teaching.list, compared with captures/expected/; the SVG and
# HTML diagrams are also parsed (tests/wellformed.py). TAP. Usage: teaching.sh MQTTDUMP ROOT
set -u
bin=$1
root=$2
here=$(cd "$(dirname "$0")" && pwd)
names=$(grep -v '^#' "$here/teaching.list")
kinds="detail hex explain.en explain.fr diagram svg html"
all=$(cd "$root/captures" && ls *.pcap *.pcapng damaged/*.pcap 2>/dev/null | sort)
n=0
for c in $names; do for k in $kinds; do n=$((n + 1)); done; done
for c in $all; do n=$((n + 2)); done
echo "1..$n"
i=0
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for c in $names; do
	cap="$root/captures/$c.pcap"
	for k in $kinds; do
		i=$((i + 1))
		exp="$root/captures/expected/$c.$k.txt"
		out="$tmp/out"
		case $k in
		detail) "$bin" -r "$cap" -V > "$out" 2> "$tmp/err" ;;
		hex) "$bin" -r "$cap" -x > "$out" 2> "$tmp/err" ;;
		explain.en) "$bin" -r "$cap" --explain --lang en > "$out" 2> "$tmp/err" ;;
		explain.fr) "$bin" -r "$cap" --explain --lang fr > "$out" 2> "$tmp/err" ;;
		diagram) "$bin" -r "$cap" --diagram > "$out" 2> "$tmp/err" ;;
		svg) exp="$root/captures/expected/$c.svg"
		     "$bin" -r "$cap" -q --diagram=svg "$out" 2> "$tmp/err" ;;
		html) exp=""
		      "$bin" -r "$cap" -q --diagram=html "$out" 2> "$tmp/err" ;;
		esac
		rc=$?
		if [ $rc -ne 0 ]; then
			echo "not ok $i - $c $k: mqttdump failed ($rc): $(tail -1 "$tmp/err")"
			fail=1
			continue
		fi
		if [ "$k" = svg ] || [ "$k" = html ]; then
			if ! msg=$(python3 "$here/wellformed.py" "$k" "$out" 2>&1); then
				echo "not ok $i - $c $k is not well-formed: $msg"
				fail=1
				continue
			fi
		fi
		if [ -z "$exp" ]; then
			echo "ok $i - $c $k well-formed ($msg)"
		elif [ ! -f "$exp" ]; then
			echo "not ok $i - $c $k: no expected file $exp (run tests/regen.sh)"
			fail=1
		elif ! diff -u "$exp" "$out" > "$tmp/diff"; then
			echo "not ok $i - $c $k differs from expected"
			head -20 "$tmp/diff" | sed 's/^/# /'
			fail=1
		else
			echo "ok $i - $c $k"
		fi
	done
done
# Every bundled capture, damaged ones included: the SVG and HTML diagrams parse.
for c in $all; do
	for k in svg html; do
		i=$((i + 1))
		name=${c%.*}
		args=()
		[ -f "$root/captures/$name.args" ] && read -r -a args < "$root/captures/$name.args"
		# from captures/, where the .args files' names (--keylog tls12.keys) point
		if ! (cd "$root/captures" && "$bin" -r "$c" "${args[@]}" -q --diagram=$k "$tmp/d.$k") \
			2> "$tmp/err"; then
			echo "not ok $i - $c $k: mqttdump failed: $(tail -1 "$tmp/err")"
			fail=1
		elif [ ! -s "$tmp/d.$k" ]; then
			echo "not ok $i - $c $k: empty"
			fail=1
		elif n=$(sed -n 's/.* \([0-9]*\) MQTT messages,.*/\1/p' "$tmp/err" | head -1)
		     [ "${n:-0}" -gt 2000 ] && n=2000
		     ! msg=$(python3 "$here/wellformed.py" "$k" "$tmp/d.$k" "${n:-0}" 2>&1); then
			echo "not ok $i - $c $k is not well-formed: $msg"
			fail=1
		else
			echo "ok $i - $c $k well-formed ($msg)"
		fi
	done
done
exit $fail
