package policy

import "testing"

// Accounts used throughout: the platform owns the buckets and roles, the
// partner writes into them.
const (
	platform = "111111111111"
	partner  = "222222222222"
)

// principal returns the principal an ARN names or fails the test.
func principal(t testing.TB, arn string) Principal {
	t.Helper()
	p, err := ParsePrincipal(arn)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// authTest is one row of an Authorize table.
type authTest struct {
	name string
	in   Input
	want Reason
	sid  string
}

func runAuthorize(t *testing.T, tests []authTest) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Authorize(tt.in)
			if got.Reason != tt.want || got.Allowed != (tt.want == Allowed) {
				t.Errorf("Authorize(%s %s on %s) = %v (%s); want %v",
					tt.in.Principal.ARN, tt.in.Action, tt.in.Request.Resource, got.Reason, got.Message, tt.want)
			}
			if tt.sid != "" && got.Sid != tt.sid {
				t.Errorf("Authorize(%s %s) sid = %q; want %q", tt.in.Principal.ARN, tt.in.Action, got.Sid, tt.sid)
			}
			if got.Allowed != (got.Message == "") {
				t.Errorf("Authorize message = %q with Allowed = %v", got.Message, got.Allowed)
			}
		})
	}
}

func TestAuthorizeCase01ACLRequired(t *testing.T) {
	bucket := mustParseFile(t, "cases/01-acl-required.policy.json", ResourcePolicy)
	// The platform's provisioned form also denies writes without the ACL.
	withDeny := mustParse(t, `{"Version":"2012-10-17","Statement":[
		{"Sid":"PartnerWrites","Effect":"Allow","Principal":{"AWS":"222222222222"},
		 "Action":"s3:PutObject","Resource":"arn:aws:s3:::partner-bucket/ingestion/*"},
		{"Sid":"RequireOwnerACL","Effect":"Deny","Principal":"*","Action":"s3:PutObject",
		 "Resource":"arn:aws:s3:::partner-bucket/*",
		 "Condition":{"StringNotEquals":{"s3:x-amz-acl":"bucket-owner-full-control"}}}]}`, ResourcePolicy)
	// On real AWS the policy may only deny ACLs that are present and wrong.
	presentOnly := mustParse(t, `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Principal":{"AWS":"222222222222"},
		 "Action":"s3:PutObject","Resource":"arn:aws:s3:::partner-bucket/ingestion/*"},
		{"Sid":"DenyOtherACLs","Effect":"Deny","Principal":"*","Action":"s3:PutObject",
		 "Resource":"arn:aws:s3:::partner-bucket/*",
		 "Condition":{"StringNotEquals":{"s3:x-amz-acl":"bucket-owner-full-control"},
		              "Null":{"s3:x-amz-acl":"false"}}}]}`, ResourcePolicy)
	partnerPerms := mustParse(t, `{"Version":"2012-10-17","Statement":{"Effect":"Allow",
		"Action":["s3:PutObject","s3:ListBucket"],
		"Resource":["arn:aws:s3:::partner-bucket","arn:aws:s3:::partner-bucket/*"]}}`,
		IdentityPolicy)

	writer := principal(t, "arn:aws:iam::222222222222:user/uploader")
	key := "arn:aws:s3:::partner-bucket/ingestion/datasets/version=1/datasetId=ds-0001/2025-01-15/orders.csv"
	put := func(bp *Policy, ctx Context, identity ...*Policy) Input {
		return Input{
			Request:  Request{Principal: writer, Action: "s3:PutObject", Resource: key, Context: ctx},
			Identity: identity, Resource: bp, ResourceAccount: platform,
		}
	}
	list := func(ctx Context) Input {
		return Input{
			Request:  Request{Principal: writer, Action: "s3:ListBucket", Resource: "arn:aws:s3:::partner-bucket", Context: ctx},
			Identity: []*Policy{partnerPerms}, Resource: bucket, ResourceAccount: platform,
		}
	}
	acl := func(v string) Context { return Context{"s3:x-amz-acl": {v}} }
	grantOnly := Context{"s3:x-amz-grant-full-control": {"id=OWNER"}}

	runAuthorize(t, []authTest{
		{"1 no ACL", put(bucket, nil, partnerPerms), ImplicitDenyNoResourceAllow, ""},
		{"2 public-read",
			put(bucket, acl("public-read"), partnerPerms), ImplicitDenyNoResourceAllow, ""},
		{"3 grant header without canned ACL",
			put(bucket, grantOnly, partnerPerms), ImplicitDenyNoResourceAllow, ""},
		{"4 bucket-owner-full-control", put(bucket, acl("bucket-owner-full-control"), partnerPerms),
			Allowed, "PartnerWritesMustGrantOwner"},
		{"4 without partner identity policy",
			put(bucket, acl("bucket-owner-full-control")), ImplicitDenyNoAllow, ""},
		{"outside ingestion/", Input{
			Request: Request{Principal: writer, Action: "s3:PutObject",
				Resource: "arn:aws:s3:::partner-bucket/other/x", Context: acl("bucket-owner-full-control")},
			Identity: []*Policy{partnerPerms}, Resource: bucket, ResourceAccount: platform,
		}, ImplicitDenyNoResourceAllow, ""},
		{"partner root with ACL", Input{
			Request: Request{Principal: principal(t, "arn:aws:iam::222222222222:root"), Action: "s3:PutObject",
				Resource: key, Context: acl("bucket-owner-full-control")},
			Resource: bucket, ResourceAccount: platform,
		}, Allowed, ""},
		{"list ingestion prefix",
			list(Context{"s3:prefix": {"ingestion/datasets/"}}), Allowed, "PartnerMayList"},
		{"list other prefix",
			list(Context{"s3:prefix": {"private/"}}), ImplicitDenyNoResourceAllow, ""},
		{"list without prefix", list(nil), ImplicitDenyNoResourceAllow, ""},
		{"deny form: no ACL",
			put(withDeny, nil, partnerPerms), ExplicitDenyResource, "RequireOwnerACL"},
		{"deny form: public-read",
			put(withDeny, acl("public-read"), partnerPerms), ExplicitDenyResource, "RequireOwnerACL"},
		{"deny form: grant header only",
			put(withDeny, grantOnly, partnerPerms), ExplicitDenyResource, ""},
		{"deny form: owner ACL",
			put(withDeny, acl("bucket-owner-full-control"), partnerPerms), Allowed, "PartnerWrites"},
		{"present-only deny: no ACL", put(presentOnly, nil, partnerPerms), Allowed, ""},
		{"present-only deny: public-read",
			put(presentOnly, acl("public-read"), partnerPerms), ExplicitDenyResource, "DenyOtherACLs"},
	})
}

func TestAuthorizeCase15MissingKey(t *testing.T) {
	bucket := mustParseFile(t, "cases/15-missing-key.policy.json", ResourcePolicy)
	reader := principal(t, "arn:aws:sts::111111111111:assumed-role/ingest-reader/s1")
	lister := principal(t, "arn:aws:sts::111111111111:assumed-role/ingest-lister/s1")
	partnerWriter := principal(t, "arn:aws:iam::222222222222:user/uploader")
	missing := "arn:aws:s3:::partner-bucket/ingestion/datasets/version=1/datasetId=ds-0001/2025-01-15/missing.csv"
	req := func(p Principal, action, resource string) Input {
		return Input{Request: Request{Principal: p, Action: action, Resource: resource},
			Resource: bucket, ResourceAccount: platform}
	}
	runAuthorize(t, []authTest{
		{"lister GetObject", req(lister, "s3:GetObject", missing), Allowed, "ListerCanGetAndList"},
		{"lister ListBucket",
			req(lister, "s3:ListBucket", "arn:aws:s3:::partner-bucket"), Allowed, "ListerCanGetAndList"},
		{"reader GetObject",
			req(reader, "s3:GetObject", missing), Allowed, "ReaderCanGetButNotList"},
		{"reader ListBucket",
			req(reader, "s3:ListBucket", "arn:aws:s3:::partner-bucket"), ImplicitDenyNoAllow, ""},
		{"partner GetObject", req(partnerWriter, "s3:GetObject", missing), ImplicitDenyNoAllow, ""},
	})
}

func TestAuthorizeCase05ExternalID(t *testing.T) {
	withID := mustParseFile(t, "cases/05-externalid.trust.json", TrustPolicy)
	open := mustParseFile(t, "cases/05-externalid.no-condition.trust.json", TrustPolicy)
	mayAssume := mustParse(t, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"sts:AssumeRole",
		"Resource":"arn:aws:iam::111111111111:role/inlet-partner-*"}}`, IdentityPolicy)
	caller := principal(t, "arn:aws:iam::222222222222:user/deployer")
	assume := func(role string, trust *Policy, ctx Context, identity ...*Policy) Input {
		return Input{
			Request: Request{Principal: caller, Action: "sts:AssumeRole",
				Resource: "arn:aws:iam::111111111111:role/" + role, Context: ctx},
			Identity: identity, Resource: trust, ResourceAccount: platform,
		}
	}
	ext := func(v string) Context { return Context{"sts:ExternalId": {v}, "sts:RoleSessionName": {"s1"}} }
	runAuthorize(t, []authTest{
		{"1 no external id",
			assume("inlet-partner-writer", withID, nil, mayAssume), ImplicitDenyNoResourceAllow, ""},
		{"2 one character differs",
			assume("inlet-partner-writer", withID, ext("EXT-PLACEHOLDER-7f3b"), mayAssume),
			ImplicitDenyNoResourceAllow, ""},
		{"3 wrong case",
			assume("inlet-partner-writer", withID, ext("ext-placeholder-7f3a"), mayAssume),
			ImplicitDenyNoResourceAllow, ""},
		{"4 right external id",
			assume("inlet-partner-writer", withID, ext("EXT-PLACEHOLDER-7f3a"), mayAssume), Allowed, ""},
		{"4 without identity permission",
			assume("inlet-partner-writer", withID, ext("EXT-PLACEHOLDER-7f3a")),
			ImplicitDenyNoAllow, ""},
		{"5 no condition, any external id",
			assume("inlet-partner-open", open, ext("anything-at-all"), mayAssume), Allowed, ""},
		{"5 no condition, no external id",
			assume("inlet-partner-open", open, nil, mayAssume), Allowed, ""},
		{"other account not trusted", Input{
			Request: Request{Principal: principal(t, "arn:aws:iam::333333333333:user/x"), Action: "sts:AssumeRole",
				Resource: "arn:aws:iam::111111111111:role/inlet-partner-open"},
			Identity: []*Policy{mayAssume}, Resource: open, ResourceAccount: platform,
		}, ImplicitDenyNoResourceAllow, ""},
	})
}

func TestAuthorize(t *testing.T) {
	const bucketARN = "arn:aws:s3:::b"
	const objARN = "arn:aws:s3:::b/k"
	root := principal(t, "arn:aws:iam::111111111111:root")
	alice := principal(t, "arn:aws:iam::111111111111:user/alice")
	bob := principal(t, "arn:aws:iam::111111111111:user/bob")
	session := principal(t, "arn:aws:sts::111111111111:assumed-role/app/s1")
	partnerRoot := principal(t, "arn:aws:iam::222222222222:root")
	partnerUser := principal(t, "arn:aws:iam::222222222222:user/p")
	anon := Principal{}
	svc := Principal{Kind: Service, ARN: "logging.s3.amazonaws.com"}

	idP := func(doc string) *Policy { return mustParse(t, doc, IdentityPolicy) }
	resP := func(doc string) *Policy { return mustParse(t, doc, ResourcePolicy) }
	allowS3 := idP(`{"Version":"2012-10-17","Statement":{
		"Sid":"S3","Effect":"Allow",
		"Action":"s3:*","Resource":"*"}}`)
	allowGet := idP(`{"Version":"2012-10-17","Statement":{
		"Effect":"Allow",
		"Action":"s3:Get*","Resource":"arn:aws:s3:::b/*"}}`)
	denyDelete := idP(`{"Version":"2012-10-17","Statement":{
		"Sid":"NoDelete","Effect":"Deny",
		"Action":"s3:Delete*","Resource":"*"}}`)
	allButIAM := idP(`{"Version":"2012-10-17","Statement":{
		"Effect":"Allow",
		"NotAction":"iam:*","Resource":"*"}}`)
	untilDate := idP(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*",
		"Condition":{"DateLessThan":{"aws:CurrentTime":"2026-01-01T00:00:00Z"}}}}`)
	home := idP(`{"Version":"2012-10-17","Statement":[
		{"Sid":"ListHome","Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::b",
		 "Condition":{"StringLike":{"s3:prefix":["","home/","home/${aws:username}/*"]}}},
		{"Sid":"RWHome","Effect":"Allow","Action":["s3:GetObject","s3:PutObject"],
		 "Resource":"arn:aws:s3:::b/home/${aws:username}/*"}]}`)
	sessionGet := mustParse(t, `{"Version":"2012-10-17","Statement":{"Effect":"Allow",
		"Action":"s3:GetObject","Resource":"*"}}`,
		SessionPolicy)
	sessionDeny := mustParse(t, `{"Version":"2012-10-17","Statement":{"Sid":"NoPut","Effect":"Deny",
		"Action":"s3:PutObject","Resource":"*"}}`,
		SessionPolicy)

	denyByRoot := resP(`{"Version":"2012-10-17","Statement":{
		"Sid":"Lock","Effect":"Deny",
		"Principal":"*",
		"Action":"s3:DeleteBucket","Resource":"arn:aws:s3:::b"}}`)
	grantsAlice := resP(`{"Version":"2012-10-17","Statement":{
		"Sid":"Alice","Effect":"Allow",
		"Principal":{"AWS":"arn:aws:iam::111111111111:user/alice"},
		"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}}`)
	grantsAccount := resP(`{"Version":"2012-10-17","Statement":{
		"Effect":"Allow",
		"Principal":{"AWS":"111111111111"},
		"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}}`)
	grantsSession := resP(`{"Version":"2012-10-17","Statement":{
		"Sid":"Session","Effect":"Allow",
		"Principal":{"AWS":"arn:aws:sts::111111111111:assumed-role/app/s1"},
		"Action":"s3:*","Resource":"arn:aws:s3:::b/*"}}`)
	grantsRole := resP(`{"Version":"2012-10-17","Statement":{
		"Sid":"Role","Effect":"Allow",
		"Principal":{"AWS":"arn:aws:iam::111111111111:role/app"},
		"Action":"s3:*","Resource":"arn:aws:s3:::b/*"}}`)
	grantsPartner := resP(`{"Version":"2012-10-17","Statement":{
		"Sid":"Partner","Effect":"Allow",
		"Principal":{"AWS":"arn:aws:iam::222222222222:root"},
		"Action":"s3:*","Resource":["arn:aws:s3:::b","arn:aws:s3:::b/*"]}}`)
	grantsPartnerUser := resP(`{"Version":"2012-10-17","Statement":{
		"Effect":"Allow",
		"Principal":{"AWS":"arn:aws:iam::222222222222:user/p"},
		"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}}`)
	publicRead := resP(`{"Version":"2012-10-17","Statement":{
		"Sid":"Public","Effect":"Allow",
		"Principal":"*",
		"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}}`)
	secureOnly := resP(`{"Version":"2012-10-17","Statement":{
		"Sid":"TLS","Effect":"Deny",
		"Principal":"*",
		"Action":"s3:*","Resource":["arn:aws:s3:::b","arn:aws:s3:::b/*"],
		"Condition":{"Bool":{"aws:SecureTransport":"false"}}}}`)
	officeOnly := resP(`{"Version":"2012-10-17","Statement":{
		"Sid":"Office","Effect":"Deny",
		"Principal":"*",
		"Action":"s3:*","Resource":"arn:aws:s3:::b/*",
		"Condition":{"NotIpAddress":{"aws:SourceIp":["192.0.2.0/24","2001:db8::/32"]}}}}`)
	onlyPublicPrefix := resP(`{"Version":"2012-10-17","Statement":{
		"Sid":"Private","Effect":"Deny",
		"Principal":"*",
		"Action":"s3:GetObject","NotResource":"arn:aws:s3:::b/public/*"}}`)
	notPrincipalRoleOnly := resP(`{"Version":"2012-10-17","Statement":{
		"Sid":"OnlyApp","Effect":"Deny",
		"NotPrincipal":{"AWS":["arn:aws:iam::111111111111:role/app","arn:aws:iam::111111111111:root"]},
		"Action":"s3:*","Resource":"arn:aws:s3:::b/*"}}`)
	notPrincipalFull := resP(`{"Version":"2012-10-17","Statement":{
		"Sid":"OnlyApp","Effect":"Deny",
		"NotPrincipal":{"AWS":[
			"arn:aws:iam::111111111111:role/app",
			"arn:aws:sts::111111111111:assumed-role/app/s1",
			"111111111111"]},
		"Action":"s3:*","Resource":"arn:aws:s3:::b/*"}}`)
	logDelivery := resP(`{"Version":"2012-10-17","Statement":{
		"Sid":"Logs","Effect":"Allow",
		"Principal":{"Service":"logging.s3.amazonaws.com"},
		"Action":"s3:PutObject","Resource":"arn:aws:s3:::b/logs/*"}}`)

	in := func(p Principal, action, resource string) Input {
		return Input{Request: Request{Principal: p, Action: action, Resource: resource}, ResourceAccount: platform}
	}
	with := func(i Input, f func(*Input)) Input { f(&i); return i }
	ids := func(ps ...*Policy) func(*Input) { return func(i *Input) { i.Identity = ps } }
	res := func(p *Policy) func(*Input) { return func(i *Input) { i.Resource = p } }
	ctx := func(c Context) func(*Input) { return func(i *Input) { i.Context = c } }
	all := func(fs ...func(*Input)) func(*Input) {
		return func(i *Input) {
			for _, f := range fs {
				f(i)
			}
		}
	}

	runAuthorize(t, []authTest{
		// Account root.
		{"root own account, no policies", in(root, "s3:DeleteBucket", bucketARN), Allowed, ""},
		{"root own account, resource deny",
			with(in(root, "s3:DeleteBucket", bucketARN), res(denyByRoot)), ExplicitDenyResource, "Lock"},
		{"root cross account, no resource policy",
			with(in(partnerRoot, "s3:GetObject", objARN), nil2), ImplicitDenyNoResourceAllow, ""},
		{"root cross account, granted",
			with(in(partnerRoot, "s3:GetObject", objARN), res(grantsPartner)), Allowed, "Partner"},

		// Same account.
		{"default deny", in(alice, "s3:GetObject", objARN), ImplicitDenyNoAllow, ""},
		{"identity allows", with(in(alice, "s3:GetObject", objARN), ids(allowS3)), Allowed, "S3"},
		{"identity wildcard action",
			with(in(alice, "s3:GetObjectAcl", objARN), ids(allowGet)), Allowed, ""},
		{"identity resource outside",
			with(in(alice, "s3:GetObject", "arn:aws:s3:::other/k"), ids(allowGet)), ImplicitDenyNoAllow, ""},
		{"identity explicit deny wins",
			with(in(alice, "s3:DeleteObject", objARN), ids(allowS3, denyDelete)), ExplicitDenyIdentity, "NoDelete"},
		{"NotAction allows s3",
			with(in(alice, "s3:GetObject", objARN), ids(allButIAM)), Allowed, ""},
		{"NotAction excludes iam",
			with(in(alice, "iam:CreateUser", "arn:aws:iam::111111111111:user/x"), ids(allButIAM)),
			ImplicitDenyNoAllow, ""},
		{"resource policy names user",
			with(in(alice, "s3:GetObject", objARN), res(grantsAlice)), Allowed, "Alice"},
		{"resource policy names other user",
			with(in(bob, "s3:GetObject", objARN), res(grantsAlice)), ImplicitDenyNoAllow, ""},
		{"resource policy names account only",
			with(in(alice, "s3:GetObject", objARN), res(grantsAccount)), ImplicitDenyNoAllow, ""},
		{"account grant plus identity",
			with(in(alice, "s3:GetObject", objARN), all(res(grantsAccount), ids(allowGet))), Allowed, ""},
		{"resource deny beats identity allow",
			with(in(alice, "s3:GetObject", "arn:aws:s3:::b/secret"), all(res(onlyPublicPrefix), ids(allowS3))),
			ExplicitDenyResource, "Private"},
		{"NotResource spares public",
			with(in(alice, "s3:GetObject", "arn:aws:s3:::b/public/x"), all(res(onlyPublicPrefix), ids(allowS3))),
			Allowed, ""},
		{"date before deadline",
			with(in(alice, "s3:GetObject", objARN),
				all(ids(untilDate), ctx(Context{"aws:CurrentTime": {"2025-06-01T00:00:00Z"}}))),
			Allowed, ""},
		{"date after deadline",
			with(in(alice, "s3:GetObject", objARN),
				all(ids(untilDate), ctx(Context{"aws:CurrentTime": {"2026-06-01T00:00:00Z"}}))),
			ImplicitDenyNoAllow, ""},
		{"date missing",
			with(in(alice, "s3:GetObject", objARN), ids(untilDate)), ImplicitDenyNoAllow, ""},

		// Home folders with ${aws:username}.
		{"home: own object",
			with(in(alice, "s3:PutObject", "arn:aws:s3:::b/home/alice/a.txt"), ids(home)), Allowed, "RWHome"},
		{"home: other's object",
			with(in(alice, "s3:GetObject", "arn:aws:s3:::b/home/bob/a.txt"), ids(home)), ImplicitDenyNoAllow, ""},
		{"home: list own prefix",
			with(in(bob, "s3:ListBucket", bucketARN), all(ids(home), ctx(Context{"s3:prefix": {"home/bob/"}}))),
			Allowed, "ListHome"},
		{"home: list other prefix",
			with(in(bob, "s3:ListBucket", bucketARN), all(ids(home), ctx(Context{"s3:prefix": {"home/alice/"}}))),
			ImplicitDenyNoAllow, ""},
		{"home: list root",
			with(in(bob, "s3:ListBucket", bucketARN), all(ids(home), ctx(Context{"s3:prefix": {""}}))), Allowed, ""},
		{"home: session has no username",
			with(in(session, "s3:GetObject", "arn:aws:s3:::b/home/s1/a"), ids(home)), ImplicitDenyNoAllow, ""},

		// Transport and network conditions.
		{"TLS required, plain HTTP",
			with(in(alice, "s3:GetObject", objARN),
				all(ids(allowS3), res(secureOnly), ctx(Context{"aws:SecureTransport": {"false"}}))),
			ExplicitDenyResource, "TLS"},
		{"TLS required, HTTPS",
			with(in(alice, "s3:GetObject", objARN),
				all(ids(allowS3), res(secureOnly), ctx(Context{"aws:SecureTransport": {"true"}}))),
			Allowed, ""},
		{"office network, inside",
			with(in(alice, "s3:GetObject", objARN),
				all(ids(allowS3), res(officeOnly), ctx(Context{"aws:SourceIp": {"192.0.2.10"}}))),
			Allowed, ""},
		{"office network, IPv6 inside",
			with(in(alice, "s3:GetObject", objARN),
				all(ids(allowS3), res(officeOnly), ctx(Context{"aws:SourceIp": {"2001:db8::5"}}))),
			Allowed, ""},
		{"office network, outside",
			with(in(alice, "s3:GetObject", objARN),
				all(ids(allowS3), res(officeOnly), ctx(Context{"aws:SourceIp": {"198.51.100.1"}}))),
			ExplicitDenyResource, "Office"},

		// Sessions.
		{"session: role permissions",
			with(in(session, "s3:PutObject", objARN), ids(allowS3)), Allowed, ""},
		{"session: policy intersects",
			with(in(session, "s3:GetObject", objARN), all(ids(allowS3), sessions(sessionGet))), Allowed, ""},
		{"session: policy does not allow",
			with(in(session, "s3:PutObject", objARN), all(ids(allowS3), sessions(sessionGet))),
			ImplicitDenyNoSessionAllow, ""},
		{"session: session allows, identity not",
			with(in(session, "s3:GetObject", objARN), sessions(sessionGet)), ImplicitDenyNoAllow, ""},
		{"session: explicit deny",
			with(in(session, "s3:PutObject", objARN), all(ids(allowS3), sessions(sessionGet, sessionDeny))),
			ExplicitDenySession, "NoPut"},
		{"session: bucket names session",
			with(in(session, "s3:PutObject", objARN), all(res(grantsSession), sessions(sessionGet))),
			Allowed, "Session"},
		{"session: bucket names role",
			with(in(session, "s3:PutObject", objARN), res(grantsRole)), Allowed, "Role"},
		{"session: bucket names role, session limits",
			with(in(session, "s3:PutObject", objARN), all(res(grantsRole), sessions(sessionGet))),
			ImplicitDenyNoAllow, ""},
		{"session: bucket names role, session allows",
			with(in(session, "s3:GetObject", objARN), all(res(grantsRole), sessions(sessionGet))), Allowed, "Role"},

		// NotPrincipal.
		{"NotPrincipal: role listed, session not",
			with(in(session, "s3:GetObject", objARN), all(ids(allowS3), res(notPrincipalRoleOnly))),
			ExplicitDenyResource, "OnlyApp"},
		{"NotPrincipal: whole chain listed",
			with(in(session, "s3:GetObject", objARN), all(ids(allowS3), res(notPrincipalFull))), Allowed, ""},
		{"NotPrincipal: others denied",
			with(in(alice, "s3:GetObject", objARN), all(ids(allowS3), res(notPrincipalFull))),
			ExplicitDenyResource, "OnlyApp"},
		{"NotPrincipal: anonymous denied",
			with(in(anon, "s3:GetObject", objARN), res(notPrincipalFull)), ExplicitDenyResource, ""},

		// Cross account.
		{"cross: both allow",
			with(in(partnerUser, "s3:GetObject", objARN), all(ids(allowS3), res(grantsPartner))), Allowed, "Partner"},
		{"cross: identity only",
			with(in(partnerUser, "s3:GetObject", objARN), ids(allowS3)), ImplicitDenyNoResourceAllow, ""},
		{"cross: resource only",
			with(in(partnerUser, "s3:GetObject", objARN), res(grantsPartner)), ImplicitDenyNoAllow, ""},
		{"cross: resource names user, no identity",
			with(in(partnerUser, "s3:GetObject", objARN), res(grantsPartnerUser)), ImplicitDenyNoAllow, ""},
		{"cross: resource names user, identity allows",
			with(in(partnerUser, "s3:GetObject", objARN), all(ids(allowGet), res(grantsPartnerUser))), Allowed, ""},
		{"cross: resource names other account",
			with(in(partnerUser, "s3:GetObject", objARN), all(ids(allowS3), res(grantsAccount))),
			ImplicitDenyNoResourceAllow, ""},
		{"cross: identity deny",
			with(in(partnerUser, "s3:DeleteObject", objARN), all(ids(allowS3, denyDelete), res(grantsPartner))),
			ExplicitDenyIdentity, "NoDelete"},

		// Anonymous and services.
		{"anonymous: public read",
			with(in(anon, "s3:GetObject", objARN), res(publicRead)), Allowed, "Public"},
		{"anonymous: public read, no write",
			with(in(anon, "s3:PutObject", objARN), res(publicRead)), ImplicitDenyNoResourceAllow, ""},
		{"anonymous: no policy", in(anon, "s3:GetObject", objARN), ImplicitDenyNoResourceAllow, ""},
		{"anonymous: account grant",
			with(in(anon, "s3:GetObject", objARN), res(grantsAccount)), ImplicitDenyNoResourceAllow, ""},
		{"public read also serves users",
			with(in(partnerUser, "s3:GetObject", objARN), all(ids(allowS3), res(publicRead))), Allowed, ""},
		{"service principal allowed",
			with(in(svc, "s3:PutObject", "arn:aws:s3:::b/logs/1"), res(logDelivery)), Allowed, "Logs"},
		{"other service denied",
			with(in(Principal{Kind: Service, ARN: "ec2.amazonaws.com"}, "s3:PutObject", "arn:aws:s3:::b/logs/1"), res(logDelivery)),
			ImplicitDenyNoResourceAllow, ""},
	})
}

// nil2 leaves an input as it is.
func nil2(*Input) {}

// sessions sets the input's session policies.
func sessions(ps ...*Policy) func(*Input) { return func(i *Input) { i.Session = ps } }

func TestAuthorizeTrustSameAccount(t *testing.T) {
	namesUser := mustParse(t, `{"Version":"2012-10-17","Statement":{"Effect":"Allow",
		"Principal":{"AWS":"arn:aws:iam::111111111111:user/alice"},"Action":"sts:AssumeRole"}}`, TrustPolicy)
	namesAccount := mustParse(t, `{"Version":"2012-10-17","Statement":{"Effect":"Allow",
		"Principal":{"AWS":"111111111111"},"Action":"sts:AssumeRole"}}`, TrustPolicy)
	mayAssume := mustParse(t, `{"Version":"2012-10-17","Statement":{"Effect":"Allow",
		"Action":"sts:AssumeRole","Resource":"*"}}`,
		IdentityPolicy)
	allowAll := mustParse(t, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`,
		IdentityPolicy)
	alice := principal(t, "arn:aws:iam::111111111111:user/alice")
	role := "arn:aws:iam::111111111111:role/r"
	in := func(trust *Policy, identity ...*Policy) Input {
		return Input{Request: Request{Principal: alice, Action: "sts:AssumeRole", Resource: role},
			Identity: identity, Resource: trust, ResourceAccount: platform}
	}
	runAuthorize(t, []authTest{
		{"trust names caller", in(namesUser), Allowed, ""},
		{"trust names account, no identity", in(namesAccount), ImplicitDenyNoAllow, ""},
		{"trust names account, identity allows", in(namesAccount, mayAssume), Allowed, ""},
		{"trust does not name caller", in(mustParse(t, `{"Statement":{"Effect":"Allow",
			"Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}}`, TrustPolicy), allowAll),
			ImplicitDenyNoResourceAllow, ""},
	})
}

func TestDenyMessage(t *testing.T) {
	const user = "arn:aws:iam::222222222222:user/p"
	const res = "arn:aws:s3:::b/k"
	tests := []struct {
		reason Reason
		arn    string
		want   string
	}{
		{ImplicitDenyNoAllow, user, "User: arn:aws:iam::222222222222:user/p is not authorized to perform: " +
			"s3:PutObject on resource: arn:aws:s3:::b/k because no identity-based policy allows the s3:PutObject action"},
		{ImplicitDenyNoResourceAllow, user, "User: arn:aws:iam::222222222222:user/p is not authorized to perform: " +
			"s3:PutObject on resource: arn:aws:s3:::b/k because no resource-based policy allows the s3:PutObject action"},
		{ImplicitDenyNoSessionAllow, user, "User: arn:aws:iam::222222222222:user/p is not authorized to perform: " +
			"s3:PutObject on resource: arn:aws:s3:::b/k because no session policy allows the s3:PutObject action"},
		{ExplicitDenyResource, user, "User: arn:aws:iam::222222222222:user/p is not authorized to perform: " +
			"s3:PutObject on resource: arn:aws:s3:::b/k with an explicit deny in a resource-based policy"},
		{ExplicitDenyIdentity, "", "User: anonymous is not authorized to perform: " +
			"s3:PutObject on resource: arn:aws:s3:::b/k with an explicit deny in an identity-based policy"},
	}
	for _, tt := range tests {
		t.Run(tt.reason.String(), func(t *testing.T) {
			if got := DenyMessage(tt.arn, "s3:PutObject", res, tt.reason); got != tt.want {
				t.Errorf("DenyMessage(%v) =\n%s\nwant\n%s", tt.reason, got, tt.want)
			}
		})
	}
}
