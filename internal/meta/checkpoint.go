package meta

import (
	"context"
	"time"
)

const (
	// checkpointEvery spaces the checkpoints of a busy database; at a few
	// thousand small commits a second the log then holds a few MiB.
	checkpointEvery = 100 * time.Millisecond
	// checkpointIdle is how often the log is checked without a batched
	// commit to prompt it (writes through the general pool do not).
	checkpointIdle = time.Second
	// truncateFrames is the log size (in pages) past which a checkpoint
	// also truncates the log, waiting for readers and writers. A PASSIVE
	// checkpoint cannot catch up while readers keep old frames in use.
	truncateFrames = 64 << 10
)

// checkpointer copies the write-ahead log into the database file in the
// background. SQLite's automatic checkpoint would run inside the commit
// that crosses its threshold, on the group-commit writer, stalling every
// waiting writer for two more fsyncs; here the writer only commits, and a
// PASSIVE checkpoint (which never blocks readers or writers) runs beside
// it on a connection of the general pool.
func (db *DB) checkpointer() {
	defer close(db.ckptEnd)
	idle := time.NewTicker(checkpointIdle)
	defer idle.Stop()
	for {
		select {
		case <-db.ckptWake:
		case <-idle.C:
		case <-db.closing:
			return
		}
		db.checkpoint("PASSIVE")

		select {
		case <-time.After(checkpointEvery):
		case <-db.closing:
			return
		}
	}
}

func (db *DB) checkpoint(mode string) {
	ctx := context.Background()
	var busy, logFrames, done int
	err := db.rw.QueryRowContext(ctx, "PRAGMA wal_checkpoint("+mode+")").Scan(&busy, &logFrames, &done)
	if err != nil {
		db.log.Warn("checkpoint metadata db", "mode", mode, "error", err)
		return
	}
	if mode == "PASSIVE" && logFrames > truncateFrames {
		db.log.Warn("metadata db log is large, truncating", "frames", logFrames, "checkpointed", done)
		db.checkpoint("TRUNCATE")
	}
}
