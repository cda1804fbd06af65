package provision

import (
	"crypto/rand"
	"fmt"
	"regexp"
	"strings"
	"unicode"
)

// Naming limits. A bucket name is PREFIX-RESOURCEID-SUFFIX and its role
// name is the bucket name plus RoleSuffix, so the bucket name must leave
// room for the suffix within IAM's 64-character role-name limit (S3 alone
// would allow 63).
const (
	// DefaultPrefix starts every managed bucket name unless configured.
	DefaultPrefix = "inlet"
	// MaxPrefixLen is the longest accepted prefix: the length of
	// DefaultPrefix, so that every valid resource id fits every prefix.
	MaxPrefixLen = len(DefaultPrefix)
	// SuffixLen is the length of the random part ending a bucket name.
	SuffixLen = 8
	// RoleSuffix ends the name of a bucket's access role.
	RoleSuffix = "-access"
	// MaxRoleNameLen is IAM's limit on role names.
	MaxRoleNameLen = 64
	// MaxBucketNameLen is the longest managed bucket name: S3 allows 63,
	// the role name derived from it allows less.
	MaxBucketNameLen = MaxRoleNameLen - len(RoleSuffix)
	// MaxResourceIDLen is the longest resource id: what remains of
	// MaxBucketNameLen after the prefix, two hyphens and the suffix.
	MaxResourceIDLen = MaxBucketNameLen - MaxPrefixLen - 2 - SuffixLen
)

const suffixAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789"

// NormalizeAccountID returns the 12-digit AWS account id in s, accepting
// the dashed form shown by the AWS console ("1234-5678-9012") and spaces.
func NormalizeAccountID(s string) (string, error) {
	id := strings.Map(func(r rune) rune {
		if r == '-' || unicode.IsSpace(r) {
			return -1
		}
		return r
	}, s)
	for _, r := range id {
		if r < '0' || r > '9' {
			return "", fmt.Errorf("account id: must contain only digits, got %q", s)
		}
	}
	if len(id) != 12 {
		return "", fmt.Errorf("account id: must be 12 digits, got %d", len(id))
	}
	return id, nil
}

// NormalizeResourceID lower-cases s and turns each run of whitespace into
// one "-". The result must be 1 to [MaxResourceIDLen] characters of a-z,
// 0-9 and "-", neither starting nor ending with "-"; dots are refused
// because they break virtual-hosted addressing over TLS. The error shows
// the normalised form and why it can't be part of a bucket name.
func NormalizeResourceID(s string) (string, error) {
	id := strings.ToLower(strings.Join(strings.Fields(s), "-"))
	bad := func(why string) (string, error) {
		return "", fmt.Errorf("resource id %q can't form a bucket name: %s", id, why)
	}
	switch {
	case id == "":
		return bad("it is empty")
	case len(id) > MaxResourceIDLen:
		return bad(fmt.Sprintf("it is %d characters long, the limit is %d", len(id), MaxResourceIDLen))
	case strings.HasPrefix(id, "-") || strings.HasSuffix(id, "-"):
		return bad(`it must not start or end with "-"`)
	}
	for _, r := range id {
		if !isLowerAlnum(r) && r != '-' {
			return bad(fmt.Sprintf("%q is not allowed (use a-z, 0-9 and -)", r))
		}
	}
	return id, nil
}

// externalIDPattern is IAM's character set for sts:ExternalId.
var externalIDPattern = regexp.MustCompile(`^[\w+=,.@:/-]*$`)

// ValidateExternalID checks s against the rules AWS applies to an
// external id: 2 to 1224 characters of letters, digits and +=,.@:/-_.
func ValidateExternalID(s string) error {
	if n := len(s); n < 2 || n > 1224 {
		return fmt.Errorf("external id: must be 2 to 1224 characters, got %d", n)
	}
	if !externalIDPattern.MatchString(s) {
		return fmt.Errorf("external id: only letters, digits and +=,.@:/-_ are allowed")
	}
	return nil
}

// ValidatePrefix checks a bucket-name prefix: 1 to [MaxPrefixLen]
// characters of a-z, 0-9 and "-", starting with a letter or digit, not
// ending with "-", and not one of the prefixes S3 reserves.
func ValidatePrefix(p string) error {
	if n := len(p); n < 1 || n > MaxPrefixLen {
		return fmt.Errorf("bucket prefix %q: must be 1 to %d characters", p, MaxPrefixLen)
	}
	for _, r := range p {
		if !isLowerAlnum(r) && r != '-' {
			return fmt.Errorf("bucket prefix %q: %q is not allowed (use a-z, 0-9 and -)", p, r)
		}
	}
	if p[0] == '-' || p[len(p)-1] == '-' {
		return fmt.Errorf("bucket prefix %q: must not start or end with \"-\"", p)
	}
	if strings.HasPrefix(p, "xn--") {
		return fmt.Errorf("bucket prefix %q: S3 reserves names starting with \"xn--\"", p)
	}
	return nil
}

// BucketName returns prefix-resourceID-SUFFIX with a random suffix of
// [SuffixLen] characters of a-z and 0-9. The prefix must pass
// [ValidatePrefix] and the resource id must come from
// [NormalizeResourceID]; the name then satisfies S3's naming rules and
// leaves room for [RoleName].
func BucketName(prefix, resourceID string) string {
	return prefix + "-" + resourceID + "-" + randomSuffix()
}

// RoleName is the name of the role giving access to bucket: the bucket
// name plus [RoleSuffix]. A bucket name longer than [MaxBucketNameLen]
// (never made by [BucketName]) is cut so the role name stays within IAM's
// limit.
func RoleName(bucket string) string {
	if len(bucket) > MaxBucketNameLen {
		bucket = bucket[:MaxBucketNameLen]
	}
	return bucket + RoleSuffix
}

// ValidateBucketName checks the managed-bucket rules: 3 to
// [MaxBucketNameLen] characters of a-z, 0-9 and "-", starting and ending
// with a letter or digit.
func ValidateBucketName(b string) error {
	if n := len(b); n < 3 || n > MaxBucketNameLen {
		return fmt.Errorf("bucket name %q: must be 3 to %d characters", b, MaxBucketNameLen)
	}
	for _, r := range b {
		if !isLowerAlnum(r) && r != '-' {
			return fmt.Errorf("bucket name %q: %q is not allowed", b, r)
		}
	}
	if !isLowerAlnum(rune(b[0])) || !isLowerAlnum(rune(b[len(b)-1])) {
		return fmt.Errorf("bucket name %q: must start and end with a letter or digit", b)
	}
	return nil
}

// roleNamePattern is IAM's character set for role names.
var roleNamePattern = regexp.MustCompile(`^[\w+=,.@-]{1,64}$`)

func validateRoleName(n string) error {
	if !roleNamePattern.MatchString(n) {
		return fmt.Errorf("role name %q: must be 1 to 64 characters of letters, digits and +=,.@-_", n)
	}
	return nil
}

func isLowerAlnum(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= '0' && r <= '9'
}

// randomSuffix draws SuffixLen characters uniformly from suffixAlphabet,
// rejecting bytes that would bias the draw.
func randomSuffix() string {
	const limit = 256 - 256%len(suffixAlphabet)
	out := make([]byte, 0, SuffixLen)
	buf := make([]byte, 2*SuffixLen)
	for len(out) < SuffixLen {
		// crypto/rand.Read never returns an error (it crashes the program
		// instead when the system source fails).
		_, _ = rand.Read(buf)
		for _, b := range buf {
			if int(b) < limit && len(out) < SuffixLen {
				out = append(out, suffixAlphabet[int(b)%len(suffixAlphabet)])
			}
		}
	}
	return string(out)
}
