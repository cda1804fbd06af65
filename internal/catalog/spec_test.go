package catalog

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"
)

func ptr[T any](v T) *T { return &v }

func TestValidateDatasetSpecRejects(t *testing.T) {
	// Each case edits a valid spec into an invalid one.
	withField := func(f Field) func(*DatasetSpec) {
		return func(s *DatasetSpec) { s.Fields = append(s.Fields, f) }
	}
	strV := func(v Validations) func(*DatasetSpec) {
		return withField(Field{Name: "s", Type: TypeString, Validations: &v})
	}
	numV := func(typ string, v Validations) func(*DatasetSpec) {
		return withField(Field{Name: "n", Type: typ, Validations: &v})
	}
	file := func(c FileConfig) func(*DatasetSpec) {
		return func(s *DatasetSpec) { s.File = c }
	}
	manyFields := func(n int) []Field {
		fs := make([]Field, n)
		for i := range fs {
			fs[i] = Field{Name: fmt.Sprintf("f%d", i), Type: TypeString}
		}
		return fs
	}

	tests := []struct {
		name      string
		edit      func(*DatasetSpec)
		wantField string
		wantMsg   string // a part of the message that names the rule
	}{
		// name and description
		{"empty name", func(s *DatasetSpec) { s.Name = "" }, "name", "required"},
		{"blank name", func(s *DatasetSpec) { s.Name = " \t" }, "name", "required"},
		{"long name", func(s *DatasetSpec) { s.Name = strings.Repeat("n", 129) }, "name", "at most 128"},
		{"control character in name", func(s *DatasetSpec) { s.Name = "a\x00b" }, "name", "control characters"},
		{"long description", func(s *DatasetSpec) { s.Description = strings.Repeat("d", 4097) }, "description", "at most 4096"},

		// fields
		{"no fields", func(s *DatasetSpec) { s.Fields = nil }, "fields", "at least one field"},
		{"too many fields", func(s *DatasetSpec) { s.Fields = manyFields(1001) }, "fields", "at most 1000"},
		{"field without name", withField(Field{Type: TypeString}), "fields[2].name", "required"},
		{"field name with dash", withField(Field{Name: "a-b", Type: TypeString}), "fields[2].name", "invalid field name"},
		{"field name starting with digit", withField(Field{Name: "1a", Type: TypeString}), "fields[2].name", "invalid field name"},
		{"field name too long", withField(Field{Name: strings.Repeat("a", 129), Type: TypeString}), "fields[2].name", "at most 128"},
		{"duplicate field name", withField(Field{Name: "id", Type: TypeString}), "fields[2].name", "duplicate field name"},
		{"duplicate field name in other case", withField(Field{Name: "EMAIL", Type: TypeString}), "fields[2].name", "duplicate field name"},
		{"field without type", withField(Field{Name: "x"}), "fields[2].type", "required"},
		{"unknown type", func(s *DatasetSpec) { s.Fields[1].Type = "int" }, "fields[1].type",
			`unknown type "int"; want one of string, long, double, boolean, date, timestamptz, decimal(P,S)`},
		{"decimal without precision", withField(Field{Name: "amount", Type: "decimal"}), "fields[2].type",
			`field "amount": invalid decimal type "decimal": want decimal(P,S)`},
		{"decimal with one number", withField(Field{Name: "amount", Type: "decimal(12)"}), "fields[2].type", "want decimal(P,S)"},
		{"decimal with negative scale", withField(Field{Name: "amount", Type: "decimal(12,-2)"}), "fields[2].type", "want decimal(P,S)"},
		{"decimal with junk", withField(Field{Name: "amount", Type: "decimal(12,2)x"}), "fields[2].type", "want decimal(P,S)"},
		{"decimal precision 19", withField(Field{Name: "amount", Type: "decimal(19,2)"}), "fields[2].type",
			`field "amount": decimal(19,2): decimal precision up to 18 supported (from 1), got 19`},
		{"decimal precision 38", withField(Field{Name: "amount", Type: "DECIMAL(38, 0)"}), "fields[2].type", "precision up to 18"},
		{"decimal precision 0", withField(Field{Name: "amount", Type: "decimal(0,0)"}), "fields[2].type", "precision up to 18"},
		{"decimal scale above precision", withField(Field{Name: "amount", Type: "decimal(4,5)"}), "fields[2].type",
			"decimal scale must be from 0 to the precision 4"},
		{"long field description", withField(Field{Name: "x", Type: TypeDate, Description: strings.Repeat("d", 4097)}),
			"fields[2].description", "at most 4096"},

		// validations
		{"enum on long", numV(TypeLong, Validations{Enum: []string{"1"}}), "fields[2].validations.enum", "only to string"},
		{"empty enum", strV(Validations{Enum: []string{}}), "fields[2].validations.enum", "must not be empty"},
		{"duplicate enum value", strV(Validations{Enum: []string{"a", "b", "a"}}), "fields[2].validations.enum[2]", "duplicate enum value"},
		{"regex on boolean", numV(TypeBoolean, Validations{Regex: "x"}), "fields[2].validations.regex", "only to string"},
		{"bad regex", strV(Validations{Regex: "a("}), "fields[2].validations.regex", "invalid regex"},
		{"lookahead regex", strV(Validations{Regex: "(?=a)"}), "fields[2].validations.regex", "invalid regex"},
		{"long regex", strV(Validations{Regex: strings.Repeat("a", 1001)}), "fields[2].validations.regex", "at most 1000"},
		{"min_length on double", numV(TypeDouble, Validations{MinLength: ptr(1)}), "fields[2].validations.min_length", "only to string"},
		{"max_length on date", numV(TypeDate, Validations{MaxLength: ptr(1)}), "fields[2].validations.max_length", "only to string"},
		{"negative min_length", strV(Validations{MinLength: ptr(-1)}), "fields[2].validations.min_length", "must not be negative"},
		{"negative max_length", strV(Validations{MaxLength: ptr(-2)}), "fields[2].validations.max_length", "must not be negative"},
		{"min_length above max_length", strV(Validations{MinLength: ptr(5), MaxLength: ptr(3)}),
			"fields[2].validations.min_length", "greater than max_length"},
		{"min on string", strV(Validations{Min: ptr(1.0)}), "fields[2].validations.min", "only to long, double and decimal"},
		{"max on timestamptz", numV(TypeTimestampTZ, Validations{Max: ptr(1.0)}), "fields[2].validations.max", "only to long, double and decimal"},
		{"enum on decimal", numV("decimal(12,2)", Validations{Enum: []string{"1.00"}}), "fields[2].validations.enum",
			"enum applies only to string fields, not decimal(12,2)"},
		{"regex on decimal", numV("decimal(12,2)", Validations{Regex: `^\d+$`}), "fields[2].validations.regex", "only to string"},
		{"max_length on decimal", numV("decimal(12,2)", Validations{MaxLength: ptr(3)}), "fields[2].validations.max_length", "only to string"},
		{"decimal min above max", numV("decimal(12,2)", Validations{Min: ptr(1.5), Max: ptr(1.25)}), "fields[2].validations.min", "greater than max"},
		{"min above max", numV(TypeLong, Validations{Min: ptr(10.0), Max: ptr(1.0)}), "fields[2].validations.min", "greater than max"},
		{"infinite max", numV(TypeDouble, Validations{Max: ptr(math.Inf(1))}), "fields[2].validations.max", "finite"},
		{"NaN min", numV(TypeDouble, Validations{Min: ptr(math.NaN())}), "fields[2].validations.min", "finite"},

		// file configuration
		{"no format", file(FileConfig{}), "file.format", "required"},
		{"unknown format", file(FileConfig{Format: "xml"}), "file.format", `unknown format "xml"`},
		{"delimited without delimiter", file(FileConfig{Format: FormatDelimited}), "file.delimiter", "required for format delimited"},
		{"two-character delimiter", file(FileConfig{Format: FormatDelimited, Delimiter: "||"}), "file.delimiter", "exactly one character"},
		{"newline delimiter", file(FileConfig{Format: FormatCSV, Delimiter: "\n"}), "file.delimiter", "line break"},
		{"tsv with comma", file(FileConfig{Format: FormatTSV, Delimiter: ","}), "file.delimiter", "must be a tab"},
		{"delimiter for jsonl", file(FileConfig{Format: FormatJSONL, Delimiter: ","}), "file.delimiter", "not allowed for format jsonl"},
		{"delimiter for parquet", file(FileConfig{Format: FormatParquet, Delimiter: ","}), "file.delimiter", "not allowed for format parquet"},
		{"quote for jsonl", file(FileConfig{Format: FormatJSONL, Quote: `"`}), "file.quote", "not allowed for format jsonl"},
		{"header for parquet", file(FileConfig{Format: FormatParquet, Header: true}), "file.header", "not allowed for format parquet"},
		{"null marker for jsonl", file(FileConfig{Format: FormatJSONL, NullMarker: "NULL"}), "file.null_marker", "not allowed for format jsonl"},
		{"two-character quote", file(FileConfig{Format: FormatCSV, Quote: `""`}), "file.quote", "exactly one character"},
		{"non-ASCII delimiter", file(FileConfig{Format: FormatDelimited, Delimiter: "¦"}), "file.delimiter", "ASCII"},
		{"non-ASCII quote", file(FileConfig{Format: FormatCSV, Quote: "«"}), "file.quote", "ASCII"},
		{"invalid UTF-8 delimiter", file(FileConfig{Format: FormatDelimited, Delimiter: "\xa6"}), "file.delimiter", "exactly one character"},
		{"carriage return quote", file(FileConfig{Format: FormatCSV, Quote: "\r"}), "file.quote", "line break"},
		{"quote equal to delimiter", file(FileConfig{Format: FormatDelimited, Delimiter: "|", Quote: "|"}), "file.quote", "must differ from the delimiter"},
		{"long null marker", file(FileConfig{Format: FormatCSV, NullMarker: strings.Repeat("N", 17)}), "file.null_marker", "at most 16"},
		{"null marker with delimiter", file(FileConfig{Format: FormatCSV, NullMarker: "a,b"}), "file.null_marker", "must not contain the delimiter"},
		{"unknown compression", file(FileConfig{Format: FormatCSV, Compression: "bzip2"}), "file.compression", `unknown compression "bzip2"`},

		// write mode and reject ratio
		{"unknown write mode", func(s *DatasetSpec) { s.WriteMode = "upsert" }, "write_mode", `unknown write mode "upsert"`},
		{"negative reject ratio", func(s *DatasetSpec) { s.MaxRejectRatio = -0.1 }, "max_reject_ratio", "from 0 to 1"},
		{"reject ratio above one", func(s *DatasetSpec) { s.MaxRejectRatio = 1.5 }, "max_reject_ratio", "from 0 to 1"},
		{"NaN reject ratio", func(s *DatasetSpec) { s.MaxRejectRatio = math.NaN() }, "max_reject_ratio", "from 0 to 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec := validSpec("orders")
			tt.edit(&spec)
			_, err := ValidateDatasetSpec(spec)
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("ValidateDatasetSpec: error %v; want a *ValidationError", err)
			}
			if got, want := ve.Field, tt.wantField; got != want {
				t.Errorf("field = %q; want %q (message %q)", got, want, ve.Message)
			}
			if !strings.Contains(ve.Message, tt.wantMsg) {
				t.Errorf("message %q does not name the rule %q", ve.Message, tt.wantMsg)
			}
		})
	}
}

func TestValidateDatasetSpecNormalises(t *testing.T) {
	tests := []struct {
		name string
		in   DatasetSpec
		want DatasetSpec
	}{
		{
			name: "csv defaults",
			in: DatasetSpec{
				Name:        " orders ",
				Description: " daily ",
				Fields: []Field{
					{Name: "id", Type: "LONG", Validations: &Validations{Min: ptr(0.0), Max: ptr(0.0)}},
					{Name: "status", Type: TypeString, Validations: &Validations{
						Enum: []string{"new", "paid"}, Regex: "^[a-z]+$", MinLength: ptr(0), MaxLength: ptr(4)}},
					{Name: "note", Type: TypeString, Validations: &Validations{}},
				},
				File: FileConfig{Format: "CSV", Header: true},
			},
			want: DatasetSpec{
				Name:        "orders",
				Description: "daily",
				Fields: []Field{
					{Name: "id", Type: TypeLong, Validations: &Validations{Min: ptr(0.0), Max: ptr(0.0)}},
					{Name: "status", Type: TypeString, Validations: &Validations{
						Enum: []string{"new", "paid"}, Regex: "^[a-z]+$", MinLength: ptr(0), MaxLength: ptr(4)}},
					{Name: "note", Type: TypeString},
				},
				File:      FileConfig{Format: FormatCSV, Delimiter: ",", Quote: `"`, Header: true, Compression: CompressionAuto},
				WriteMode: WriteAppend,
			},
		},
		{
			name: "tsv defaults",
			in:   DatasetSpec{Name: "t", Fields: []Field{{Name: "a", Type: TypeDate}}, File: FileConfig{Format: FormatTSV}},
			want: DatasetSpec{Name: "t", Fields: []Field{{Name: "a", Type: TypeDate}},
				File: FileConfig{Format: FormatTSV, Delimiter: "\t", Quote: `"`, Compression: CompressionAuto}, WriteMode: WriteAppend},
		},
		{
			name: "delimited with other delimiter, quote and null marker",
			in: DatasetSpec{Name: "d", Fields: []Field{{Name: "_x", Type: TypeBoolean}},
				File:      FileConfig{Format: FormatDelimited, Delimiter: "\x1f", Quote: "'", NullMarker: `\N`, Compression: "gzip"},
				WriteMode: "OVERWRITE", MaxRejectRatio: 1},
			want: DatasetSpec{Name: "d", Fields: []Field{{Name: "_x", Type: TypeBoolean}},
				File:      FileConfig{Format: FormatDelimited, Delimiter: "\x1f", Quote: "'", NullMarker: `\N`, Compression: CompressionGzip},
				WriteMode: WriteOverwrite, MaxRejectRatio: 1},
		},
		{
			name: "tsv without quoting",
			in:   DatasetSpec{Name: "t", Fields: []Field{{Name: "a", Type: TypeString}}, File: FileConfig{Format: FormatTSV, Quote: "None", NullMarker: `"`}},
			want: DatasetSpec{Name: "t", Fields: []Field{{Name: "a", Type: TypeString}},
				File: FileConfig{Format: FormatTSV, Delimiter: "\t", Quote: QuoteNone, NullMarker: `"`, Compression: CompressionAuto}, WriteMode: WriteAppend},
		},
		{
			name: "parquet",
			in:   DatasetSpec{Name: "p", Fields: []Field{{Name: "ts", Type: TypeTimestampTZ}}, File: FileConfig{Format: FormatParquet, Compression: "none"}},
			want: DatasetSpec{Name: "p", Fields: []Field{{Name: "ts", Type: TypeTimestampTZ}},
				File: FileConfig{Format: FormatParquet, Compression: CompressionNone}, WriteMode: WriteAppend},
		},
		{
			name: "decimal in canonical form, with min and max",
			in: DatasetSpec{Name: "d", Fields: []Field{
				{Name: "amount", Type: " Decimal( 12 , 2 ) ", Validations: &Validations{Min: ptr(0.0), Max: ptr(1e6)}},
				{Name: "rate", Type: "decimal(18,18)"},
				{Name: "n", Type: "decimal(1,0)"},
			}, File: FileConfig{Format: FormatJSONL}},
			want: DatasetSpec{Name: "d", Fields: []Field{
				{Name: "amount", Type: "decimal(12,2)", Validations: &Validations{Min: ptr(0.0), Max: ptr(1e6)}},
				{Name: "rate", Type: "decimal(18,18)"},
				{Name: "n", Type: "decimal(1,0)"},
			}, File: FileConfig{Format: FormatJSONL, Compression: CompressionAuto}, WriteMode: WriteAppend},
		},
		{
			name: "1000 fields of 128-character names",
			in:   DatasetSpec{Name: strings.Repeat("n", 128), Fields: longFields(1000), File: FileConfig{Format: FormatJSONL}},
			want: DatasetSpec{Name: strings.Repeat("n", 128), Fields: longFields(1000),
				File: FileConfig{Format: FormatJSONL, Compression: CompressionAuto}, WriteMode: WriteAppend},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ValidateDatasetSpec(tt.in)
			if err != nil {
				t.Fatalf("ValidateDatasetSpec: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ValidateDatasetSpec =\n%+v\nwant\n%+v", got, tt.want)
			}
		})
	}
}

func longFields(n int) []Field {
	fs := make([]Field, n)
	for i := range fs {
		name := fmt.Sprintf("f%d_", i)
		fs[i] = Field{Name: name + strings.Repeat("x", 128-len(name)), Type: TypeDouble}
	}
	return fs
}

func TestValidateDatasetSpecDoesNotAlias(t *testing.T) {
	in := validSpec("a")
	in.Fields[1].Type = "STRING"
	if _, err := ValidateDatasetSpec(in); err != nil {
		t.Fatal(err)
	}
	if got, want := in.Fields[1].Type, "STRING"; got != want {
		t.Errorf("caller's field type = %q after validation; want it untouched %q", got, want)
	}
}

// TestValidFileChar holds the rule ingestion shares: one ASCII byte that
// is not a line break.
func TestValidFileChar(t *testing.T) {
	for s, want := range map[string]bool{
		",": true, "\t": true, "|": true, "'": true, "\x00": true, "\x7f": true,
		"": false, "||": false, "\n": false, "\r": false, "¦": false, "é": false, "\x80": false, "\xff": false, QuoteNone: false,
	} {
		if got := ValidFileChar(s); got != want {
			t.Errorf("ValidFileChar(%q) = %v; want %v", s, got, want)
		}
	}
}

func TestParseDecimal(t *testing.T) {
	tests := []struct {
		in   string
		p, s int
		ok   bool
	}{
		{"decimal(12,2)", 12, 2, true},
		{"DECIMAL( 18 , 0 )", 18, 0, true},
		{"decimal (5,5)", 5, 5, true},
		{"decimal(38,10)", 38, 10, true}, // parsed; the range is the spec's to check
		{"decimal", 0, 0, false},
		{"decimal()", 0, 0, false},
		{"decimal(12)", 0, 0, false},
		{"decimal(12,2", 0, 0, false},
		{"decimal(+12,2)", 0, 0, false},
		{"decimal(1 2,2)", 0, 0, false},
		{"decimal(12,2,1)", 0, 0, false},
		{"numeric(12,2)", 0, 0, false},
	}
	for _, tt := range tests {
		p, s, ok := ParseDecimal(tt.in)
		if p != tt.p || s != tt.s || ok != tt.ok {
			t.Errorf("ParseDecimal(%q) = %d, %d, %v; want %d, %d, %v", tt.in, p, s, ok, tt.p, tt.s, tt.ok)
		}
	}
	if got, want := DecimalTypeName(12, 2), "decimal(12,2)"; got != want {
		t.Errorf("DecimalTypeName(12, 2) = %q; want %q", got, want)
	}
	for typ, want := range map[string]string{"decimal(12,2)": TypeDecimal, TypeLong: TypeLong, "decimals": "decimals"} {
		if got := BaseType(typ); got != want {
			t.Errorf("BaseType(%q) = %q; want %q", typ, got, want)
		}
	}
}

func TestAppendDecimal(t *testing.T) {
	tests := []struct {
		v     int64
		scale int
		want  string
	}{
		{1250, 2, "12.50"},
		{-1250, 2, "-12.50"},
		{0, 2, "0.00"},
		{5, 2, "0.05"},
		{-5, 3, "-0.005"},
		{7, 0, "7"},
		{999999999999999999, 18, "0.999999999999999999"},
		{-999999999999999999, 0, "-999999999999999999"},
		{math.MinInt64, 2, "-92233720368547758.08"},
		{1, 20, "0.00000000000000000001"},
	}
	for _, tt := range tests {
		if got := string(AppendDecimal(nil, tt.v, tt.scale)); got != tt.want {
			t.Errorf("AppendDecimal(%d, %d) = %q; want %q", tt.v, tt.scale, got, tt.want)
		}
	}
}
