package objstore

// migrations is the objstore schema, applied by [meta.DB.Migrate] under the
// component name "objstore". Append only.
//
// Keys are TEXT compared with SQLite's BINARY collation, which is memcmp of
// the bytes: UTF-8 byte order, as S3 lists keys. Times are Unix nanoseconds.
//
// objects.blob_id names the blobs row of a small object stored inline;
// objects.segments lists the files of a larger one (JSON, one entry per
// multipart part); a zero-byte object has neither. Every file the index
// references (object segments and uploaded parts) has a row in files, which
// the orphan sweep at Open compares with the directory.
var migrations = []string{
	`CREATE TABLE buckets (
		name       TEXT    PRIMARY KEY,
		owner      TEXT    NOT NULL,
		region     TEXT    NOT NULL,
		created_at INTEGER NOT NULL
	) WITHOUT ROWID;

	CREATE TABLE blobs (
		id   INTEGER PRIMARY KEY,
		data BLOB    NOT NULL
	);

	CREATE TABLE files (
		id TEXT PRIMARY KEY
	) WITHOUT ROWID;

	CREATE TABLE objects (
		bucket        TEXT    NOT NULL REFERENCES buckets (name),
		key           TEXT    NOT NULL,
		size          INTEGER NOT NULL,
		etag          TEXT    NOT NULL,
		mtime         INTEGER NOT NULL,
		owner         TEXT    NOT NULL,
		storage_class TEXT    NOT NULL,
		checksum      TEXT    NOT NULL,
		blob_id       INTEGER,
		segments      TEXT    NOT NULL,
		meta          BLOB    NOT NULL,
		PRIMARY KEY (bucket, key)
	) WITHOUT ROWID;

	CREATE TABLE uploads (
		id                 TEXT    PRIMARY KEY,
		bucket             TEXT    NOT NULL REFERENCES buckets (name),
		key                TEXT    NOT NULL,
		initiated          INTEGER NOT NULL,
		checksum_algorithm TEXT    NOT NULL,
		meta               BLOB    NOT NULL
	) WITHOUT ROWID;

	CREATE INDEX uploads_by_key ON uploads (bucket, key, initiated, id);

	CREATE TABLE parts (
		upload_id TEXT    NOT NULL REFERENCES uploads (id) ON DELETE CASCADE,
		number    INTEGER NOT NULL,
		size      INTEGER NOT NULL,
		etag      TEXT    NOT NULL,
		mtime     INTEGER NOT NULL,
		checksum  TEXT    NOT NULL,
		file_id   TEXT    NOT NULL,
		PRIMARY KEY (upload_id, number)
	) WITHOUT ROWID`,

	// uploads.checksum_type is the x-amz-checksum-type of an upload with a
	// checksum algorithm (COMPOSITE or FULL_OBJECT); '' for one created
	// before it was kept, which then gets its algorithm's default type.
	// parts.crc64nvme is the base64 CRC64NVME of a part of an upload that
	// named no algorithm: completion combines them into the object's
	// default full-object checksum without reading the parts again.
	`ALTER TABLE uploads ADD COLUMN checksum_type TEXT NOT NULL DEFAULT '';
	ALTER TABLE parts ADD COLUMN crc64nvme TEXT NOT NULL DEFAULT ''`,
}
