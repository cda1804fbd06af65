package sigv4

import (
	"crypto/hmac"
	"crypto/sha256"
	"strings"
	"sync/atomic"
)

// SigningKey derives the SigV4 signing key of a secret for one day
// (YYYYMMDD), region and service:
// HMAC(HMAC(HMAC(HMAC("AWS4"+secret, day), region), service), "aws4_request").
func SigningKey(secret, day, region, service string) [32]byte {
	k := hmacSHA256([]byte("AWS4"+secret), day)
	k = hmacSHA256(k[:], region)
	k = hmacSHA256(k[:], service)
	return hmacSHA256(k[:], "aws4_request")
}

func hmacSHA256(key []byte, msg string) [32]byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(msg))
	var out [32]byte
	m.Sum(out[:0])
	return out
}

// hmacPadded computes HMAC-SHA256 with a 32-byte key over buf[64:]; the
// first 64 bytes of buf are scratch space for the inner pad, which saves
// copying the message. It does not allocate.
func hmacPadded(key *[32]byte, buf []byte) [32]byte {
	for i := range 64 {
		var b byte
		if i < 32 {
			b = key[i]
		}
		buf[i] = b ^ 0x36
	}
	inner := sha256.Sum256(buf)
	var outer [96]byte
	for i := range 64 {
		var b byte
		if i < 32 {
			b = key[i]
		}
		outer[i] = b ^ 0x5c
	}
	copy(outer[64:], inner[:])
	return sha256.Sum256(outer[:])
}

// keyCache keeps derived signing keys, direct-mapped by a hash of (access
// key id, day, region, service): bounded, lock-free, and a collision only
// costs a derivation. An entry also holds the secret it was derived from,
// so a changed secret is never served a stale key.
type keyCache struct {
	slots [256]atomic.Pointer[keyEntry]
}

type keyEntry struct {
	accessKeyID, secret, day, region, service string
	key                                       [32]byte
}

func (c *keyCache) get(accessKeyID, secret, day, region, service string) *[32]byte {
	h := uint32(2166136261)
	for _, s := range [...]string{accessKeyID, day, region, service} {
		for i := 0; i < len(s); i++ {
			h = (h ^ uint32(s[i])) * 16777619
		}
		h = (h ^ '/') * 16777619
	}
	slot := &c.slots[h%uint32(len(c.slots))]
	if e := slot.Load(); e != nil && e.accessKeyID == accessKeyID && e.secret == secret &&
		e.day == day && e.region == region && e.service == service {
		return &e.key
	}
	// The names are cloned: they are slices of request headers that the
	// cache should not keep alive.
	e := &keyEntry{
		accessKeyID: strings.Clone(accessKeyID),
		secret:      secret,
		day:         strings.Clone(day),
		region:      strings.Clone(region),
		service:     strings.Clone(service),
		key:         SigningKey(secret, day, region, service),
	}
	slot.Store(e)
	return &e.key
}
