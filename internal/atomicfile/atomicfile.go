// Package atomicfile writes a file whole or not at all, through a fresh
// temporary file in the same directory.
//
// The temporary file is created with O_EXCL under an unpredictable name
// (os.CreateTemp), so nothing planted beside the target (a symbolic link
// at "<path>.tmp" to a file of another user) is followed, and the rename
// replaces a link at path itself rather than writing through it.
package atomicfile

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// Write writes what fill writes to path, with mode perm, atomically:
// readers see the old file or the whole new one. On error path is left as
// it was and the temporary file is removed.
func Write(path string, perm os.FileMode, fill func(io.Writer) error) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // a no-op once renamed
	err = fill(tmp)
	if err == nil {
		err = tmp.Chmod(perm)
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err == nil {
		// The rename itself is on disk only once the directory is: as
		// store.Compact does.
		err = syncDir(filepath.Dir(path))
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// WriteBytes writes b to path atomically.
func WriteBytes(path string, b []byte, perm os.FileMode) error {
	return Write(path, perm, func(w io.Writer) error {
		_, err := w.Write(b)
		return err
	})
}
