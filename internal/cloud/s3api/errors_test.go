package s3api

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestEveryErrorCodeHasAStatus: an S3 error code missing from errorTable
// would reach the client as a 500 (which SDKs retry) instead of its own
// status. Every code the package names in errorf, newError or an Error
// literal must be in the table.
func TestEveryErrorCodeHasAStatus(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	uses := regexp.MustCompile(`(?:errorf|newError)\("([A-Za-z0-9]+)"|Code:\s*"([A-Za-z0-9]+)"`)
	seen := 0
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range uses.FindAllStringSubmatch(string(src), -1) {
			code := m[1] + m[2]
			seen++
			if _, ok := errorTable[code]; !ok {
				t.Errorf("%s: error code %s is not in errorTable, so it would be sent as a 500", f, code)
			}
		}
	}
	if seen < 50 {
		t.Fatalf("found only %d error codes in the package; the pattern no longer matches how errors are made", seen)
	}
}
