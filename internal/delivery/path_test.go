package delivery

import (
	"strconv"
	"testing"
)

func TestParseSuccessKey(t *testing.T) {
	tests := []struct {
		key    string
		id     int64
		folder string
		ok     bool
	}{
		{"ingestion/datasets/version=1/datasetId=7/2025-01-15/_SUCCESS", 7, "2025-01-15", true},
		{"ingestion/datasets/version=1/datasetId=7/2025-01-15/a.csv", 0, "", false},
		{"ingestion/datasets/version=1/datasetId=7/2025-01-15/sub/_SUCCESS", 0, "", false},
		{"ingestion/datasets/version=1/datasetId=ds-0001/x/_SUCCESS", 0, "", false},
		{"ingestion/datasets/version=1/datasetId=0/x/_SUCCESS", 0, "", false},
		{"ingestion/receipts/version=1/datasetId=7/x/_SUCCESS", 0, "", false},
		{"incoming/staging/_SUCCESS", 0, "", false},
		{"ingestion/datasets/version=1/datasetId=7//_SUCCESS", 0, "", false},
		// Only the canonical id: another spelling names another folder.
		{"ingestion/datasets/version=1/datasetId=+1/g3/_SUCCESS", 0, "", false},
		{"ingestion/datasets/version=1/datasetId=01/g3/_SUCCESS", 0, "", false},
		{"ingestion/datasets/version=1/datasetId=-1/g3/_SUCCESS", 0, "", false},
		{"ingestion/datasets/version=1/datasetId= 1/g3/_SUCCESS", 0, "", false},
		{"ingestion/datasets/version=1/datasetId=1 /g3/_SUCCESS", 0, "", false},
		{"ingestion/datasets/version=1/datasetId=/g3/_SUCCESS", 0, "", false},
		{"ingestion/datasets/version=1/datasetId=1_0/g3/_SUCCESS", 0, "", false},
		{"ingestion/datasets/version=1/datasetId=9223372036854775808/g3/_SUCCESS", 0, "", false},
		{"ingestion/datasets/version=1/datasetId=9223372036854775807/g3/_SUCCESS", 9223372036854775807, "g3", true},
		{"ingestion/datasets/version=1/datasetId=10/g3/_SUCCESS", 10, "g3", true},
	}
	for _, tt := range tests {
		id, folder, ok := ParseSuccessKey(tt.key)
		if id != tt.id || folder != tt.folder || ok != tt.ok {
			t.Errorf("ParseSuccessKey(%q) = %d, %q, %v; want %d, %q, %v", tt.key, id, folder, ok, tt.id, tt.folder, tt.ok)
		}
	}
}

func TestFileSetKeys(t *testing.T) {
	f := FileSet{Bucket: "b", DatasetID: 3, Folder: "2025-01-15"}
	if got, want := f.Prefix(), "ingestion/datasets/version=1/datasetId=3/2025-01-15/"; got != want {
		t.Errorf("Prefix = %q; want %q", got, want)
	}
	if got, want := f.ReceiptKey(), "ingestion/receipts/version=1/datasetId=3/2025-01-15/_RECEIPT.json"; got != want {
		t.Errorf("ReceiptKey = %q; want %q", got, want)
	}
}

func TestParseDatasetID(t *testing.T) {
	for _, tt := range []struct {
		in string
		id int64
		ok bool
	}{
		{"1", 1, true}, {"42", 42, true}, {"9223372036854775807", 9223372036854775807, true},
		{"", 0, false}, {"0", 0, false}, {"00", 0, false}, {"01", 0, false}, {"+1", 0, false}, {"-1", 0, false},
		{" 1", 0, false}, {"1\n", 0, false}, {"1e3", 0, false}, {"0x1", 0, false}, {"\u0661", 0, false},
		{"9223372036854775808", 0, false}, {"99999999999999999999", 0, false},
	} {
		id, ok := ParseDatasetID(tt.in)
		if id != tt.id || ok != tt.ok {
			t.Errorf("ParseDatasetID(%q) = %d, %v; want %d, %v", tt.in, id, ok, tt.id, tt.ok)
		}
		// What it accepts is what FileSet.Prefix writes back.
		if ok && strconv.FormatInt(id, 10) != tt.in {
			t.Errorf("ParseDatasetID(%q) = %d, which renders differently", tt.in, id)
		}
	}
}

func TestIgnored(t *testing.T) {
	for name, want := range map[string]bool{
		"part-00000.txt": false, "a.csv.gz": false, "sub/part-1.csv": false, "x_y.csv": false, "a.b": false,
		"_SUCCESS": true, "._SUCCESS.crc": true, ".part-00000.txt.crc": true, "_committed_123": true,
		"_temporary/0/part-00000.csv": true, ".hive-staging_hive_1/-ext-10000/000000_0": true, "sub/.x.crc": true,
		"sub/_SUCCESS": true, "a//b.csv": false,
	} {
		if got := Ignored(name); got != want {
			t.Errorf("Ignored(%q) = %v; want %v", name, got, want)
		}
	}
}

// TestMisplacedMarker: a _SUCCESS under the delivery prefix that triggers
// nothing gets a reason for the log; triggers and other keys get none.
func TestMisplacedMarker(t *testing.T) {
	for _, tt := range []struct {
		key    string
		reason bool
	}{
		{DeliveryPrefix + "datasetId=1/f/_SUCCESS", false},
		{DeliveryPrefix + "datasetId=1/f/sub/_SUCCESS", true},
		{DeliveryPrefix + "datasetId=01/f/_SUCCESS", true},
		{DeliveryPrefix + "datasetId=+1/f/_SUCCESS", true},
		{DeliveryPrefix + "datasetId=1/_SUCCESS", true},
		{DeliveryPrefix + "datasetId=1/f/data.csv", false},
		{"elsewhere/datasetId=1/f/_SUCCESS", false},
		{ReceiptPrefix + "datasetId=1/f/_SUCCESS", false},
	} {
		if got := misplacedMarker(tt.key); (got != "") != tt.reason {
			t.Errorf("misplacedMarker(%q) = %q; want a reason: %v", tt.key, got, tt.reason)
		}
	}
}
