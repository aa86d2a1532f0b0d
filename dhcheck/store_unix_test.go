//go:build unix

package dhcheck

import (
	"syscall"
	"testing"
	"time"
)

// A FIFO under an entry's name is an entry that is not a regular file: it
// must count as absent at once, not block the open until a writer appears.
func TestStoreFIFOEntry(t *testing.T) {
	rfc := loadNumbers(t)["rfc3526-2048"]
	dir := t.TempDir()
	s := &store{dir: dir}
	if err := syscall.Mkfifo(s.name(2, rfc), 0o600); err != nil {
		t.Skip("mkfifo:", err)
	}
	done := make(chan bool, 1)
	go func() { done <- s.has(2, rfc) }()
	select {
	case ok := <-done:
		if ok {
			t.Fatal("a FIFO was taken as a stored verdict")
		}
	case <-time.After(30 * time.Second):
		t.Fatal("reading a FIFO store entry blocks")
	}
	// The next passing verdict replaces the FIFO with a real entry.
	c := newTestChecker(WithStore(dir))
	if err := c.CheckParams(2, rfc); err != nil {
		t.Fatal(err)
	}
	if !s.has(2, rfc) {
		t.Fatal("the FIFO was not replaced by the verdict")
	}
}
