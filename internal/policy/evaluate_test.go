package policy

import "testing"

func TestEvaluate(t *testing.T) {
	p := mustParse(t, `{"Version":"2012-10-17","Statement":[
		{"Sid":"Account","Effect":"Allow","Principal":{"AWS":"111111111111"},"Action":"s3:*","Resource":"*"},
		{"Sid":"Role","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:role/app"},"Action":"s3:Get*","Resource":"*"},
		{"Sid":"Session","Effect":"Allow","Principal":{"AWS":"arn:aws:sts::111111111111:assumed-role/app/s1"},"Action":"s3:GetObject","Resource":"*"},
		{"Sid":"NoDelete","Effect":"Deny","Principal":"*","Action":"s3:DeleteObject","Resource":"*"}]}`, ResourcePolicy)
	tests := []struct {
		name      string
		principal string
		action    string
		want      Effect
		sid       string
	}{
		{"most direct allow wins", "arn:aws:sts::111111111111:assumed-role/app/s1", "s3:GetObject", Allow, "Session"},
		{"role match", "arn:aws:sts::111111111111:assumed-role/app/s2", "s3:GetObjectAcl", Allow, "Role"},
		{"account match", "arn:aws:iam::111111111111:user/u", "s3:PutObject", Allow, "Account"},
		{"deny after allows", "arn:aws:sts::111111111111:assumed-role/app/s1", "s3:DeleteObject", Deny, "NoDelete"},
		{"other account", "arn:aws:iam::222222222222:user/u", "s3:GetObject", NoMatch, ""},
		{"other account denied", "arn:aws:iam::222222222222:user/u", "s3:DeleteObject", Deny, "NoDelete"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &Request{Principal: principal(t, tt.principal), Action: tt.action, Resource: "arn:aws:s3:::b/k"}
			got := p.Evaluate(r)
			if got.Effect != tt.want || got.Sid != tt.sid {
				t.Errorf("Evaluate(%s %s) = %v %q; want %v %q", tt.principal, tt.action, got.Effect, got.Sid, tt.want, tt.sid)
			}
		})
	}
}

func TestDerivedContext(t *testing.T) {
	tests := []struct {
		principal string
		key       string
		want      string
	}{
		{"arn:aws:iam::111111111111:user/ops/alice", "aws:username", "alice"},
		{"arn:aws:iam::111111111111:user/ops/alice", "AWS:PrincipalArn", "arn:aws:iam::111111111111:user/ops/alice"},
		{"arn:aws:sts::111111111111:assumed-role/app/s1", "aws:PrincipalArn", "arn:aws:iam::111111111111:role/app"},
		{"arn:aws:sts::111111111111:assumed-role/app/s1", "aws:username", ""},
		{"arn:aws:sts::111111111111:assumed-role/app/s1", "aws:PrincipalType", "AssumedRole"},
		{"arn:aws:iam::111111111111:root", "aws:PrincipalType", "Account"},
		{"arn:aws:iam::111111111111:root", "aws:PrincipalAccount", "111111111111"},
	}
	for _, tt := range tests {
		t.Run(tt.principal+" "+tt.key, func(t *testing.T) {
			r := &Request{Principal: principal(t, tt.principal)}
			vals, _ := r.lookup()(tt.key)
			got := ""
			if len(vals) == 1 {
				got = vals[0]
			}
			if got != tt.want {
				t.Errorf("%s for %s = %q; want %q", tt.key, tt.principal, got, tt.want)
			}
		})
	}
}
