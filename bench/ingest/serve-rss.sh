#!/usr/bin/env bash
# serve-rss.sh measures a whole `inlet serve` process ingesting one large
# CSV file set: a partner-style upload with the AWS CLI, a restart (so the
# peak resident set counts the ingestion alone), the _SUCCESS marker, and
# the process's VmHWM once the snapshot is committed. Loopback only.
#
#   bench/ingest/serve-rss.sh [SIZE]     # default 2GB
set -euo pipefail
cd "$(dirname "$0")"
size=${1:-2GB}
work=$(mktemp -d)
trap 'kill "${pid:-0}" 2>/dev/null || true; rm -rf "$work"' EXIT

(cd ../.. && go build -o "$work/inlet" ./cmd/inlet)
go run ./gen -size "$size" -o "$work/x.csv" -schema "$work/schema.json" >/dev/null
python3 -c "import json,sys; s=json.load(open(sys.argv[1])); s['name']='rss'; json.dump(s, open(sys.argv[2],'w'))" \
	"$work/schema.json" "$work/ds.json"

port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
cloud=127.0.0.1:$(port) console=127.0.0.1:$(port)
data=$work/data
start() {
	"$work/inlet" serve --data "$data" --cloud-addr "$cloud" --console-addr "$console" >/dev/null 2>"$work/serve.log" &
	pid=$!
	for _ in $(seq 100); do curl -sf "http://$console/healthz" >/dev/null && return; sleep 0.1; done
	echo "server did not start" >&2
	exit 1
}
start
export INLET_SERVER=http://$console
export INLET_TOKEN=$("$work/inlet" tenant create --name rss --data "$data" --json |
	python3 -c 'import json,sys; print(json.load(sys.stdin)["token"]["secret"])')
ds=$("$work/inlet" dataset create --schema "$work/ds.json" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
bucket=$("$work/inlet" source create --aws-account-id 222222222222 --resource-id rss --json |
	python3 -c 'import json,sys; print(json.load(sys.stdin)["bucket"])')

export AWS_SHARED_CREDENTIALS_FILE=$data/credentials AWS_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true
unset AWS_PROFILE AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN
aws=(/usr/bin/aws --endpoint-url "http://$cloud")
prefix=ingestion/datasets/version=1/datasetId=$ds/f1
"${aws[@]}" s3 cp "$work/x.csv" "s3://$bucket/$prefix/x.csv" --acl bucket-owner-full-control --no-progress >/dev/null

kill "$pid"
wait "$pid" || true
start
t0=$(date +%s.%N)
"${aws[@]}" s3api put-object --bucket "$bucket" --key "$prefix/_SUCCESS" >/dev/null
status=none
for _ in $(seq 1200); do
	status=$("$work/inlet" ingest list --dataset "$ds" --json |
		python3 -c 'import json,sys; r=json.load(sys.stdin)["ingestions"]; print(r[0]["status"] if r else "none")')
	[ "$status" = committed ] || [ "$status" = failed ] && break
	sleep 0.5
done
t1=$(date +%s.%N)
hwm=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status")
bytes=$(stat -c %s "$work/x.csv")
python3 - "$status" "$t0" "$t1" "$hwm" "$bytes" <<'PY'
import sys
status, t0, t1, hwm, n = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
secs = t1 - t0
print(f"inlet serve ingesting {n/1e9:.2f} GB CSV: {status} in {secs:.1f} s ({n/1e6/secs:.1f} MB/s), "
      f"peak RSS {hwm/1024:.0f} MiB (target <= 256 MiB: {'PASS' if hwm <= 256*1024 else 'FAIL'})")
print(f"RESULT tool=serve-rss status={status} seconds={secs:.2f} bytes={n} peak_rss_mib={hwm/1024:.0f}")
PY
