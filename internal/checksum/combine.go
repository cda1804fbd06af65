package checksum

import (
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"sync"
)

// Type is how the checksum of a multipart object derives from its parts'
// checksums, as S3 names it in x-amz-checksum-type.
type Type string

// The checksum types.
const (
	// TypeComposite is the digest of the parts' digests, shown with "-N".
	TypeComposite Type = "COMPOSITE"
	// TypeFullObject is the checksum of the whole object, as a single PUT of
	// the same bytes would have.
	TypeFullObject Type = "FULL_OBJECT"
)

// ErrUnknownType is returned for a checksum type S3 does not define.
var ErrUnknownType = errors.New("checksum: unknown checksum type")

// ParseType returns the checksum type for a name in any case.
func ParseType(name string) (Type, error) {
	switch t := Type(strings.ToUpper(strings.TrimSpace(name))); t {
	case TypeComposite, TypeFullObject:
		return t, nil
	}
	return "", fmt.Errorf("%w: %q", ErrUnknownType, name)
}

// DefaultType is the type a multipart upload with algorithm a gets when it
// names none: FULL_OBJECT for CRC64NVME, which S3 never makes composite,
// COMPOSITE for the others.
func (a Algorithm) DefaultType() Type {
	if a == CRC64NVME {
		return TypeFullObject
	}
	return TypeComposite
}

// Supports reports whether S3 allows checksum type t with algorithm a:
// only the CRCs can be combined into a full-object checksum, and CRC64NVME
// is full-object only.
func (a Algorithm) Supports(t Type) bool {
	switch t {
	case TypeComposite:
		return a == CRC32 || a == CRC32C || a == SHA1 || a == SHA256
	case TypeFullObject:
		return a.crc() != nil
	}
	return false
}

// Type is the checksum type of a stored value: COMPOSITE when it carries
// the "-N" part count, FULL_OBJECT otherwise, "" for no checksum.
func (v Value) Type() Type {
	switch {
	case v.IsZero():
		return ""
	case strings.Contains(v.Encoded, "-"):
		return TypeComposite
	}
	return TypeFullObject
}

// Part is what a full-object checksum is combined from: a part's checksum
// and its length in bytes.
type Part struct {
	Value
	Size int64
}

// Combine computes the full-object checksum of a multipart object from its
// parts' CRCs and sizes, without reading the parts again. a must be CRC32,
// CRC32C or CRC64NVME, and every part must carry a checksum of a.
func Combine(a Algorithm, parts []Part) (Value, error) {
	c := a.crc()
	if c == nil {
		return Value{}, fmt.Errorf("checksum: %s has no full-object checksum", a)
	}
	var sum uint64 // the CRC of no bytes is 0 for all three
	for i, p := range parts {
		raw, err := base64.StdEncoding.DecodeString(p.Encoded)
		if err != nil || p.Algorithm != a || len(raw) != c.size || p.Size < 0 {
			return Value{}, fmt.Errorf("checksum: part %d has no %s checksum", i+1, a)
		}
		var crc uint64
		for _, b := range raw {
			crc = crc<<8 | uint64(b)
		}
		sum = c.combine(sum, crc, p.Size)
	}
	out := make([]byte, 8)
	binary.BigEndian.PutUint64(out, sum)
	return Value{Algorithm: a, Encoded: base64.StdEncoding.EncodeToString(out[8-c.size:])}, nil
}

// A full-object checksum is assembled from the parts' CRCs the way zlib's
// crc32_combine does it. Neither hash/crc32, hash/crc64 nor
// minio/crc64nvme offers a combine, and recomputing the CRC would mean
// reading every part file again, so the GF(2) arithmetic is done here.
//
// All three CRCs are reflected, with an initial value and a final XOR of
// all ones. For such a CRC, the CRC of A followed by B is
//
//	crc(A‖B) = crc(A)·x^(8·len(B)) mod P  ⊕  crc(B)
//
// because the all-ones start and end cancel in the sum. In the reflected
// representation the most significant bit of a register is the
// coefficient of x^0 and multiplying by x is a right shift, reduced by the
// reflected polynomial when a bit falls off the low end.

// crcPoly is a reflected CRC polynomial of 32 or 64 bits.
type crcPoly struct {
	poly uint64 // reflected, without the x^width term
	one  uint64 // the polynomial 1: the top bit of the register
	size int    // bytes in a digest

	once sync.Once
	pow2 [66]uint64 // pow2[k] = x^(2^k) mod P, enough for 8n with any int64 n
}

var (
	crc32Poly  = &crcPoly{poly: 0xEDB88320, one: 1 << 31, size: 4}
	crc32cPoly = &crcPoly{poly: 0x82F63B78, one: 1 << 31, size: 4}
	crc64Poly  = &crcPoly{poly: 0x9A6C9329AC4BC9B5, one: 1 << 63, size: 8}
)

// crc returns the polynomial of a CRC algorithm, nil for the others.
func (a Algorithm) crc() *crcPoly {
	switch a {
	case CRC32:
		return crc32Poly
	case CRC32C:
		return crc32cPoly
	case CRC64NVME:
		return crc64Poly
	}
	return nil
}

// mul returns a·b mod P.
func (c *crcPoly) mul(a, b uint64) uint64 {
	var p uint64
	for m := c.one; m != 0 && a != 0; m >>= 1 {
		if a&m != 0 {
			p ^= b
			a &^= m
		}
		if b&1 != 0 {
			b = b>>1 ^ c.poly
		} else {
			b >>= 1
		}
	}
	return p
}

// xPow8 returns x^(8n) mod P, the shift that appends n bytes.
func (c *crcPoly) xPow8(n int64) uint64 {
	c.once.Do(func() {
		c.pow2[0] = c.one >> 1 // x^1
		for k := 1; k < len(c.pow2); k++ {
			c.pow2[k] = c.mul(c.pow2[k-1], c.pow2[k-1])
		}
	})
	p := c.one
	// 8n = n·2^3: bit k of n selects x^(2^(k+3)).
	for k := 3; n != 0; k++ {
		if n&1 != 0 {
			p = c.mul(p, c.pow2[k])
		}
		n >>= 1
	}
	return p
}

// combine returns the CRC of A‖B from crc(A), crc(B) and len(B).
func (c *crcPoly) combine(crcA, crcB uint64, lenB int64) uint64 {
	return c.mul(c.xPow8(lenB), crcA) ^ crcB
}
