package ingest

import (
	"math"
	"testing"
	"time"
)

func TestParseValues(t *testing.T) {
	ts := func(s string) int64 {
		v, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatal(err)
		}
		return v.UnixMicro()
	}
	tests := []struct {
		typ    string // long, double, bool, date, ts
		in     string
		want   any
		reason string
	}{
		{"long", "0", int64(0), ""},
		{"long", "-42", int64(-42), ""},
		{"long", "+7", int64(7), ""},
		{"long", "9223372036854775807", int64(math.MaxInt64), ""},
		{"long", "-9223372036854775808", int64(math.MinInt64), ""},
		{"long", "9223372036854775808", nil, reasonLongRange},
		{"long", "-9223372036854775809", nil, reasonLongRange},
		{"long", "99999999999999999999999", nil, reasonLongRange},
		{"long", "99999999999999999999999x", nil, reasonNotInteger},
		{"long", "x3", nil, reasonNotInteger},
		{"long", "1.0", nil, reasonNotInteger},
		{"long", "-", nil, reasonNotInteger},
		{"long", " 5", nil, reasonNotInteger},
		{"long", "1e3", nil, reasonNotInteger},
		{"double", "12.50", 12.5, ""},
		{"double", "-0.05", -0.05, ""},
		{"double", "1e3", 1000.0, ""},
		{"double", "1E-2", 0.01, ""},
		{"double", ".5", 0.5, ""},
		{"double", "5.", 5.0, ""},
		{"double", "0.1", 0.1, ""},
		{"double", "123456789012345678901234567890", 1.2345678901234568e29, ""},
		{"double", "0.000000000000000000000000001", 1e-27, ""},
		{"double", "3.141592653589793238", math.Pi, ""},
		{"double", "9007199254740993", 9007199254740992.0, ""},
		{"double", "$1,250.00", nil, reasonNotNumber},
		{"double", "1,5", nil, reasonNotNumber},
		{"double", "NaN", nil, reasonNotNumber},
		{"double", "Inf", nil, reasonDoubleRange},
		{"double", "-infinity", nil, reasonDoubleRange},
		{"double", "+INF", nil, reasonDoubleRange},
		{"double", "-1e400", nil, reasonDoubleRange},
		{"double", "nan", nil, reasonNotNumber},
		{"double", "Infinit", nil, reasonNotNumber},
		{"double", "0x10", nil, reasonNotNumber},
		{"double", "1e", nil, reasonNotNumber},
		{"double", ".", nil, reasonNotNumber},
		{"double", "1e400", nil, reasonDoubleRange},
		{"bool", "true", true, ""},
		{"bool", "FALSE", false, ""},
		{"bool", "T", true, ""},
		{"bool", "f", false, ""},
		{"bool", "1", true, ""},
		{"bool", "0", false, ""},
		{"bool", "Yes", true, ""},
		{"bool", "no", false, ""},
		{"bool", "\x11", nil, reasonNotBool},
		{"bool", "2", nil, reasonNotBool},
		{"bool", "truth", nil, reasonNotBool},
		{"date", "1970-01-01", int32(0), ""},
		{"date", "1969-12-31", int32(-1), ""},
		{"date", "2025-01-15", int32(20103), ""},
		{"date", "2000-02-29", int32(11016), ""},
		{"date", "0001-01-01", int32(-719162), ""},
		{"date", "1900-02-29", nil, reasonNotDate},
		{"date", "2025-13-01", nil, reasonNotDate},
		{"date", "2025-04-31", nil, reasonNotDate},
		{"date", "2025-1-15", nil, reasonNotDate},
		{"date", "2025-01-15T00:00:00Z", nil, reasonNotDate},
		{"ts", "2026-12-01T10:00:00.123456789Z", ts("2026-12-01T10:00:00.123456Z"), ""},
		{"ts", "2026-12-01T10:00:00.1Z", ts("2026-12-01T10:00:00.1Z"), ""},
		{"ts", "2026-12-01 10:00:00+02:00", ts("2026-12-01T08:00:00Z"), ""},
		{"ts", "2026-12-01T10:00:00-0530", ts("2026-12-01T15:30:00Z"), ""},
		{"ts", "2026-12-01T10:00:00+01", ts("2026-12-01T09:00:00Z"), ""},
		{"ts", "2026-12-01T10:00:00", ts("2026-12-01T10:00:00Z"), ""},
		{"ts", "2026-12-01T10:00", ts("2026-12-01T10:00:00Z"), ""},
		{"ts", "2026-12-01t10:00:00z", ts("2026-12-01T10:00:00Z"), ""},
		{"ts", "1969-12-31T23:59:59.999999Z", int64(-1), ""},
		{"ts", "1969-12-31T23:59:59.9999999Z", int64(-1), ""},
		{"ts", "1970-01-01T00:00:00.0000009Z", int64(0), ""},
		{"ts", "2026-12-01T24:00:00Z", nil, reasonNotTime},
		{"ts", "2026-12-01T10:00:60Z", nil, reasonNotTime},
		{"ts", "2026-12-01T10:00:00.1234567890Z", nil, reasonNotTime},
		{"ts", "2026-12-01T10:00:00.Z", nil, reasonNotTime},
		{"ts", "2026-12-01T10:00:00+2:00", nil, reasonNotTime},
		{"ts", "2026-12-01T10:00:00 UTC", nil, reasonNotTime},
		{"ts", "2026-02-30T10:00:00Z", nil, reasonNotTime},
		{"ts", "2026-12-01", nil, reasonNotTime},
		{"ts", "0001-01-01T00:00:00Z", ts("0001-01-01T00:00:00Z"), ""},
		{"ts", "0000-12-31T23:00:00-01:00", ts("0001-01-01T00:00:00Z"), ""},
		{"ts", "9999-12-31T23:59:59.999999Z", ts("9999-12-31T23:59:59.999999Z"), ""},
		{"ts", "9999-12-31T23:00:00+05:00", ts("9999-12-31T18:00:00Z"), ""},
		{"ts", "9999-12-31T23:00:00-05:00", nil, reasonTimeRange},
		{"ts", "9999-12-31T23:59:59.999999-00:01", nil, reasonTimeRange},
		{"ts", "0001-01-01T00:00:00+01:00", nil, reasonTimeRange},
		{"ts", "0000-06-01T00:00:00Z", nil, reasonTimeRange},
	}
	for _, tt := range tests {
		t.Run(tt.typ+"/"+tt.in, func(t *testing.T) {
			var got any
			var reason string
			switch tt.typ {
			case "long":
				got, reason = parseLong([]byte(tt.in))
			case "double":
				got, reason = parseDouble([]byte(tt.in))
			case "bool":
				got, reason = parseBool([]byte(tt.in))
			case "date":
				got, reason = parseDate([]byte(tt.in))
			case "ts":
				got, reason = parseTimestamp([]byte(tt.in))
			}
			if reason != tt.reason {
				t.Fatalf("reason = %q; want %q", reason, tt.reason)
			}
			if tt.reason == "" && got != tt.want {
				t.Errorf("got %v (%T); want %v (%T)", got, got, tt.want, tt.want)
			}
		})
	}
}

// TestEpochDays checks the day count against package time over a wide
// range.
func TestEpochDays(t *testing.T) {
	for d := time.Date(-400, 1, 1, 0, 0, 0, 0, time.UTC); d.Year() < 2500; d = d.AddDate(0, 0, 37) {
		got := epochDays(d.Year(), int(d.Month()), d.Day())
		if want := d.Unix() / 86400; got != want {
			t.Fatalf("epochDays(%v) = %d; want %d", d, got, want)
		}
	}
}
