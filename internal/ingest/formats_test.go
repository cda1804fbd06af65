package ingest

import (
	"bytes"
	"math"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/deprecated"

	"inlet/internal/catalog"
)

// The checks below must give the same outcome, with the same reason,
// whichever format a value comes in.

// oneColumnParquet writes a Parquet file of one required column named x
// holding vals.
func oneColumnParquet(t *testing.T, node parquet.Node, vals ...parquet.Value) []byte {
	t.Helper()
	schema := parquet.NewSchema("t", parquet.Group{"x": node})
	rows := make([]parquet.Row, len(vals))
	for i, v := range vals {
		rows[i] = parquet.Row{v.Level(0, 0, 0)}
	}
	return parquetRows(t, schema, rows)
}

// parquetRows writes rows of schema as a Parquet file.
func parquetRows(t *testing.T, schema *parquet.Schema, rows []parquet.Row) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := parquet.NewWriter(&buf, schema)
	if _, err := w.WriteRows(rows); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// outcome is what became of each value of a one-column file: the value
// read, or the reject's value and reason.
type outcome struct {
	value  any
	reject string // "value: reason"
}

func outcomes(t *testing.T, res result) []outcome {
	t.Helper()
	if res.err != nil {
		t.Fatalf("file error: %v", res.err)
	}
	var out []outcome
	rows, rejects := res.rows, res.rejects
	for line := int64(1); len(rows) > 0 || len(rejects) > 0; line++ {
		if len(rejects) > 0 && rejects[0].Line == line {
			out = append(out, outcome{reject: rejects[0].Value + ": " + rejects[0].Reason})
			rejects = rejects[1:]
			continue
		}
		out = append(out, outcome{value: rows[0][0]})
		rows = rows[1:]
	}
	return out
}

// readEach reads the same values delivered as CSV (one per line), and when
// given, as JSON Lines ({"x": value}) and Parquet.
func readEach(t *testing.T, field catalog.Field, text, json []string, pq []byte) map[string][]outcome {
	t.Helper()
	fields := []catalog.Field{field}
	got := map[string][]outcome{}
	csv := strings.Join(text, "\n") + "\n"
	got["csv"] = outcomes(t, readFile(t, []byte(csv), "x.csv", fields, catalog.FileConfig{Format: catalog.FormatCSV}, Options{}))
	if json != nil {
		var jl strings.Builder
		for _, v := range json {
			jl.WriteString(`{"x":` + v + "}\n")
		}
		got["jsonl"] = outcomes(t, readFile(t, []byte(jl.String()), "x.jsonl", fields, catalog.FileConfig{Format: catalog.FormatJSONL}, Options{}))
	}
	if pq != nil {
		got["parquet"] = outcomes(t, readFile(t, pq, "x.parquet", fields, parquetCfg, Options{}))
	}
	return got
}

func wantSame(t *testing.T, got map[string][]outcome, want []outcome) {
	t.Helper()
	for format, o := range got {
		if !reflect.DeepEqual(o, want) {
			t.Errorf("%s: %+v\nwant %+v", format, o, want)
		}
	}
}

// TestNonFiniteDoubles: NaN and the infinities are refused in every
// format, even with min and max (which NaN would pass), with the text
// parser's reasons.
func TestNonFiniteDoubles(t *testing.T) {
	f64 := func(v float64) *float64 { return &v }
	field := catalog.Field{Name: "x", Type: catalog.TypeDouble, Validations: &catalog.Validations{Min: f64(-10), Max: f64(10)}}
	nan := outcome{reject: "NaN: " + reasonNotNumber}
	posInf := outcome{reject: "+Inf: " + reasonDoubleRange}
	negInf := outcome{reject: "-Inf: " + reasonDoubleRange}

	t.Run("double", func(t *testing.T) {
		pq := oneColumnParquet(t, parquet.Leaf(parquet.DoubleType), parquet.DoubleValue(1.5), parquet.DoubleValue(math.NaN()),
			parquet.DoubleValue(math.Inf(1)), parquet.DoubleValue(math.Inf(-1)), parquet.DoubleValue(-2))
		// JSON cannot carry these (see below).
		got := readEach(t, field, []string{"1.5", "NaN", "+Inf", "-Inf", "-2"}, nil, pq)
		wantSame(t, got, []outcome{{value: 1.5}, nan, posInf, negInf, {value: -2.0}})
	})
	t.Run("float", func(t *testing.T) {
		pq := oneColumnParquet(t, parquet.Leaf(parquet.FloatType), parquet.FloatValue(float32(math.NaN())),
			parquet.FloatValue(float32(math.Inf(1))), parquet.FloatValue(0.5))
		got := readFile(t, pq, "x.parquet", []catalog.Field{field}, parquetCfg, Options{})
		wantSame(t, map[string][]outcome{"parquet": outcomes(t, got)}, []outcome{nan, posInf, {value: 0.5}})
	})
	t.Run("beyond the double range", func(t *testing.T) {
		// JSON has no NaN or infinity; a number too large for a double
		// is its way to one, as in CSV.
		got := readEach(t, field, []string{"1e400", "-1e400"}, []string{"1e400", "-1e400"}, nil)
		wantSame(t, got, []outcome{{reject: "1e400: " + reasonDoubleRange}, {reject: "-1e400: " + reasonDoubleRange}})
	})
	t.Run("json tokens", func(t *testing.T) {
		// NaN and Infinity are not JSON: the line is refused as such.
		res := readFile(t, []byte("{\"x\":NaN}\n{\"x\":-Infinity}\n"), "x.jsonl", []catalog.Field{field}, catalog.FileConfig{Format: catalog.FormatJSONL}, Options{})
		if len(res.rows) != 0 || len(res.rejects) != 2 || !strings.HasPrefix(res.rejects[0].Reason, "invalid JSON") || !strings.HasPrefix(res.rejects[1].Reason, "invalid JSON") {
			t.Errorf("rows %v, rejects %+v; want two invalid JSON rejects", res.rows, res.rejects)
		}
	})
}

// TestLongBounds: a long is compared with min and max as an integer, also
// where float64 cannot tell neighbours apart (from 2^53).
func TestLongBounds(t *testing.T) {
	f64 := func(v float64) *float64 { return &v }
	long := func(min, max *float64) catalog.Field {
		return catalog.Field{Name: "x", Type: catalog.TypeLong, Validations: &catalog.Validations{Min: min, Max: max}}
	}
	const p53 = 1 << 53
	tests := []struct {
		name  string
		field catalog.Field
		vals  []int64
		want  []outcome
	}{
		{"max 2^53", long(nil, f64(p53)), []int64{p53 - 1, p53, p53 + 1, math.MaxInt64},
			[]outcome{{value: int64(p53 - 1)}, {value: int64(p53)},
				{reject: "9007199254740993: above max 9007199254740992"}, {reject: "9223372036854775807: above max 9007199254740992"}}},
		{"min -2^53", long(f64(-p53), nil), []int64{-p53 - 1, -p53, math.MinInt64},
			[]outcome{{reject: "-9007199254740993: below min -9007199254740992"}, {value: int64(-p53)},
				{reject: "-9223372036854775808: below min -9007199254740992"}}},
		{"min 2^53+2", long(f64(p53+2), nil), []int64{p53 + 1, p53 + 2, p53 + 3},
			[]outcome{{reject: "9007199254740993: below min 9007199254740994"}, {value: int64(p53 + 2)}, {value: int64(p53 + 3)}}},
		{"bounds of int64", long(f64(math.MinInt64), f64(math.MaxInt64)), []int64{math.MinInt64, math.MaxInt64},
			[]outcome{{value: int64(math.MinInt64)}, {value: int64(math.MaxInt64)}}},
		{"min above int64", long(f64(1<<63), nil), []int64{math.MaxInt64},
			[]outcome{{reject: "9223372036854775807: below min 9223372036854775808"}}},
		{"max below int64", long(nil, f64(-(1<<63)-4096)), []int64{math.MinInt64},
			[]outcome{{reject: "-9223372036854775808: above max -9223372036854779904"}}},
		{"fractional bounds", long(f64(-1.5), f64(2.5)), []int64{-2, -1, 2, 3},
			[]outcome{{reject: "-2: below min -1.5"}, {value: int64(-1)}, {value: int64(2)}, {reject: "3: above max 2.5"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var text []string
			var pv []parquet.Value
			for _, v := range tt.vals {
				text = append(text, strconv.FormatInt(v, 10))
				pv = append(pv, parquet.Int64Value(v))
			}
			pq := oneColumnParquet(t, parquet.Int(64), pv...)
			wantSame(t, readEach(t, tt.field, text, text, pq), tt.want)
		})
	}
}

// TestTimestampRange: a timestamp outside the years 0001 to 9999 in UTC
// is refused in every format, however it is written.
func TestTimestampRange(t *testing.T) {
	field := fld("x", catalog.TypeTimestampTZ, false)
	t.Run("text", func(t *testing.T) {
		vals := []string{"9999-12-31T18:59:59Z", "9999-12-31T23:00:00-05:00", "0001-01-01T00:30:00+01:00", "0001-01-01T00:00:00Z"}
		quoted := make([]string, len(vals))
		for i, v := range vals {
			quoted[i] = `"` + v + `"`
		}
		wantSame(t, readEach(t, field, vals, quoted, nil), []outcome{
			{value: "9999-12-31T18:59:59Z"},
			{reject: "9999-12-31T23:00:00-05:00: " + reasonTimeRange},
			{reject: "0001-01-01T00:30:00+01:00: " + reasonTimeRange},
			{value: "0001-01-01T00:00:00Z"},
		})
	})
	t.Run("parquet", func(t *testing.T) {
		micros := oneColumnParquet(t, parquet.Timestamp(parquet.Microsecond), parquet.Int64Value(maxMicros),
			parquet.Int64Value(maxMicros+1), parquet.Int64Value(minMicros-1), parquet.Int64Value(math.MinInt64))
		res := readFile(t, micros, "x.parquet", []catalog.Field{field}, parquetCfg, Options{})
		wantSame(t, map[string][]outcome{"micros": outcomes(t, res)}, []outcome{
			{value: "9999-12-31T23:59:59.999999Z"},
			{reject: "10000-01-01T00:00:00Z: " + reasonTimeRange},
			{reject: "0000-12-31T23:59:59.999999Z: " + reasonTimeRange},
			{reject: "-290308-12-21T19:59:05.224192Z: " + reasonTimeRange},
		})
		// INT96: a Julian day far enough out would overflow microseconds.
		int96 := oneColumnParquet(t, parquet.Leaf(parquet.Int96Type),
			parquet.Int96Value(deprecated.Int96{0, 0, julianEpoch}), parquet.Int96Value(deprecated.Int96{0, 0, julianEpoch + 2932897}),
			parquet.Int96Value(deprecated.Int96{0, 0, math.MaxUint32}))
		res = readFile(t, int96, "x.parquet", []catalog.Field{field}, parquetCfg, Options{})
		wantSame(t, map[string][]outcome{"int96": outcomes(t, res)}, []outcome{
			{value: "1970-01-01T00:00:00Z"},
			{reject: "10000-01-01T00:00:00Z: " + reasonTimeRange},
			{reject: "Julian day 4294967295: " + reasonTimeRange},
		})
		millis := oneColumnParquet(t, parquet.Timestamp(parquet.Millisecond), parquet.Int64Value(math.MaxInt64))
		res = readFile(t, millis, "x.parquet", []catalog.Field{field}, parquetCfg, Options{})
		wantSame(t, map[string][]outcome{"millis": outcomes(t, res)}, []outcome{{reject: "9223372036854775807: " + reasonTimeRange}})
	})
}

// TestDateRange: a Parquet DATE outside the years 0000 to 9999 (what
// YYYY-MM-DD can write) is refused; the bounds are the days of those
// years' first and last dates.
func TestDateRange(t *testing.T) {
	if got := epochDays(0, 1, 1); got != minDays {
		t.Errorf("epochDays(0000-01-01) = %d; minDays is %d", got, minDays)
	}
	if got := epochDays(9999, 12, 31); got != maxDays {
		t.Errorf("epochDays(9999-12-31) = %d; maxDays is %d", got, maxDays)
	}
	field := fld("x", catalog.TypeDate, false)
	days := oneColumnParquet(t, parquet.Date(), parquet.Int32Value(minDays), parquet.Int32Value(maxDays),
		parquet.Int32Value(maxDays+1), parquet.Int32Value(minDays-1), parquet.Int32Value(math.MaxInt32))
	res := readFile(t, days, "d.parquet", []catalog.Field{field}, parquetCfg, Options{})
	wantSame(t, map[string][]outcome{"date": outcomes(t, res)}, []outcome{
		{value: "0000-01-01"},
		{value: "9999-12-31"},
		{reject: "10000-01-01: " + reasonDateRange},
		{reject: "-0001-12-31: " + reasonDateRange},
		{reject: "5881580-07-11: " + reasonDateRange},
	})
}
