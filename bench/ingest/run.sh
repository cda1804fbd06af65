#!/usr/bin/env bash
# bench/ingest/run.sh: inlet's CSV to Parquet ingestion against DuckDB.
#
# Builds the harness (gen, pipeline, duckdb, latency) and inlet, generates
# the test files in a temporary directory (a CSV of $SIZE, the same CSV
# gzipped, and a CSV of $RSS_SIZE for the memory check), then runs:
#
#   inlet 1 core (GOMAXPROCS=1)  vs DuckDB threads=1     CSV
#   inlet 2 cores                vs DuckDB threads=2     CSV
#   inlet 1 core                 vs DuckDB threads=1     gzipped CSV
#   inlet 2 cores                vs DuckDB threads=2     gzipped CSV
#   inlet's Parquet files read by DuckDB, compared with DuckDB's own
#     conversion (count, min, max and sums of every column)
#   inlet parse + checks only, 1 core (where the time goes; no target)
#   inlet peak RSS on the $RSS_SIZE CSV
#   latency from the _SUCCESS PUT's response to a committed snapshot
#
# and prints: scenario, inlet, DuckDB, ratio, target, pass/fail.
# Each throughput pair runs $ROUNDS times, alternating which side goes
# first; the table shows the best round of each side.
#
# Usage: bench/ingest/run.sh [-q]
#   -q   quick check: SIZE=64MiB RSS_SIZE=256MiB LAT_N=10 (about a minute)
# Environment (defaults in brackets):
#   SIZE [1GiB]  RSS_SIZE [2GB]  ROUNDS [3]  LAT_N [30]  LAT_SIZE [1MB]
#   CODEC [snappy]  Parquet compression on both sides: snappy, zstd
#   DATA_DIR     keep the generated files here and reuse them next time
#   KEEP=1       keep the work directory
#
# Everything runs on this machine; the latency test's server listens on
# 127.0.0.1 only. Rates are MB/s (10^6 bytes) of the input file.
set -euo pipefail

QUICK=0
while getopts "q" opt; do
	case $opt in
	q) QUICK=1 ;;
	*) sed -n '2,30p' "$0" >&2; exit 2 ;;
	esac
done
if [[ $QUICK == 1 ]]; then
	SIZE=${SIZE:-64MiB} RSS_SIZE=${RSS_SIZE:-256MiB} LAT_N=${LAT_N:-10}
fi
SIZE=${SIZE:-1GiB}
RSS_SIZE=${RSS_SIZE:-2GB}
ROUNDS=${ROUNDS:-3}
LAT_N=${LAT_N:-30}
LAT_SIZE=${LAT_SIZE:-1MB}
CODEC=${CODEC:-snappy}

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
WORK=$(mktemp -d -t inlet-ingest-bench.XXXXXX)
cleanup() {
	if [[ ${KEEP:-0} == 1 ]]; then
		echo "work directory kept: $WORK"
	else
		rm -rf "$WORK"
	fi
}
trap cleanup EXIT
BIN=$WORK/bin
DATA=${DATA_DIR:-$WORK/data}
mkdir -p "$BIN" "$DATA"
LOG=$WORK/log.txt

say() { echo "== $*" >&2; }

say "building the harness and inlet"
(cd "$HERE" && go build -o "$BIN/" ./gen ./pipeline ./duckdb ./latency ./verify)
(cd "$ROOT" && go build -o "$BIN/inlet" ./cmd/inlet)

# gen_file NAME SIZE [-gzip]: generate unless DATA_DIR already has it.
gen_file() {
	local name=$1 size=$2
	shift 2
	local stamp=$DATA/$name.size
	if [[ -f $DATA/$name && -f $stamp && $(cat "$stamp") == "$size" ]]; then
		say "reusing $name ($size)"
		return
	fi
	say "generating $name ($size)"
	"$BIN/gen" -size "$size" -o "$DATA/$name" "$@" >&2
	echo "$size" >"$stamp"
}
gen_file data.csv "$SIZE"
gen_file data.csv.gz "$SIZE" -gzip
gen_file big.csv "$RSS_SIZE"

# field KEY LINE: the value of KEY=... in a RESULT line.
field() { tr ' ' '\n' <<<"$2" | sed -n "s/^$1=//p"; }

# result CMD...: run CMD, log its output, print its RESULT line.
result() {
	local out
	if ! out=$("$@" 2>&1); then
		echo "$out" >&2
		echo "FAILED: $*" >&2
		exit 1
	fi
	echo "$out" >>"$LOG"
	echo "$out" | grep '^  ' >&2 || true
	echo "$out" | grep '^RESULT' | tail -1
}

# best A B: the larger of two decimal numbers.
best() { awk -v a="$1" -v b="$2" 'BEGIN { print (a == "" || b + 0 > a + 0) ? b : a }'; }

ROWS=()
# compare LABEL FILE CPUS TARGET
compare() {
	local label=$1 file=$2 cpus=$3 target=$4
	local inl="" duck="" r i d irows="" drows=""
	for ((r = 0; r < ROUNDS; r++)); do
		say "$label: round $((r + 1))/$ROUNDS"
		# Alternate who goes first, so neither always meets a warmer or
		# busier machine.
		if ((r % 2 == 0)); then
			i=$(result "$BIN/pipeline" -cpus "$cpus" -codec "$CODEC" "$file")
			d=$(result "$BIN/duckdb" -threads "$cpus" -compression "$CODEC" "$file")
		else
			d=$(result "$BIN/duckdb" -threads "$cpus" -compression "$CODEC" "$file")
			i=$(result "$BIN/pipeline" -cpus "$cpus" -codec "$CODEC" "$file")
		fi
		inl=$(best "$inl" "$(field mbps "$i")")
		duck=$(best "$duck" "$(field mbps "$d")")
		irows=$(field rows "$i") drows=$(field rows "$d")
	done
	if [[ $irows != "$drows" ]]; then
		echo "row counts differ: inlet $irows, DuckDB $drows" >&2
		exit 1
	fi
	local ratio verdict
	ratio=$(awk -v a="$inl" -v b="$duck" 'BEGIN { printf "%.2f", a / b }')
	verdict=$(awk -v r="$ratio" -v t="$target" 'BEGIN { print (r + 0 >= t + 0) ? "PASS" : "FAIL" }')
	ROWS+=("$label|$inl MB/s|$duck MB/s|${ratio}x|>= ${target}x|$verdict")
}

# Warm the page cache so that the first run reads no colder than the rest.
cat "$DATA/data.csv" "$DATA/data.csv.gz" >/dev/null

compare "CSV, 1 core / 1 thread" "$DATA/data.csv" 1 1.5
compare "CSV, 2 cores / 2 threads" "$DATA/data.csv" 2 1.2
compare "CSV.gz, 1 core / 1 thread" "$DATA/data.csv.gz" 1 1.5
compare "CSV.gz, 2 cores / 2 threads" "$DATA/data.csv.gz" 2 1.5

say "inlet's Parquet files read by DuckDB, against DuckDB's own conversion"
mkdir -p "$WORK/verify"
result "$BIN/pipeline" -cpus 2 -codec "$CODEC" -tmp "$WORK/verify" "$DATA/data.csv" >/dev/null
result "$BIN/duckdb" -threads 2 -compression "$CODEC" -o "$WORK/verify/duckdb.parquet" "$DATA/data.csv" >/dev/null
v=$(result "$BIN/verify" -inlet "$WORK/verify/warehouse/**/*.parquet" -duckdb "$WORK/verify/duckdb.parquet")
ROWS+=("inlet's files read by DuckDB|$(field aggregates "$v") aggregates, $(field differ "$v") differ|-|-|0 differ|$( [[ $(field differ "$v") == 0 ]] && echo PASS || echo FAIL)")
rm -rf "$WORK/verify"

say "parse and checks only, 1 core"
p=$(result "$BIN/pipeline" -cpus 1 -mode parse "$DATA/data.csv")
ROWS+=("CSV, parse+checks only, 1 core|$(field mbps "$p") MB/s|-|-|(where the time goes)|info")

say "peak RSS, $RSS_SIZE CSV, 2 cores"
cat "$DATA/big.csv" >/dev/null
m=$(result "$BIN/pipeline" -cpus 2 "$DATA/big.csv")
rss=$(field peak_rss_mib "$m")
ROWS+=("peak RSS, $RSS_SIZE CSV (at $(field mbps "$m") MB/s)|$rss MiB|-|-|<= 256 MiB|$(awk -v v="$rss" 'BEGIN { print (v + 0 <= 256) ? "PASS" : "FAIL" }')")

say "latency: $LAT_N file sets of $LAT_SIZE"
l=$(result "$BIN/latency" -inlet "$BIN/inlet" -n "$LAT_N" -size "$LAT_SIZE")
p50=$(field p50_ms "$l") p99=$(field p99_ms "$l")
ROWS+=("_SUCCESS -> snapshot, $LAT_SIZE, p50|$p50 ms|-|-|<= 250 ms|$(awk -v v="$p50" 'BEGIN { print (v + 0 <= 250) ? "PASS" : "FAIL" }')")
ROWS+=("_SUCCESS -> snapshot, $LAT_SIZE, p99 (n=$LAT_N)|$p99 ms|-|-|reported|info")

csv=$(stat -c %s "$DATA/data.csv") gz=$(stat -c %s "$DATA/data.csv.gz")
duckver=$(grep -m1 '^duckdb ' "$LOG" | awk '{print $2}' | tr -d ',')
{
	echo
	echo "inlet CSV -> Parquet (Iceberg commit) vs DuckDB $duckver COPY ... TO parquet ($CODEC), same file, same explicit schema"
	echo "input: $SIZE CSV ($csv bytes, $(grep -m1 'rows .* accepted' "$LOG" | awk '{print $2}') rows, 10 columns); gzipped $gz bytes; best of $ROUNDS round(s)"
	echo "MB/s = 10^6 bytes of the input file per second (for .gz the compressed file; x$(awk -v a="$csv" -v b="$gz" 'BEGIN { printf "%.2f", a / b }') for the CSV it holds)"
	echo
	{
		echo "scenario|inlet|DuckDB|ratio|target|result"
		printf '%s\n' "${ROWS[@]}"
	} | awk -F'|' '{ for (i = 1; i <= NF; i++) { c[NR, i] = $i; if (length($i) > w[i]) w[i] = length($i) } n = NR; nf = NF }
		END { for (r = 1; r <= n; r++) { line = ""; for (i = 1; i <= nf; i++) line = line sprintf("%-" w[i] + 2 "s", c[r, i]); sub(/ +$/, "", line); print line } }'
	echo
	echo "load average: $(uptime | sed 's/.*load average: //') on $(nproc) CPUs"
} | tee "$WORK/report.txt"
