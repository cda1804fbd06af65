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
	// Other names starting with _ or . are not part of the file set (see
	// [Ignored]).
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
	datasetID, folder, name, ok := ParseFileKey(key)
	if !ok || name != SuccessFile {
		return 0, "", false
	}
	return datasetID, folder, true
}

// ParseFileKey splits a key under a file-set folder into the dataset id,
// the folder and the object's path below the folder (which may hold more
// folders). ok is false for any other key.
func ParseFileKey(key string) (datasetID int64, folder, name string, ok bool) {
	rest, found := strings.CutPrefix(key, DeliveryPrefix+"datasetId=")
	if !found {
		return 0, "", "", false
	}
	idPart, rest, found := strings.Cut(rest, "/")
	if !found {
		return 0, "", "", false
	}
	id, ok := ParseDatasetID(idPart)
	if !ok {
		return 0, "", "", false
	}
	folder, name, found = strings.Cut(rest, "/")
	if !found || name == "" || ValidateFolder(folder) != nil {
		return 0, "", "", false
	}
	return id, folder, name, true
}

// ParseDatasetID reads the dataset id of a key's datasetId=ID segment. Only
// the canonical form counts, the one [FileSet.Prefix] writes: decimal
// digits without a sign, leading zeros or spaces. Another spelling of the
// number (+1, 01) names a folder the file set's files are not listed from,
// nor its receipt written to, so it is not the dataset's.
func ParseDatasetID(s string) (int64, bool) {
	if s == "" || s[0] < '1' || s[0] > '9' {
		return 0, false
	}
	for i := 1; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, false
	}
	return id, true
}

// Ignored reports whether an object of a file-set folder, named by its
// path below the folder, is left out of the file set because its name, or
// the name of a folder on its way, starts with _ or .: the _SUCCESS
// marker, and the side files that Hadoop, Spark and Hive write beside the
// data (.part-00000.crc, ._SUCCESS.crc, _temporary/, .hive-staging_*/),
// which their own readers skip in the same way.
func Ignored(name string) bool {
	for seg := range strings.SplitSeq(name, "/") {
		if seg != "" && (seg[0] == '_' || seg[0] == '.') {
			return true
		}
	}
	return false
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
