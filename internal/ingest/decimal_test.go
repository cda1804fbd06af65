package ingest

import (
	"encoding/json"
	"math"
	"math/big"
	"reflect"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"

	"inlet/internal/catalog"
)

// decimalCol compiles one decimal field, failing the test when the type
// is not one.
func decimalCol(t *testing.T, f catalog.Field) field {
	t.Helper()
	fs, err := compileFields([]catalog.Field{f})
	if err != nil {
		t.Fatal(err)
	}
	return fs[0]
}

func TestParseDecimalText(t *testing.T) {
	const (
		scale2 = "scale 3 where decimal(12,2) allows 2"
		prec13 = "precision 13 where decimal(12,2) allows 12"
	)
	tests := []struct {
		typ    string
		in     string
		want   int64 // unscaled
		reason string
	}{
		{"decimal(12,2)", "12.50", 1250, ""},
		{"decimal(12,2)", "12.5", 1250, ""},
		{"decimal(12,2)", "12", 1200, ""},
		{"decimal(12,2)", "-0.00", 0, ""},
		{"decimal(12,2)", "-0", 0, ""},
		{"decimal(12,2)", "+0.0000000000000000000000000", 0, ""},
		{"decimal(12,2)", ".5", 50, ""},
		{"decimal(12,2)", "-.05", -5, ""},
		{"decimal(12,2)", "5.", 500, ""},
		{"decimal(12,2)", "+1", 100, ""},
		{"decimal(12,2)", "0007.10", 710, ""},
		{"decimal(12,2)", "1.250", 125, ""},                       // trailing zeros lose nothing
		{"decimal(12,2)", "1.2500000000000000000000000", 125, ""}, // however many
		{"decimal(12,2)", "9999999999.99", 999999999999, ""},
		{"decimal(12,2)", "-9999999999.99", -999999999999, ""},
		{"decimal(12,2)", "1.5e2", 15000, ""},
		{"decimal(12,2)", "15E-1", 150, ""},
		{"decimal(12,2)", "125e-2", 125, ""},
		{"decimal(12,2)", "0.000e5", 0, ""},
		{"decimal(12,2)", "2.005", 0, scale2},
		{"decimal(12,2)", "-0.001", 0, scale2},
		{"decimal(12,2)", "0.0050", 0, scale2},
		{"decimal(12,2)", "125e-5", 0, "scale 5 where decimal(12,2) allows 2"},
		{"decimal(12,2)", "99999999999.99", 0, prec13},
		{"decimal(12,2)", "-10000000000", 0, prec13},
		{"decimal(12,2)", "1e10", 0, prec13},
		{"decimal(12,2)", "99999999999.999", 0, scale2}, // both: the scale is reported
		{"decimal(12,2)", "123456789012345678901234567890", 0, "precision 32 where decimal(12,2) allows 12"},
		{"decimal(12,2)", "1.23456789012345678901234567891", 0, "scale 29 where decimal(12,2) allows 2"},
		{"decimal(12,2)", "1e1048576000", 0, "precision 1048579 where decimal(12,2) allows 12"},
		{"decimal(18,0)", "999999999999999999", 999999999999999999, ""},
		{"decimal(18,0)", "-999999999999999999", -999999999999999999, ""},
		{"decimal(18,0)", "1000000000000000000", 0, "precision 19 where decimal(18,0) allows 18"},
		{"decimal(18,0)", "9223372036854775807", 0, "precision 19 where decimal(18,0) allows 18"},
		{"decimal(18,0)", "18446744073709551616", 0, "precision 20 where decimal(18,0) allows 18"},
		{"decimal(18,0)", "0.5", 0, "scale 1 where decimal(18,0) allows 0"},
		{"decimal(18,0)", "7.000", 7, ""},
		{"decimal(18,18)", "0.999999999999999999", 999999999999999999, ""},
		{"decimal(18,18)", "-.000000000000000001", -1, ""},
		{"decimal(18,18)", "1", 0, "precision 19 where decimal(18,18) allows 18"},
		{"decimal(1,0)", "9", 9, ""},
		{"decimal(1,0)", "10", 0, "precision 2 where decimal(1,0) allows 1"},
		{"decimal(12,2)", "$1,250.00", 0, reasonNotDecimal},
		{"decimal(12,2)", "1,5", 0, reasonNotDecimal},
		{"decimal(12,2)", "", 0, reasonNotDecimal},
		{"decimal(12,2)", ".", 0, reasonNotDecimal},
		{"decimal(12,2)", "-", 0, reasonNotDecimal},
		{"decimal(12,2)", "+.", 0, reasonNotDecimal},
		{"decimal(12,2)", "1.2.3", 0, reasonNotDecimal},
		{"decimal(12,2)", " 5", 0, reasonNotDecimal},
		{"decimal(12,2)", "5 ", 0, reasonNotDecimal},
		{"decimal(12,2)", "1e", 0, reasonNotDecimal},
		{"decimal(12,2)", "e5", 0, reasonNotDecimal},
		{"decimal(12,2)", "1e+", 0, reasonNotDecimal},
		{"decimal(12,2)", "NaN", 0, reasonNotDecimal},
		{"decimal(12,2)", "Infinity", 0, reasonNotDecimal},
		{"decimal(12,2)", "0x10", 0, reasonNotDecimal},
		{"decimal(12,2)", "--1", 0, reasonNotDecimal},
		{"decimal(12,2)", "1_000", 0, reasonNotDecimal},
	}
	for _, tt := range tests {
		t.Run(tt.typ+"/"+tt.in, func(t *testing.T) {
			f := decimalCol(t, catalog.Field{Name: "d", Type: tt.typ})
			var c Column
			reason := appendDecimalText(&c, &f, []byte(tt.in))
			if reason != tt.reason {
				t.Fatalf("reason = %q; want %q", reason, tt.reason)
			}
			if tt.reason != "" {
				if len(c.Int64) != 0 || len(c.Valid) != 0 {
					t.Errorf("a rejected value was appended: %v", c.Int64)
				}
				return
			}
			if len(c.Int64) != 1 || c.Int64[0] != tt.want || !c.Valid[0] {
				t.Errorf("appended %v (valid %v); want %d", c.Int64, c.Valid, tt.want)
			}
		})
	}
}

// TestDecimalBounds: min and max compare with the decimal the spec wrote,
// not the binary fraction of its float64.
func TestDecimalBounds(t *testing.T) {
	ptr := func(v float64) *float64 { return &v }
	tests := []struct {
		name     string
		typ      string
		min, max *float64
		in       string
		reason   string
	}{
		{"at min", "decimal(12,2)", ptr(0.1), nil, "0.10", ""},
		{"below min", "decimal(12,2)", ptr(0.1), nil, "0.09", "below min 0.1"},
		{"at max", "decimal(12,2)", nil, ptr(0.3), "0.30", ""},
		{"above max", "decimal(12,2)", nil, ptr(0.3), "0.31", "above max 0.3"},
		{"min finer than the scale", "decimal(12,2)", ptr(0.101), nil, "0.11", ""},
		{"below a finer min", "decimal(12,2)", ptr(0.101), nil, "0.10", "below min 0.101"},
		{"max finer than the scale", "decimal(12,2)", nil, ptr(-0.101), "-0.11", ""},
		{"above a finer max", "decimal(12,2)", nil, ptr(-0.101), "-0.10", "above max -0.101"},
		{"min beyond every value", "decimal(4,2)", ptr(1e30), nil, "99.99", "below min 1e+30"},
		{"max beyond every value", "decimal(4,2)", nil, ptr(1e30), "99.99", ""},
		{"max below every value", "decimal(4,2)", nil, ptr(-1e30), "-99.99", "above max -1e+30"},
		{"large bounds at scale 18", "decimal(18,18)", ptr(-1), ptr(1), "0.5", ""},
		{"whole bounds", "decimal(18,0)", ptr(-5), ptr(5), "-5", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := decimalCol(t, catalog.Field{Name: "d", Type: tt.typ, Validations: &catalog.Validations{Min: tt.min, Max: tt.max}})
			var c Column
			if got := appendDecimalText(&c, &f, []byte(tt.in)); got != tt.reason {
				t.Errorf("reason = %q; want %q", got, tt.reason)
			}
		})
	}
}

func TestDecimalFormats(t *testing.T) {
	fields := []catalog.Field{fld("id", catalog.TypeLong, true), {Name: "amount", Type: "decimal(12,2)"}}
	t.Run("jsonl", func(t *testing.T) {
		data := strings.Join([]string{
			`{"id":1,"amount":12.5}`,
			`{"id":2,"amount":"1250.00"}`,
			`{"id":3,"amount":-1.25e1}`,
			`{"id":4,"amount":null}`,
			`{"id":5}`,
			`{"id":6,"amount":0.123}`,
			`{"id":7,"amount":true}`,
			`{"id":8,"amount":"$1"}`,
			`{"id":9,"amount":"12.5\u0030"}`,
			`{"id":10,"amount":123456789012345678901234567890}`,
		}, "\n")
		res := readFile(t, []byte(data), "d.jsonl", fields, catalog.FileConfig{Format: catalog.FormatJSONL}, Options{})
		want := [][]any{
			{int64(1), "12.50"}, {int64(2), "1250.00"}, {int64(3), "-12.50"}, {int64(4), nil}, {int64(5), nil}, {int64(9), "12.50"},
		}
		if !reflect.DeepEqual(res.rows, want) || res.err != nil {
			t.Errorf("rows = %v, err %v; want %v", res.rows, res.err, want)
		}
		wantRejects := []Reject{
			{File: "d.jsonl", Line: 6, Field: "amount", Value: "0.123", Reason: "scale 3 where decimal(12,2) allows 2"},
			{File: "d.jsonl", Line: 7, Field: "amount", Value: "true", Reason: "expected a number or a string, got a boolean"},
			{File: "d.jsonl", Line: 8, Field: "amount", Value: "$1", Reason: reasonNotDecimal},
			{File: "d.jsonl", Line: 10, Field: "amount", Value: "123456789012345678901234567890",
				Reason: "precision 32 where decimal(12,2) allows 12"},
		}
		if !reflect.DeepEqual(res.rejects, wantRejects) {
			t.Errorf("rejects =\n%v\nwant\n%v", res.rejects, wantRejects)
		}
	})
	t.Run("tsv", func(t *testing.T) {
		data := "id\tamount\n1\t0.01\n2\t\n3\t\"7\"\n4\t7,00\n"
		res := readFile(t, []byte(data), "d.tsv", fields, catalog.FileConfig{Format: catalog.FormatTSV, Header: true}, Options{})
		want := [][]any{{int64(1), "0.01"}, {int64(2), nil}, {int64(3), "7.00"}}
		if !reflect.DeepEqual(res.rows, want) || len(res.rejects) != 1 || res.rejects[0].Reason != reasonNotDecimal {
			t.Errorf("rows = %v, rejects %v; want %v and 7,00 rejected", res.rows, res.rejects, want)
		}
	})
}

// TestParquetDecimal reads DECIMAL columns of each physical type, and
// plain integers, into decimal(12,2): rescaled exactly, rejected when a
// dropped digit is not zero or the value needs more than 12 digits.
func TestParquetDecimal(t *testing.T) {
	schema := parquet.NewSchema("t", parquet.Group{
		"a_i32":  parquet.Optional(parquet.Decimal(1, 9, parquet.Int32Type)),
		"b_i64":  parquet.Optional(parquet.Decimal(4, 18, parquet.Int64Type)),
		"c_flba": parquet.Optional(parquet.Decimal(20, 38, parquet.FixedLenByteArrayType(16))),
		"d_ba":   parquet.Optional(parquet.Decimal(2, 30, parquet.ByteArrayType)),
		"e_int":  parquet.Optional(parquet.Int(64)),
		"f_uint": parquet.Optional(parquet.Uint(64)),
	})
	be := func(x *big.Int, n int) []byte { // n-byte big-endian two's complement
		v := new(big.Int).Set(x)
		if v.Sign() < 0 {
			v.Add(v, new(big.Int).Lsh(big.NewInt(1), uint(8*n)))
		}
		return v.FillBytes(make([]byte, n))
	}
	num := func(s string) *big.Int {
		x, ok := new(big.Int).SetString(s, 10)
		if !ok {
			t.Fatal(s)
		}
		return x
	}
	row := func(a int32, b int64, c string, d string, e int64, f uint64) parquet.Row {
		return parquet.Row{
			parquet.Int32Value(a).Level(0, 1, 0),
			parquet.Int64Value(b).Level(0, 1, 1),
			parquet.FixedLenByteArrayValue(be(num(c), 16)).Level(0, 1, 2),
			parquet.ByteArrayValue(be(num(d), len(num(d).Bytes())+1)).Level(0, 1, 3),
			parquet.Int64Value(e).Level(0, 1, 4),
			parquet.Int64Value(int64(f)).Level(0, 1, 5),
		}
	}
	data := parquetRows(t, schema, []parquet.Row{
		// 12.5, 12.5000, 12.50000000000000000000, -0.05, 7, 9
		row(125, 125000, "1250000000000000000000", "-5", 7, 9),
		// -99999999.9, 0.0100, 9999999999.99 (30 digits unscaled), 0, -9999999999, 9999999999
		row(-999999999, 100, "999999999999000000000000000000", "0", -9999999999, 9999999999),
		row(1, 1, "0", "0", 0, 0),                     // b: 0.0001 has scale 4
		row(1, 0, "1", "0", 0, 0),                     // c: 1e-20 has scale 20
		row(1, 0, "0", "123456789012345678901", 0, 0), // d: 13 digits before the point
		row(1, 0, "0", "0", 1e10, 0),                  // e: 13 digits at scale 2
		row(1, 0, "0", "0", 0, math.MaxUint64),        // f: 22 digits at scale 2
	})
	var fields []catalog.Field
	for _, n := range []string{"a_i32", "b_i64", "c_flba", "d_ba", "e_int", "f_uint"} {
		fields = append(fields, catalog.Field{Name: n, Type: "decimal(12,2)"})
	}
	res := readFile(t, data, "d.parquet", fields, parquetCfg, Options{})
	if res.err != nil {
		t.Fatal(res.err)
	}
	want := [][]any{
		{"12.50", "12.50", "12.50", "-0.05", "7.00", "9.00"},
		{"-99999999.90", "0.01", "9999999999.99", "0.00", "-9999999999.00", "9999999999.00"},
	}
	if !reflect.DeepEqual(res.rows, want) {
		t.Errorf("rows = %v; want %v", res.rows, want)
	}
	wantRejects := []Reject{
		{File: "d.parquet", Line: 3, Field: "b_i64", Value: "0.0001", Reason: "scale 4 where decimal(12,2) allows 2"},
		{File: "d.parquet", Line: 4, Field: "c_flba", Value: "0.00000000000000000001", Reason: "scale 20 where decimal(12,2) allows 2"},
		{File: "d.parquet", Line: 5, Field: "d_ba", Value: "1234567890123456789.01", Reason: "precision 21 where decimal(12,2) allows 12"},
		{File: "d.parquet", Line: 6, Field: "e_int", Value: "10000000000", Reason: "precision 13 where decimal(12,2) allows 12"},
		{File: "d.parquet", Line: 7, Field: "f_uint", Value: "18446744073709551615", Reason: "precision 22 where decimal(12,2) allows 12"},
	}
	if !reflect.DeepEqual(res.rejects, wantRejects) {
		t.Errorf("rejects =\n%v\nwant\n%v", res.rejects, wantRejects)
	}
}

// FuzzDecimal checks the decimal parser against math/big: a value is kept
// exactly when it has at most S digits after the point and fewer than P
// before, and its unscaled value is the number times 10^S.
func FuzzDecimal(f *testing.F) {
	for _, s := range []string{"12.50", "-0.00", ".5", "5.", "1.5e2", "2.005", "99999999999.99", "1e-3", "0007"} {
		f.Add(s, uint8(12), uint8(2))
	}
	f.Fuzz(func(t *testing.T, s string, p, sc uint8) {
		prec := int(p%18) + 1
		scale := int(sc) % (prec + 1)
		fd := decimalCol(t, catalog.Field{Name: "d", Type: catalog.DecimalTypeName(prec, scale)})
		var c Column
		reason := appendDecimalText(&c, &fd, []byte(s))
		if reason == reasonNotDecimal {
			return
		}
		// big.Rat reads the same syntax, but also forms ours refuses
		// (fractions a/b, hex), which parseDecimal said were not decimals.
		// A long exponent would take math/big a long time.
		if i := strings.IndexAny(s, "eE"); i >= 0 && len(s)-i > 5 || len(s) > 200 {
			return
		}
		r, ok := new(big.Rat).SetString(s)
		if !ok {
			return
		}
		r.Mul(r, new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(scale)), nil)))
		limit := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(prec)), nil)
		switch {
		case !r.IsInt():
			if !strings.HasPrefix(reason, "scale ") {
				t.Fatalf("%q in decimal(%d,%d): reason %q; want a scale reject", s, prec, scale, reason)
			}
		case new(big.Int).Abs(r.Num()).Cmp(limit) >= 0:
			if !strings.HasPrefix(reason, "precision ") {
				t.Fatalf("%q in decimal(%d,%d): reason %q; want a precision reject", s, prec, scale, reason)
			}
		default:
			if reason != "" || len(c.Int64) != 1 || c.Int64[0] != r.Num().Int64() {
				t.Fatalf("%q in decimal(%d,%d): %v, %q; want %v", s, prec, scale, c.Int64, reason, r.Num())
			}
		}
	})
}

func TestDigitCount(t *testing.T) {
	for _, tt := range []struct {
		u    uint64
		want int
	}{{0, 1}, {9, 1}, {10, 2}, {999999999999999999, 18}, {1e18, 19}, {1e19 - 1, 19}, {1e19, 20}, {math.MaxUint64, 20}} {
		if got := digitCount(tt.u); got != tt.want {
			t.Errorf("digitCount(%d) = %d; want %d", tt.u, got, tt.want)
		}
	}
}

// TestBoundsAsWritten: min and max compare with the number the spec's JSON
// wrote, not the float64 it rounds to: a decimal(18,2) bound of 18 digits
// and a long bound past 2^53.
func TestBoundsAsWritten(t *testing.T) {
	var fields []catalog.Field
	err := json.Unmarshal([]byte(`[
		{"name":"amt","type":"decimal(18,2)","validations":{"max":1234567890123456.78,"min":-0.01}},
		{"name":"n","type":"long","validations":{"min":9007199254740993}}]`), &fields)
	if err != nil {
		t.Fatal(err)
	}
	if got := fields[0].Validations.MaxText(); got != "1234567890123456.78" {
		t.Fatalf("max as read: %q", got)
	}
	in := "amt,n\n1234567890123456.78,9007199254740993\n1234567890123456.79,9007199254740993\n" +
		"1234567890123456.80,9007199254740993\n-0.02,9007199254740993\n1,9007199254740992\n"
	res := readFile(t, []byte(in), "b.csv", fields, csvHeader, Options{})
	if len(res.rows) != 1 {
		t.Errorf("rows %v; want the first alone", res.rows)
	}
	var reasons []string
	for _, r := range res.rejects {
		reasons = append(reasons, r.Reason)
	}
	want := []string{"above max 1234567890123456.78", "above max 1234567890123456.78", "below min -0.01", "below min 9007199254740993"}
	if !reflect.DeepEqual(reasons, want) {
		t.Errorf("reasons %q; want %q", reasons, want)
	}
}
