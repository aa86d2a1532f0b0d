package testutil

import (
	"os"
	"path/filepath"
	"testing"
)

// recorder is a testing.TB that records failures instead of failing, so
// the helpers' own verdicts can be checked.
type recorder struct {
	testing.TB
	errs []string
}

func (r *recorder) Helper() {}
func (r *recorder) Errorf(format string, args ...any) {
	r.errs = append(r.errs, format)
}

func TestMustPanic(t *testing.T) {
	for _, c := range []struct {
		name string
		f    func()
		want []string
		ok   bool
	}{
		{"clear", func() { panic("pkg: x must be 0 or 8, got 3") }, []string{"x must", "3"}, true},
		{"error value", func() { panic(os.ErrClosed) }, []string{"closed"}, true},
		{"missing fragment", func() { panic("pkg: bad length") }, []string{"x must"}, false},
		{"no panic", func() {}, nil, false},
		{"runtime error", func() { var s []int; _ = s[3] }, nil, false},
	} {
		r := &recorder{TB: t}
		MustPanic(r, c.name, c.f, c.want...)
		if ok := len(r.errs) == 0; ok != c.ok {
			t.Errorf("%s: passed %v, want %v (%v)", c.name, ok, c.ok, r.errs)
		}
	}
	if !Panics(func() { panic(1) }) || Panics(func() {}) {
		t.Error("Panics is wrong")
	}
}

func TestSeqKeyUnhexLoadJSON(t *testing.T) {
	k := SeqKey()
	if k[0] != 0 || k[17] != 17 || k[255] != 255 {
		t.Fatalf("SeqKey() = %x", k[:])
	}
	if got := Unhex(t, "00ff10"); string(got) != "\x00\xff\x10" {
		t.Fatalf("Unhex = %x", got)
	}
	if got := MustUnhex("ab"); len(got) != 1 || got[0] != 0xab {
		t.Fatalf("MustUnhex = %x", got)
	}
	p := filepath.Join(t.TempDir(), "v.json")
	if err := os.WriteFile(p, []byte(`{"a": [1, 2]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	var v struct{ A []int }
	LoadJSON(t, p, &v)
	if len(v.A) != 2 || v.A[1] != 2 {
		t.Fatalf("LoadJSON: %+v", v)
	}
	if !Panics(func() { MustUnhex("zz") }) {
		t.Error("MustUnhex accepted bad hex")
	}
}
