// Package testutil holds the helpers the tests of several packages share,
// written once: panics with clear messages, hex, the sequential test key and
// JSON vector files.
package testutil

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"runtime"
	"strings"
	"testing"
)

// MustPanic runs f and reports an error on t (the test goes on) unless f
// panics with a clear message: not a runtime error such as an index out of
// range, and containing every fragment of want. what names the call in the
// report.
func MustPanic(t testing.TB, what string, f func(), want ...string) {
	t.Helper()
	defer func() {
		t.Helper()
		r := recover()
		if r == nil {
			t.Errorf("%s: no panic", what)
			return
		}
		msg := fmt.Sprint(r)
		if _, isRuntime := r.(runtime.Error); isRuntime {
			t.Errorf("%s: runtime panic %q instead of a clear message", what, msg)
			return
		}
		for _, w := range want {
			if !strings.Contains(msg, w) {
				t.Errorf("%s: panic %q does not mention %q", what, msg, w)
			}
		}
	}()
	f()
}

// Panics reports whether f panics, for fuzz targets that decide for
// themselves whether a panic was due.
func Panics(f func()) (panicked bool) {
	defer func() { panicked = recover() != nil }()
	f()
	return false
}

// Unhex decodes s or fails t.
func Unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// MustUnhex decodes s or panics: for tables built before a test runs.
func MustUnhex(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

// SeqKey returns K = bytes 00..ff, the shared key of the test vectors in
// docs/PROTOCOL.md section 10.
func SeqKey() *[256]byte {
	var k [256]byte
	for i := range k {
		k[i] = byte(i)
	}
	return &k
}

// LoadJSON decodes the JSON file at path (testdata/vectors.json and the
// like) into v, or fails t.
func LoadJSON(t testing.TB, path string, v any) {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// Hex is a byte string written as a hex string in a JSON vector file.
type Hex []byte

// UnmarshalJSON decodes the hex string.
func (h *Hex) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	d, err := hex.DecodeString(s)
	*h = d
	return err
}
