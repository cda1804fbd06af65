package ingest

import (
	"reflect"
	"testing"

	"inlet/internal/catalog"
)

func TestJSONL(t *testing.T) {
	fields := []catalog.Field{
		fld("id", catalog.TypeLong, true),
		fld("s", catalog.TypeString, false),
		fld("d", catalog.TypeDouble, false),
		fld("b", catalog.TypeBoolean, false),
		fld("ts", catalog.TypeTimestampTZ, false),
	}
	cfg := catalog.FileConfig{Format: catalog.FormatJSONL}
	tests := []struct {
		name   string
		in     string
		row    []any  // nil: rejected
		reason string // of the reject
	}{
		{"all kinds", `{"id":1,"s":"x","d":1e3,"b":true,"ts":"2025-01-15T10:00:00Z"}`, []any{int64(1), "x", 1000.0, true, "2025-01-15T10:00:00Z"}, ""},
		{"missing is null", `{"id":1}`, []any{int64(1), nil, nil, nil, nil}, ""},
		{"whitespace", " { \"id\" : 2 , \"s\" : null } \t", []any{int64(2), nil, nil, nil, nil}, ""},
		{"escapes", `{"id":1,"s":"a\"b\\c\/\n\u00e9\ud83d\ude00"}`, []any{int64(1), "a\"b\\c/\né\U0001F600", nil, nil, nil}, ""},
		{"lone surrogate", `{"id":1,"s":"\ud800x"}`, []any{int64(1), "\uFFFDx", nil, nil, nil}, ""},
		{"escaped key", `{"\u0069d":7}`, []any{int64(7), nil, nil, nil, nil}, ""},
		{"nested unknown ignored", `{"id":1,"meta":{"a":[1,2,{"b":null}]}}`, []any{int64(1), nil, nil, nil, nil}, ""},
		{"required null", `{"id":null}`, nil, "required field is empty"},
		{"required missing", `{"s":"x"}`, nil, "required field is empty"},
		{"long as float", `{"id":1.5}`, nil, "not an integer"},
		{"long as exponent", `{"id":1e2}`, nil, "not an integer"},
		{"long overflow", `{"id":9223372036854775808}`, nil, "out of range for long"},
		{"string as number", `{"id":1,"s":5}`, nil, "expected a string, got a number"},
		{"bool as string", `{"id":1,"b":"true"}`, nil, "expected a boolean, got a string"},
		{"object for string", `{"id":1,"s":{}}`, nil, "expected a string, got an object"},
		{"bad timestamp", `{"id":1,"ts":"yesterday"}`, nil, reasonNotTime},
		{"duplicate key", `{"id":1,"id":2}`, nil, `duplicate key "id"`},
		{"trailing comma", `{"id":1,}`, nil, "invalid JSON (unexpected '}' at byte 9)"},
		{"trailing text", `{"id":1} x`, nil, "invalid JSON (unexpected 'x' at byte 10)"},
		{"leading zero", `{"id":01}`, nil, "invalid JSON (unexpected '1' at byte 8)"},
		{"bad escape", `{"id":1,"s":"\x"}`, nil, "invalid JSON (unexpected 'x' at byte 15)"},
		{"raw control char", "{\"id\":1,\"s\":\"a\tb\"}", nil, "invalid JSON (unexpected byte at 15)"},
		{"string", `"x"`, nil, "expected an object, got a string"},
		{"null", `null`, nil, "expected an object, got null"},
		{"invalid utf-8", "{\"id\":1,\"s\":\"\xff\"}", nil, "invalid UTF-8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := readFile(t, []byte(tt.in+"\n"), "t.jsonl", fields, cfg, Options{})
			if res.err != nil {
				t.Fatal(res.err)
			}
			if tt.row != nil {
				if got, want := res.rows, [][]any{tt.row}; !reflect.DeepEqual(got, want) || len(res.rejects) > 0 {
					t.Errorf("rows = %q, rejects %+v; want %q", got, res.rejects, want)
				}
				return
			}
			if len(res.rows) != 0 || len(res.rejects) != 1 {
				t.Fatalf("rows = %v, rejects %+v; want one reject", res.rows, res.rejects)
			}
			if got, want := res.rejects[0].Reason, tt.reason; got != want {
				t.Errorf("reason = %q; want %q", got, want)
			}
		})
	}
	t.Run("record limit", func(t *testing.T) {
		in := `{"id":1,"s":"` + "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"}\n{\"id\":2}\n"
		res := readFile(t, []byte(in), "t.jsonl", fields, cfg, Options{MaxRecordBytes: 20, BufferBytes: 8})
		if got, want := res.rows, [][]any{{int64(2), nil, nil, nil, nil}}; !reflect.DeepEqual(got, want) {
			t.Errorf("rows = %v; want %v", got, want)
		}
		if len(res.rejects) != 1 || res.rejects[0].Line != 1 || res.rejects[0].Reason != "record exceeds 20 bytes" {
			t.Errorf("rejects = %+v", res.rejects)
		}
	})
}
