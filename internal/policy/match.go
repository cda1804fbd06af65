package policy

import (
	"strings"
	"unicode"
)

// globMatch reports whether s matches pattern, where '*' matches any run
// of characters (also none), '?' matches exactly one, and a backslash makes
// the next character literal. Backslash escapes only come from expanding
// templates, which escape the policy's own backslashes and the ${*}, ${?}
// and ${$} variables. With fold set the match ignores case.
func globMatch(pattern, s string, fold bool) bool {
	p, t := []rune(pattern), []rune(s)
	if fold {
		for i, r := range p {
			p[i] = unicode.ToLower(r)
		}
		for i, r := range t {
			t[i] = unicode.ToLower(r)
		}
	}

	// Iterative matching with one backtrack point: the most recent '*'.
	pi, ti := 0, 0
	starP, starT := -1, 0
	for ti < len(t) {
		if pi < len(p) {
			c := p[pi]
			switch {
			case c == '*':
				starP, starT = pi, ti
				pi++
				continue
			case c == '?':
				pi++
				ti++
				continue
			case c == '\\' && pi+1 < len(p):
				if p[pi+1] == t[ti] {
					pi += 2
					ti++
					continue
				}
			case c == t[ti]:
				pi++
				ti++
				continue
			}
		}
		if starP < 0 {
			return false
		}
		starT++
		pi, ti = starP+1, starT
	}
	for pi < len(p) && p[pi] == '*' {
		pi++
	}
	return pi == len(p)
}

// Wildcard reports whether s matches pattern as a policy's Resource
// matches: '*' any run of characters (also none), '?' exactly one, every
// other character itself; in time linear in the product of the lengths.
func Wildcard(pattern, s string) bool {
	return globMatch(escapeGlob(pattern, true), s, false)
}

// matchAction reports whether the request action matches an Action
// pattern such as "s3:Get*" or "*". Actions match case-insensitively.
func matchAction(pattern, action string) bool {
	return globMatch(escapeGlob(pattern, true), action, true)
}

// arnMatch reports whether arn matches an ARN pattern as the Resource
// element and the Arn condition operators do: the six colon-separated
// parts (arn, partition, service, region, account, resource) are matched
// one by one, so a wildcard never spans a colon in the first five, while
// the resource part may itself contain ':' and '/'. A lone "*" matches any
// value. A pattern or value with fewer than six parts matches nothing.
func arnMatch(pattern, arn string) bool {
	if pattern == "*" {
		return true
	}
	pp := strings.SplitN(pattern, ":", 6)
	ap := strings.SplitN(arn, ":", 6)
	if len(pp) < 6 || len(ap) < 6 {
		return false
	}
	for i := range pp {
		if !globMatch(pp[i], ap[i], false) {
			return false
		}
	}
	return true
}

// escapeGlob escapes backslashes so that s can be used as a glob pattern;
// with wild unset it also escapes '*' and '?', making s match only itself.
func escapeGlob(s string, wild bool) string {
	if !strings.ContainsAny(s, `\*?`) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if r == '\\' || (!wild && (r == '*' || r == '?')) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}
