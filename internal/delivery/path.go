package delivery

import (
	"fmt"
	"strconv"
	"strings"
)

// Layout of a managed bucket.
const (
	// DeliveryPrefix starts every delivered key:
	// ingestion/datasets/version=1/datasetId=ID/FOLDER/FILE.
	DeliveryPrefix = "ingestion/datasets/version=1/"
	// ReceiptPrefix mirrors it for receipts:
	// ingestion/receipts/version=1/datasetId=ID/FOLDER/_RECEIPT.json.
	ReceiptPrefix = "ingestion/receipts/version=1/"
	// SuccessFile, written last into a folder, hands the file set over.
	SuccessFile = "_SUCCESS"
	// ReceiptFile is the receipt's name.
	ReceiptFile = "_RECEIPT.json"
)

// FileSet names one delivery: a folder of a dataset in a bucket.
type FileSet struct {
	Bucket    string
	DatasetID int64
	Folder    string
}

// Prefix is the key prefix of the file set's files.
func (f FileSet) Prefix() string {
	return fmt.Sprintf("%sdatasetId=%d/%s/", DeliveryPrefix, f.DatasetID, f.Folder)
}

// ReceiptKey is where the file set's receipt is written.
func (f FileSet) ReceiptKey() string {
	return fmt.Sprintf("%sdatasetId=%d/%s/%s", ReceiptPrefix, f.DatasetID, f.Folder, ReceiptFile)
}

// Key identifies the file set across buckets; it is recorded in the
// Iceberg snapshot summary.
func (f FileSet) Key() string { return f.Bucket + "/" + f.Prefix() }

// ParseSuccessKey reports whether key is a _SUCCESS marker directly in a
// file-set folder, and which.
func ParseSuccessKey(key string) (datasetID int64, folder string, ok bool) {
	rest, found := strings.CutPrefix(key, DeliveryPrefix+"datasetId=")
	if !found {
		return 0, "", false
	}
	idPart, rest, found := strings.Cut(rest, "/")
	if !found {
		return 0, "", false
	}
	id, err := strconv.ParseInt(idPart, 10, 64)
	if err != nil || id <= 0 {
		return 0, "", false
	}
	folder, name, found := strings.Cut(rest, "/")
	if !found || name != SuccessFile || ValidateFolder(folder) != nil {
		return 0, "", false
	}
	return id, folder, true
}

// ValidateFolder checks a file-set folder name: one path segment.
func ValidateFolder(folder string) error {
	switch {
	case folder == "" || folder == "." || folder == "..":
		return fmt.Errorf("folder %q: want a folder name such as 2025-01-15", folder)
	case strings.Contains(folder, "/"):
		return fmt.Errorf("folder %q: one folder name, without /", folder)
	case len(folder) > 255:
		return fmt.Errorf("folder %q: longer than 255 bytes", folder[:32]+"…")
	}
	return nil
}
