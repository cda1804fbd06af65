// Package checksum computes the S3 integrity checksums (CRC32, CRC32C,
// CRC64NVME, SHA1, SHA256) as base64 of the big-endian digest, and the
// composite checksums of multipart objects.
package checksum

import (
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"strings"

	"github.com/minio/crc64nvme"
)

// Algorithm names a checksum as S3 spells it (CRC32, CRC32C, CRC64NVME,
// SHA1, SHA256). The zero value means none.
type Algorithm string

// The algorithms S3 supports.
const (
	CRC32     Algorithm = "CRC32"
	CRC32C    Algorithm = "CRC32C"
	CRC64NVME Algorithm = "CRC64NVME"
	SHA1      Algorithm = "SHA1"
	SHA256    Algorithm = "SHA256"
)

// ErrUnknownAlgorithm is returned for an algorithm name S3 does not define.
var ErrUnknownAlgorithm = errors.New("checksum: unknown algorithm")

// All lists the algorithms in the order S3 documents them.
var All = []Algorithm{CRC32, CRC32C, CRC64NVME, SHA1, SHA256}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Parse returns the algorithm for a name in any case.
func Parse(name string) (Algorithm, error) {
	a := Algorithm(strings.ToUpper(strings.TrimSpace(name)))
	for _, k := range All {
		if a == k {
			return a, nil
		}
	}
	return "", fmt.Errorf("%w: %q", ErrUnknownAlgorithm, name)
}

// HeaderName is the request and response header carrying the checksum,
// e.g. "x-amz-checksum-crc32".
func (a Algorithm) HeaderName() string {
	return "x-amz-checksum-" + strings.ToLower(string(a))
}

// New returns a fresh hash for the algorithm.
func (a Algorithm) New() hash.Hash {
	switch a {
	case CRC32:
		return crc32.NewIEEE()
	case CRC32C:
		return crc32.New(castagnoli)
	case CRC64NVME:
		// Carry-less multiplication (PCLMULQDQ, AVX-512 or ARM PMULL):
		// several times the rate of a slicing-by-8 table.
		return crc64nvme.New()
	case SHA1:
		return sha1.New()
	case SHA256:
		return sha256.New()
	}
	return nil
}

// Size is the digest length in bytes.
func (a Algorithm) Size() int {
	if h := a.New(); h != nil {
		return h.Size()
	}
	return 0
}

// Value is a checksum as S3 shows it: the algorithm and the base64 digest,
// with a "-N" suffix for a composite multipart checksum.
type Value struct {
	Algorithm Algorithm
	Encoded   string
}

// IsZero reports whether v holds no checksum.
func (v Value) IsZero() bool { return v.Algorithm == "" }

// Sum returns the value of a finished hash.
func Sum(a Algorithm, h hash.Hash) Value {
	return Value{Algorithm: a, Encoded: base64.StdEncoding.EncodeToString(h.Sum(nil))}
}

// Of computes the checksum of b.
func Of(a Algorithm, b []byte) Value {
	h := a.New()
	h.Write(b)
	return Sum(a, h)
}

// Valid reports whether encoded is a well-formed base64 digest of the
// algorithm's size.
func (a Algorithm) Valid(encoded string) bool {
	raw, err := base64.StdEncoding.DecodeString(encoded)
	return err == nil && len(raw) == a.Size()
}

// Composite computes the checksum of a multipart object from its parts'
// checksums: the digest of the concatenated raw part digests, then "-N".
func Composite(a Algorithm, parts []Value) (Value, error) {
	h := a.New()
	for i, p := range parts {
		raw, err := base64.StdEncoding.DecodeString(p.Encoded)
		if err != nil || p.Algorithm != a {
			return Value{}, fmt.Errorf("checksum: part %d has no %s checksum", i+1, a)
		}
		h.Write(raw)
	}
	v := Sum(a, h)
	v.Encoded = fmt.Sprintf("%s-%d", v.Encoded, len(parts))
	return v, nil
}
