#!/usr/bin/env bash
# install-deps.sh installs the real S3 clients that the e2e suite drives.
# It is idempotent: anything already present is left alone. With CI=true a
# client still missing after the install is a hard failure; elsewhere it is
# reported and the matching e2e tests skip.
set -euo pipefail

cd "$(dirname "$0")/.."

log() { printf 'install-deps: %s\n' "$*" >&2; }

# Debian packages: command that proves the package is there, then the package.
debs=(
	"/usr/bin/aws awscli"
	"/usr/bin/rclone rclone"
	"/usr/bin/s3cmd s3cmd"
	"/usr/bin/curl curl"
	"/usr/bin/npm npm"
)
missing=()
for pair in "${debs[@]}"; do
	read -r path pkg <<<"$pair"
	[ -x "$path" ] || missing+=("$pkg")
done
if ! /usr/bin/python3 -c 'import boto3' >/dev/null 2>&1; then
	missing+=(python3-boto3)
fi

if [ "${#missing[@]}" -gt 0 ]; then
	if [ "$(id -u)" -ne 0 ] && ! command -v sudo >/dev/null 2>&1; then
		log "cannot install ${missing[*]}: not root and no sudo"
	else
		sudo=""
		[ "$(id -u)" -eq 0 ] || sudo="sudo"
		export DEBIAN_FRONTEND=noninteractive
		log "installing Debian packages: ${missing[*]}"
		if ! $sudo apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null 2>&1; then
			log "apt-get install failed; refreshing package lists first"
			$sudo apt-get update -q >/dev/null
			$sudo apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
		fi
	fi
fi

# Node packages for the AWS SDK for JavaScript v3, pinned by the lock file.
if command -v npm >/dev/null 2>&1; then
	if [ ! -d e2e/js/node_modules/@aws-sdk/client-s3 ] ||
		[ ! -d e2e/js/node_modules/@aws-sdk/lib-storage ]; then
		log "installing Node packages into e2e/js"
		if [ -f e2e/js/package-lock.json ]; then
			(cd e2e/js && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
		else
			(cd e2e/js && npm install --no-audit --no-fund --loglevel=error \
				@aws-sdk/client-s3 @aws-sdk/lib-storage >/dev/null)
		fi
	fi
fi

# Report what the suite will find.
fail=0
check() {
	local name=$1
	shift
	if "$@" >/dev/null 2>&1; then
		log "ok: $name"
	else
		log "missing: $name"
		fail=1
	fi
}
check "aws cli v2 (/usr/bin/aws)" /usr/bin/aws --version
# The AWS CLI v1 with a current botocore comes with the machine image
# (pip, first on PATH); it cannot be installed from here.
check "aws cli v1 (aws on PATH)" sh -c 'aws --version 2>&1 | grep -q "^aws-cli/1\."'
check "rclone" /usr/bin/rclone version
check "s3cmd" /usr/bin/s3cmd --version
check "curl" /usr/bin/curl --version
check "boto3 (/usr/bin/python3)" /usr/bin/python3 -c 'import boto3'
check "node" node --version
check "@aws-sdk/client-s3" test -d e2e/js/node_modules/@aws-sdk/client-s3
check "@aws-sdk/lib-storage" test -d e2e/js/node_modules/@aws-sdk/lib-storage

if [ "$fail" -ne 0 ]; then
	if [ "${CI:-}" = "true" ]; then
		log "a client is missing after install; failing (CI=true)"
		exit 1
	fi
	log "a client is missing; the matching e2e tests will skip"
fi
