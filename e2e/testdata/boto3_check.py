"""Drive Debian's boto3 against an inlet endpoint.

Usage: python3 boto3_check.py ENDPOINT BUCKET WORKDIR
Credentials, region and CA bundle come from the AWS_* environment. Each step
prints one line; any failure raises and exits non-zero.
"""
import hashlib
import os
import ssl
import sys
import urllib.error
import urllib.request

import boto3
from botocore.config import Config

endpoint, bucket, workdir = sys.argv[1:4]


def step(msg):
    print("boto3:", msg, flush=True)


def fetch(url):
    ctx = ssl.create_default_context(cafile=os.environ.get("AWS_CA_BUNDLE"))
    with urllib.request.urlopen(url, context=ctx, timeout=60) as r:
        return r.status, r.read()


def sha(b):
    return hashlib.sha256(b).hexdigest()


s3 = boto3.client("s3", endpoint_url=endpoint)

step("create_bucket " + bucket)
s3.create_bucket(Bucket=bucket)

body = os.urandom(4096) + "ünïcode".encode()
step("put_object small.bin")
s3.put_object(Bucket=bucket, Key="small.bin", Body=body)
got = s3.get_object(Bucket=bucket, Key="small.bin")["Body"].read()
assert got == body, "get_object returned different bytes"
step("get_object small.bin ok")

keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]
assert "small.bin" in keys, "list_objects_v2 lacks small.bin: %r" % keys
step("list_objects_v2 ok: %r" % keys)

big = os.path.join(workdir, "big.bin")
data = os.urandom(17 * 1024 * 1024)
with open(big, "wb") as f:
    f.write(data)
step("upload_file 17 MiB (multipart, 8 MiB parts)")
s3.upload_file(big, bucket, "big.bin")
back = os.path.join(workdir, "big.back")
s3.download_file(bucket, "big.bin", back)
with open(back, "rb") as f:
    assert sha(f.read()) == sha(data), "download_file returned different bytes"
step("download_file 17 MiB ok")

step("managed copy 17 MiB (UploadPartCopy)")
s3.copy({"Bucket": bucket, "Key": "big.bin"}, bucket, "big-copy.bin")
s3.download_file(bucket, "big-copy.bin", back)
with open(back, "rb") as f:
    assert sha(f.read()) == sha(data), "managed copy returned different bytes"
step("managed copy ok")

v4 = boto3.client("s3", endpoint_url=endpoint, config=Config(signature_version="s3v4"))
url = v4.generate_presigned_url(
    "get_object", Params={"Bucket": bucket, "Key": "small.bin"}, ExpiresIn=300)
assert "X-Amz-Signature=" in url, "s3v4 presigned URL is not SigV4: " + url.split("?")[0]
status, got = fetch(url)
assert status == 200 and got == body, "SigV4 presigned GET: status %d" % status
step("presigned s3v4 GET ok")

url = s3.generate_presigned_url(
    "get_object", Params={"Bucket": bucket, "Key": "small.bin"}, ExpiresIn=300)
if "X-Amz-Signature=" in url:
    step("default presigned URL is already SigV4 here; fetching it")
    status, got = fetch(url)
    assert status == 200 and got == body, "default presigned GET: status %d" % status
else:
    try:
        status, _ = fetch(url)
        raise AssertionError("SigV2 presigned GET answered %d; want 4xx" % status)
    except urllib.error.HTTPError as e:
        text = e.read().decode("utf-8", "replace")
        assert 400 <= e.code < 500, "SigV2 presigned GET answered %d; want 4xx: %s" % (e.code, text)
        assert "signature version 4" in text.lower(), (
            "SigV2 presigned GET error does not mention Signature Version 4: %s" % text)
        step("default (SigV2) presigned GET rejected with %d as expected" % e.code)

step("done")
