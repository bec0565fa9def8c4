package app

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// The data directory holds the SQLite database, the generated encryption
// key, the emulator's state and the sandbox clock: all private. Modes are
// set explicitly, since a process's umask may leave files readable by
// others.
const (
	dataDirMode  fs.FileMode = 0o700
	dataFileMode fs.FileMode = 0o600
)

// dataFiles are the files Trellis keeps in the data directory.
var dataFiles = []string{"trellis.db", "trellis.db-wal", "trellis.db-shm", "trellis.db-journal",
	"encryption.key", "sandbox.json", clockFileName}

// prepareDataDir creates the data directory readable by its owner only,
// and tightens what an older Trellis left there: the directory and
// Trellis's own files in it become owner-only. Other files are left alone:
// the directory is the operator's choice and may hold anything.
func prepareDataDir(dir string) error {
	if err := os.MkdirAll(dir, dataDirMode); err != nil {
		return fmt.Errorf("create data directory %s: %w", dir, err)
	}
	if err := os.Chmod(dir, dataDirMode); err != nil {
		return fmt.Errorf("data directory %s: make it private: %w", dir, err)
	}
	for _, name := range dataFiles {
		err := os.Chmod(filepath.Join(dir, name), dataFileMode)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("data directory %s: make %s private: %w", dir, name, err)
		}
	}
	return nil
}

// createPrivateFile creates path empty and owner-only if it does not exist.
// SQLite gives its -wal and -shm files the database file's mode, so a
// database created this way stays private with them.
func createPrivateFile(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, dataFileMode)
	if err != nil {
		return fmt.Errorf("create %s: %w", path, err)
	}
	if err := f.Chmod(dataFileMode); err != nil {
		f.Close()
		return fmt.Errorf("create %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("create %s: %w", path, err)
	}
	return nil
}

// writePrivateFile replaces path with data, owner-only, atomically: a
// reader sees the old file or the new one, never a part.
func writePrivateFile(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+"-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(dataFileMode); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
