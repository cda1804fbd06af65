package delivery

import "testing"

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
