package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestPrintRun: a run is printed without Go's "<nil>" for what the reply
// leaves out (a file without a reason, a reject without a field).
func TestPrintRun(t *testing.T) {
	var run map[string]any
	err := json.Unmarshal([]byte(`{"id":7,"status":"committed","rows_accepted":2,"rows_rejected":2,
		"snapshot_id":"7157100687421843493","replaces":6,
		"files":[{"file":"a.csv","status":"ok","rows_accepted":2,"rows_rejected":2,
		  "warnings":["content identical to x/a.csv (abc), ingested before"],
		  "first_rejects":[{"line":3,"reason":"3 fields where 2 are expected","value":"1,2,3"},
		                   {"line":5,"field":"id","reason":"not a number","value":"x","lines":4}]},
		  {"file":"b.csv","status":"failed","rows_accepted":0,"rows_rejected":0,"reason":"not a text file"}]}`), &run)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	printRun(&b, run)
	out := b.String()
	for _, want := range []string{
		"a.csv: ok, 2 rows, 2 rejected\n",
		"line 3: 3 fields where 2 are expected (\"1,2,3\")",
		"line 5, field id (4 lines): not a number (\"x\")",
		"b.csv: failed, 0 rows, 0 rejected: not a text file\n",
		"snapshot_id    7157100687421843493\n",
		"replaces       6\n",
		"    warning: content identical to x/a.csv (abc), ingested before\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "<nil>") {
		t.Errorf("output shows <nil>:\n%s", out)
	}
}
