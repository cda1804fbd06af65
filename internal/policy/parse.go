package policy

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
)

// Reasons for malformed documents, as AWS words them.
const (
	reasonSyntax         = "Syntax errors in policy."
	reasonVersion        = "The policy failed legacy parsing"
	reasonNoStatement    = "Missing required field Statement"
	reasonEmptyStatement = "Policy statement must contain at least one statement."
	reasonNoEffect       = "Statement is missing required field Effect"
	reasonNoPrincipal    = "Missing required field Principal"
	reasonHasPrincipal   = "Policy document should not specify a principal."
	reasonNoActions      = "Policy statement must contain actions."
	reasonNoResources    = "Policy statement must contain resources."
	reasonVendor         = "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."
	reasonOneColon       = "Actions/Condition can contain only one colon."
	reasonSidChars       = "Statement IDs (SID) must be alpha-numeric. " +
		"Check that your input satisfies the regular expression [0-9A-Za-z]*"
	reasonSidUnique = "Statement IDs (SID) in a single policy must be unique."
)

// Parse parses and validates a policy document of the given kind. Errors
// about the document are *MalformedError.
//
// Parse is stricter than AWS in one way: a JSON object that repeats a
// field is refused ("Duplicate field Effect"), where AWS silently keeps
// the last value.
func Parse(doc []byte, kind Kind) (*Policy, error) {
	if kind < IdentityPolicy || kind > SessionPolicy {
		return nil, errors.New("policy: unknown policy kind")
	}
	if !json.Valid(doc) {
		return nil, malformed(reasonSyntax)
	}
	top, err := readObject(doc)
	if err != nil {
		return nil, err
	}

	p := &Policy{Kind: kind, Version: Version2008}
	var stmts json.RawMessage
	for _, m := range top {
		switch m.key {
		case "Version":
			v, ok := jsonString(m.val)
			if !ok || v != Version2012 && v != Version2008 {
				return nil, malformed(reasonVersion)
			}
			p.Version = v
		case "Id":
			v, ok := jsonString(m.val)
			if !ok {
				return nil, malformed(reasonSyntax)
			}
			p.ID = v
		case "Statement":
			stmts = m.val
		default:
			return nil, malformed("Unknown field %s", m.key)
		}
	}
	if stmts == nil {
		return nil, malformed(reasonNoStatement)
	}

	list := []json.RawMessage{stmts}
	if isArray(stmts) {
		list = nil
		if err := json.Unmarshal(stmts, &list); err != nil {
			return nil, malformed(reasonSyntax)
		}
		if len(list) == 0 {
			return nil, malformed(reasonEmptyStatement)
		}
	}
	sids := make(map[string]bool)
	for _, raw := range list {
		s, err := parseStatement(raw, kind, p.Version == Version2012)
		if err != nil {
			return nil, err
		}
		if s.Sid != "" {
			if sids[s.Sid] {
				return nil, malformed(reasonSidUnique)
			}
			sids[s.Sid] = true
		}
		p.Statements = append(p.Statements, s)
	}
	return p, nil
}

// statementFields are the raw elements of one statement.
type statementFields struct {
	sid, effect, principal, notPrincipal json.RawMessage
	action, notAction, resource          json.RawMessage
	notResource, condition               json.RawMessage
}

func parseStatement(raw json.RawMessage, kind Kind, vars bool) (Statement, error) {
	members, err := readObject(raw)
	if err != nil {
		return Statement{}, err
	}
	var f statementFields
	fields := map[string]*json.RawMessage{
		"Sid": &f.sid, "Effect": &f.effect,
		"Principal": &f.principal, "NotPrincipal": &f.notPrincipal,
		"Action": &f.action, "NotAction": &f.notAction,
		"Resource": &f.resource, "NotResource": &f.notResource,
		"Condition": &f.condition,
	}
	for _, m := range members {
		dst := fields[m.key]
		if dst == nil {
			return Statement{}, malformed("Unknown field %s", m.key)
		}
		*dst = m.val
	}

	var s Statement
	steps := []func(*Statement, *statementFields, Kind, bool) error{
		parseSid, parseEffect, parsePrincipalElement, parseActionElement,
		parseResourceElement, parseConditionElement,
	}
	for _, step := range steps {
		if err := step(&s, &f, kind, vars); err != nil {
			return Statement{}, err
		}
	}
	return s, nil
}

// parseSid checks the Sid. IAM (identity, trust and session policies)
// allows only letters and digits; bucket policies allow any string.
func parseSid(s *Statement, f *statementFields, kind Kind, _ bool) error {
	if f.sid == nil {
		return nil
	}
	sid, ok := jsonString(f.sid)
	if !ok {
		return malformed(reasonSyntax)
	}
	if kind != ResourcePolicy {
		for _, r := range sid {
			if !('0' <= r && r <= '9' || 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z') {
				return malformed(reasonSidChars)
			}
		}
	}
	s.Sid = sid
	return nil
}

func parseEffect(s *Statement, f *statementFields, _ Kind, _ bool) error {
	if f.effect == nil {
		return malformed(reasonNoEffect)
	}
	e, ok := jsonString(f.effect)
	switch {
	case !ok:
		return malformed(reasonSyntax)
	case e == "Allow":
		s.Effect = Allow
	case e == "Deny":
		s.Effect = Deny
	default:
		return malformed("Invalid effect: %s", e)
	}
	return nil
}

func parsePrincipalElement(s *Statement, f *statementFields, kind Kind, _ bool) error {
	if !kind.hasPrincipal() {
		if f.principal != nil || f.notPrincipal != nil {
			return malformed(reasonHasPrincipal)
		}
		return nil
	}
	raw := f.principal
	switch {
	case f.principal != nil && f.notPrincipal != nil:
		return malformed("Statement can not contain both Principal and NotPrincipal")
	case f.principal == nil && f.notPrincipal == nil:
		return malformed(reasonNoPrincipal)
	case f.notPrincipal != nil:
		raw, s.NotPrincipal = f.notPrincipal, true
	}
	ps, err := parsePrincipals(raw)
	if err != nil {
		return err
	}
	s.Principals = ps
	return nil
}

func parseActionElement(s *Statement, f *statementFields, _ Kind, _ bool) error {
	raw := f.action
	switch {
	case f.action != nil && f.notAction != nil:
		return malformed("Statement can not contain both Action and NotAction")
	case f.notAction != nil:
		raw, s.NotAction = f.notAction, true
	}
	if raw == nil {
		return malformed(reasonNoActions)
	}
	actions, ok := stringList(raw)
	if !ok {
		return malformed(reasonSyntax)
	}
	if len(actions) == 0 {
		return malformed(reasonNoActions)
	}
	for _, a := range actions {
		if err := checkAction(a); err != nil {
			return err
		}
	}
	s.Actions = actions
	return nil
}

// checkAction checks "*" or "vendor:Action".
func checkAction(a string) error {
	if a == "*" {
		return nil
	}
	vendor, name, found := strings.Cut(a, ":")
	switch {
	case !found || vendor == "":
		return malformed(reasonVendor)
	case strings.Contains(name, ":"):
		return malformed(reasonOneColon)
	case !isVendor(vendor):
		return malformed("Vendor %s is not valid", vendor)
	}
	return nil
}

func isVendor(s string) bool {
	for _, r := range s {
		if !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || r == '-') {
			return false
		}
	}
	return true
}

// parseResourceElement reads Resource or NotResource. Trust policies may
// have neither; the other kinds need one of them.
func parseResourceElement(s *Statement, f *statementFields, kind Kind, vars bool) error {
	if kind == TrustPolicy {
		switch {
		case f.resource != nil:
			return malformed("Has prohibited field Resource")
		case f.notResource != nil:
			return malformed("Has prohibited field NotResource")
		}
		return nil
	}
	raw := f.resource
	switch {
	case f.resource != nil && f.notResource != nil:
		return malformed("Statement can not contain both Resource and NotResource")
	case f.notResource != nil:
		raw, s.NotResource = f.notResource, true
	}
	if raw == nil {
		return malformed(reasonNoResources)
	}
	res, ok := stringList(raw)
	if !ok {
		return malformed(reasonSyntax)
	}
	if len(res) == 0 {
		return malformed(reasonNoResources)
	}
	for _, r := range res {
		if r != "*" && (!strings.HasPrefix(r, "arn:") || strings.Count(r, ":") < 5) {
			return malformed(`Resource %s must be in ARN format or "*".`, r)
		}
		s.resources = append(s.resources, parseTemplate(r, vars))
	}
	s.Resources = res
	return nil
}

// parseConditionElement reads Condition: operator -> key -> value(s).
func parseConditionElement(s *Statement, f *statementFields, _ Kind, vars bool) error {
	if f.condition == nil {
		return nil
	}
	ops, err := readObject(f.condition)
	if err != nil {
		return err
	}
	for _, o := range ops {
		op, name, ok := parseOperator(o.key)
		if !ok {
			return malformed("Invalid Condition type : %s", o.key)
		}
		keys, err := readObject(o.val)
		if err != nil {
			return err
		}
		for _, k := range keys {
			c, err := parseCondition(op, name, k, vars)
			if err != nil {
				return err
			}
			s.Conditions = append(s.Conditions, c)
		}
	}
	return nil
}

func parseCondition(op operator, name string, k member, vars bool) (Condition, error) {
	if vendor, _, found := strings.Cut(k.key, ":"); !found || vendor == "" {
		return Condition{}, malformed(reasonVendor)
	}
	values, ok := scalarList(k.val)
	if !ok {
		return Condition{}, malformed(reasonSyntax)
	}
	c := Condition{Operator: name, Key: k.key, Values: values, op: op}
	for _, v := range values {
		if !op.fam.checkValue(v) {
			return Condition{}, malformed("Invalid Condition value for %s: %s", name, v)
		}
		c.values = append(c.values, parseTemplate(v, vars && op.fam.variables()))
	}
	return c, nil
}

// parsePrincipals reads a Principal or NotPrincipal value: "*" or an
// object with AWS, Service, Federated and CanonicalUser lists.
func parsePrincipals(raw json.RawMessage) (*Principals, error) {
	if s, ok := jsonString(raw); ok {
		if s != "*" {
			return nil, malformed("Invalid principal in policy: %q", s)
		}
		return &Principals{Any: true}, nil
	}
	members, err := readObject(raw)
	if err != nil {
		return nil, err
	}
	if len(members) == 0 {
		return nil, malformed("Invalid principal in policy: {}")
	}
	ps := &Principals{}
	for _, m := range members {
		vals, ok := stringList(m.val)
		if !ok || len(vals) == 0 {
			return nil, malformed("Invalid principal in policy: %q:%s", m.key, compact(m.val))
		}
		for _, v := range vals {
			if err := ps.add(m.key, v); err != nil {
				return nil, err
			}
		}
	}
	return ps, nil
}

// add validates one principal value and adds it to the set.
func (ps *Principals) add(typ, v string) error {
	bad := malformed("Invalid principal in policy: %q:%q", typ, v)
	wild := strings.ContainsAny(v, "*?")
	switch typ {
	case "AWS":
		switch {
		case v == "*":
			ps.Any = true
		case isAccountID(v):
			ps.AWS = append(ps.AWS, "arn:aws:iam::"+v+":root")
		case !wild && isPrincipalARN(v):
			ps.AWS = append(ps.AWS, v)
		default:
			return bad
		}
	case "Service":
		if v == "" || wild || strings.ContainsAny(v, " \t:/") {
			return bad
		}
		ps.Service = append(ps.Service, v)
	case "Federated":
		if v == "" || wild {
			return bad
		}
		ps.Federated = append(ps.Federated, v)
	case "CanonicalUser":
		if v == "" || wild {
			return bad
		}
		ps.CanonicalUser = append(ps.CanonicalUser, v)
	default:
		return bad
	}
	return nil
}

// isPrincipalARN reports whether v is an account root, user, role,
// assumed-role session or federated user ARN.
func isPrincipalARN(v string) bool {
	_, svc, _, res, ok := splitPrincipalARN(v)
	if !ok {
		return false
	}
	typ, rest, _ := strings.Cut(res, "/")
	switch {
	case svc == "iam" && res == "root":
		return true
	case svc == "iam" && (typ == "user" || typ == "role"):
		return rest != ""
	case svc == "sts" && typ == "assumed-role":
		role, session, found := strings.Cut(rest, "/")
		return found && role != "" && session != ""
	case svc == "sts" && typ == "federated-user":
		return rest != ""
	}
	return false
}

// member is one field of a JSON object, in document order.
type member struct {
	key string
	val json.RawMessage
}

// readObject reads a JSON object's fields in order. Anything other than
// an object is a syntax error, and so is a repeated field.
func readObject(raw []byte) ([]member, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, malformed(reasonSyntax)
	}
	var out []member
	seen := make(map[string]bool)
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, malformed(reasonSyntax)
		}
		key, ok := tok.(string)
		if !ok {
			return nil, malformed(reasonSyntax)
		}
		if seen[key] {
			return nil, malformed("Duplicate field %s", key)
		}
		seen[key] = true
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, malformed(reasonSyntax)
		}
		out = append(out, member{key, v})
	}
	if _, err := dec.Token(); err != nil {
		return nil, malformed(reasonSyntax)
	}
	return out, nil
}

func isArray(raw []byte) bool {
	raw = bytes.TrimSpace(raw)
	return len(raw) > 0 && raw[0] == '['
}

// jsonString decodes a JSON string.
func jsonString(raw []byte) (string, bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '"' {
		return "", false
	}
	var s string
	return s, json.Unmarshal(raw, &s) == nil
}

// stringList decodes a string or a list of strings.
func stringList(raw []byte) ([]string, bool) {
	if s, ok := jsonString(raw); ok {
		return []string{s}, true
	}
	var list []string
	if !isArray(raw) || json.Unmarshal(raw, &list) != nil {
		return nil, false
	}
	return list, true
}

// scalarList decodes a condition value: a string, boolean or number, or a
// list of them. Booleans and numbers keep their JSON text.
func scalarList(raw []byte) ([]string, bool) {
	if !isArray(raw) {
		v, ok := scalar(raw)
		if !ok {
			return nil, false
		}
		return []string{v}, true
	}
	var items []json.RawMessage
	if json.Unmarshal(raw, &items) != nil {
		return nil, false
	}
	out := make([]string, 0, len(items))
	for _, it := range items {
		v, ok := scalar(it)
		if !ok {
			return nil, false
		}
		out = append(out, v)
	}
	return out, true
}

func scalar(raw []byte) (string, bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return "", false
	}
	switch c := raw[0]; {
	case c == '"':
		return jsonString(raw)
	case string(raw) == "true", string(raw) == "false":
		return string(raw), true
	case c == '-' || '0' <= c && c <= '9':
		return string(raw), true
	}
	return "", false
}

// compact renders a JSON value on one line for an error message.
func compact(raw []byte) string {
	var b bytes.Buffer
	if json.Compact(&b, raw) != nil {
		return string(raw)
	}
	return b.String()
}
