package catalog

import (
	"fmt"
	"math"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"
)

// Limits of a dataset spec.
const (
	maxFields         = 1000
	maxDescriptionLen = 4096
	maxRegexLen       = 1000
	maxEnumValues     = 10000
	maxNullMarkerLen  = 16
)

// CompressionAuto and the other compressions a FileConfig may name.
const (
	CompressionAuto = "auto"
	CompressionNone = "none"
	CompressionGzip = "gzip"
	CompressionZstd = "zstd"
)

var (
	fieldNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,127}$`)

	fieldTypes   = []string{TypeString, TypeLong, TypeDouble, TypeBoolean, TypeDate, TypeTimestampTZ}
	typeNames    = append(slices.Clone(fieldTypes), "decimal(P,S)") // for messages
	formats      = []string{FormatCSV, FormatTSV, FormatDelimited, FormatJSONL, FormatParquet}
	compressions = []string{CompressionAuto, CompressionNone, CompressionGzip, CompressionZstd}
	writeModes   = []string{WriteAppend, WriteOverwrite}
)

// ValidateDatasetSpec checks a dataset spec and returns it normalised:
// names and descriptions trimmed, types and other keywords lower-cased,
// defaults filled in (delimiter, quote, compression, write mode), empty
// validations dropped. The delimiter and quote of a delimited file are one
// ASCII character each; the quote may also be [QuoteNone] to read every
// quote character as data. The first problem found is returned as a
// *ValidationError naming the field by its JSON path.
func ValidateDatasetSpec(spec DatasetSpec) (DatasetSpec, error) {
	var err error
	if spec.Name, err = checkName("name", spec.Name); err != nil {
		return DatasetSpec{}, err
	}
	if spec.Description, err = checkDescription("description", spec.Description); err != nil {
		return DatasetSpec{}, err
	}

	switch n := len(spec.Fields); {
	case n == 0:
		return DatasetSpec{}, invalid("fields", "required: at least one field")
	case n > maxFields:
		return DatasetSpec{}, invalid("fields", fmt.Sprintf("too many fields: %d, at most %d allowed", n, maxFields))
	}
	fields := make([]Field, len(spec.Fields))
	seen := make(map[string]int, len(spec.Fields))
	for i, f := range spec.Fields {
		f, err := checkField(fmt.Sprintf("fields[%d]", i), f)
		if err != nil {
			return DatasetSpec{}, err
		}
		key := strings.ToLower(f.Name)
		if j, dup := seen[key]; dup {
			return DatasetSpec{}, invalid(fmt.Sprintf("fields[%d].name", i),
				fmt.Sprintf("duplicate field name %q: same as fields[%d] (names are compared ignoring case)", f.Name, j))
		}
		seen[key] = i
		fields[i] = f
	}
	spec.Fields = fields

	if spec.File, err = checkFileConfig(spec.File); err != nil {
		return DatasetSpec{}, err
	}

	spec.WriteMode = strings.ToLower(strings.TrimSpace(spec.WriteMode))
	if spec.WriteMode == "" {
		spec.WriteMode = WriteAppend
	}
	if !slices.Contains(writeModes, spec.WriteMode) {
		return DatasetSpec{}, invalid("write_mode", unknown("write mode", spec.WriteMode, writeModes))
	}

	if r := spec.MaxRejectRatio; math.IsNaN(r) || r < 0 || r > 1 {
		return DatasetSpec{}, invalid("max_reject_ratio", fmt.Sprintf("out of range: %v, want a number from 0 to 1", r))
	}
	return spec, nil
}

func checkField(path string, f Field) (Field, error) {
	f.Name = strings.TrimSpace(f.Name)
	if f.Name == "" {
		return Field{}, invalid(path+".name", "required")
	}
	if !fieldNameRE.MatchString(f.Name) {
		return Field{}, invalid(path+".name", fmt.Sprintf(
			"invalid field name %q: want a letter or underscore, then letters, digits or underscores, at most 128 characters", f.Name))
	}

	f.Type = strings.ToLower(strings.TrimSpace(f.Type))
	switch {
	case f.Type == "":
		return Field{}, invalid(path+".type", "required; want one of "+strings.Join(typeNames, ", "))
	case strings.HasPrefix(f.Type, TypeDecimal):
		typ, err := checkDecimal(path+".type", f.Name, f.Type)
		if err != nil {
			return Field{}, err
		}
		f.Type = typ
	case !slices.Contains(fieldTypes, f.Type):
		return Field{}, invalid(path+".type", unknown("type", f.Type, typeNames))
	}

	var err error
	if f.Description, err = checkDescription(path+".description", f.Description); err != nil {
		return Field{}, err
	}
	if f.Validations != nil {
		v, err := checkValidations(path+".validations", f.Type, *f.Validations)
		if err != nil {
			return Field{}, err
		}
		f.Validations = v
	}
	return f, nil
}

// checkDecimal checks a decimal type of field name and returns its
// canonical name.
func checkDecimal(path, name, typ string) (string, error) {
	p, s, ok := ParseDecimal(typ)
	switch {
	case !ok:
		return "", invalid(path, fmt.Sprintf("field %q: invalid decimal type %q: want decimal(P,S), e.g. decimal(12,2)", name, typ))
	case p < 1 || p > MaxDecimalPrecision:
		return "", invalid(path, fmt.Sprintf("field %q: %s: decimal precision up to %d supported (from 1), got %d",
			name, typ, MaxDecimalPrecision, p))
	case s < 0 || s > p:
		return "", invalid(path, fmt.Sprintf("field %q: %s: decimal scale must be from 0 to the precision %d", name, typ, p))
	}
	return DecimalTypeName(p, s), nil
}

// checkValidations checks a field's validations against its type; it
// returns nil when none is set.
func checkValidations(path, typ string, v Validations) (*Validations, error) {
	isString := typ == TypeString
	isNumber := typ == TypeLong || typ == TypeDouble || BaseType(typ) == TypeDecimal
	onlyFor := func(rule, types string) error {
		return invalid(path+"."+rule, fmt.Sprintf("%s applies only to %s fields, not %s", rule, types, typ))
	}

	if v.Enum != nil {
		if !isString {
			return nil, onlyFor("enum", "string")
		}
		if len(v.Enum) == 0 {
			return nil, invalid(path+".enum", "enum must not be empty: list the allowed values or omit it")
		}
		if len(v.Enum) > maxEnumValues {
			return nil, invalid(path+".enum", fmt.Sprintf("enum has too many values: %d, at most %d allowed", len(v.Enum), maxEnumValues))
		}
		seen := make(map[string]int, len(v.Enum))
		for i, e := range v.Enum {
			if j, dup := seen[e]; dup {
				return nil, invalid(fmt.Sprintf("%s.enum[%d]", path, i),
					fmt.Sprintf("duplicate enum value %q: same as enum[%d]", e, j))
			}
			seen[e] = i
		}
		v.Enum = slices.Clone(v.Enum)
	}

	if v.Regex != "" {
		if !isString {
			return nil, onlyFor("regex", "string")
		}
		if n := utf8.RuneCountInString(v.Regex); n > maxRegexLen {
			return nil, invalid(path+".regex", fmt.Sprintf("regex too long: %d characters, at most %d allowed", n, maxRegexLen))
		}
		if _, err := regexp.Compile(v.Regex); err != nil {
			return nil, invalid(path+".regex", "invalid regex: "+err.Error())
		}
	}

	for _, l := range []struct {
		rule string
		val  *int
	}{{"min_length", v.MinLength}, {"max_length", v.MaxLength}} {
		if l.val == nil {
			continue
		}
		if !isString {
			return nil, onlyFor(l.rule, "string")
		}
		if *l.val < 0 {
			return nil, invalid(path+"."+l.rule, fmt.Sprintf("%s must not be negative, got %d", l.rule, *l.val))
		}
	}
	if v.MinLength != nil && v.MaxLength != nil && *v.MinLength > *v.MaxLength {
		return nil, invalid(path+".min_length",
			fmt.Sprintf("min_length %d is greater than max_length %d", *v.MinLength, *v.MaxLength))
	}

	for _, b := range []struct {
		rule string
		val  *float64
	}{{"min", v.Min}, {"max", v.Max}} {
		if b.val == nil {
			continue
		}
		if !isNumber {
			return nil, onlyFor(b.rule, "long, double and decimal")
		}
		if math.IsNaN(*b.val) || math.IsInf(*b.val, 0) {
			return nil, invalid(path+"."+b.rule, fmt.Sprintf("%s must be a finite number", b.rule))
		}
	}
	if v.Min != nil && v.Max != nil && *v.Min > *v.Max {
		return nil, invalid(path+".min", fmt.Sprintf("min %v is greater than max %v", *v.Min, *v.Max))
	}

	if v.Enum == nil && v.Regex == "" && v.Min == nil && v.Max == nil && v.MinLength == nil && v.MaxLength == nil {
		return nil, nil
	}
	return &v, nil
}

func checkFileConfig(c FileConfig) (FileConfig, error) {
	c.Format = strings.ToLower(strings.TrimSpace(c.Format))
	if c.Format == "" {
		return FileConfig{}, invalid("file.format", "required; want one of "+strings.Join(formats, ", "))
	}
	if !slices.Contains(formats, c.Format) {
		return FileConfig{}, invalid("file.format", unknown("format", c.Format, formats))
	}

	text := c.Format == FormatCSV || c.Format == FormatTSV || c.Format == FormatDelimited
	if !text {
		notAllowed := func(field string) error {
			return invalid("file."+field, fmt.Sprintf("%s is not allowed for format %s", field, c.Format))
		}
		switch {
		case c.Delimiter != "":
			return FileConfig{}, notAllowed("delimiter")
		case c.Quote != "":
			return FileConfig{}, notAllowed("quote")
		case c.Header:
			return FileConfig{}, notAllowed("header")
		case c.NullMarker != "":
			return FileConfig{}, notAllowed("null_marker")
		}
	} else {
		switch c.Format {
		case FormatCSV:
			if c.Delimiter == "" {
				c.Delimiter = ","
			}
		case FormatTSV:
			if c.Delimiter == "" {
				c.Delimiter = "\t"
			}
			if c.Delimiter != "\t" {
				return FileConfig{}, invalid("file.delimiter",
					fmt.Sprintf("delimiter of format tsv must be a tab, got %q (use format delimited for other delimiters)", c.Delimiter))
			}
		case FormatDelimited:
			if c.Delimiter == "" {
				return FileConfig{}, invalid("file.delimiter", "delimiter is required for format delimited")
			}
		}
		if err := checkChar("delimiter", c.Delimiter); err != nil {
			return FileConfig{}, err
		}
		if c.Quote == "" {
			c.Quote = `"`
		}
		if strings.EqualFold(strings.TrimSpace(c.Quote), QuoteNone) {
			c.Quote = QuoteNone
		} else {
			if err := checkChar("quote", c.Quote); err != nil {
				return FileConfig{}, err
			}
			if c.Quote == c.Delimiter {
				return FileConfig{}, invalid("file.quote", fmt.Sprintf("quote %q must differ from the delimiter", c.Quote))
			}
		}
		if n := utf8.RuneCountInString(c.NullMarker); n > maxNullMarkerLen {
			return FileConfig{}, invalid("file.null_marker",
				fmt.Sprintf("null_marker too long: %d characters, at most %d allowed", n, maxNullMarkerLen))
		}
		if strings.ContainsAny(c.NullMarker, "\r\n") || !utf8.ValidString(c.NullMarker) {
			return FileConfig{}, invalid("file.null_marker", "null_marker must not contain line breaks or invalid UTF-8")
		}
		if strings.Contains(c.NullMarker, c.Delimiter) || c.Quote != QuoteNone && strings.Contains(c.NullMarker, c.Quote) {
			return FileConfig{}, invalid("file.null_marker",
				fmt.Sprintf("null_marker %q must not contain the delimiter or the quote", c.NullMarker))
		}
	}

	c.Compression = strings.ToLower(strings.TrimSpace(c.Compression))
	if c.Compression == "" {
		c.Compression = CompressionAuto
	}
	if !slices.Contains(compressions, c.Compression) {
		return FileConfig{}, invalid("file.compression", unknown("compression", c.Compression, compressions))
	}
	return c, nil
}

// QuoteNone as the quote of a delimited file turns quoting off: a quote
// character is then data wherever it is, as in TSV files written without
// quoting, so that a value starting with one cannot run on over the
// following lines.
const QuoteNone = "none"

// ValidFileChar reports whether s can be the delimiter or quote of a
// delimited file: one ASCII character, not a line break. Ingestion reads
// the file with the same rule, so a dataset that passes it is never
// refused on delivery for its delimiter or quote.
func ValidFileChar(s string) bool {
	return len(s) == 1 && s[0] < utf8.RuneSelf && s[0] != '\n' && s[0] != '\r'
}

// checkChar checks a delimiter or quote with [ValidFileChar].
func checkChar(field, s string) error {
	switch {
	case s == "\n" || s == "\r":
		return invalid("file."+field, fmt.Sprintf("%s must not be a line break", field))
	case utf8.RuneCountInString(s) != 1 || !utf8.ValidString(s):
		return invalid("file."+field, fmt.Sprintf("%s must be exactly one character, got %q", field, s))
	case !ValidFileChar(s):
		return invalid("file."+field, fmt.Sprintf("%s must be an ASCII character, got %q", field, s))
	}
	return nil
}

func checkDescription(field, d string) (string, error) {
	d = strings.TrimSpace(d)
	if n := utf8.RuneCountInString(d); n > maxDescriptionLen {
		return "", invalid(field, fmt.Sprintf("description too long: %d characters, at most %d allowed", n, maxDescriptionLen))
	}
	if !utf8.ValidString(d) {
		return "", invalid(field, "description is not valid UTF-8")
	}
	return d, nil
}

func invalid(field, msg string) *ValidationError {
	return &ValidationError{Field: field, Message: msg}
}

func unknown(what, got string, want []string) string {
	return fmt.Sprintf("unknown %s %q; want one of %s", what, got, strings.Join(want, ", "))
}
