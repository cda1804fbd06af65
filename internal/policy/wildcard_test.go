package policy

import (
	"strings"
	"testing"
	"time"
)

func TestWildcard(t *testing.T) {
	for _, c := range []struct {
		pattern, s string
		want       bool
	}{
		{"", "", true},
		{"", "a", false},
		{"*", "", true},
		{"*", "bucket", true},
		{"bucket", "bucket", true},
		{"bucket", "bucket2", false},
		{"buck?t", "bucket", true},
		{"buck?t", "buckt", false},
		{"b*t", "bucket", true},
		{"b*t", "bucketx", false},
		{"*-*-*", "a-b-c", true},
		{"*-*-*", "a-b", false},
		{"a*b*c", "abxbxc", true},
		{"a*b*c", "acb", false},
		{"**?", "x", true},
		{"**?", "", false},
		{"fz-*", "fz-policy-1", true},
	} {
		if got := Wildcard(c.pattern, c.s); got != c.want {
			t.Errorf("Wildcard(%q, %q) = %v; want %v", c.pattern, c.s, got, c.want)
		}
	}
}

// A policy names its resources; many stars must not make the check take
// exponential time.
func TestWildcardManyStars(t *testing.T) {
	done := make(chan bool, 1)
	name := strings.Repeat("a", 63)
	go func() { done <- Wildcard(strings.Repeat("*", 5000)+"b", name) }()
	select {
	case got := <-done:
		if got {
			t.Errorf("Wildcard(many stars + b, %q) = true", name)
		}
	case <-time.After(5 * time.Second):
		t.Fatalf("globMatches with 5000 stars did not return within 5s")
	}
}
