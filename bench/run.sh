#!/usr/bin/env bash
# bench/run.sh: measure inlet against this machine's ceiling.
#
# Builds inlet and the bench tools, starts inlet (on a scratch data directory
# under bench/tmp, the filesystem the disk test measures) and the do-nothing
# S3 server (bench/noop) on free loopback ports, runs every scenario against
# both with bench/s3load, and prints a table: scenario, ceiling, inlet,
# inlet/ceiling, target, pass/fail. Then the disk's fsynced write rate with
# inlet's 64 MiB PUT rate against it, and the SigV4 Verify go benchmark.
#
# Each scenario runs in rounds that alternate the two servers (ceiling then
# inlet, inlet then ceiling, ...); the table shows the median of the rounds,
# which keeps other work on the machine from tilting one side.
#
# Usage: bench/run.sh [-o FILE] [-d SECONDS] [-w SECONDS] [-r ROUNDS] [-k KEYS] [-q]
#   -o FILE     also write the report to FILE
#   -d SECONDS  measured time per run (default 2)
#   -w SECONDS  unmeasured warm-up per run (default 0.5)
#   -r ROUNDS   rounds per scenario (default 3)
#   -k KEYS     keys in the large list bucket (default 100000)
#   -q          quick: -d 1 -w 0.3 -r 1 -k 10000
#   -g REV      build inlet from git revision REV (git archive, leaves the
#               work tree alone) instead of from the work tree
#   -c          calibrate: a second noop server stands in for inlet, so the
#               ratios show how far the machine's noise alone moves them
# Environment: INLET_BIN=path runs that inlet binary instead of building
# ./cmd/inlet (to compare builds).
#
# Every run is bounded in time; the whole script takes about 6-8 minutes
# with the defaults. It sends traffic to 127.0.0.1 only.
set -euo pipefail

OUT=""
DUR=2
WARM=0.5
ROUNDS=3
BIGKEYS=100000
CALIBRATE=0
REV=""
while getopts "o:d:w:r:k:g:qc" opt; do
	case $opt in
	o) OUT=$OPTARG ;;
	d) DUR=$OPTARG ;;
	w) WARM=$OPTARG ;;
	r) ROUNDS=$OPTARG ;;
	k) BIGKEYS=$OPTARG ;;
	q) DUR=1 WARM=0.3 ROUNDS=1 BIGKEYS=10000 ;;
	c) CALIBRATE=1 ;;
	g) REV=$OPTARG ;;
	*) sed -n '2,32p' "$0" >&2; exit 2 ;;
	esac
done

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
mkdir -p bench/tmp
WORK=$(mktemp -d "$ROOT/bench/tmp/run.XXXXXX")
BIN=$WORK/bin
DATA=$WORK/data
mkdir -p "$BIN" "$DATA"
REPORT=$WORK/report.txt

PIDS=()
cleanup() {
	local pid
	for pid in "${PIDS[@]}"; do
		kill "$pid" 2>/dev/null || true
	done
	for pid in "${PIDS[@]}"; do
		for _ in $(seq 1 100); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	if [[ -n $OUT && -f $REPORT ]]; then
		mkdir -p "$(dirname "$OUT")"
		cp "$REPORT" "$OUT"
	fi
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

say() { printf '%s\n' "$*" | tee -a "$REPORT"; }
note() { printf '%s\n' "$*" >&2; }

note "building into $BIN"
SRC=$ROOT # where the sigv4 benchmark runs
INLET_FROM="built from the work tree at $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
if [[ $CALIBRATE == 1 ]]; then
	INLET_FROM="CALIBRATION: a second noop server, not inlet"
elif [[ -n ${INLET_BIN:-} ]]; then
	cp "$INLET_BIN" "$BIN/inlet"
	INLET_FROM="INLET_BIN=$INLET_BIN"
elif [[ -n $REV ]]; then
	mkdir -p "$WORK/src"
	git archive "$REV" | tar -x -C "$WORK/src"
	(cd "$WORK/src" && go build -o "$BIN/inlet" ./cmd/inlet)
	INLET_FROM="built from git revision $(git rev-parse --short "$REV")"
	SRC=$WORK/src
else
	go build -o "$BIN/inlet" ./cmd/inlet
fi
go build -o "$BIN/noop" ./bench/noop
go build -o "$BIN/s3load" ./bench/s3load
go build -o "$BIN/disk" ./bench/disk
go build -o "$BIN/freeport" ./bench/freeport

mapfile -t PORTS < <("$BIN/freeport" -n 3)
NOOP=127.0.0.1:${PORTS[0]}
CLOUD=127.0.0.1:${PORTS[1]}
CONSOLE=127.0.0.1:${PORTS[2]}

"$BIN/noop" -addr "$NOOP" 2>"$WORK/noop.log" &
PIDS+=($!)
NOOP_PID=$!
if [[ $CALIBRATE == 1 ]]; then
	printf '[default]\naws_access_key_id = calibrate\naws_secret_access_key = calibrate\n' >"$DATA/credentials"
	"$BIN/noop" -addr "$CLOUD" -console-addr "$CONSOLE" >"$WORK/inlet.log" 2>&1 &
else
	"$BIN/inlet" serve --data "$DATA" --cloud-addr "$CLOUD" --console-addr "$CONSOLE" >"$WORK/inlet.log" 2>&1 &
fi
PIDS+=($!)
INLET_PID=$!

ready=0
for _ in $(seq 1 300); do
	if ! kill -0 "$INLET_PID" 2>/dev/null; then
		note "inlet exited during start-up:"; tail -n 30 "$WORK/inlet.log" >&2; exit 1
	fi
	if [[ -s $DATA/credentials ]] && curl -fsS -o /dev/null --max-time 1 "http://$CONSOLE/healthz" 2>/dev/null; then
		ready=1; break
	fi
	sleep 0.1
done
if [[ $ready != 1 ]]; then
	note "inlet did not become ready in 30 s:"; tail -n 30 "$WORK/inlet.log" >&2; exit 1
fi
CREDS=$DATA/credentials

# field NAME LINE: the value of NAME=... in a RESULT line.
field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$2"; }

# load ENDPOINT PID ARGS...: one s3load run; prints its RESULT line, which
# carries the server's CPU time per operation in the measured phase.
load() {
	local ep=$1 pid=$2; shift 2
	local line
	if ! line=$("$BIN/s3load" -endpoint "http://$ep" -credentials "$CREDS" -server-pid "$pid" "$@" 2>"$WORK/s3load.err" | grep '^RESULT'); then
		line="RESULT label=failed ops=0 ops_per_s=0 mb_per_s=0 p50_ms=0 p99_ms=0 errors=1 server_cpu_us_per_op=0"
	fi
	if [[ -s $WORK/s3load.err ]]; then
		# keep the first failures of each run for the report
		{ echo "[$ep $*]"; head -n 3 "$WORK/s3load.err"; } >>"$WORK/s3load.log"
		note "$(head -n 3 "$WORK/s3load.err")"
	fi
	printf '%s\n' "$line"
}

RUN=(-duration "${DUR}s" -warmup "${WARM}s")
ROWS=()
FAILS=0
declare -A R # scenario results: R[name.ceil] and R[name.inlet] hold RESULT lines

# row NAME METRIC TARGET CEIL_LINE INLET_LINE: one table row. METRIC is
# mb_per_s or ops_per_s; TARGET the least inlet/ceiling that passes.
row() {
	local name=$1 metric=$2 target=$3 c=$4 i=$5
	local cv iv cp ip ie ce
	cv=$(field "$metric" "$c"); iv=$(field "$metric" "$i")
	cp=$(field p99_ms "$c"); ip=$(field p99_ms "$i")
	ce=$(field errors "$c"); ie=$(field errors "$i")
	local ccpu icpu
	ccpu=$(field server_cpu_us_per_op "$c"); icpu=$(field server_cpu_us_per_op "$i")
	local unit=ops/s
	[[ $metric == mb_per_s ]] && unit=MB/s
	local out
	out=$(awk -v n="$name" -v u="$unit" -v cv="${cv:-0}" -v iv="${iv:-0}" -v t="$target" \
		-v cp="${cp:-0}" -v ip="${ip:-0}" -v ce="${ce:-?}" -v ie="${ie:-?}" -v ccpu="${ccpu:-0}" -v icpu="${icpu:-0}" 'BEGIN {
		r = (cv > 0 ? iv / cv : 0)
		res = "-"
		if (t != "-") res = (r >= t && ie == 0 ? "PASS" : "FAIL")
		if (ie != 0) res = res " (inlet errors " ie ")"
		printf "%-30s %10.1f %10.1f %-5s %6.2f %6s  %-5s %8.2f %8.2f %8.0f %8.0f\n", n, cv, iv, u, r, t, res, cp, ip, ccpu, icpu
	}')
	[[ $out == *FAIL* ]] && FAILS=$((FAILS + 1))
	ROWS+=("$out")
	note "$out"
}

# median: reads RESULT lines and prints one RESULT line holding, for every
# numeric field, the median over the lines (ops and errors: the sum).
median() {
	awk '
	{
		for (i = 2; i <= NF; i++) {
			k = substr($i, 1, index($i, "=") - 1); v = substr($i, index($i, "=") + 1)
			if (!(k in n)) { keys[++nk] = k; n[k] = 0 }
			vals[k, ++n[k]] = v
		}
	}
	END {
		out = "RESULT"
		for (j = 1; j <= nk; j++) {
			k = keys[j]; m = n[k]
			if (k == "ops" || k == "errors") {
				s = 0; for (i = 1; i <= m; i++) s += vals[k, i]
				out = out " " k "=" s; continue
			}
			if (vals[k, 1] !~ /^-?[0-9.]+$/) { out = out " " k "=" vals[k, 1]; continue }
			for (i = 1; i <= m; i++) a[i] = vals[k, i] + 0
			for (i = 2; i <= m; i++) { x = a[i]; for (l = i - 1; l >= 1 && a[l] > x; l--) a[l + 1] = a[l]; a[l + 1] = x }
			med = (m % 2 ? a[(m + 1) / 2] : (a[m / 2] + a[m / 2 + 1]) / 2)
			out = out " " k "=" med
		}
		print out
	}'
}

# pair NAME METRIC TARGET ARGS...: the same s3load run against noop and
# inlet, in $ROUNDS alternating rounds; get and head pre-put their objects
# in the first round only.
pair() {
	local name=$1 metric=$2 target=$3; shift 3
	local c="" i="" r extra=()
	for ((r = 1; r <= ROUNDS; r++)); do
		[[ $r -gt 1 ]] && extra=(-setup=false)
		if ((r % 2)); then
			c+=$(load "$NOOP" "$NOOP_PID" "${RUN[@]}" -label "$name" "$@" "${extra[@]}")$'\n'
			i+=$(load "$CLOUD" "$INLET_PID" "${RUN[@]}" -label "$name" "$@" "${extra[@]}")$'\n'
		else
			i+=$(load "$CLOUD" "$INLET_PID" "${RUN[@]}" -label "$name" "$@" "${extra[@]}")$'\n'
			c+=$(load "$NOOP" "$NOOP_PID" "${RUN[@]}" -label "$name" "$@" "${extra[@]}")$'\n'
		fi
	done
	c=$(median <<<"$c")
	i=$(median <<<"$i")
	R[$name.ceil]=$c
	R[$name.inlet]=$i
	row "$name" "$metric" "$target" "$c" "$i"
}

START_LOAD=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown)
note "inlet on $CLOUD (console $CONSOLE), noop ceiling on $NOOP, data in $DATA"

# Disk first, on the data directory's filesystem, while nothing else runs.
DISK=$("$BIN/disk" -dir "$DATA" -sizes 64MiB,1GiB -runs 5 -budget 10s | tee "$WORK/disk.txt" | grep '^RESULT')
note "$(cat "$WORK/disk.txt")"

M64=67108864
for c in 1 4; do
	# each client overwrites two keys, which bounds the disk space used
	pair "put 64MiB signed c$c" mb_per_s 0.35 -op put -size $M64 -clients $c -overwrite 2
	pair "put 64MiB unsigned c$c" mb_per_s 0.35 -op put -size $M64 -clients $c -overwrite 2 -unsigned
done
for c in 1 4; do
	pair "get 64MiB c$c" mb_per_s 0.6 -op get -size $M64 -clients $c -prefix get64
done
for c in 1 16; do
	t=-; [[ $c == 16 ]] && t=0.4
	pair "put 4KiB signed c$c" ops_per_s $t -op put -size 4096 -clients $c
	pair "put 4KiB unsigned c$c" ops_per_s $t -op put -size 4096 -clients $c -unsigned
done
for op in get head; do
	for c in 1 16; do
		t=-; [[ $c == 16 ]] && t=0.5
		pair "$op 4KiB c$c" ops_per_s $t -op "$op" -size 4096 -clients $c -prefix get4k
	done
done

# ListObjectsV2: pages of 1,000 keys from a bucket of 1,000 and one of
# $BIGKEYS keys. The noop server answers a fixed 1,000-key page either way.
FILL_TIMEOUT=300s
fill() {
	local bucket=$1 n=$2 line
	line=$("$BIN/s3load" -endpoint "http://$CLOUD" -credentials "$CREDS" -bucket "$bucket" -op fill -count "$n" \
		-size 16 -clients 16 -duration $FILL_TIMEOUT 2>>"$WORK/s3load.log" | grep '^RESULT' || true)
	note "fill $bucket: $line"
	FILLED=$(field ops "$line")
	FILL_RATE=$(field ops_per_s "$line")
}
fill list1k 1000
FILLED_SMALL=${FILLED:-0}
fill list100k "$BIGKEYS"
FILLED_BIG=${FILLED:-0}
FILL_BIG_RATE=${FILL_RATE:-0}
for c in 1 16; do
	t=-; [[ $c == 16 ]] && t=0.5
	cl="" il="" ib=""
	for ((r = 1; r <= ROUNDS; r++)); do
		# rotate the order of the three runs from round to round
		for k in 0 1 2; do
			case $(((k + r) % 3)) in
			0) cl+=$(load "$NOOP" "$NOOP_PID" "${RUN[@]}" -op list -clients $c -bucket list1k -label "list c$c")$'\n' ;;
			1) il+=$(load "$CLOUD" "$INLET_PID" "${RUN[@]}" -op list -clients $c -bucket list1k -label "list 1k c$c")$'\n' ;;
			2) ib+=$(load "$CLOUD" "$INLET_PID" "${RUN[@]}" -op list -clients $c -bucket list100k -label "list big c$c")$'\n' ;;
			esac
		done
	done
	cl=$(median <<<"$cl"); il=$(median <<<"$il"); ib=$(median <<<"$ib")
	R[list1k.c$c]=$il
	R[listbig.c$c]=$ib
	row "list 1k-key bucket c$c" ops_per_s $t "$cl" "$il"
	row "list ${BIGKEYS}-key bucket c$c" ops_per_s $t "$cl" "$ib"
done

{
	say "inlet benchmark: $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores, $(go version | awk '{print $3}'), load average at start $START_LOAD"
	say "inlet: $INLET_FROM"
	say "client: bench/s3load (aws-sdk-go-v2, path style, request/response checksums only when required: no CRC32), median of $ROUNDS alternating rounds of ${DUR}s measured + ${WARM}s warm-up"
	say "ceiling: bench/noop on the same machine; ratio = inlet / ceiling; server CPU = µs of server CPU per operation"
	say ""
	say "$(printf '%-30s %10s %10s %-5s %6s %6s  %-5s %8s %8s %8s %8s' scenario ceiling inlet unit ratio target result 'c p99ms' 'i p99ms' 'c cpuus' 'i cpuus')"
	for r in "${ROWS[@]}"; do say "$r"; done
	say ""
	say "list buckets: list1k holds $FILLED_SMALL keys, list100k holds $FILLED_BIG of $BIGKEYS keys (filled at $FILL_BIG_RATE puts/s, 16 B objects, 16 clients)"
	for c in 1 16; do
		a=$(field p50_ms "${R[list1k.c$c]:-}"); b=$(field p50_ms "${R[listbig.c$c]:-}")
		line=$(awk -v a="${a:-0}" -v b="${b:-0}" -v c="$c" -v k="$BIGKEYS" 'BEGIN {
			r = (a > 0 ? b / a : 0)
			printf "list page p50 at c%s: %.3f ms with 1k keys, %.3f ms with %d keys, ratio %.2f (target <= 1.25): %s", c, a, b, k, r, (r > 0 && r <= 1.25 ? "PASS" : "FAIL")
		}')
		[[ $line == *FAIL ]] && FAILS=$((FAILS + 1))
		say "$line"
	done
	say ""
	say "disk (fsynced sequential write in 1 MiB writes, median of up to 5 runs, on the data dir's filesystem):"
	sed -n 's/^fsynced/  fsynced/p' "$WORK/disk.txt" | tee -a "$REPORT"
	say "  fresh: each run writes blocks the filesystem has not just freed; rewrite: blocks freed by the previous run."
	say "  The 64 MiB PUTs overwrite two keys per client, so the target is checked against the higher, rewrite rate."
	fresh=$(field "fresh_mb_per_s_$M64" "$DISK"); rewrite=$(field "rewrite_mb_per_s_$M64" "$DISK")
	for name in "put 64MiB signed c1" "put 64MiB signed c4" "put 64MiB unsigned c1" "put 64MiB unsigned c4"; do
		v=$(field mb_per_s "${R[$name.inlet]:-}")
		line=$(awk -v n="$name" -v v="${v:-0}" -v f="${fresh:-0}" -v w="${rewrite:-0}" 'BEGIN {
			rf = (f > 0 ? v / f : 0); rw = (w > 0 ? v / w : 0)
			printf "%-24s %8.1f MB/s = %.2f of the rewrite rate (target 0.75: %s), %.2f of the fresh-block rate", n, v, rw, (rw >= 0.75 ? "PASS" : "FAIL"), rf
		}')
		[[ $line == *FAIL* ]] && FAILS=$((FAILS + 1))
		say "$line"
	done
	say ""
	say "SigV4 Verify go benchmark (target < 10 µs/op, payload hashing excluded):"
	if grep -qs 'func Benchmark.*Verify' "$SRC"/internal/sigv4/*_test.go; then
		if (cd "$SRC" && go test -run='^$' -bench=Verify -benchmem ./internal/sigv4/) >"$WORK/sigv4.txt" 2>&1; then
			grep -E '^(Benchmark|ok|PASS)' "$WORK/sigv4.txt" | sed 's/^/  /' | tee -a "$REPORT"
			while read -r bname _ ns _; do
				v=$(awk -v ns="$ns" 'BEGIN { print (ns < 10000 ? "PASS" : "FAIL") }')
				[[ $v == FAIL ]] && FAILS=$((FAILS + 1))
				say "  $bname: $ns ns/op: $v"
			done < <(awk '/^Benchmark/ && $4 == "ns/op" {print $1, $2, $3, $4}' "$WORK/sigv4.txt")
		else
			say "  go test failed:"; tail -n 20 "$WORK/sigv4.txt" | sed 's/^/  /' | tee -a "$REPORT"
			FAILS=$((FAILS + 1))
		fi
	else
		say "  no Verify benchmark in internal/sigv4 yet"
	fi
	if [[ -s $WORK/s3load.log ]]; then
		say ""
		say "load generator warnings (first lines of each run that had any):"
		head -n 40 "$WORK/s3load.log" | sed 's/^/  /' | tee -a "$REPORT"
	fi
	say ""
	say "targets missed: $FAILS"
} 2>&1
