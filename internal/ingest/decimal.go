package ingest

import (
	"math"
	"math/big"
	"math/bits"
	"strconv"

	"inlet/internal/catalog"
)

// Decimals. A decimal(P,S) value is carried as its unscaled value in an
// int64 (12.50 in decimal(12,2) is 1250), which P <= 18 guarantees fits.
// It is read exactly, never through a float:
//
//   - Text is [+-]digits[.digits][e[+-]digits], where either the integer
//     or the fraction digits may be missing but not both ("5.", ".5"), as
//     DuckDB and Snowflake read it. The exponent is applied exactly:
//     1.25e2 is 125. Thousands separators, currency signs, spaces, NaN
//     and infinities are not decimals.
//   - A value is kept only when the column holds it exactly: a value that
//     needs more than S digits after the point is rejected for its scale
//     ("scale 3 where decimal(12,2) allows 2" for 2.005), never rounded as
//     DuckDB would; trailing zeros do not count (1.250 is 1.25), since
//     dropping them loses nothing. A value with more than P digits at scale
//     S (more than P-S before the point) is rejected for its precision.
//     When both apply, the scale is reported.
//   - -0.00 is zero.

// Reasons of decimal rejects besides scale and precision, which name the
// column's type.
const reasonNotDecimal = "not a decimal"

// pow10i holds the powers of ten an int64 holds.
var pow10i = [...]int64{1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10,
	1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18}

// decNum is a decimal number as m × 10^e, with m free of trailing zeros
// and d digits long; zero has d = 0. When m does not fit in a uint64
// (wide is set) it is not kept, but d still counts its digits: a number
// that wide is rejected whatever the column.
type decNum struct {
	neg  bool
	wide bool
	m    uint64
	d, e int
}

// maxExponent bounds the exponent read from text: a larger one saturates
// (the value is then rejected for its scale or precision anyway, with a
// digit count that may be understated).
const maxExponent = 1 << 20

// parseDecimal reads a decimal from its text.
func parseDecimal(b []byte) (decNum, bool) {
	var n decNum
	i := 0
	if i < len(b) && (b[i] == '+' || b[i] == '-') {
		n.neg = b[i] == '-'
		i++
	}
	digits, frac := 0, 0
	zeros := 0 // zeros after the last nonzero digit, not yet in m
	for point := false; i < len(b); i++ {
		c := b[i]
		if c == '.' && !point {
			point = true
			continue
		}
		if c-'0' > 9 {
			break
		}
		digits++
		if point {
			frac++
		}
		if c == '0' {
			if n.d > 0 {
				zeros++
			}
			continue
		}
		n.push(zeros, uint64(c-'0'))
		zeros = 0
	}
	if digits == 0 {
		return decNum{}, false
	}
	exp := 0
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		neg := false
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			neg = b[i] == '-'
			i++
		}
		start := i
		for ; i < len(b) && b[i]-'0' <= 9; i++ {
			exp = min(exp*10+int(b[i]-'0'), maxExponent)
		}
		if i == start {
			return decNum{}, false
		}
		if neg {
			exp = -exp
		}
	}
	if i != len(b) {
		return decNum{}, false
	}
	if n.d == 0 {
		return decNum{}, true // zero, of any sign and form
	}
	n.e = exp - frac + zeros
	return n, true
}

// push appends zeros zero digits and then digit c to m.
func (n *decNum) push(zeros int, c uint64) {
	n.d += zeros + 1
	if n.wide || zeros+1 >= len(pow10u) {
		n.wide = true
		return
	}
	hi, lo := bits.Mul64(n.m, uint64(pow10u[zeros+1]))
	lo, carry := bits.Add64(lo, c, 0)
	if hi != 0 || carry != 0 {
		n.wide = true
		return
	}
	n.m = lo
}

// pow10u holds the powers of ten a uint64 holds.
var pow10u = func() (p [20]uint64) {
	p[0] = 1
	for i := 1; i < len(p); i++ {
		p[i] = p[i-1] * 10
	}
	return p
}()

// intDecimal is the decimal unscaled × 10^-scale, for typed values
// (Parquet integers and DECIMAL columns).
func intDecimal(neg bool, u uint64, scale int) decNum {
	if u == 0 {
		return decNum{}
	}
	n := decNum{neg: neg, e: -scale}
	for u%10 == 0 {
		u /= 10
		n.e++
	}
	n.m = u
	n.d = digitCount(u)
	return n
}

// digitCount is the number of decimal digits of u, without allocating.
func digitCount(u uint64) int {
	n := 1
	for n < len(pow10u) && u >= pow10u[n] {
		n++
	}
	return n
}

// bigDecimal is intDecimal for an unscaled value wider than 64 bits.
func bigDecimal(x *big.Int, scale int) decNum {
	if x.IsInt64() {
		v := x.Int64()
		return intDecimal(v < 0, absInt64(v), scale)
	}
	n := decNum{neg: x.Sign() < 0, e: -scale}
	a := new(big.Int).Abs(x)
	ten := big.NewInt(10)
	var q, r big.Int
	for {
		q.QuoRem(a, ten, &r)
		if r.Sign() != 0 {
			break
		}
		a.Set(&q)
		n.e++
	}
	if a.IsUint64() {
		n.m = a.Uint64()
		n.d = digitCount(n.m)
		return n
	}
	n.wide = true
	n.d = len(a.String())
	return n
}

func absInt64(v int64) uint64 {
	if v < 0 {
		return -uint64(v)
	}
	return uint64(v)
}

// decimal checks n against the field's precision and scale and returns
// its unscaled value.
func (f *field) decimal(n decNum) (int64, string) {
	if n.d == 0 {
		return 0, ""
	}
	k := n.e + f.scale // the power of ten that scales m to the column
	if k < 0 {
		return 0, "scale " + strconv.Itoa(-n.e) + " where " + f.Type + " allows " + strconv.Itoa(f.scale)
	}
	if p := n.d + k; p > f.prec {
		return 0, "precision " + strconv.Itoa(p) + " where " + f.Type + " allows " + strconv.Itoa(f.prec)
	}
	// n.d + k <= P <= 18: m fits, and so does the product.
	v := int64(n.m) * pow10i[k]
	if n.neg {
		v = -v
	}
	return v, ""
}

// compileDecimalBounds turns min and max into unscaled values of the
// field's scale, exactly, from the bounds' text as the spec wrote them
// (not the float64 a JSON number becomes, which holds 15 digits or so and
// puts 0.1 a hair above 0.10). A value v passes when lmin <= v <= lmax,
// as for longs; min is rounded up and max down to the scale.
func (f *field) compileDecimalBounds() {
	f.lmin, f.lmax = math.MinInt64, math.MaxInt64
	f.integerBounds(f.scale)
}

// scaledBound is the number of text (a JSON number) × 10^scale rounded up
// (ceil) or down to an integer, and whether that fits in an int64.
func scaledBound(text string, scale int, ceil bool) (*big.Int, bool) {
	r, ok := new(big.Rat).SetString(text)
	if !ok {
		return new(big.Int), false
	}
	r.Mul(r, new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(scale)), nil)))
	num, den := r.Num(), r.Denom()
	var q big.Int
	if ceil {
		// ceil(a/b) = -floor(-a/b); Div floors for a positive divisor.
		q.Div(new(big.Int).Neg(num), den)
		q.Neg(&q)
	} else {
		q.Div(num, den)
	}
	return &q, q.IsInt64()
}

// appendDecimalText parses, checks and appends a decimal from its text.
func appendDecimalText(c *Column, f *field, text []byte) string {
	n, ok := parseDecimal(text)
	if !ok {
		return reasonNotDecimal
	}
	return appendDecimal(c, f, n)
}

// appendDecimal checks a decimal against the column's type and bounds and
// appends its unscaled value.
func appendDecimal(c *Column, f *field, n decNum) string {
	v, r := f.decimal(n)
	if r == "" && (f.min != nil || f.max != nil) {
		r = f.checkLong(v)
	}
	if r != "" {
		return r
	}
	c.Int64 = append(c.Int64, v)
	c.Valid = append(c.Valid, true)
	return ""
}

// decimalField fills in the precision and scale of a decimal field.
func decimalField(f *field) bool {
	p, s, ok := catalog.DecimalOf(f.Type)
	if !ok {
		return false
	}
	f.prec, f.scale = p, s
	return true
}
