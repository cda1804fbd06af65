package catalog

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestBoundsKeepTheirText: min and max read from JSON are written back as
// they were written, digits a float64 cannot hold included; bounds built
// in Go are written from their float64, a whole number in full.
func TestBoundsKeepTheirText(t *testing.T) {
	var v Validations
	in := `{"min":-0.01,"max":1234567890123456.78}`
	if err := json.Unmarshal([]byte(in), &v); err != nil {
		t.Fatal(err)
	}
	out, err := json.Marshal(v)
	if err != nil || !strings.Contains(string(out), `"max":1234567890123456.78`) || !strings.Contains(string(out), `"min":-0.01`) {
		t.Errorf("round trip of %s = %s, %v", in, out, err)
	}
	if err := json.Unmarshal([]byte(`{"min":"5"}`), &v); err == nil {
		t.Error("a string min was accepted")
	}
	big := float64(1 << 63)
	built := Validations{Max: &big}
	if got := built.MaxText(); got != "9223372036854775808" {
		t.Errorf("MaxText of a bound built in Go = %q", got)
	}
	if out, _ := json.Marshal(built); !strings.Contains(string(out), `"max":9223372036854775808`) {
		t.Errorf("a bound built in Go marshals as %s", out)
	}
}
