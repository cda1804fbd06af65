package policy

import "strings"

// template is a Resource or condition value with its policy variables
// (${aws:username}, ${s3:prefix, 'default'}, ${*}) split out. Documents of
// Version 2008-10-17 have no variables, so their templates are one
// literal part.
type template struct {
	parts []tplPart
}

type partKind int

const (
	partText    partKind = iota // policy text; '*' and '?' stay wildcards
	partLiteral                 // ${*}, ${?} or ${$}: the character itself
	partVar                     // a context key, with an optional default
)

type tplPart struct {
	kind   partKind
	text   string // partText and partLiteral: the text; partVar: the key
	def    string
	hasDef bool
}

// parseTemplate splits s into parts. With vars unset (Version 2008) all of
// s is text. A "${" without a closing brace, or with an empty key, stays
// text.
func parseTemplate(s string, vars bool) template {
	if !vars || !strings.Contains(s, "${") {
		return template{parts: []tplPart{{kind: partText, text: s}}}
	}
	var t template
	for s != "" {
		i := strings.Index(s, "${")
		if i < 0 {
			t.add(tplPart{kind: partText, text: s})
			break
		}
		j := strings.IndexByte(s[i:], '}')
		if j < 0 {
			t.add(tplPart{kind: partText, text: s})
			break
		}
		inner := s[i+2 : i+j]
		p, ok := parseVariable(inner)
		if !ok {
			t.add(tplPart{kind: partText, text: s[:i+j+1]})
		} else {
			t.add(tplPart{kind: partText, text: s[:i]})
			t.add(p)
		}
		s = s[i+j+1:]
	}
	return t
}

// add appends p, merging adjacent text parts and skipping empty ones.
func (t *template) add(p tplPart) {
	if p.kind == partText {
		if p.text == "" {
			return
		}
		if n := len(t.parts); n > 0 && t.parts[n-1].kind == partText {
			t.parts[n-1].text += p.text
			return
		}
	}
	t.parts = append(t.parts, p)
}

// parseVariable parses what is between "${" and "}".
func parseVariable(inner string) (tplPart, bool) {
	switch strings.TrimSpace(inner) {
	case "*", "?", "$":
		return tplPart{kind: partLiteral, text: strings.TrimSpace(inner)}, true
	}
	key, def, hasDef := strings.Cut(inner, ",")
	key = strings.TrimSpace(key)
	if key == "" || strings.ContainsAny(key, " \t${") {
		return tplPart{}, false
	}
	p := tplPart{kind: partVar, text: key}
	if hasDef {
		def = strings.TrimSpace(def)
		if len(def) >= 2 && def[0] == '\'' && def[len(def)-1] == '\'' {
			def = def[1 : len(def)-1]
		}
		p.def, p.hasDef = def, true
	}
	return p, true
}

// literal reports whether the template is plain text, and returns it.
func (t template) literal() (string, bool) {
	switch {
	case len(t.parts) == 0:
		return "", true
	case len(t.parts) == 1 && t.parts[0].kind == partText:
		return t.parts[0].text, true
	}
	return "", false
}

// expand substitutes the variables from look. With glob set the result is
// a glob pattern: policy text keeps its wildcards while substituted values
// and ${*}, ${?}, ${$} match only themselves. ok is false when a variable
// has no single value in the context and no default; the value then
// matches nothing.
func (t template) expand(look func(string) ([]string, bool), glob bool) (s string, ok bool) {
	if text, lit := t.literal(); lit {
		if glob {
			return escapeGlob(text, true), true
		}
		return text, true
	}
	var b strings.Builder
	for _, p := range t.parts {
		var v string
		switch p.kind {
		case partText:
			if glob {
				b.WriteString(escapeGlob(p.text, true))
			} else {
				b.WriteString(p.text)
			}
			continue
		case partLiteral:
			v = p.text
		case partVar:
			vals, found := look(p.text)
			switch {
			case found && len(vals) == 1:
				v = vals[0]
			case p.hasDef:
				v = p.def
			default:
				return "", false
			}
		}
		if glob {
			v = escapeGlob(v, false)
		}
		b.WriteString(v)
	}
	return b.String(), true
}
