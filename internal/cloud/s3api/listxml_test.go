package s3api

import (
	"bytes"
	"encoding/xml"
	"math/rand/v2"
	"testing"
)

// Ensure the hand-written ListObjectsV2 reply is byte for byte what
// encoding/xml makes of the same struct.
func TestListV2XMLMatchesEncodingXML(t *testing.T) {
	keys := []string{"a", "dir/x=1/données.csv", "a&b<c>\"d'e", "tab\tnew\nline", "\u00e9\u4e2d", "%2B+ spaces", "/lead", "x\x7f", "bad\xffutf8", "ctl\x01", "plain-ascii_key.csv"}
	r := rand.New(rand.NewPCG(1, 2))
	pick := func() string { return keys[r.IntN(len(keys))] }
	for i := 0; i < 200; i++ {
		res := listBucketResultV2{
			Xmlns: s3Namespace, Name: "bucket", Prefix: pick(), MaxKeys: r.IntN(1001),
			IsTruncated: r.IntN(2) == 0,
		}
		if r.IntN(2) == 0 {
			res.Delimiter = "/"
		}
		if r.IntN(2) == 0 {
			res.EncodingType = "url"
			res.ContinuationToken = "dG9rZW4"
			res.NextContinuationToken = pick()
			res.StartAfter = pick()
		}
		for j := r.IntN(5); j > 0; j-- {
			e := objectEntry{Key: pick(), LastModified: "2026-12-04T10:00:00.000Z", ETag: `"abc"`, Size: r.Int64N(1 << 40), StorageClass: "STANDARD"}
			if r.IntN(2) == 0 {
				e.Owner = &owner{ID: "111111111111"}
			}
			if r.IntN(2) == 0 {
				e.ChecksumAlgorithm, e.ChecksumType = "CRC64NVME", "FULL_OBJECT"
			}
			res.Contents = append(res.Contents, e)
		}
		for j := r.IntN(3); j > 0; j-- {
			res.CommonPrefixes = append(res.CommonPrefixes, commonPrefix{Prefix: pick()})
		}
		res.KeyCount = len(res.Contents) + len(res.CommonPrefixes)
		want, err := xml.Marshal(res)
		if err != nil {
			t.Fatal(err)
		}
		if got := res.marshal(); !bytes.Equal(got, want) {
			t.Fatalf("marshal() =\n%s\nwant\n%s", got, want)
		}
	}
}
