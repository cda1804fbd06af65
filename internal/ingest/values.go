package ingest

import (
	"math"
	"strconv"
	"strings"
	"unsafe"
)

// Value parsers. Each takes the field's bytes as delivered and never
// allocates on the common forms; unusual forms of doubles fall back to
// strconv. Values are not trimmed: " 5" is not a long.

// Reasons shared by the parsers.
const (
	reasonNotInteger  = "not an integer"
	reasonLongRange   = "out of range for long"
	reasonNotNumber   = "not a number"
	reasonDoubleRange = "out of range for double"
	reasonNotBool     = "not a boolean (want true/false, t/f, 1/0, yes/no)"
	reasonNotDate     = "not a date (want YYYY-MM-DD)"
	reasonNotTime     = "not a timestamp (want RFC 3339, e.g. 2025-01-15T10:00:00Z)"
	reasonTimeRange   = "out of range for timestamptz (want years 0001 to 9999 in UTC)"
	reasonDateRange   = "out of range for date (want years 0000 to 9999)"
)

// The dates inlet keeps, in days since 1970: years 0000 to 9999, what
// YYYY-MM-DD can write, so that every date can be written out and read
// back. Text dates are in it by their form; a Parquet DATE is checked.
const (
	minDays = -719528 // 0000-01-01
	maxDays = 2932896 // 9999-12-31
)

// The timestamps inlet keeps, in microseconds since 1970: years 0001 to
// 9999 in UTC, the range of RFC 3339 text. An offset can carry a time
// written within it out of it (9999-12-31T23:00:00-05:00 is in year
// 10000), which then could not be written out and read back.
const (
	minMicros = -62135596800 * 1_000_000   // 0001-01-01T00:00:00Z
	maxMicros = 253402300800*1_000_000 - 1 // 9999-12-31T23:59:59.999999Z
)

// parseLong parses an optionally signed decimal integer.
func parseLong(b []byte) (int64, string) {
	if len(b) == 0 {
		return 0, reasonNotInteger
	}
	neg := false
	i := 0
	switch b[0] {
	case '-':
		neg = true
		i = 1
	case '+':
		i = 1
	}
	if i == len(b) {
		return 0, reasonNotInteger
	}
	var u uint64
	for ; i < len(b); i++ {
		d := b[i] - '0'
		if d > 9 {
			return 0, reasonNotInteger
		}
		if u > (math.MaxUint64-9)/10 {
			// Keep scanning so that "99999999999999999999x" is
			// reported as not an integer rather than out of range.
			for ; i < len(b); i++ {
				if b[i]-'0' > 9 {
					return 0, reasonNotInteger
				}
			}
			return 0, reasonLongRange
		}
		u = u*10 + uint64(d)
	}
	if neg {
		if u > 1<<63 {
			return 0, reasonLongRange
		}
		return -int64(u), ""
	}
	if u > math.MaxInt64 {
		return 0, reasonLongRange
	}
	return int64(u), ""
}

// pow10 holds the powers of ten that a float64 represents exactly.
var pow10 = [...]float64{1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10,
	1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22}

// parseDouble parses a decimal number: [+-]digits[.digits][e[+-]digits],
// where either the integer or the fraction digits may be missing but not
// both. NaN, hex floats and thousands separators are not numbers here;
// an infinity, spelled out or beyond the double range, is out of range,
// as a Parquet infinity is. When the digits fit in 2^53 and the power of
// ten is exact, the division below is correctly rounded (one IEEE
// operation on exact operands), so only the other forms go through
// strconv.
func parseDouble(b []byte) (float64, string) {
	i := 0
	neg := false
	if i < len(b) && (b[i] == '+' || b[i] == '-') {
		neg = b[i] == '-'
		i++
	}
	var mant uint64
	digits := 0 // significant digits gathered in mant
	intDigits, fracDigits := 0, 0
	fracScale := 0 // fraction digits that went into mant
	exact := true
	for ; i < len(b) && b[i]-'0' <= 9; i++ {
		intDigits++
		if mant == 0 && b[i] == '0' {
			continue
		}
		if digits < 19 {
			mant = mant*10 + uint64(b[i]-'0')
			digits++
		} else {
			exact = false
		}
	}
	if i < len(b) && b[i] == '.' {
		i++
		for ; i < len(b) && b[i]-'0' <= 9; i++ {
			fracDigits++
			if mant == 0 && b[i] == '0' {
				fracScale++
				continue
			}
			if digits < 19 {
				mant = mant*10 + uint64(b[i]-'0')
				digits++
				fracScale++
			} else {
				exact = false
			}
		}
	}
	if intDigits+fracDigits == 0 {
		if isInfinity(b) {
			return 0, reasonDoubleRange
		}
		return 0, reasonNotNumber
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		start := i
		for ; i < len(b) && b[i]-'0' <= 9; i++ {
		}
		if i == start {
			return 0, reasonNotNumber
		}
		exact = false
	}
	if i != len(b) {
		return 0, reasonNotNumber
	}
	if exact && mant <= 1<<53 && fracScale < len(pow10) {
		f := float64(mant) / pow10[fracScale]
		if neg {
			f = -f
		}
		return f, ""
	}
	// The syntax is checked above, so strconv only sees decimal forms.
	f, err := strconv.ParseFloat(unsafe.String(unsafe.SliceData(b), len(b)), 64)
	if err != nil {
		return 0, reasonDoubleRange
	}
	return f, ""
}

// isInfinity tells whether b spells an infinity: inf or infinity in any
// case, with an optional sign.
func isInfinity(b []byte) bool {
	if len(b) > 0 && (b[0] == '+' || b[0] == '-') {
		b = b[1:]
	}
	s := unsafe.String(unsafe.SliceData(b), len(b))
	return strings.EqualFold(s, "inf") || strings.EqualFold(s, "infinity")
}

// parseBool accepts true/false, t/f, 1/0 and yes/no in any case.
func parseBool(b []byte) (bool, string) {
	switch len(b) {
	case 1:
		switch b[0] {
		case 't', 'T', '1':
			return true, ""
		case 'f', 'F', '0':
			return false, ""
		}
	case 2:
		if b[0]|0x20 == 'n' && b[1]|0x20 == 'o' {
			return false, ""
		}
	case 3:
		if b[0]|0x20 == 'y' && b[1]|0x20 == 'e' && b[2]|0x20 == 's' {
			return true, ""
		}
	case 4:
		if b[0]|0x20 == 't' && b[1]|0x20 == 'r' && b[2]|0x20 == 'u' && b[3]|0x20 == 'e' {
			return true, ""
		}
	case 5:
		if b[0]|0x20 == 'f' && b[1]|0x20 == 'a' && b[2]|0x20 == 'l' && b[3]|0x20 == 's' && b[4]|0x20 == 'e' {
			return false, ""
		}
	}
	return false, reasonNotBool
}

// digits2 reads two ASCII digits.
func digits2(b []byte) (int, bool) {
	d0, d1 := b[0]-'0', b[1]-'0'
	if d0 > 9 || d1 > 9 {
		return 0, false
	}
	return int(d0)*10 + int(d1), true
}

// civilDate reads YYYY-MM-DD from the first 10 bytes of b and checks it is
// a day of the proleptic Gregorian calendar.
func civilDate(b []byte) (y, m, d int, ok bool) {
	if len(b) < 10 || b[4] != '-' || b[7] != '-' {
		return 0, 0, 0, false
	}
	hi, ok1 := digits2(b[0:2])
	lo, ok2 := digits2(b[2:4])
	m, ok3 := digits2(b[5:7])
	d, ok4 := digits2(b[8:10])
	if !ok1 || !ok2 || !ok3 || !ok4 || m < 1 || m > 12 || d < 1 || d > monthDays(hi*100+lo, m) {
		return 0, 0, 0, false
	}
	return hi*100 + lo, m, d, true
}

func monthDays(y, m int) int {
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// epochDays counts days from 1970-01-01 to a valid civil date. It counts
// in eras of 400 years (146097 days) starting on March 1st, so that the
// leap day is the last day of its year.
func epochDays(y, m, d int) int64 {
	if m <= 2 {
		y--
	}
	era := y / 400
	if y < 0 && y%400 != 0 {
		era--
	}
	yoe := y - era*400 // 0..399
	mp := (m + 9) % 12 // March = 0
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return int64(era)*146097 + int64(doe) - 719468
}

// parseDate parses YYYY-MM-DD into days since 1970-01-01.
func parseDate(b []byte) (int32, string) {
	if len(b) != 10 {
		return 0, reasonNotDate
	}
	y, m, d, ok := civilDate(b)
	if !ok {
		return 0, reasonNotDate
	}
	return int32(epochDays(y, m, d)), ""
}

// parseTimestamp parses YYYY-MM-DD(T| )HH:MM[:SS[.fraction]][offset] into
// microseconds since 1970-01-01T00:00:00Z. The offset is Z, ±hh:mm, ±hhmm
// or ±hh; without one the time is taken as UTC. Up to 9 fraction digits
// are read and cut to microseconds; since the fraction counts forward from
// a whole second, cutting it is flooring, also before 1970.
func parseTimestamp(b []byte) (int64, string) {
	if len(b) < 16 {
		return 0, reasonNotTime
	}
	y, mo, d, ok := civilDate(b)
	if !ok || (b[10] != 'T' && b[10] != 't' && b[10] != ' ') || b[13] != ':' {
		return 0, reasonNotTime
	}
	h, ok1 := digits2(b[11:13])
	mi, ok2 := digits2(b[14:16])
	if !ok1 || !ok2 || h > 23 || mi > 59 {
		return 0, reasonNotTime
	}
	i := 16
	sec := 0
	var frac int64
	if i < len(b) && b[i] == ':' {
		if len(b) < i+3 {
			return 0, reasonNotTime
		}
		s, ok := digits2(b[i+1 : i+3])
		if !ok || s > 59 {
			return 0, reasonNotTime
		}
		sec = s
		i += 3
		if i < len(b) && (b[i] == '.' || b[i] == ',') {
			i++
			n := 0
			for ; i < len(b) && b[i]-'0' <= 9; i++ {
				if n < 6 {
					frac = frac*10 + int64(b[i]-'0')
				}
				n++
			}
			if n == 0 || n > 9 {
				return 0, reasonNotTime
			}
			for ; n < 6; n++ {
				frac *= 10
			}
		}
	}
	offset := 0 // minutes east of UTC
	if i < len(b) {
		switch b[i] {
		case 'Z', 'z':
			i++
		case '+', '-':
			sign := 1
			if b[i] == '-' {
				sign = -1
			}
			i++
			if len(b) < i+2 {
				return 0, reasonNotTime
			}
			oh, ok := digits2(b[i : i+2])
			i += 2
			om := 0
			if ok && i < len(b) {
				if b[i] == ':' {
					i++
				}
				if len(b) < i+2 {
					return 0, reasonNotTime
				}
				om, ok = digits2(b[i : i+2])
				i += 2
			}
			if !ok || oh > 23 || om > 59 {
				return 0, reasonNotTime
			}
			offset = sign * (oh*60 + om)
		default:
			return 0, reasonNotTime
		}
	}
	if i != len(b) {
		return 0, reasonNotTime
	}
	secs := epochDays(y, mo, d)*86400 + int64(h*3600+mi*60+sec) - int64(offset)*60
	us := secs*1_000_000 + frac
	if us < minMicros || us > maxMicros {
		return 0, reasonTimeRange
	}
	return us, ""
}
