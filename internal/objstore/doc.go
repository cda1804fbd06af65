// Package objstore keeps S3 buckets and objects on local disk: object bytes
// in files named by internal ids (small objects inline in the metadata
// database), the index in SQLite, multipart uploads, and ordered listing.
//
// A write is acknowledged only once its bytes are fsynced and its index entry
// is committed; index commits of concurrent writers are batched so that one
// fsync of the database covers many objects.
//
// # Where the bytes go
//
// A body of at most 64 KiB ([DefaultInlineMax]) is kept inline: its bytes
// go into the index in the same transaction as its row. Concurrent small
// PUTs are therefore made durable together by one commit of the metadata
// database ([meta.DB.Write] batches them), that is one fsync of its
// write-ahead log for the whole batch instead of two or three fsyncs per
// object.
//
// A larger body streams into a temporary file in DIR/tmp while its MD5 and
// requested checksum are computed on the same bytes by goroutines beside
// the writer, so hashing overlaps the disk write. The file is fsynced,
// renamed to DIR/objects/ab/cd/<id> (a random 128-bit id, never derived
// from the user's key, so no key can reach outside the directory), and
// the directory fsynced; then PutOptions.BeforeCommit runs, and the index
// row is committed. A failed, aborted or rejected write removes its file.
//
// Multipart parts are files of their own; completion makes the listed
// parts the object's segments as they are, without copying bytes, and a
// read concatenates them.
//
// # Replacing and reading
//
// The last completed write of a key wins. The files of the version it
// replaced are removed after the commit, but not while a reader of that
// key is open: a GetObject pins the key before it looks the object up, so
// the metadata it returns and the bytes it reads are always of one version.
//
// # Crashes
//
// Open sweeps DIR/tmp and every file under DIR/objects that the index does
// not reference: bodies renamed but never committed, and files whose
// removal after a commit was cut short. After a crash at any moment every
// acknowledged object reads back as written, and nothing partial is
// listed.
package objstore
