package store

import (
	"fmt"
	"io"

	"go.etcd.io/bbolt"

	"hailong/internal/atomicfile"
)

// Backup writes a consistent copy of the database to w while it is in use.
func (db *DB) Backup(w io.Writer) (int64, error) {
	var n int64
	err := db.b.View(func(tx *bbolt.Tx) error {
		var err error
		n, err = tx.WriteTo(w)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("backup: %w", err)
	}
	return n, nil
}

// BackupFile writes a consistent copy to path, atomically: a partial
// copy never stands under the name.
func (db *DB) BackupFile(path string) (int64, error) {
	var n int64
	err := atomicfile.Write(path, 0o600, func(w io.Writer) (err error) {
		n, err = db.Backup(w)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("backup: %w", err)
	}
	return n, nil
}
