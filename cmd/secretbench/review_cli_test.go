package main

// Review: hostile output paths and compare arguments. An output path that
// exists and is not a regular file must be refused before anything runs
// (a device or FIFO would be replaced by the rename of the temporary file,
// or block the check of its contents); a symlink must keep pointing at the
// file it names; compare must not accept what benchstat's statistics
// cannot use.

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// reviewRun runs the CLI with a deadline: a hang is a failure, not a stuck
// test binary.
func reviewRun(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var o, e bytes.Buffer
	done := make(chan error, 1)
	go func() { done <- run(args, &o, &e) }()
	select {
	case err = <-done:
	case <-time.After(20 * time.Second):
		t.Fatalf("secretbench %s: still running after 20 s", strings.Join(args, " "))
	}
	return o.String(), e.String(), err
}

func TestReviewOutputToFIFO(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Skip("no FIFOs here:", err)
	}
	_, _, err := reviewRun(t, "-from", committed, "-o", fifo)
	if err == nil {
		t.Fatal("-o naming a FIFO: no error")
	}
	if fi, err := os.Lstat(fifo); err != nil || fi.Mode()&os.ModeNamedPipe == 0 {
		t.Fatalf("the FIFO was replaced: %v, %v", fi.Mode(), err)
	}
}

func TestReviewOutputToDevice(t *testing.T) {
	dev := filepath.Join(t.TempDir(), "null")
	// A private copy of /dev/null (1, 3): only root can make one.
	if err := syscall.Mknod(dev, syscall.S_IFCHR|0o666, 1<<8|3); err != nil {
		t.Skip("cannot make a device node (not root):", err)
	}
	_, _, err := reviewRun(t, "-from", committed, "-o", dev)
	fi, serr := os.Lstat(dev)
	if serr != nil || fi.Mode()&os.ModeCharDevice == 0 {
		t.Fatalf("-o naming a character device replaced it with a regular file (mode %v); as root, -o /dev/null would destroy /dev/null", fi.Mode())
	}
	if err == nil {
		t.Log("-o to a device accepted (and the device kept)")
	}
}

func TestReviewOutputThroughSymlink(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "target.txt")
	link := filepath.Join(dir, "link.txt")
	if err := os.Symlink("target.txt", link); err != nil {
		t.Skip(err)
	}
	if _, _, err := reviewRun(t, "-from", committed, "-o", link); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Lstat(link)
	if err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Fatalf("-o through a symlink replaced the link with a file (mode %v)", fi.Mode())
	}
	if b, err := os.ReadFile(target); err != nil || !bytes.Contains(b, []byte("Benchmark")) {
		t.Fatalf("the link's target was not written: %v", err)
	}
}

func TestReviewOutputToDirectory(t *testing.T) {
	dir := t.TempDir()
	for _, flag := range []string{"-o", "-md", "-json", "-svg"} {
		if _, _, err := reviewRun(t, "-from", committed, flag, dir, "-force"); err == nil {
			t.Errorf("%s naming a directory, with -force: no error", flag)
		}
		if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
			t.Fatalf("%s: the directory is gone", flag)
		}
	}
}

func TestReviewCompareSameFileTwice(t *testing.T) {
	// benchstat labels the two columns old.txt#0 and old.txt#1.
	out, _, err := reviewRun(t, "compare", "testdata/old.txt", "testdata/old.txt")
	if err != nil {
		t.Fatalf("compare of one file with itself: %v", err)
	}
	if !strings.Contains(out, "testdata/old.txt#1") {
		t.Errorf("columns not labelled as benchstat labels them:\n%s", out)
	}
}

func TestReviewCompareNaNFlags(t *testing.T) {
	for _, args := range [][]string{
		{"-alpha", "NaN"}, {"-confidence", "NaN"}, {"-alpha", "+Inf"}, {"-width", "-5"},
	} {
		all := append(args, "testdata/old.txt", "testdata/new.txt")
		if _, _, err := reviewRun(t, append([]string{"compare"}, all...)...); err == nil {
			t.Errorf("compare %s: accepted", strings.Join(args, " "))
		}
	}
}
