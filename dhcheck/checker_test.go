package dhcheck

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// memoVerdicts remembers CheckSafePrime's real verdicts, so that the many
// Checkers of the cache and store tests each count a full test without
// repeating the expensive part (which matters under emulation).
var memoVerdicts sync.Map // string(p) -> error (nil stored as errNil)

var errNil = errors.New("nil")

func memoCheckSafePrime(p []byte) error {
	if v, ok := memoVerdicts.Load(string(p)); ok {
		if v == errNil {
			return nil
		}
		return v.(error)
	}
	err := CheckSafePrime(p)
	if err == nil {
		memoVerdicts.Store(string(p), errNil)
	} else {
		memoVerdicts.Store(string(p), err)
	}
	return err
}

// newTestChecker is NewChecker with memoized full tests.
func newTestChecker(opts ...Option) *Checker {
	c := NewChecker(opts...)
	c.safePrime = memoCheckSafePrime
	return c
}

// The Checker knows the well-known prime (docs/PROTOCOL.md section 4: g = 3,
// 4, 7 only) without testing it, fresh, zero or given leading zeros.
func TestCheckerWellKnownWithoutTesting(t *testing.T) {
	c := NewChecker()
	var zero Checker
	padded := append(make([]byte, 2), wellKnownPrime...)
	for g := -1; g <= 9; g++ {
		want := error(ErrGenerator)
		if g == 3 || g == 4 || g == 7 {
			want = nil
		}
		ExactlyOne(t, fmt.Sprint("CheckParams(", g, ", wellknown)"), c.CheckParams(g, wellKnownPrime), want)
		ExactlyOne(t, fmt.Sprint("zero Checker CheckParams(", g, ", wellknown)"), zero.CheckParams(g, wellKnownPrime), want)
		ExactlyOne(t, "zero-prefixed", c.CheckParams(g, padded), want)
	}
	if got := c.fullTests.Load() + zero.fullTests.Load(); got != 0 {
		t.Fatalf("the well-known prime cost %d full tests, want 0", got)
	}
}

func TestZeroChecker(t *testing.T) {
	var c Checker
	if err := c.CheckParams(3, wellKnownPrime); err != nil || c.fullTests.Load() != 0 {
		t.Fatalf("zero Checker, well-known prime: %v, %d full tests", err, c.fullTests.Load())
	}
	var d Checker
	if err := d.CheckParams(4, loadNumbers(t)["generated-2048"]); err != nil || d.fullTests.Load() != 1 {
		t.Fatalf("zero Checker, generated prime: %v, %d full tests", err, d.fullTests.Load())
	}
}

func TestCheckerWellKnownNotStored(t *testing.T) {
	dir := t.TempDir()
	c := newTestChecker(WithStore(dir))
	if err := c.CheckParams(3, wellKnownPrime); err != nil {
		t.Fatal(err)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Fatalf("the well-known prime was written to the store (%d entries)", len(ents))
	}
}

func TestCheckerOrderAndCache(t *testing.T) {
	n := loadNumbers(t)
	gen := n["generated-2048"] // p mod 840 = 419: g = 3, 4, 5, 7 pass; 2, 6 fail
	c := NewChecker()
	cases := []struct {
		g    int
		p    []byte
		want error
	}{
		{9, n["generated-2049"], ErrPrimeSize}, // size before generator
		{3, nil, ErrPrimeSize},
		{1, n["p-prime-q-composite"], ErrGenerator}, // generator before primality
		{2, gen, ErrGenerator},
		{4, n["p-prime-q-composite"], ErrNotSafePrime},
		{4, n["q-prime-p-composite"], ErrNotSafePrime},
		{3, gen, nil},
		{3, append([]byte{0, 0}, gen...), nil}, // same value: cached
		{7, gen, nil},                          // another g: the rule only
		{2, gen, ErrGenerator},
		{4, n["p-prime-q-composite"], ErrNotSafePrime}, // failures are cached too
	}
	for i, k := range cases {
		err := c.CheckParams(k.g, k.p)
		if !errors.Is(err, k.want) || (k.want == nil) != (err == nil) {
			t.Fatalf("case %d: CheckParams(%d) = %v, want %v", i, k.g, err, k.want)
		}
		assertOneError(t, err)
	}
	if got := c.fullTests.Load(); got != 3 {
		t.Fatalf("%d full tests, want 3 (one per distinct p that reached the test)", got)
	}
}

func TestCheckerStoreShared(t *testing.T) {
	n := loadNumbers(t)
	gen := n["generated-2048"]
	dir := filepath.Join(t.TempDir(), "verdicts") // created by the store
	a, b := newTestChecker(WithStore(dir)), newTestChecker(WithStore(dir))
	if err := a.CheckParams(3, gen); err != nil {
		t.Fatal(err)
	}
	if err := b.CheckParams(3, gen); err != nil {
		t.Fatal(err)
	}
	if a.fullTests.Load() != 1 || b.fullTests.Load() != 0 {
		t.Fatalf("full tests: a=%d b=%d, want 1 and 0", a.fullTests.Load(), b.fullTests.Load())
	}
	// b learned p is good; a new g is persisted by b and seen by a third.
	if err := b.CheckParams(7, gen); err != nil {
		t.Fatal(err)
	}
	c := newTestChecker(WithStore(dir))
	if err := c.CheckParams(7, gen); err != nil || c.fullTests.Load() != 0 {
		t.Fatalf("third checker: %v, %d full tests", err, c.fullTests.Load())
	}
	// Failures are not stored: every new Checker tests them again.
	if err := a.CheckParams(4, n["p-prime-q-composite"]); !errors.Is(err, ErrNotSafePrime) {
		t.Fatal(err)
	}
	if err := b.CheckParams(4, n["p-prime-q-composite"]); !errors.Is(err, ErrNotSafePrime) || b.fullTests.Load() != 1 {
		t.Fatalf("stored failure: %v, %d full tests", err, b.fullTests.Load())
	}

	fi, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o700 {
		t.Errorf("store dir mode %v, want 0700", fi.Mode().Perm())
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(ents) != 2 {
		t.Errorf("%d entries in the store, want 2 (p with g=3 and g=7)", len(ents))
	}
	for _, e := range ents {
		fi, err := e.Info()
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v, want 0600", e.Name(), fi.Mode().Perm())
		}
	}
}

func TestCheckerStoreCorrupt(t *testing.T) {
	n := loadNumbers(t)
	gen, other := n["generated-2048"], n["rfc3526-2048"]
	bad := n["p-prime-q-composite"]
	s := &store{dir: t.TempDir()}
	good := entry(3, gen)
	corrupt := map[string]func(){
		"truncated": func() { os.WriteFile(s.name(3, gen), good[:len(good)-10], 0o600) },
		"empty":     func() { os.WriteFile(s.name(3, gen), nil, 0o600) },
		"flipped": func() {
			b := append([]byte(nil), good...)
			b[len(b)/2] ^= 1
			os.WriteFile(s.name(3, gen), b, 0o600)
		},
		"extra bytes":     func() { os.WriteFile(s.name(3, gen), append(good, '\n'), 0o600) },
		"foreign p":       func() { os.WriteFile(s.name(3, gen), entry(3, other), 0o600) },
		"foreign g":       func() { os.WriteFile(s.name(3, gen), entry(4, gen), 0o600) },
		"a directory":     func() { os.Mkdir(s.name(3, gen), 0o700) },
		"bad p, wrong g":  func() { os.WriteFile(s.name(4, bad), entry(3, bad), 0o600) },
		"bad p, flipped":  func() { b := entry(4, bad); b[0] ^= 1; os.WriteFile(s.name(4, bad), b, 0o600) },
		"bad p, garbage":  func() { os.WriteFile(s.name(4, bad), []byte("verdict safe-prime"), 0o600) },
		"bad p, truncate": func() { b := entry(4, bad); os.WriteFile(s.name(4, bad), b[:len(b)-1], 0o600) },
	}
	for name, plant := range corrupt {
		t.Run(name, func(t *testing.T) {
			s.dir = t.TempDir()
			plant()
			c := newTestChecker(WithStore(s.dir))
			g, p, want := 3, gen, error(nil)
			if name[:5] == "bad p" {
				g, p, want = 4, bad, ErrNotSafePrime
			}
			if err := c.CheckParams(g, p); !errors.Is(err, want) || (want == nil) != (err == nil) {
				t.Fatalf("CheckParams = %v, want %v", err, want)
			}
			if c.fullTests.Load() != 1 {
				t.Fatalf("a corrupt entry was trusted: %d full tests", c.fullTests.Load())
			}
		})
	}
}

func TestCheckerUnwritableStore(t *testing.T) {
	n := loadNumbers(t)
	file := filepath.Join(t.TempDir(), "not-a-dir")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	c := newTestChecker(WithStore(file)) // MkdirAll fails: verdict stays in memory
	for range 2 {
		if err := c.CheckParams(4, n["generated-2048"]); err != nil {
			t.Fatal(err)
		}
	}
	if c.fullTests.Load() != 1 {
		t.Fatalf("%d full tests, want 1", c.fullTests.Load())
	}
}

func TestCheckerConcurrent(t *testing.T) {
	n := loadNumbers(t)
	c := newTestChecker(WithStore(t.TempDir()))
	ps := [][]byte{wellKnownPrime, n["generated-2048"], n["p-prime-q-composite"], n["generated-2047"]}
	want := []error{nil, nil, ErrNotSafePrime, ErrPrimeSize}
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 40 {
				k := (w + i) % len(ps)
				if err := c.CheckParams(4, ps[k]); !errors.Is(err, want[k]) || (want[k] == nil) != (err == nil) {
					t.Errorf("CheckParams(%d) = %v, want %v", k, err, want[k])
					return
				}
			}
		}()
	}
	wg.Wait()
	// Concurrent first calls share one test per p.
	if got := c.fullTests.Load(); got != 2 {
		t.Errorf("%d full tests, want 2 (generated-2048 and p-prime-q-composite once each)", got)
	}
}
