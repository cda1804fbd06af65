package provision

import (
	"regexp"
	"strings"
	"testing"
)

func TestNormalizeAccountID(t *testing.T) {
	tests := []struct {
		name, in, want, err string
	}{
		{name: "Plain", in: "123456789012", want: "123456789012"},
		{name: "Dashed", in: "1234-5678-9012", want: "123456789012"},
		{name: "Spaces", in: " 1234 5678 9012 ", want: "123456789012"},
		{name: "Short", in: "12345678901", err: "must be 12 digits, got 11"},
		{name: "Long", in: "1234-5678-90123", err: "must be 12 digits, got 13"},
		{name: "Empty", in: "", err: "must be 12 digits, got 0"},
		{name: "Letters", in: "12345678901a", err: "only digits"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := NormalizeAccountID(tt.in)
			checkResult(t, got, err, tt.want, tt.err)
		})
	}
}

func TestNormalizeResourceID(t *testing.T) {
	tests := []struct {
		name, in, want, err string
	}{
		{name: "Company", in: "Acme Corp", want: "acme-corp"},
		{name: "WhitespaceRuns", in: "  Acme \t Data  Co ", want: "acme-data-co"},
		{name: "DigitsAndHyphens", in: "acme-2024", want: "acme-2024"},
		{name: "DoubleHyphenAllowed", in: "acme--corp", want: "acme--corp"},
		{name: "MaxLength", in: strings.Repeat("a", MaxResourceIDLen), want: strings.Repeat("a", MaxResourceIDLen)},
		{name: "TooLong", in: strings.Repeat("a", MaxResourceIDLen+1),
			err: "is 43 characters long, the limit is 42"},
		{name: "Empty", in: "   ", err: `"" can't form a bucket name: it is empty`},
		{name: "Underscore", in: "Acme_Corp", err: `"acme_corp" can't form a bucket name: '_' is not allowed`},
		{name: "Dot", in: "acme.corp", err: `'.' is not allowed`},
		{name: "Unicode", in: "Café", err: `"café" can't form a bucket name: 'é'`},
		{name: "LeadingHyphen", in: "-acme", err: `must not start or end with "-"`},
		{name: "TrailingHyphen", in: "Acme -", err: `"acme--" can't form a bucket name: it must not start or end`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := NormalizeResourceID(tt.in)
			checkResult(t, got, err, tt.want, tt.err)
		})
	}
}

func TestValidateExternalID(t *testing.T) {
	tests := []struct {
		name, in, err string
	}{
		{name: "Simple", in: "acme-2024"},
		{name: "AllowedPunctuation", in: "a_b+c=d,e.f@g:h/i-j"},
		{name: "MinLength", in: "ab"},
		{name: "MaxLength", in: strings.Repeat("x", 1224)},
		{name: "TooShort", in: "a", err: "must be 2 to 1224 characters, got 1"},
		{name: "TooLong", in: strings.Repeat("x", 1225), err: "got 1225"},
		{name: "Space", in: "acme corp", err: "only letters"},
		{name: "Quote", in: `ab"c`, err: "only letters"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkResult(t, "", ValidateExternalID(tt.in), "", tt.err)
		})
	}
}

func TestValidatePrefix(t *testing.T) {
	tests := []struct {
		name, in, err string
	}{
		{name: "Default", in: DefaultPrefix},
		{name: "Short", in: "d"},
		{name: "Hyphen", in: "my-dm"},
		{name: "Empty", in: "", err: "must be 1 to 5 characters"},
		{name: "TooLong", in: "inlet1", err: "must be 1 to 5 characters"},
		{name: "Upper", in: "Inlet", err: "'I' is not allowed"},
		{name: "TrailingHyphen", in: "in-", err: "must not start or end"},
		{name: "Reserved", in: "xn--a", err: "reserves"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkResult(t, "", ValidatePrefix(tt.in), "", tt.err)
		})
	}
}

func TestBucketAndRoleName(t *testing.T) {
	shape := regexp.MustCompile(`^inlet-acme-corp-[a-z0-9]{8}$`)
	seen := map[string]bool{}
	for range 50 {
		b := BucketName(DefaultPrefix, "acme-corp")
		if !shape.MatchString(b) {
			t.Fatalf("BucketName = %q; want %s", b, shape)
		}
		seen[b] = true
	}
	if len(seen) < 45 {
		t.Errorf("BucketName gave %d distinct names in 50 calls; the suffix is not random", len(seen))
	}

	longest := BucketName(DefaultPrefix, strings.Repeat("a", MaxResourceIDLen))
	if len(longest) != MaxBucketNameLen || len(longest) > 63 {
		t.Errorf("longest bucket name has %d characters; want %d (S3 allows 63)", len(longest), MaxBucketNameLen)
	}
	if err := ValidateBucketName(longest); err != nil {
		t.Errorf("ValidateBucketName(%q): %v", longest, err)
	}
	if got := RoleName(longest); len(got) != MaxRoleNameLen || validateRoleName(got) != nil {
		t.Errorf("RoleName(%q) = %q (%d characters); want a valid 64-character name", longest, got, len(got))
	}
	if got, want := RoleName("inlet-acme-t2pxc2uy"), "inlet-acme-t2pxc2uy-access"; got != want {
		t.Errorf("RoleName = %q; want %q", got, want)
	}
	if got := RoleName(strings.Repeat("b", 63)); len(got) > MaxRoleNameLen {
		t.Errorf("RoleName of a 63-character bucket has %d characters", len(got))
	}
}

func TestValidateBucketName(t *testing.T) {
	tests := []struct {
		name, in, err string
	}{
		{name: "Managed", in: "inlet-acme-abcd1234"},
		{name: "TooShort", in: "ab", err: "must be 3 to 57"},
		{name: "TooLong", in: strings.Repeat("a", 58), err: "must be 3 to 57"},
		{name: "Upper", in: "Inlet-acme", err: "'I' is not allowed"},
		{name: "EndsWithHyphen", in: "inlet-", err: "must start and end"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkResult(t, "", ValidateBucketName(tt.in), "", tt.err)
		})
	}
}

// checkResult compares a (value, error) result with the wanted value or,
// when wantErr is set, an error containing it.
func checkResult(t *testing.T, got string, err error, want, wantErr string) {
	t.Helper()
	if wantErr != "" {
		if err == nil {
			t.Fatalf("got %q, no error; want an error containing %q", got, wantErr)
		}
		if !strings.Contains(err.Error(), wantErr) {
			t.Fatalf("error = %q; want it to contain %q", err, wantErr)
		}
		return
	}
	if err != nil {
		t.Fatalf("unexpected error: %v", err)
	}
	if got != want {
		t.Fatalf("got %q; want %q", got, want)
	}
}
