package policy

import (
	"fmt"
	"testing"
)

// conditionPolicy is an identity policy allowing everything under one
// Condition element, so that Evaluate reports whether the condition holds.
func conditionPolicy(t *testing.T, version, condition string) *Policy {
	t.Helper()
	doc := fmt.Sprintf(`{"Version":%q,"Statement":{"Effect":"Allow","Action":"*",`+
		`"Resource":"*","Condition":%s}}`, version, condition)
	p, err := Parse([]byte(doc), IdentityPolicy)
	if err != nil {
		t.Fatalf("Parse(%s) = %v", doc, err)
	}
	return p
}

func TestConditions(t *testing.T) {
	alice := Principal{Kind: User, ARN: "arn:aws:iam::111111111111:user/alice", AccountID: "111111111111"}
	tests := []struct {
		name      string
		version   string // Version2012 when empty
		principal Principal
		condition string
		ctx       Context
		want      bool
	}{
		// Strings.
		{name: "StringEquals match", condition: `{"StringEquals":{"s3:x-amz-acl":"bucket-owner-full-control"}}`,
			ctx: Context{"s3:x-amz-acl": {"bucket-owner-full-control"}}, want: true},
		{name: "StringEquals other value", condition: `{"StringEquals":{"s3:x-amz-acl":"bucket-owner-full-control"}}`,
			ctx: Context{"s3:x-amz-acl": {"public-read"}}, want: false},
		{name: "StringEquals missing key", condition: `{"StringEquals":{"s3:x-amz-acl":"bucket-owner-full-control"}}`,
			ctx: nil, want: false},
		{name: "StringEquals is case-sensitive", condition: `{"StringEquals":{"sts:ExternalId":"ABC"}}`,
			ctx: Context{"sts:ExternalId": {"abc"}}, want: false},
		{name: "StringEquals key is case-insensitive", condition: `{"StringEquals":{"S3:X-Amz-Acl":"private"}}`,
			ctx: Context{"s3:x-amz-acl": {"private"}}, want: true},
		{name: "StringEquals values are OR'ed",
			condition: `{"StringEquals":{"s3:x-amz-acl":["private","bucket-owner-read"]}}`,
			ctx:       Context{"s3:x-amz-acl": {"bucket-owner-read"}}, want: true},
		{name: "StringEquals has no wildcards", condition: `{"StringEquals":{"s3:prefix":"home/*"}}`,
			ctx: Context{"s3:prefix": {"home/x"}}, want: false},
		{name: "StringNotEquals other value",
			condition: `{"StringNotEquals":{"s3:x-amz-acl":"bucket-owner-full-control"}}`,
			ctx:       Context{"s3:x-amz-acl": {"public-read"}}, want: true},
		{name: "StringNotEquals same value",
			condition: `{"StringNotEquals":{"s3:x-amz-acl":"bucket-owner-full-control"}}`,
			ctx:       Context{"s3:x-amz-acl": {"bucket-owner-full-control"}}, want: false},
		{name: "StringNotEquals missing key holds",
			condition: `{"StringNotEquals":{"s3:x-amz-acl":"bucket-owner-full-control"}}`,
			ctx:       nil, want: true},
		{name: "StringNotEquals values are NOR'ed", condition: `{"StringNotEquals":{"s3:x-amz-acl":["a","b"]}}`,
			ctx: Context{"s3:x-amz-acl": {"b"}}, want: false},
		{name: "StringEqualsIgnoreCase", condition: `{"StringEqualsIgnoreCase":{"sts:RoleSessionName":"Build"}}`,
			ctx: Context{"sts:RoleSessionName": {"BUILD"}}, want: true},
		{name: "StringNotEqualsIgnoreCase", condition: `{"StringNotEqualsIgnoreCase":{"sts:RoleSessionName":"Build"}}`,
			ctx: Context{"sts:RoleSessionName": {"build"}}, want: false},
		{name: "StringLike star", condition: `{"StringLike":{"s3:prefix":"ingestion/*"}}`,
			ctx: Context{"s3:prefix": {"ingestion/datasets/"}}, want: true},
		{name: "StringLike question mark", condition: `{"StringLike":{"s3:prefix":"day-??"}}`,
			ctx: Context{"s3:prefix": {"day-7"}}, want: false},
		{name: "StringLike is case-sensitive", condition: `{"StringLike":{"s3:prefix":"Ingestion/*"}}`,
			ctx: Context{"s3:prefix": {"ingestion/a"}}, want: false},
		{name: "StringLike empty prefix", condition: `{"StringLike":{"s3:prefix":["","home/"]}}`,
			ctx: Context{"s3:prefix": {""}}, want: true},
		{name: "StringNotLike match", condition: `{"StringNotLike":{"s3:prefix":"private/*"}}`,
			ctx: Context{"s3:prefix": {"private/a"}}, want: false},
		{name: "StringNotLike missing key holds", condition: `{"StringNotLike":{"s3:prefix":"private/*"}}`,
			ctx: nil, want: true},

		// Numbers.
		{name: "NumericLessThanEquals max-keys ok", condition: `{"NumericLessThanEquals":{"s3:max-keys":"10"}}`,
			ctx: Context{"s3:max-keys": {"10"}}, want: true},
		{name: "NumericLessThanEquals max-keys too many", condition: `{"NumericLessThanEquals":{"s3:max-keys":10}}`,
			ctx: Context{"s3:max-keys": {"1000"}}, want: false},
		{name: "NumericLessThan", condition: `{"NumericLessThan":{"s3:max-keys":10}}`,
			ctx: Context{"s3:max-keys": {"10"}}, want: false},
		{name: "NumericGreaterThan decimal", condition: `{"NumericGreaterThan":{"aws:MultiFactorAuthAge":"1.5"}}`,
			ctx: Context{"aws:MultiFactorAuthAge": {"2"}}, want: true},
		{name: "NumericGreaterThanEquals", condition: `{"NumericGreaterThanEquals":{"s3:max-keys":5}}`,
			ctx: Context{"s3:max-keys": {"5"}}, want: true},
		{name: "NumericEquals", condition: `{"NumericEquals":{"s3:max-keys":"10"}}`,
			ctx: Context{"s3:max-keys": {"10.0"}}, want: true},
		{name: "NumericNotEquals", condition: `{"NumericNotEquals":{"s3:max-keys":"10"}}`,
			ctx: Context{"s3:max-keys": {"11"}}, want: true},
		{name: "Numeric request value not a number", condition: `{"NumericLessThan":{"s3:max-keys":10}}`,
			ctx: Context{"s3:max-keys": {"ten"}}, want: false},
		{name: "Numeric missing key", condition: `{"NumericLessThanEquals":{"s3:max-keys":10}}`,
			ctx: nil, want: false},

		// Dates.
		{name: "DateLessThan before", condition: `{"DateLessThan":{"aws:CurrentTime":"2030-01-01T00:00:00Z"}}`,
			ctx: Context{"aws:CurrentTime": {"2025-06-01T12:00:00Z"}}, want: true},
		{name: "DateLessThan after", condition: `{"DateLessThan":{"aws:CurrentTime":"2020-01-01T00:00:00Z"}}`,
			ctx: Context{"aws:CurrentTime": {"2025-06-01T12:00:00Z"}}, want: false},
		{name: "DateGreaterThan date only", condition: `{"DateGreaterThan":{"aws:CurrentTime":"2025-01-01"}}`,
			ctx: Context{"aws:CurrentTime": {"2025-06-01T12:00:00Z"}}, want: true},
		{name: "DateEquals epoch vs ISO", condition: `{"DateEquals":{"aws:EpochTime":"1970-01-01T00:01:40Z"}}`,
			ctx: Context{"aws:EpochTime": {"100"}}, want: true},
		{name: "DateLessThanEquals epoch policy value",
			condition: `{"DateLessThanEquals":{"aws:CurrentTime":1735689600}}`,
			ctx:       Context{"aws:CurrentTime": {"2025-01-01T00:00:00Z"}}, want: true},
		{name: "DateGreaterThanEquals zone offset",
			condition: `{"DateGreaterThanEquals":{"aws:CurrentTime":"2025-01-01T02:00:00+02:00"}}`,
			ctx:       Context{"aws:CurrentTime": {"2025-01-01T00:00:00Z"}}, want: true},
		{name: "DateNotEquals", condition: `{"DateNotEquals":{"aws:CurrentTime":"2025-01-01T00:00:00Z"}}`,
			ctx: Context{"aws:CurrentTime": {"2025-01-01T00:00:00.000Z"}}, want: false},

		// Bool.
		{name: "Bool SecureTransport false", condition: `{"Bool":{"aws:SecureTransport":"false"}}`,
			ctx: Context{"aws:SecureTransport": {"false"}}, want: true},
		{name: "Bool JSON boolean", condition: `{"Bool":{"aws:SecureTransport":false}}`,
			ctx: Context{"aws:SecureTransport": {"true"}}, want: false},
		{name: "Bool missing key", condition: `{"Bool":{"aws:SecureTransport":"false"}}`,
			ctx: nil, want: false},
		{name: "BoolIfExists missing key", condition: `{"BoolIfExists":{"aws:MultiFactorAuthPresent":"false"}}`,
			ctx: nil, want: true},

		// Binary.
		{name: "BinaryEquals", condition: `{"BinaryEquals":{"s3:x-amz-meta-blob":"QmluYXJ5VmFsdWU="}}`,
			ctx: Context{"s3:x-amz-meta-blob": {"QmluYXJ5VmFsdWU="}}, want: true},
		{name: "BinaryEquals differs", condition: `{"BinaryEquals":{"s3:x-amz-meta-blob":"QmluYXJ5VmFsdWU="}}`,
			ctx: Context{"s3:x-amz-meta-blob": {"b3RoZXI="}}, want: false},

		// IP addresses.
		{name: "IpAddress in block", condition: `{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}`,
			ctx: Context{"aws:SourceIp": {"203.0.113.42"}}, want: true},
		{name: "IpAddress outside block", condition: `{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}`,
			ctx: Context{"aws:SourceIp": {"198.51.100.7"}}, want: false},
		{name: "IpAddress single address", condition: `{"IpAddress":{"aws:SourceIp":"198.51.100.7"}}`,
			ctx: Context{"aws:SourceIp": {"198.51.100.7"}}, want: true},
		{name: "IpAddress IPv6", condition: `{"IpAddress":{"aws:SourceIp":["203.0.113.0/24","2001:db8::/32"]}}`,
			ctx: Context{"aws:SourceIp": {"2001:db8:1234::1"}}, want: true},
		{name: "IpAddress IPv4-mapped request", condition: `{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}`,
			ctx: Context{"aws:SourceIp": {"::ffff:203.0.113.9"}}, want: true},
		{name: "IpAddress host bits set", condition: `{"IpAddress":{"aws:SourceIp":"203.0.113.77/24"}}`,
			ctx: Context{"aws:SourceIp": {"203.0.113.1"}}, want: true},
		{name: "NotIpAddress outside", condition: `{"NotIpAddress":{"aws:SourceIp":"203.0.113.0/24"}}`,
			ctx: Context{"aws:SourceIp": {"198.51.100.7"}}, want: true},
		{name: "NotIpAddress inside", condition: `{"NotIpAddress":{"aws:SourceIp":"203.0.113.0/24"}}`,
			ctx: Context{"aws:SourceIp": {"203.0.113.1"}}, want: false},

		// ARNs.
		{name: "ArnLike", condition: `{"ArnLike":{"aws:SourceArn":"arn:aws:s3:::logs-*"}}`,
			ctx: Context{"aws:SourceArn": {"arn:aws:s3:::logs-east"}}, want: true},
		{name: "ArnLike star stays in its segment", condition: `{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*"}}`,
			ctx: Context{"aws:PrincipalArn": {"arn:aws:iam::111111111111:user/a"}}, want: false},
		{name: "ArnEquals with wildcard segment",
			condition: `{"ArnEquals":{"aws:PrincipalArn":"arn:aws:iam::*:role/reader"}}`,
			ctx:       Context{"aws:PrincipalArn": {"arn:aws:iam::222222222222:role/reader"}}, want: true},
		{name: "ArnNotLike", condition: `{"ArnNotLike":{"aws:PrincipalArn":"arn:aws:iam::111111111111:role/*"}}`,
			ctx: Context{"aws:PrincipalArn": {"arn:aws:iam::111111111111:role/x"}}, want: false},
		{name: "ArnNotEquals missing key holds", condition: `{"ArnNotEquals":{"aws:SourceArn":"arn:aws:s3:::b"}}`,
			ctx: nil, want: true},

		// Null.
		{name: "Null true key absent", condition: `{"Null":{"s3:x-amz-acl":"true"}}`,
			ctx: nil, want: true},
		{name: "Null true key present", condition: `{"Null":{"s3:x-amz-acl":"true"}}`,
			ctx: Context{"s3:x-amz-acl": {"private"}}, want: false},
		{name: "Null false key present", condition: `{"Null":{"s3:x-amz-acl":false}}`,
			ctx: Context{"s3:x-amz-acl": {"private"}}, want: true},
		{name: "Null key with no values is absent", condition: `{"Null":{"s3:x-amz-acl":"false"}}`,
			ctx: Context{"s3:x-amz-acl": {}}, want: false},

		// IfExists.
		{name: "StringEqualsIfExists missing", condition: `{"StringEqualsIfExists":{"s3:x-amz-acl":"private"}}`,
			ctx: nil, want: true},
		{name: "StringEqualsIfExists present wrong", condition: `{"StringEqualsIfExists":{"s3:x-amz-acl":"private"}}`,
			ctx: Context{"s3:x-amz-acl": {"public-read"}}, want: false},
		{name: "StringNotEqualsIfExists present same",
			condition: `{"StringNotEqualsIfExists":{"s3:x-amz-acl":"private"}}`,
			ctx:       Context{"s3:x-amz-acl": {"private"}}, want: false},
		{name: "NumericLessThanIfExists missing", condition: `{"NumericLessThanIfExists":{"s3:max-keys":"10"}}`,
			ctx: nil, want: true},

		// Set operators.
		{name: "ForAnyValue one matches", condition: `{"ForAnyValue:StringEquals":{"aws:TagKeys":["env","team"]}}`,
			ctx: Context{"aws:TagKeys": {"owner", "team"}}, want: true},
		{name: "ForAnyValue none match", condition: `{"ForAnyValue:StringEquals":{"aws:TagKeys":["env","team"]}}`,
			ctx: Context{"aws:TagKeys": {"owner", "cost"}}, want: false},
		{name: "ForAnyValue missing key", condition: `{"ForAnyValue:StringEquals":{"aws:TagKeys":"env"}}`,
			ctx: nil, want: false},
		{name: "ForAllValues all match", condition: `{"ForAllValues:StringEquals":{"aws:TagKeys":["env","team"]}}`,
			ctx: Context{"aws:TagKeys": {"env", "team"}}, want: true},
		{name: "ForAllValues one outside", condition: `{"ForAllValues:StringEquals":{"aws:TagKeys":["env","team"]}}`,
			ctx: Context{"aws:TagKeys": {"env", "owner"}}, want: false},
		{name: "ForAllValues missing key holds",
			condition: `{"ForAllValues:StringEquals":{"aws:TagKeys":["env","team"]}}`,
			ctx:       nil, want: true},
		{name: "ForAllValues StringNotLike all outside",
			condition: `{"ForAllValues:StringNotLike":{"aws:TagKeys":"key1*"}}`,
			ctx:       Context{"aws:TagKeys": {"key2:audit"}}, want: true},
		{name: "ForAllValues StringNotLike one inside",
			condition: `{"ForAllValues:StringNotLike":{"aws:TagKeys":"key1*"}}`,
			ctx:       Context{"aws:TagKeys": {"key1:hr", "key2:x"}}, want: false},
		{name: "ForAnyValue StringNotEquals", condition: `{"ForAnyValue:StringNotEquals":{"aws:TagKeys":"env"}}`,
			ctx: Context{"aws:TagKeys": {"env", "team"}}, want: true},
		{name: "ForAnyValue StringLike case-insensitive operator name",
			condition: `{"foranyvalue:stringlike":{"aws:TagKeys":"t*"}}`,
			ctx:       Context{"aws:TagKeys": {"env", "team"}}, want: true},
		{name: "plain operator on multivalued key", condition: `{"StringEquals":{"aws:TagKeys":"team"}}`,
			ctx: Context{"aws:TagKeys": {"env", "team"}}, want: true},

		// Combination: keys AND'ed, operators AND'ed.
		{name: "two keys both hold", condition: `{"StringEquals":{"s3:x-amz-acl":"private","s3:prefix":"a"}}`,
			ctx: Context{"s3:x-amz-acl": {"private"}, "s3:prefix": {"a"}}, want: true},
		{name: "two keys one fails", condition: `{"StringEquals":{"s3:x-amz-acl":"private","s3:prefix":"a"}}`,
			ctx: Context{"s3:x-amz-acl": {"private"}, "s3:prefix": {"b"}}, want: false},
		{name: "two operators one fails",
			condition: `{"Bool":{"aws:SecureTransport":"true"},"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}`,
			ctx:       Context{"aws:SecureTransport": {"true"}, "aws:SourceIp": {"192.168.0.1"}}, want: false},

		// Policy variables.
		{name: "variable from principal", principal: alice,
			condition: `{"StringLike":{"s3:prefix":["","home/","home/${aws:username}/*"]}}`,
			ctx:       Context{"s3:prefix": {"home/alice/docs"}}, want: true},
		{name: "variable other user's folder", principal: alice,
			condition: `{"StringLike":{"s3:prefix":"home/${aws:username}/*"}}`,
			ctx:       Context{"s3:prefix": {"home/bob/docs"}}, want: false},
		{name: "variable missing matches nothing", condition: `{"StringLike":{"s3:prefix":"home/${aws:username}/*"}}`,
			ctx: Context{"s3:prefix": {"home//x"}}, want: false},
		{name: "variable default", condition: `{"StringEquals":{"s3:prefix":"${aws:username, 'shared'}"}}`,
			ctx: Context{"s3:prefix": {"shared"}}, want: true},
		{name: "variable from context key", condition: `{"StringEquals":{"s3:prefix":"${sts:RoleSessionName}/"}}`,
			ctx: Context{"s3:prefix": {"s1/"}, "sts:RoleSessionName": {"s1"}}, want: true},
		{name: "variable value is literal", condition: `{"StringLike":{"s3:prefix":"${sts:RoleSessionName}"}}`,
			ctx: Context{"s3:prefix": {"abc"}, "sts:RoleSessionName": {"*"}}, want: false},
		{name: "special variable star is literal", condition: `{"StringLike":{"s3:prefix":"a${*}b"}}`,
			ctx: Context{"s3:prefix": {"axxb"}}, want: false},
		{name: "special variable star matches star", condition: `{"StringLike":{"s3:prefix":"a${*}b"}}`,
			ctx: Context{"s3:prefix": {"a*b"}}, want: true},
		{name: "version 2008 has no variables", version: Version2008, principal: alice,
			condition: `{"StringEquals":{"s3:prefix":"${aws:username}"}}`,
			ctx:       Context{"s3:prefix": {"${aws:username}"}}, want: true},
		{name: "PrincipalAccount derived", principal: alice,
			condition: `{"StringEquals":{"aws:PrincipalAccount":"111111111111"}}`,
			want:      true},
		{name: "numeric values take no variables", condition: `{"NumericEquals":{"s3:max-keys":"10"}}`,
			ctx: Context{"s3:max-keys": {"10"}}, want: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			version := tt.version
			if version == "" {
				version = Version2012
			}
			p := conditionPolicy(t, version, tt.condition)
			r := &Request{Principal: tt.principal, Action: "s3:ListBucket",
				Resource: "arn:aws:s3:::b", Context: tt.ctx}
			got := p.Evaluate(r).Effect == Allow
			if got != tt.want {
				t.Errorf("condition %s with %v = %v; want %v", tt.condition, tt.ctx, got, tt.want)
			}
		})
	}
}

func TestParseOperator(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"StringEquals", "StringEquals", true},
		{"stringequals", "StringEquals", true},
		{"StringLikeIfExists", "StringLikeIfExists", true},
		{"ForAllValues:StringEquals", "ForAllValues:StringEquals", true},
		{"ForAnyValue:ArnLikeIfExists", "ForAnyValue:ArnLikeIfExists", true},
		{"Null", "Null", true},
		{"NullIfExists", "", false},
		{"ForAnyValue:Null", "", false},
		{"StringEqualz", "", false},
		{"ForSomeValues:StringEquals", "", false},
		{"IfExists", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			_, got, ok := parseOperator(tt.in)
			if got != tt.want || ok != tt.ok {
				t.Errorf("parseOperator(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
			}
		})
	}
}
