package policy

import (
	"errors"
	"testing"
)

// FuzzParse checks that Parse never panics, that every error it returns
// for a document is a *MalformedError, and that a parsed policy can be
// evaluated.
func FuzzParse(f *testing.F) {
	f.Add([]byte(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}`), 0)
	f.Fuzz(func(t *testing.T, doc []byte, k int) {
		kind := Kind(uint(k) % 4)
		p, err := Parse(doc, kind)
		if err != nil {
			var me *MalformedError
			if !errors.As(err, &me) {
				t.Fatalf("Parse(%q) error %v is not *MalformedError", doc, err)
			}
			return
		}
		r := &Request{
			Principal: Principal{Kind: AssumedRole, ARN: "arn:aws:sts::111111111111:assumed-role/r/s",
				AccountID: "111111111111", RoleARN: "arn:aws:iam::111111111111:role/r"},
			Action:   "s3:GetObject",
			Resource: "arn:aws:s3:::b/k",
			Context: Context{"aws:SourceIp": {"192.0.2.1"}, "s3:prefix": {"a/*"},
				"aws:CurrentTime": {"2025-01-01T00:00:00Z"}, "aws:TagKeys": {"a", "b"}},
		}
		p.Evaluate(r)
		Authorize(Input{Request: *r, Identity: []*Policy{p}, Resource: p, ResourceAccount: "222222222222"})
	})
}
