package policy

import (
	"errors"
	"testing"
)

func TestGlobMatch(t *testing.T) {
	tests := []struct {
		pattern, s string
		fold       bool
		want       bool
	}{
		{"*", "", false, true},
		{"*", "anything", false, true},
		{"a*c", "abbbc", false, true},
		{"a*c", "abbbd", false, false},
		{"a?c", "abc", false, true},
		{"a?c", "ac", false, false},
		{"a**b", "ab", false, true},
		{"*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", false, false},
		{`a\*c`, "a*c", false, true},
		{`a\*c`, "abc", false, false},
		{`a\\c`, `a\c`, false, true},
		{"ü?", "üx", false, true},
		{"S3:GET*", "s3:getobject", true, true},
		{"S3:GET*", "s3:getobject", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.pattern+"~"+tt.s, func(t *testing.T) {
			if got := globMatch(tt.pattern, tt.s, tt.fold); got != tt.want {
				t.Errorf("globMatch(%q, %q, %v) = %v; want %v", tt.pattern, tt.s, tt.fold, got, tt.want)
			}
		})
	}
}

func TestMatchAction(t *testing.T) {
	tests := []struct {
		pattern, action string
		want            bool
	}{
		{"*", "s3:PutObject", true},
		{"s3:*", "s3:PutObject", true},
		{"s3:Get*", "s3:GetObject", true},
		{"s3:get*", "S3:GETOBJECTACL", true},
		{"s3:Get*", "s3:PutObject", false},
		{"s3:*Object", "s3:DeleteObject", true},
		{"s3:?etObject", "s3:GetObject", true},
		{"iam:*", "s3:GetObject", false},
		{"sts:AssumeRole", "sts:AssumeRoleWithSAML", false},
	}
	for _, tt := range tests {
		t.Run(tt.pattern+"~"+tt.action, func(t *testing.T) {
			if got := matchAction(tt.pattern, tt.action); got != tt.want {
				t.Errorf("matchAction(%q, %q) = %v; want %v", tt.pattern, tt.action, got, tt.want)
			}
		})
	}
}

func TestArnMatch(t *testing.T) {
	tests := []struct {
		pattern, arn string
		want         bool
	}{
		{"*", "arn:aws:s3:::b", true},
		{"arn:aws:s3:::b", "arn:aws:s3:::b", true},
		{"arn:aws:s3:::b", "arn:aws:s3:::B", false},
		{"arn:aws:s3:::b/*", "arn:aws:s3:::b/k/with:colon", true},
		{"arn:aws:s3:::b/*", "arn:aws:s3:::b", false},
		{"arn:aws:s3:::b*", "arn:aws:s3:::b/k", true},
		{"arn:aws:s3:::*/ingestion/*", "arn:aws:s3:::b/ingestion/x", true},
		{"arn:aws:iam::*:role/r", "arn:aws:iam::111111111111:role/r", true},
		{"arn:aws:iam::1*:role/*", "arn:aws:iam::222222222222:role/r", false},
		{"arn:aws:*:*:*:*", "arn:aws:sqs:us-east-1:111111111111:q", true},
		{"arn:aws:s3:*", "arn:aws:s3:::b", false},
		{"arn:aws:s3:::b", "not-an-arn", false},
	}
	for _, tt := range tests {
		t.Run(tt.pattern+"~"+tt.arn, func(t *testing.T) {
			if got := arnMatch(tt.pattern, tt.arn); got != tt.want {
				t.Errorf("arnMatch(%q, %q) = %v; want %v", tt.pattern, tt.arn, got, tt.want)
			}
		})
	}
}

func TestTemplateExpand(t *testing.T) {
	ctx := Context{"aws:username": {"alice"}, "aws:TagKeys": {"a", "b"}, "x:star": {"a*"}}
	look := func(k string) ([]string, bool) { return ctx.Get(k) }
	tests := []struct {
		name   string
		in     string
		vars   bool
		glob   bool
		want   string
		wantOK bool
	}{
		{"literal", "home/*", true, false, "home/*", true},
		{"literal glob keeps wildcard", "home/*", true, true, "home/*", true},
		{"variable", "home/${aws:username}/*", true, true, "home/alice/*", true},
		{"key case-insensitive", "${AWS:UserName}", true, false, "alice", true},
		{"missing key", "home/${aws:userid}", true, false, "", false},
		{"default", "home/${aws:userid, 'nobody'}", true, false, "home/nobody", true},
		{"default without spaces", "${aws:userid,'x'}", true, false, "x", true},
		{"multivalued key is missing", "${aws:TagKeys}", true, false, "", false},
		{"substituted value is literal", "${x:star}", true, true, `a\*`, true},
		{"special variables", "${*}${?}${$}", true, false, "*?$", true},
		{"special variables in glob", "${*}${?}", true, true, `\*\?`, true},
		{"unterminated", "home/${aws:username", true, false, "home/${aws:username", true},
		{"empty key", "a${}b", true, false, "a${}b", true},
		{"version 2008", "home/${aws:username}", false, false, "home/${aws:username}", true},
		{"backslash escaped for glob", `a\b`, true, true, `a\\b`, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := parseTemplate(tt.in, tt.vars).expand(look, tt.glob)
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("expand(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

func TestParsePrincipal(t *testing.T) {
	tests := []struct {
		arn  string
		want Principal
		err  bool
	}{
		{arn: "arn:aws:iam::111111111111:root",
			want: Principal{Kind: Root, ARN: "arn:aws:iam::111111111111:root", AccountID: "111111111111"}},
		{arn: "arn:aws:iam::111111111111:user/ops/alice",
			want: Principal{Kind: User, ARN: "arn:aws:iam::111111111111:user/ops/alice", AccountID: "111111111111"}},
		{arn: "arn:aws:sts::111111111111:assumed-role/writer/s1",
			want: Principal{Kind: AssumedRole, ARN: "arn:aws:sts::111111111111:assumed-role/writer/s1",
				AccountID: "111111111111", RoleARN: "arn:aws:iam::111111111111:role/writer"}},
		{arn: "arn:aws:iam::111111111111:role/writer", err: true},
		{arn: "arn:aws:sts::111111111111:assumed-role/writer", err: true},
		{arn: "arn:aws:iam::1111:root", err: true},
		{arn: "anonymous", err: true},
	}
	for _, tt := range tests {
		t.Run(tt.arn, func(t *testing.T) {
			got, err := ParsePrincipal(tt.arn)
			if tt.err {
				if !errors.Is(err, ErrInvalidPrincipal) {
					t.Errorf("ParsePrincipal(%q) error = %v; want ErrInvalidPrincipal", tt.arn, err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("ParsePrincipal(%q) = %+v, %v; want %+v", tt.arn, got, err, tt.want)
			}
		})
	}
}
