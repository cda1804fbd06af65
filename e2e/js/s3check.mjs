// s3check.mjs drives the AWS SDK for JavaScript v3 against an inlet endpoint.
// Usage: node s3check.mjs ENDPOINT BUCKET
// Credentials and region come from the AWS_* environment (shared files);
// NODE_EXTRA_CA_CERTS trusts the server's CA over HTTPS.
import { createHash, randomBytes } from "node:crypto";
import {
  S3Client,
  CreateBucketCommand,
  PutObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
} from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";

const [endpoint, bucket] = process.argv.slice(2);
const s3 = new S3Client({ endpoint, forcePathStyle: true, region: "us-east-1" });
const step = (msg) => console.log("js:", msg);
const sha = (b) => createHash("sha256").update(b).digest("hex");

async function getBytes(key) {
  const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return Buffer.from(await out.Body.transformToByteArray());
}

step(`CreateBucket ${bucket}`);
await s3.send(new CreateBucketCommand({ Bucket: bucket }));

const small = randomBytes(5000);
step("PutObject small.bin");
await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "small.bin", Body: small }));
if (sha(await getBytes("small.bin")) !== sha(small)) {
  throw new Error("GetObject small.bin returned different bytes");
}
step("GetObject small.bin ok");

const list = await s3.send(new ListObjectsV2Command({ Bucket: bucket }));
const keys = (list.Contents ?? []).map((o) => o.Key);
if (!keys.includes("small.bin")) throw new Error(`ListObjectsV2 lacks small.bin: ${keys}`);
step(`ListObjectsV2 ok: ${keys}`);

const big = randomBytes(12 * 1024 * 1024);
step("lib-storage Upload 12 MiB (multipart, 5 MiB parts, default checksums)");
const up = new Upload({ client: s3, params: { Bucket: bucket, Key: "big.bin", Body: big } });
await up.done();
if (sha(await getBytes("big.bin")) !== sha(big)) {
  throw new Error("GetObject big.bin returned different bytes");
}
step("GetObject big.bin ok");
step("done");
