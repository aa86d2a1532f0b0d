package dhcheck

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
)

// store keeps passing verdicts as one file per (p, g) under dir. A file's
// content is fully determined by (p, g) (see entry), so reading one is
// comparing it byte for byte with what it must be: anything else (missing,
// unreadable, truncated, corrupt, another (p, g)'s entry under this name) is
// treated as absent.
type store struct {
	dir string
}

const entryMagic = "secretbench dhcheck verdict v1\n"

// entry is the exact content of the file for a passing (p, g).
func entry(g int, p []byte) []byte {
	var b bytes.Buffer
	b.WriteString(entryMagic)
	b.WriteString("g " + strconv.Itoa(g) + "\n")
	b.WriteString("p " + hex.EncodeToString(p) + "\n")
	b.WriteString("verdict safe-prime, generator ok\n")
	return b.Bytes()
}

// name is the file name for (p, g): a hash of p, so that names are short and
// fixed-length whatever p is.
func (s *store) name(g int, p []byte) string {
	h := sha256.Sum256(p)
	return filepath.Join(s.dir, hex.EncodeToString(h[:16])+"-g"+strconv.Itoa(g)+".verdict")
}

// has reports whether the store holds the exact passing entry for (p, g).
func (s *store) has(g int, p []byte) bool {
	want := entry(g, p)
	// A FIFO planted under an entry's name would block a plain open until
	// some writer appears, hanging CheckParams; O_NONBLOCK makes that open
	// return at once (it changes nothing for regular files), and the Stat
	// below then rejects anything that is not a regular file.
	f, err := os.OpenFile(s.name(g, p), os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return false
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
		return false
	}
	got, err := io.ReadAll(io.LimitReader(f, int64(len(want))+1))
	return err == nil && bytes.Equal(got, want)
}

// put writes the passing entry for (p, g) atomically: a temporary file in the
// same directory, synced, then renamed over the final name, so that a reader
// sees either no entry or a complete one.
func (s *store) put(g int, p []byte) (err error) {
	if err := os.MkdirAll(s.dir, 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(s.dir, ".verdict-*.tmp") // mode 0600
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if _, err = tmp.Write(entry(g, p)); err != nil {
		return err
	}
	if err = tmp.Chmod(0o600); err != nil {
		return err
	}
	if err = tmp.Sync(); err != nil {
		return err
	}
	if err = tmp.Close(); err != nil {
		return err
	}
	if err = os.Rename(tmp.Name(), s.name(g, p)); err != nil {
		return err
	}
	// Make the rename itself durable; failure here is not worth an error.
	if d, err := os.Open(s.dir); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}
