#!/usr/bin/env bash
# test.sh is the project's test command: dependencies, vet, gofmt, unit
# tests, a short run of every fuzz target, then the end-to-end suite with
# real S3 clients. It exits non-zero when any step fails and ends with a
# summary line.
#
# FUZZTIME (default 10s) sets the time per fuzz target; SKIP_E2E=1 leaves
# out the end-to-end suite.
set -uo pipefail

cd "$(dirname "$0")/.."

fuzztime=${FUZZTIME:-10s}
passed=0
failed=0
failures=()

step() {
	local name=$1
	shift
	printf '\n=== %s\n' "$name"
	local start=$SECONDS
	if "$@"; then
		passed=$((passed + 1))
		printf -- '--- ok: %s (%ds)\n' "$name" $((SECONDS - start))
	else
		failed=$((failed + 1))
		failures+=("$name")
		printf -- '--- FAILED: %s (%ds)\n' "$name" $((SECONDS - start))
	fi
}

gofmt_check() {
	local files
	files=$(git ls-files -co --exclude-standard -- '*.go' | xargs -r gofmt -l)
	if [ -n "$files" ]; then
		printf 'gofmt would change:\n%s\n' "$files"
		return 1
	fi
}

# fuzz_targets prints "PKGDIR TARGET" for each fuzz function in a test file.
fuzz_targets() {
	git ls-files -co --exclude-standard -- '*_test.go' |
		xargs -r grep -HoE '^func Fuzz[A-Za-z0-9_]+\(' |
		sed -E 's#^(.*)/[^/]+_test\.go:func (Fuzz[A-Za-z0-9_]+)\($#\1 \2#; s#^[^/ ]+_test\.go:func (Fuzz[A-Za-z0-9_]+)\($#. \1#' |
		sort -u
}

# fuzz_one DIR TARGET runs one target. Go 1.26's fuzz coordinator can fail
# a target at the end of -fuzztime with "context deadline exceeded" and no
# failing input (go.dev/issue/75804, fixed in Go 1.27): a failure that
# wrote no new input under testdata/fuzz/TARGET is run once more; one that
# wrote an input fails at once.
fuzz_one() {
	local dir=$1 target=$2 corpus="$1/testdata/fuzz/$2" before after attempt
	for attempt in 1 2; do
		echo "fuzz: $target in ./$dir for $fuzztime"
		before=$(ls "$corpus" 2>/dev/null | wc -l)
		if go test -run='^$' -fuzz="^${target}\$" -fuzztime="$fuzztime" -fuzzminimizetime=3s "./$dir"; then
			return 0
		fi
		after=$(ls "$corpus" 2>/dev/null | wc -l)
		if [ "$after" -gt "$before" ]; then
			return 1 # a failing input was written: a real failure
		fi
		echo "fuzz: $target failed without a failing input (Go's fuzzing deadline race); once more"
	done
	return 1
}

fuzz_all() {
	local dir target rc=0 n=0
	while read -r dir target; do
		[ -n "$target" ] || continue
		n=$((n + 1))
		if ! fuzz_one "$dir" "$target"; then
			echo "fuzz: $target FAILED"
			rc=1
		fi
	done < <(fuzz_targets)
	echo "fuzz: $n target(s)"
	return $rc
}

step "install-deps" scripts/install-deps.sh
step "go vet" go vet ./...
step "go vet (e2e)" go vet -tags e2e ./e2e/...
step "gofmt" gofmt_check
step "go test" go test -count=1 ./...
step "fuzz" fuzz_all
if [ "${SKIP_E2E:-}" != "1" ]; then
	step "e2e" go test -tags e2e -count=1 -timeout 20m -v ./e2e/...
fi

echo
if [ "$failed" -ne 0 ]; then
	echo "failed steps: ${failures[*]}"
fi
echo "test.sh: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
