package catalog

import (
	"strconv"
	"strings"
)

// MaxDecimalPrecision is the largest precision of a decimal field: 18
// digits, so that every unscaled value fits in an int64, which is how
// ingestion carries it and how data files store it (Parquet INT64).
const MaxDecimalPrecision = 18

// ParseDecimal reads a decimal type name, decimal(P,S), with spaces
// allowed around P and S and the keyword in any case. ok is false when typ
// is not of that form; P and S are not range-checked (the dataset spec's
// validation does that, with a reason).
func ParseDecimal(typ string) (precision, scale int, ok bool) {
	rest, found := strings.CutPrefix(strings.ToLower(strings.TrimSpace(typ)), TypeDecimal)
	if !found {
		return 0, 0, false
	}
	rest = strings.TrimSpace(rest)
	inner, found := strings.CutPrefix(rest, "(")
	if !found {
		return 0, 0, false
	}
	inner, found = strings.CutSuffix(inner, ")")
	if !found {
		return 0, 0, false
	}
	ps, ss, found := strings.Cut(inner, ",")
	if !found {
		return 0, 0, false
	}
	p, err1 := strconv.Atoi(strings.TrimSpace(ps))
	s, err2 := strconv.Atoi(strings.TrimSpace(ss))
	if err1 != nil || err2 != nil || strings.ContainsAny(ps+ss, "+-") {
		return 0, 0, false
	}
	return p, s, true
}

// DecimalTypeName is the canonical name of a decimal type:
// decimal(P,S), without spaces.
func DecimalTypeName(precision, scale int) string {
	return TypeDecimal + "(" + strconv.Itoa(precision) + "," + strconv.Itoa(scale) + ")"
}

// BaseType is a field type without its parameters: [TypeDecimal] for
// decimal(P,S), the type itself otherwise. Code that treats all decimals
// alike switches on it.
func BaseType(typ string) string {
	if strings.HasPrefix(typ, TypeDecimal+"(") {
		return TypeDecimal
	}
	return typ
}
