package catalog

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
)

// A validation's min and max are JSON numbers, which encoding/json would
// read into a float64 and so round: a long's bound of 2^53+1, or a
// decimal(18,2)'s 1234567890123456.78, would silently become another
// number. Validations keep the number's text beside its float64, and write
// the text back, so that long and decimal fields compare with the bound
// the tenant wrote.

// MinText is min exactly as the spec wrote it, or the float64's shortest
// text when the spec was built in Go; "" when there is no min.
func (v *Validations) MinText() string { return boundText(v.Min, v.minText) }

// MaxText is max exactly as the spec wrote it; see [Validations.MinText].
func (v *Validations) MaxText() string { return boundText(v.Max, v.maxText) }

func boundText(f *float64, text string) string {
	switch {
	case f == nil:
		return ""
	case text != "":
		if g, err := strconv.ParseFloat(text, 64); err == nil && g == *f {
			return text
		}
	}
	// A whole number in full, not in exponent form.
	if x := *f; x == math.Trunc(x) && math.Abs(x) < 1e21 {
		return strconv.FormatFloat(x, 'f', 0, 64)
	}
	return strconv.FormatFloat(*f, 'g', -1, 64)
}

// UnmarshalJSON reads the validations, keeping min's and max's text.
func (v *Validations) UnmarshalJSON(b []byte) error {
	type plain Validations // without these methods
	aux := struct {
		*plain
		Min json.RawMessage `json:"min"`
		Max json.RawMessage `json:"max"`
	}{plain: (*plain)(v)}
	if err := json.Unmarshal(b, &aux); err != nil {
		return err
	}
	var err error
	if v.Min, v.minText, err = readBound(aux.Min); err != nil {
		return fmt.Errorf("min: %w", err)
	}
	if v.Max, v.maxText, err = readBound(aux.Max); err != nil {
		return fmt.Errorf("max: %w", err)
	}
	return nil
}

// MarshalJSON writes the validations with min and max in their text.
func (v Validations) MarshalJSON() ([]byte, error) {
	type plain Validations
	aux := struct {
		plain
		Min json.RawMessage `json:"min,omitempty"`
		Max json.RawMessage `json:"max,omitempty"`
	}{plain: plain(v)}
	if v.Min != nil {
		aux.Min = json.RawMessage(v.MinText())
	}
	if v.Max != nil {
		aux.Max = json.RawMessage(v.MaxText())
	}
	return json.Marshal(aux)
}

// readBound reads a JSON number, or null, as a bound.
func readBound(raw json.RawMessage) (*float64, string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, "", nil
	}
	var f float64
	if err := json.Unmarshal(raw, &f); err != nil {
		return nil, "", err
	}
	return &f, string(raw), nil
}
