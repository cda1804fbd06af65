package policy

import (
	"bytes"
	"encoding/base64"
	"math"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// family is a condition operator without its negation, qualifier and
// IfExists suffix.
type family int

const (
	famStringEquals family = iota
	famStringEqualsIgnoreCase
	famStringLike
	famNumericEquals
	famNumericLessThan
	famNumericLessThanEquals
	famNumericGreaterThan
	famNumericGreaterThanEquals
	famDateEquals
	famDateLessThan
	famDateLessThanEquals
	famDateGreaterThan
	famDateGreaterThanEquals
	famBool
	famBinaryEquals
	famIPAddress
	famArnLike // ArnEquals and ArnLike match the same way
	famNull
)

// set is a ForAnyValue: or ForAllValues: qualifier.
type set int

const (
	setNone set = iota
	setAny
	setAll
)

// operator is a parsed condition operator.
type operator struct {
	fam      family
	negate   bool
	ifExists bool
	set      set
}

// baseOperators maps each operator name, lower-cased, to its family and
// negation.
var baseOperators = map[string]struct {
	name   string
	fam    family
	negate bool
}{
	"stringequals":              {"StringEquals", famStringEquals, false},
	"stringnotequals":           {"StringNotEquals", famStringEquals, true},
	"stringequalsignorecase":    {"StringEqualsIgnoreCase", famStringEqualsIgnoreCase, false},
	"stringnotequalsignorecase": {"StringNotEqualsIgnoreCase", famStringEqualsIgnoreCase, true},
	"stringlike":                {"StringLike", famStringLike, false},
	"stringnotlike":             {"StringNotLike", famStringLike, true},
	"numericequals":             {"NumericEquals", famNumericEquals, false},
	"numericnotequals":          {"NumericNotEquals", famNumericEquals, true},
	"numericlessthan":           {"NumericLessThan", famNumericLessThan, false},
	"numericlessthanequals":     {"NumericLessThanEquals", famNumericLessThanEquals, false},
	"numericgreaterthan":        {"NumericGreaterThan", famNumericGreaterThan, false},
	"numericgreaterthanequals":  {"NumericGreaterThanEquals", famNumericGreaterThanEquals, false},
	"dateequals":                {"DateEquals", famDateEquals, false},
	"datenotequals":             {"DateNotEquals", famDateEquals, true},
	"datelessthan":              {"DateLessThan", famDateLessThan, false},
	"datelessthanequals":        {"DateLessThanEquals", famDateLessThanEquals, false},
	"dategreaterthan":           {"DateGreaterThan", famDateGreaterThan, false},
	"dategreaterthanequals":     {"DateGreaterThanEquals", famDateGreaterThanEquals, false},
	"bool":                      {"Bool", famBool, false},
	"binaryequals":              {"BinaryEquals", famBinaryEquals, false},
	"ipaddress":                 {"IpAddress", famIPAddress, false},
	"notipaddress":              {"NotIpAddress", famIPAddress, true},
	"arnequals":                 {"ArnEquals", famArnLike, false},
	"arnnotequals":              {"ArnNotEquals", famArnLike, true},
	"arnlike":                   {"ArnLike", famArnLike, false},
	"arnnotlike":                {"ArnNotLike", famArnLike, true},
	"null":                      {"Null", famNull, false},
}

// parseOperator parses an operator name such as
// "ForAllValues:StringLikeIfExists". Names match case-insensitively; the
// canonical spelling is returned.
func parseOperator(s string) (operator, string, bool) {
	var op operator
	var prefix, suffix string
	name := s
	if q, rest, found := strings.Cut(name, ":"); found {
		switch strings.ToLower(q) {
		case "foranyvalue":
			op.set, prefix = setAny, "ForAnyValue:"
		case "forallvalues":
			op.set, prefix = setAll, "ForAllValues:"
		default:
			return operator{}, "", false
		}
		name = rest
	}
	lower := strings.ToLower(name)
	if base, found := strings.CutSuffix(lower, "ifexists"); found {
		op.ifExists, suffix = true, "IfExists"
		lower = base
	}
	b, ok := baseOperators[lower]
	if !ok || b.fam == famNull && (op.ifExists || op.set != setNone) {
		return operator{}, "", false
	}
	op.fam, op.negate = b.fam, b.negate
	return op, prefix + b.name + suffix, true
}

// variables reports whether the family expands policy variables in its
// values; numbers, dates, addresses and binary values are literal.
func (f family) variables() bool {
	switch f {
	case famStringEquals, famStringEqualsIgnoreCase, famStringLike, famBool, famArnLike:
		return true
	}
	return false
}

// glob reports whether the family's values are wildcard patterns.
func (f family) glob() bool { return f == famStringLike || f == famArnLike }

// checkValue reports whether v is a valid policy value for the family.
func (f family) checkValue(v string) bool {
	switch f {
	case famNumericEquals, famNumericLessThan, famNumericLessThanEquals,
		famNumericGreaterThan, famNumericGreaterThanEquals:
		_, ok := parseNumber(v)
		return ok
	case famDateEquals, famDateLessThan, famDateLessThanEquals,
		famDateGreaterThan, famDateGreaterThanEquals:
		_, ok := parseDate(v)
		return ok
	case famIPAddress:
		_, ok := parsePrefix(v)
		return ok
	case famNull:
		return strings.EqualFold(v, "true") || strings.EqualFold(v, "false")
	}
	return true
}

// eval reports whether the condition holds for the request context.
//
// Policy values for one key are OR'ed: a request value matches when it
// matches any of them. Without a set qualifier the condition holds when
// some request value matches, and a negated operator holds when none does
// (so a key missing from the request fails a positive operator and passes
// a negated one). ForAnyValue holds when some request value passes the
// operator, ForAllValues when every one does; with the key missing
// ForAnyValue fails and ForAllValues holds. IfExists passes when the key
// is missing. Null "true" holds when the key is missing, "false" when it
// is present.
func (c *Condition) eval(look func(string) ([]string, bool)) bool {
	vals, present := look(c.Key)
	if c.op.fam == famNull {
		for _, v := range c.Values {
			if strings.EqualFold(v, "true") != present {
				return true
			}
		}
		return false
	}
	if !present {
		switch {
		case c.op.ifExists, c.op.set == setAll:
			return true
		case c.op.set == setAny:
			return false
		}
		return c.op.negate
	}

	patterns := c.expand(look)
	one := func(v string) bool {
		for _, pv := range patterns {
			if c.op.fam.compare(v, pv) {
				return true
			}
		}
		return false
	}
	switch c.op.set {
	case setAny:
		for _, v := range vals {
			if one(v) != c.op.negate {
				return true
			}
		}
		return false
	case setAll:
		for _, v := range vals {
			if one(v) == c.op.negate {
				return false
			}
		}
		return true
	}
	for _, v := range vals {
		if one(v) {
			return !c.op.negate
		}
	}
	return c.op.negate
}

// expand returns the policy values with variables substituted, leaving
// out those whose variables are missing from the request.
func (c *Condition) expand(look func(string) ([]string, bool)) []string {
	out := make([]string, 0, len(c.values))
	for _, t := range c.values {
		if v, ok := t.expand(look, c.op.fam.glob()); ok {
			out = append(out, v)
		}
	}
	return out
}

// compare reports whether a request value matches one policy value.
// Request values that do not parse as the family's type match nothing.
func (f family) compare(v, pv string) bool {
	switch f {
	case famStringEquals:
		return v == pv
	case famStringEqualsIgnoreCase:
		return strings.EqualFold(v, pv)
	case famStringLike:
		return globMatch(pv, v, false)
	case famBool:
		return strings.EqualFold(v, pv)
	case famArnLike:
		return arnMatch(pv, v)
	case famBinaryEquals:
		return binaryEqual(v, pv)
	case famIPAddress:
		return ipMatch(v, pv)
	case famNumericEquals, famNumericLessThan, famNumericLessThanEquals,
		famNumericGreaterThan, famNumericGreaterThanEquals:
		a, ok1 := parseNumber(v)
		b, ok2 := parseNumber(pv)
		return ok1 && ok2 && f.order(cmpFloat(a, b))
	case famDateEquals, famDateLessThan, famDateLessThanEquals,
		famDateGreaterThan, famDateGreaterThanEquals:
		a, ok1 := parseDate(v)
		b, ok2 := parseDate(pv)
		return ok1 && ok2 && f.order(a.Compare(b))
	}
	return false
}

// order reports whether the result of comparing request value to policy
// value (-1, 0, +1) satisfies a numeric or date family.
func (f family) order(c int) bool {
	switch f {
	case famNumericEquals, famDateEquals:
		return c == 0
	case famNumericLessThan, famDateLessThan:
		return c < 0
	case famNumericLessThanEquals, famDateLessThanEquals:
		return c <= 0
	case famNumericGreaterThan, famDateGreaterThan:
		return c > 0
	case famNumericGreaterThanEquals, famDateGreaterThanEquals:
		return c >= 0
	}
	return false
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// parseNumber parses a decimal number; hexadecimal, NaN and infinities are
// refused.
func parseNumber(s string) (float64, bool) {
	s = strings.TrimSpace(s)
	if s == "" || strings.ContainsAny(s, "xXpP_") {
		return 0, false
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, false
	}
	return f, true
}

// dateLayouts are the ISO 8601 forms accepted for dates; a value of only
// digits is epoch seconds. Forms without a zone are UTC.
var dateLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05Z0700",
	"2006-01-02T15:04Z07:00",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02T15:04",
	"2006-01-02",
	"20060102T150405Z",
}

// parseDate parses an ISO 8601 date or epoch seconds.
func parseDate(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, false
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return time.Unix(n, 0).UTC(), true
	}
	for _, layout := range dateLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// parsePrefix parses a CIDR block or a single address (a /32 or /128).
func parsePrefix(s string) (netip.Prefix, bool) {
	s = strings.TrimSpace(s)
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, false
		}
		return netip.PrefixFrom(p.Addr().Unmap(), unmappedBits(p)).Masked(), true
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, false
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), true
}

// unmappedBits returns the prefix length for p's address once an
// IPv4-mapped IPv6 address is unmapped.
func unmappedBits(p netip.Prefix) int {
	if p.Addr().Is4In6() {
		return max(p.Bits()-96, 0)
	}
	return p.Bits()
}

// ipMatch reports whether address v lies in the block pv.
func ipMatch(v, pv string) bool {
	a, err := netip.ParseAddr(strings.TrimSpace(v))
	if err != nil {
		return false
	}
	p, ok := parsePrefix(pv)
	return ok && p.Contains(a.Unmap())
}

// binaryEqual compares base64 values by their decoded bytes, or as text
// when either does not decode.
func binaryEqual(v, pv string) bool {
	a, err1 := base64.StdEncoding.DecodeString(v)
	b, err2 := base64.StdEncoding.DecodeString(pv)
	if err1 != nil || err2 != nil {
		return v == pv
	}
	return bytes.Equal(a, b)
}
