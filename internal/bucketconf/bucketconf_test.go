package bucketconf

import (
	"context"
	"path/filepath"
	"strconv"
	"testing"

	"inlet/internal/meta"
)

// Requests may name any bucket, existing or not: the cache of
// configurations stays bounded, and a configuration read after it started
// over is still right.
func TestCacheBounded(t *testing.T) {
	ctx := context.Background()
	db, err := meta.Open(ctx, filepath.Join(t.TempDir(), "meta.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	s, err := Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Update(ctx, "configured", func(c *Config) error {
		c.Tags = map[string]string{"team": "data"}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for i := range maxCached + 10 {
		if _, err := s.Get(ctx, "no-such-bucket-"+strconv.Itoa(i)); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(s.cache); n > maxCached {
		t.Errorf("cache holds %d buckets; want at most %d", n, maxCached)
	}
	c, err := s.Get(ctx, "configured")
	if err != nil || c.Tags["team"] != "data" {
		t.Errorf("Get(configured) = %v, %v; want its tags", c.Tags, err)
	}
}
