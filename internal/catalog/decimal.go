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

// DecimalOf reports the precision and scale of a field type that is a
// valid decimal type in canonical form, as a validated spec holds it.
func DecimalOf(typ string) (precision, scale int, ok bool) {
	if BaseType(typ) != TypeDecimal {
		return 0, 0, false
	}
	p, s, ok := ParseDecimal(typ)
	if !ok || p < 1 || p > MaxDecimalPrecision || s < 0 || s > p || typ != DecimalTypeName(p, s) {
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

// AppendDecimal appends the text of a decimal value given by its unscaled
// value and scale: an optional minus, the integer digits (at least one)
// and, when scale > 0, a point and exactly scale digits. 1250 at scale 2
// is "12.50"; zero is never negative. It is the value's canonical text,
// which ingestion reads back to the same value.
func AppendDecimal(dst []byte, unscaled int64, scale int) []byte {
	var buf [24]byte
	return AppendScaled(dst, strconv.AppendInt(buf[:0], unscaled, 10), scale)
}

// AppendScaled is [AppendDecimal] for an unscaled value of any width,
// given as the text of an integer (an optional minus and digits).
func AppendScaled(dst, unscaled []byte, scale int) []byte {
	digits := unscaled
	if len(digits) > 0 && digits[0] == '-' {
		dst = append(dst, '-')
		digits = digits[1:]
	}
	if scale <= 0 {
		return append(dst, digits...)
	}
	if len(digits) <= scale {
		dst = append(dst, '0', '.')
		for range scale - len(digits) {
			dst = append(dst, '0')
		}
		return append(dst, digits...)
	}
	n := len(digits) - scale
	dst = append(append(dst, digits[:n]...), '.')
	return append(dst, digits[n:]...)
}
