package policy

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// mustParse parses doc or fails the test.
func mustParse(t testing.TB, doc string, kind Kind) *Policy {
	t.Helper()
	p, err := Parse([]byte(doc), kind)
	if err != nil {
		t.Fatalf("Parse(%s, %v) = %v", doc, kind, err)
	}
	return p
}

// mustParseFile parses a document under testdata or fails the test.
func mustParseFile(t testing.TB, name string, kind Kind) *Policy {
	t.Helper()
	doc, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return mustParse(t, string(doc), kind)
}

// withCondition is an identity policy whose one statement has the given
// Condition element.
func withCondition(c string) string {
	return `{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":` + c + `}}`
}

func TestParseMalformed(t *testing.T) {
	tests := []struct {
		name string
		kind Kind
		doc  string
		want string
	}{
		{"not JSON", IdentityPolicy, `{"Version":`, "Syntax errors in policy."},
		{"not an object", IdentityPolicy, `["Statement"]`, "Syntax errors in policy."},
		{"bad version", IdentityPolicy,
			`{"Version":"2012-10-18","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}`,
			"The policy failed legacy parsing"},
		{"version not a string", IdentityPolicy,
			`{"Version":2012,"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}`,
			"The policy failed legacy parsing"},
		{"unknown top-level field", IdentityPolicy,
			`{"Version":"2012-10-17","Foo":1,"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}`,
			"Unknown field Foo"},
		{"no statement", IdentityPolicy, `{"Version":"2012-10-17"}`, "Missing required field Statement"},
		{"empty statement list", IdentityPolicy, `{"Version":"2012-10-17","Statement":[]}`,
			"Policy statement must contain at least one statement."},
		{"statement not an object", IdentityPolicy, `{"Version":"2012-10-17","Statement":["x"]}`,
			"Syntax errors in policy."},
		{"unknown statement field", IdentityPolicy,
			`{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Foo":"x"}}`,
			"Unknown field Foo"},
		{"lower-case field name", IdentityPolicy,
			`{"Statement":{"effect":"Allow","Action":"s3:*","Resource":"*"}}`,
			"Unknown field effect"},
		{"duplicate field", IdentityPolicy,
			`{"Statement":{"Effect":"Deny","Effect":"Allow","Action":"s3:*","Resource":"*"}}`,
			"Duplicate field Effect"},
		{"missing effect", IdentityPolicy, `{"Statement":{"Action":"s3:*","Resource":"*"}}`,
			"Statement is missing required field Effect"},
		{"bad effect", IdentityPolicy, `{"Statement":{"Effect":"allow","Action":"s3:*","Resource":"*"}}`,
			"Invalid effect: allow"},
		{"identity policy with principal", IdentityPolicy,
			`{"Statement":{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*"}}`,
			"Policy document should not specify a principal."},
		{"session policy with NotPrincipal", SessionPolicy,
			`{"Statement":{"Effect":"Allow","NotPrincipal":{"AWS":"111111111111"},"Action":"s3:*","Resource":"*"}}`,
			"Policy document should not specify a principal."},
		{"bucket policy without principal", ResourcePolicy,
			`{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::b/*"}}`,
			"Missing required field Principal"},
		{"trust policy without principal", TrustPolicy,
			`{"Statement":{"Effect":"Allow","Action":"sts:AssumeRole"}}`,
			"Missing required field Principal"},
		{"trust policy with resource", TrustPolicy,
			`{"Statement":{"Effect":"Allow","Principal":{"AWS":"111111111111"},"Action":"sts:AssumeRole","Resource":"*"}}`,
			"Has prohibited field Resource"},
		{"principal and NotPrincipal", ResourcePolicy,
			`{"Statement":{"Effect":"Deny","Principal":"*","NotPrincipal":{"AWS":"111111111111"},"Action":"s3:*","Resource":"*"}}`,
			"Statement can not contain both Principal and NotPrincipal"},
		{"principal string not star", ResourcePolicy,
			`{"Statement":{"Effect":"Allow","Principal":"bob","Action":"s3:*","Resource":"*"}}`,
			`Invalid principal in policy: "bob"`},
		{"principal bad account", ResourcePolicy,
			`{"Statement":{"Effect":"Allow","Principal":{"AWS":"12345"},"Action":"s3:*","Resource":"*"}}`,
			`Invalid principal in policy: "AWS":"12345"`},
		{"principal partial wildcard", ResourcePolicy,
			`{"Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:user/*"},"Action":"s3:*","Resource":"*"}}`,
			`Invalid principal in policy: "AWS":"arn:aws:iam::111111111111:user/*"`},
		{"principal unknown type", ResourcePolicy,
			`{"Statement":{"Effect":"Allow","Principal":{"Group":"x"},"Action":"s3:*","Resource":"*"}}`,
			`Invalid principal in policy: "Group":"x"`},
		{"principal empty object", ResourcePolicy,
			`{"Statement":{"Effect":"Allow","Principal":{},"Action":"s3:*","Resource":"*"}}`,
			`Invalid principal in policy: {}`},
		{"principal not a string", ResourcePolicy,
			`{"Statement":{"Effect":"Allow","Principal":{"AWS":12},"Action":"s3:*","Resource":"*"}}`,
			`Invalid principal in policy: "AWS":12`},
		{"missing action", IdentityPolicy, `{"Statement":{"Effect":"Allow","Resource":"*"}}`,
			"Policy statement must contain actions."},
		{"empty action list", IdentityPolicy, `{"Statement":{"Effect":"Allow","Action":[],"Resource":"*"}}`,
			"Policy statement must contain actions."},
		{"action without vendor", IdentityPolicy, `{"Statement":{"Effect":"Allow","Action":"GetObject","Resource":"*"}}`,
			"Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."},
		{"action with two colons", IdentityPolicy, `{"Statement":{"Effect":"Allow","Action":"s3:Get:Object","Resource":"*"}}`,
			"Actions/Condition can contain only one colon."},
		{"action bad vendor", IdentityPolicy, `{"Statement":{"Effect":"Allow","Action":"s 3:Get","Resource":"*"}}`,
			"Vendor s 3 is not valid"},
		{"Action and NotAction", IdentityPolicy,
			`{"Statement":{"Effect":"Allow","Action":"s3:*","NotAction":"iam:*","Resource":"*"}}`,
			"Statement can not contain both Action and NotAction"},
		{"missing resource", IdentityPolicy, `{"Statement":{"Effect":"Allow","Action":"s3:*"}}`,
			"Policy statement must contain resources."},
		{"resource not an ARN", IdentityPolicy, `{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"bucket/*"}}`,
			`Resource bucket/* must be in ARN format or "*".`},
		{"Resource and NotResource", IdentityPolicy,
			`{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","NotResource":"*"}}`,
			"Statement can not contain both Resource and NotResource"},
		{"unknown condition operator", IdentityPolicy,
			withCondition(`{"StringEqualz":{"s3:prefix":"a"}}`),
			"Invalid Condition type : StringEqualz"},
		{"Null with IfExists", IdentityPolicy,
			withCondition(`{"NullIfExists":{"s3:prefix":"true"}}`),
			"Invalid Condition type : NullIfExists"},
		{"condition key without vendor", IdentityPolicy,
			withCondition(`{"StringEquals":{"prefix":"a"}}`),
			"Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."},
		{"condition value object", IdentityPolicy,
			withCondition(`{"StringEquals":{"s3:prefix":{"a":1}}}`),
			"Syntax errors in policy."},
		{"condition value null", IdentityPolicy,
			withCondition(`{"StringEquals":{"s3:prefix":null}}`),
			"Syntax errors in policy."},
		{"numeric condition value", IdentityPolicy,
			withCondition(`{"NumericLessThan":{"s3:max-keys":"ten"}}`),
			"Invalid Condition value for NumericLessThan: ten"},
		{"date condition value", IdentityPolicy,
			withCondition(`{"DateLessThan":{"aws:CurrentTime":"tomorrow"}}`),
			"Invalid Condition value for DateLessThan: tomorrow"},
		{"ip condition value", IdentityPolicy,
			withCondition(`{"IpAddress":{"aws:SourceIp":"10.0.0.0/33"}}`),
			"Invalid Condition value for IpAddress: 10.0.0.0/33"},
		{"null condition value", IdentityPolicy,
			withCondition(`{"Null":{"s3:prefix":"yes"}}`),
			"Invalid Condition value for Null: yes"},
		{"identity sid with space", IdentityPolicy,
			`{"Statement":{"Sid":"Allow all","Effect":"Allow","Action":"s3:*","Resource":"*"}}`,
			"Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the regular expression [0-9A-Za-z]*"},
		{"duplicate sid", ResourcePolicy,
			`{"Statement":[{"Sid":"A","Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*"},` +
				`{"Sid":"A","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*"}]}`,
			"Statement IDs (SID) in a single policy must be unique."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.doc), tt.kind)
			var me *MalformedError
			if !errors.As(err, &me) {
				t.Fatalf("Parse(%s) error = %v; want *MalformedError", tt.doc, err)
			}
			if got := me.Reason; got != tt.want {
				t.Errorf("Parse(%s) reason = %q; want %q", tt.doc, got, tt.want)
			}
		})
	}
}

func TestParseValid(t *testing.T) {
	tests := []struct {
		name string
		kind Kind
		doc  string
		want *Policy
	}{
		{"single statement object, no version", IdentityPolicy,
			`{"Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}}`,
			&Policy{Version: Version2008, Kind: IdentityPolicy, Statements: []Statement{{
				Effect: Allow, Actions: []string{"s3:GetObject"}, Resources: []string{"arn:aws:s3:::b/*"},
			}}}},
		{"account id principal normalised", ResourcePolicy,
			`{"Version":"2012-10-17","Id":"p1","Statement":[{"Sid":"Partner writes","Effect":"Allow",` +
				`"Principal":{"AWS":["222222222222","arn:aws:iam::333333333333:role/r"]},` +
				`"Action":["s3:PutObject"],"NotResource":"arn:aws:s3:::b/private/*"}]}`,
			&Policy{Version: Version2012, ID: "p1", Kind: ResourcePolicy, Statements: []Statement{{
				Sid: "Partner writes", Effect: Allow,
				Principals: &Principals{AWS: []string{
					"arn:aws:iam::222222222222:root", "arn:aws:iam::333333333333:role/r"}},
				Actions: []string{"s3:PutObject"}, Resources: []string{"arn:aws:s3:::b/private/*"},
				NotResource: true,
			}}}},
		{"service, federated and canonical principals", TrustPolicy,
			`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com",` +
				`"Federated":"arn:aws:iam::111111111111:saml-provider/idp","CanonicalUser":"79a59df900b949e55d96a1e698fbaced"},` +
				`"Action":["sts:AssumeRole","sts:TagSession"]}}`,
			&Policy{Version: Version2012, Kind: TrustPolicy, Statements: []Statement{{
				Effect: Allow,
				Principals: &Principals{Service: []string{"ec2.amazonaws.com"},
					Federated:     []string{"arn:aws:iam::111111111111:saml-provider/idp"},
					CanonicalUser: []string{"79a59df900b949e55d96a1e698fbaced"}},
				Actions: []string{"sts:AssumeRole", "sts:TagSession"},
			}}}},
		{"condition values normalised", SessionPolicy,
			`{"Version":"2012-10-17","Statement":{"Effect":"Deny","NotAction":"s3:Get*","Resource":"*",` +
				`"Condition":{"Bool":{"aws:SecureTransport":false},"NumericLessThan":{"s3:max-keys":[10,"1.5e2"]}}}}`,
			&Policy{Version: Version2012, Kind: SessionPolicy, Statements: []Statement{{
				Effect: Deny, Actions: []string{"s3:Get*"}, NotAction: true, Resources: []string{"*"},
				Conditions: []Condition{
					{Operator: "Bool", Key: "aws:SecureTransport", Values: []string{"false"}},
					{Operator: "NumericLessThan", Key: "s3:max-keys", Values: []string{"10", "1.5e2"}},
				},
			}}}},
		{"principal star in AWS", ResourcePolicy,
			`{"Version":"2008-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}}`,
			&Policy{Version: Version2008, Kind: ResourcePolicy, Statements: []Statement{{
				Effect: Allow, Principals: &Principals{Any: true},
				Actions: []string{"s3:GetObject"}, Resources: []string{"arn:aws:s3:::b/*"},
			}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := mustParse(t, tt.doc, tt.kind)
			// Compare the exported view only.
			for i := range got.Statements {
				got.Statements[i].resources = nil
				for j := range got.Statements[i].Conditions {
					got.Statements[i].Conditions[j].op = operator{}
					got.Statements[i].Conditions[j].values = nil
				}
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Parse(%s) =\n%+v\nwant\n%+v", tt.doc, got, tt.want)
			}
		})
	}
}

func TestParseUnknownKind(t *testing.T) {
	_, err := Parse([]byte(`{}`), Kind(9))
	var me *MalformedError
	if err == nil || errors.As(err, &me) {
		t.Errorf("Parse with Kind(9) = %v; want a non-malformed error", err)
	}
}

func TestParseSharedCases(t *testing.T) {
	tests := []struct {
		file string
		kind Kind
	}{
		{"cases/01-acl-required.policy.json", ResourcePolicy},
		{"cases/15-missing-key.policy.json", ResourcePolicy},
		{"cases/05-externalid.trust.json", TrustPolicy},
		{"cases/05-externalid.no-condition.trust.json", TrustPolicy},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			mustParseFile(t, tt.file, tt.kind)
		})
	}
}
