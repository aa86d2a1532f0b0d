package dhcheck_test

// Black-box contract tests of the dhcheck package documentation, written as an
// outside user would: only the exported API, math/big as the reference,
// hostile shapes of input (empty, nil, huge, leading zeros, off-by-one
// bounds) and a store directory treated as untrusted.

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/secretbench/secretbench/dhcheck"
	"github.com/secretbench/secretbench/internal/dhrule"
	"github.com/secretbench/secretbench/internal/raceflag"
	"github.com/secretbench/secretbench/internal/testutil"
)

// wellKnown is docs/PROTOCOL.md section 4's prime; rfc3526 is RFC 3526 section 3
// (2048-bit MODP group, g = 2).
var (
	wellKnown = testutil.MustUnhex("c71caeb9c6b1c9048e6c522f70f13f73980d40238e3e21c14934d037563d930f48198a0aa7c14058229493d22530f4dbfa336f6e0ac9" +
		"25139543aed44cce7c3720fd51f69458705ac68cd4fe6b6b13abdc9746512969328454f18faf8c595f642477fe96bb2a941d5bcd1d4a" +
		"c8cc49880708fa9b378e3c4f3a9060bee67cf9a4a4a695811051907e162753b56b0f6b410dba74d8a84b2a14b3144e0ef1284754fd17" +
		"ed950d5965b4b9dd46582db1178d169c6bc465b0d6ff9ca3928fef5b9ae4e418fc15e83ebea0f87fa9ff5eed70050ded2849f47bf959" +
		"d956850ce929851f0d8115f635b105ee2e4e15d04b2454bf6f4fadf034b10403119cd8e3b92fcc5b")
	rfc3526 = testutil.MustUnhex("ffffffffffffffffc90fdaa22168c234c4c6628b80dc1cd129024e088a67cc74020bbea63b139b22514a08798e3404ddef9519b3cd3a431b302b0a6df25f14374fe1356d6d51c245e485b576625e7ec6f44c42e9a637ed6b0bff5cb6f406b7edee386bfb5a899fa5ae9f24117c4b1fe649286651ece45b3dc2007cb8a163bf0598da48361c55d39a69163fa8fd24cf5f83655d23dca3ad961c62f356208552bb9ed529077096966d670c354e4abc9804f1746c08ca18217c32905e462e36ce3be39e772c180e86039b2783a2ec07a28fb5c55df06f4c52c9de2bcbf6955817183995497cea956ae515d2261898fa051015728e5a8aacaa68ffffffffffffffff")
)

// cheapBad is a 2048-bit multiple of 5 with p = 7 mod 8 (so g = 2 passes the
// rule): a composite that any sieve rejects at once, for the cache and store
// tests, where what matters is which verdict comes back, not the test's cost.
var cheapBad = func() []byte {
	p := new(big.Int).SetBytes(rfc3526)
	r := new(big.Int).Mod(new(big.Int).Sub(p, big.NewInt(15)), big.NewInt(40))
	return p.Sub(p, r).Bytes()
}()

// thorough is false where full safe-prime tests are slow (emulation,
// -short): the cases that need many of them are thinned out there.
func thorough() bool { return runtime.GOARCH == "amd64" && !testing.Short() }

// TestContractWellKnownPrime: the exported prime is docs/PROTOCOL.md's (this
// file's independent copy), and each call hands out a copy of its own.
func TestContractWellKnownPrime(t *testing.T) {
	p := dhcheck.WellKnownPrime()
	if !bytes.Equal(p, wellKnown) {
		t.Fatalf("WellKnownPrime() = %x, want docs/PROTOCOL.md's prime", p)
	}
	p[0] ^= 1
	if !bytes.Equal(dhcheck.WellKnownPrime(), wellKnown) {
		t.Fatal("changing the returned slice changed the next WellKnownPrime()")
	}
	if err := dhcheck.NewChecker().CheckParams(3, dhcheck.WellKnownPrime()); err != nil {
		t.Fatalf("CheckParams(3, WellKnownPrime()): %v", err)
	}
}

func TestContractErrorsDistinct(t *testing.T) {
	for i, a := range dhcheck.AllErrs {
		if a == nil || a.Error() == "" {
			t.Fatalf("error %d is nil or has no text", i)
		}
		for j, b := range dhcheck.AllErrs {
			if i != j && (errors.Is(a, b) || a.Error() == b.Error()) {
				t.Errorf("%v and %v are not distinct", a, b)
			}
		}
	}
}

func zeros(n int) []byte { return make([]byte, n) }

func cat(bs ...[]byte) []byte { return bytes.Join(bs, nil) }

func TestContractCheckSafePrime(t *testing.T) {
	nums := dhcheck.LoadNumbers(t)
	p2047 := new(big.Int).Lsh(big.NewInt(1), 2047)
	p2048 := new(big.Int).Lsh(big.NewInt(1), 2048)
	cases := []struct {
		name string
		p    []byte
		want error
	}{
		{"nil", nil, dhcheck.ErrPrimeSize},
		{"empty", []byte{}, dhcheck.ErrPrimeSize},
		{"zero", zeros(256), dhcheck.ErrPrimeSize},
		{"one", []byte{1}, dhcheck.ErrPrimeSize},
		{"7", []byte{7}, dhcheck.ErrPrimeSize},
		{"2^2047", p2047.Bytes(), dhcheck.ErrPrimeSize},
		{"2^2047+1", new(big.Int).Add(p2047, big.NewInt(1)).Bytes(), dhcheck.ErrNotSafePrime},
		{"2^2048-1", new(big.Int).Sub(p2048, big.NewInt(1)).Bytes(), dhcheck.ErrNotSafePrime},
		{"2^2048", p2048.Bytes(), dhcheck.ErrPrimeSize},
		{"2^2048+1 (257 bytes)", new(big.Int).Add(p2048, big.NewInt(1)).Bytes(), dhcheck.ErrPrimeSize},
		{"wellknown zero-prefixed", cat(zeros(3), wellKnown), nil},
		{"rfc3526 1 MB of zeros first", cat(zeros(1<<20), rfc3526), nil},
		{"generated-2047", nums["generated-2047"], dhcheck.ErrPrimeSize},
		{"generated-2047 zero-padded to 256 bytes", cat(zeros(256-len(nums["generated-2047"])), nums["generated-2047"]), dhcheck.ErrPrimeSize},
		{"generated-2049", nums["generated-2049"], dhcheck.ErrPrimeSize},
		{"p prime, q composite", nums["p-prime-q-composite"], dhcheck.ErrNotSafePrime},
		{"q prime, p composite", nums["q-prime-p-composite"], dhcheck.ErrNotSafePrime},
		{"wellknown+2", new(big.Int).Add(new(big.Int).SetBytes(wellKnown), big.NewInt(2)).Bytes(), dhcheck.ErrNotSafePrime},
		{"wellknown*1 with trailing zero byte", cat(wellKnown, []byte{0}), dhcheck.ErrPrimeSize},
		{"1 MB of 0xff", bytes.Repeat([]byte{0xff}, 1<<20), dhcheck.ErrPrimeSize},
		{"1 MB of zeros", zeros(1 << 20), dhcheck.ErrPrimeSize},
		{"even 2048-bit", append(bytes.Clone(wellKnown[:255]), wellKnown[255]^1), dhcheck.ErrNotSafePrime},
		{"p = 1 mod 4 (q even)", append(bytes.Clone(wellKnown[:255]), wellKnown[255]^2), dhcheck.ErrNotSafePrime},
	}
	if thorough() {
		cases = append(cases, []struct {
			name string
			p    []byte
			want error
		}{
			{"wellknown", wellKnown, nil},
			{"rfc3526", rfc3526, nil},
			{"generated-2048", nums["generated-2048"], nil},
		}...)
	}
	for _, c := range cases {
		in := bytes.Clone(c.p)
		err := dhcheck.CheckSafePrime(in)
		dhcheck.ExactlyOne(t, "CheckSafePrime("+c.name+")", err, c.want)
		if !bytes.Equal(in, c.p) {
			t.Errorf("CheckSafePrime(%s) modified its input", c.name)
		}
	}
}

// For p = 3 mod 4 (prime or not), g is a quadratic residue iff the Jacobi
// symbol (g/p) is 1; the p mod 4g table must say the same. Checked against
// math/big on random 2048-bit p, and on the safe primes.
func TestContractCheckGeneratorAgainstJacobi(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	ps := [][]byte{wellKnown, rfc3526}
	for range 200 {
		b := make([]byte, 256)
		for i := range b {
			b[i] = byte(r.Uint32())
		}
		b[0] |= 0x80
		b[255] |= 3
		ps = append(ps, b)
	}
	for i, p := range ps {
		pb := new(big.Int).SetBytes(p)
		for g := 2; g <= 7; g++ {
			want := big.Jacobi(big.NewInt(int64(g)), pb) == 1
			for _, in := range [][]byte{p, cat(zeros(1+i%40), p)} {
				err := dhcheck.CheckGenerator(g, in)
				if (err == nil) != want {
					t.Fatalf("p #%d, g=%d: CheckGenerator = %v, Jacobi says residue=%v", i, g, err, want)
				}
				if err != nil {
					dhcheck.ExactlyOne(t, "CheckGenerator", err, dhcheck.ErrGenerator)
				}
			}
		}
	}
	// The well-known prime: 3, 4, 7 only (docs/PROTOCOL.md section 4).
	for g := -3; g <= 10; g++ {
		err := dhcheck.CheckGenerator(g, wellKnown)
		if ok := g == 3 || g == 4 || g == 7; ok != (err == nil) {
			t.Errorf("CheckGenerator(%d, wellknown) = %v", g, err)
		}
	}
}

func TestContractCheckGeneratorOutOfRange(t *testing.T) {
	for _, g := range []int{-1 << 63, -7, -4, -1, 0, 1, 8, 9, 11, 12, 1 << 20, 1<<63 - 1, -(1 << 62), 4 + 1<<32, 3 + 840, 7 - 840} {
		for _, p := range [][]byte{wellKnown, rfc3526, nil, bytes.Repeat([]byte{0xff}, 1<<20)} {
			err := dhcheck.CheckGenerator(g, p)
			dhcheck.ExactlyOne(t, fmt.Sprint("CheckGenerator(", g, ")"), err, dhcheck.ErrGenerator)
		}
	}
	for g := 2; g <= 7; g++ {
		for _, p := range [][]byte{nil, {}, {7}, {0, 0, 7}, zeros(1 << 20), bytes.Repeat([]byte{0xff}, 1<<20)} {
			err := dhcheck.CheckGenerator(g, p)
			if g == 4 && err != nil { // a square: nothing of p is needed
				t.Errorf("CheckGenerator(4, %d bytes) = %v", len(p), err)
			}
		}
	}
}

func TestContractCheckPublic(t *testing.T) {
	nums := dhcheck.LoadNumbers(t)
	two1984 := new(big.Int).Lsh(big.NewInt(1), 1984)
	for _, p := range [][]byte{wellKnown, rfc3526, nums["generated-2048"]} {
		pb := new(big.Int).SetBytes(p)
		hi := new(big.Int).Sub(pb, two1984)
		add := func(x *big.Int, d int64) *big.Int { return new(big.Int).Add(x, big.NewInt(d)) }
		cases := []struct {
			name string
			gx   *big.Int
			ok   bool
		}{
			{"0", big.NewInt(0), false},
			{"1", big.NewInt(1), false},
			{"2", big.NewInt(2), false},
			{"2^1984-1", add(two1984, -1), false},
			{"2^1984", two1984, true},
			{"2^1984+1", add(two1984, 1), true},
			{"2^1985", new(big.Int).Lsh(two1984, 1), true},
			{"p-2^1984-1", add(hi, -1), true},
			{"p-2^1984", hi, true},
			{"p-2^1984+1", add(hi, 1), false},
			{"p-2", add(pb, -2), false},
			{"p-1", add(pb, -1), false},
			{"p", pb, false},
			{"p+1", add(pb, 1), false},
			{"2^2048-1", add(new(big.Int).Lsh(big.NewInt(1), 2048), -1), false},
			{"2^2048", new(big.Int).Lsh(big.NewInt(1), 2048), false},
			{"2^4096", new(big.Int).Lsh(big.NewInt(1), 4096), false},
		}
		for _, c := range cases {
			gx := c.gx.Bytes()
			for _, pad := range []int{0, 1, 5, 300} {
				in := cat(zeros(pad), gx)
				pin := cat(zeros(pad/2), p)
				inCopy, pCopy := bytes.Clone(in), bytes.Clone(pin)
				err := dhcheck.CheckPublic(pin, in)
				want := dhcheck.ErrRange
				if c.ok {
					want = nil
				}
				dhcheck.ExactlyOne(t, fmt.Sprintf("CheckPublic(gx=%s, %d zeros)", c.name, pad), err, want)
				if !bytes.Equal(in, inCopy) || !bytes.Equal(pin, pCopy) {
					t.Errorf("CheckPublic modified its input")
				}
			}
		}
		// Random values near both bounds against math/big.
		r := rand.New(rand.NewPCG(5, 6))
		for range 300 {
			base := two1984
			if r.IntN(2) == 0 {
				base = hi
			}
			d := new(big.Int).Lsh(big.NewInt(int64(r.IntN(1<<16))), uint(r.IntN(1990)))
			if r.IntN(2) == 0 {
				d.Neg(d)
			}
			gx := new(big.Int).Add(base, d)
			if gx.Sign() < 0 {
				continue
			}
			want := gx.Cmp(two1984) >= 0 && gx.Cmp(hi) <= 0
			err := dhcheck.CheckPublic(p, gx.Bytes())
			if (err == nil) != want {
				t.Fatalf("CheckPublic(%x) = %v, want ok=%v", gx, err, want)
			}
		}
	}
	// Empty, nil, huge: an error, no panic, no hang.
	for _, gx := range [][]byte{nil, {}, zeros(1 << 20), bytes.Repeat([]byte{0xff}, 1<<20), cat(zeros(1<<20), two1984.Bytes())} {
		err := dhcheck.CheckPublic(wellKnown, gx)
		if len(gx) == 1<<20+len(two1984.Bytes()) {
			dhcheck.ExactlyOne(t, "CheckPublic(1 MB zeros || 2^1984)", err, nil)
		} else {
			dhcheck.ExactlyOne(t, "CheckPublic(odd gx)", err, dhcheck.ErrRange)
		}
	}
	// A p that is not a 2048-bit number makes the range meaningless.
	for _, p := range [][]byte{nil, {}, {0xff}, zeros(256), bytes.Repeat([]byte{0xff}, 257), nums["generated-2047"], nums["generated-2049"]} {
		dhcheck.ExactlyOne(t, fmt.Sprintf("CheckPublic(p of %d bytes)", len(p)), dhcheck.CheckPublic(p, two1984.Bytes()), dhcheck.ErrPrimeSize)
	}
}

func TestContractCheckParamsOrder(t *testing.T) {
	nums := dhcheck.LoadNumbers(t)
	c := dhcheck.NewChecker()
	cases := []struct {
		name string
		g    int
		p    []byte
		want error
	}{
		{"2049-bit safe prime, bad g", 0, nums["generated-2049"], dhcheck.ErrPrimeSize},
		{"2049-bit safe prime, g=9", 9, nums["generated-2049"], dhcheck.ErrPrimeSize},
		{"2047-bit safe prime, good g", 2, nums["generated-2047"], dhcheck.ErrPrimeSize},
		{"nil p, bad g", 1, nil, dhcheck.ErrPrimeSize},
		{"1 MB p, bad g", -5, bytes.Repeat([]byte{0xff}, 1<<20), dhcheck.ErrPrimeSize},
		{"composite p, g out of range", 8, nums["q-prime-p-composite"], dhcheck.ErrGenerator},
		{"composite p, non-residue g", 3, nums["q-prime-p-composite"], dhcheck.ErrGenerator}, // p mod 3 = 2? checked below
		{"composite p, residue g", 2, nums["q-prime-p-composite"], dhcheck.ErrNotSafePrime},
		{"q composite, residue g", 7, nums["p-prime-q-composite"], dhcheck.ErrNotSafePrime},
		{"wellknown g=2", 2, wellKnown, dhcheck.ErrGenerator},
		{"wellknown g=3", 3, wellKnown, nil},
		{"rfc3526 g=2", 2, rfc3526, nil},
		{"rfc3526 g=3 zero-prefixed", 3, cat(zeros(1<<20), rfc3526), nil},
		{"rfc3526 g=6", 6, rfc3526, nil},
		{"rfc3526 g=7", 7, rfc3526, nil},
	}
	for _, cs := range cases {
		want := cs.want
		if cs.name == "composite p, non-residue g" {
			// Pick the expectation from the rule itself: the point is that
			// the generator error wins over the safe-prime error.
			if dhcheck.CheckGenerator(3, cs.p) == nil {
				want = dhcheck.ErrNotSafePrime
			}
		}
		if cs.name == "q composite, residue g" && dhcheck.CheckGenerator(7, cs.p) != nil {
			want = dhcheck.ErrGenerator
		}
		in := bytes.Clone(cs.p)
		err := c.CheckParams(cs.g, in)
		dhcheck.ExactlyOne(t, "CheckParams("+cs.name+")", err, want)
		if !bytes.Equal(in, cs.p) {
			t.Errorf("CheckParams(%s) modified its input", cs.name)
		}
		// The same answer twice (the cache must not change verdicts).
		dhcheck.ExactlyOne(t, "again CheckParams("+cs.name+")", c.CheckParams(cs.g, in), want)
	}
	// Every g for every number agrees with CheckGenerator + CheckSafePrime.
	// (rfc3526's verdict is already in c's cache from the cases above.)
	every := map[string]error{"rfc3526": nil, "cheapBad": dhcheck.ErrNotSafePrime}
	if thorough() {
		every["generated-2048"] = nil
		every["q-prime-p-composite"] = dhcheck.ErrNotSafePrime
	}
	for name, safe := range every {
		p := nums[name]
		switch name {
		case "rfc3526":
			p = rfc3526
		case "cheapBad":
			p = cheapBad
		}
		if thorough() {
			dhcheck.ExactlyOne(t, "CheckSafePrime("+name+")", dhcheck.CheckSafePrime(p), safe)
		}
		for g := -1; g <= 9; g++ {
			want := dhcheck.CheckGenerator(g, p)
			if want == nil {
				want = safe
			}
			chks := []*dhcheck.Checker{c}
			if thorough() || name == "cheapBad" {
				chks = append(chks, new(dhcheck.Checker))
			}
			for _, chk := range chks {
				if got := chk.CheckParams(g, p); !errors.Is(got, want) && got != want {
					t.Errorf("CheckParams(%d, %s) = %v, want %v", g, name, got, want)
				}
			}
		}
	}
}

// Inputs are not retained: the cache must key on a copy of p.
func TestContractCheckParamsNotRetained(t *testing.T) {
	bad := cheapBad
	if dhcheck.CheckGenerator(2, bad) != nil || dhcheck.CheckGenerator(2, rfc3526) != nil {
		t.Fatal("test numbers do not suit g = 2")
	}
	chks := []*dhcheck.Checker{new(dhcheck.Checker), dhcheck.NewChecker(dhcheck.WithStore(t.TempDir()))}
	if thorough() {
		chks = append(chks, dhcheck.NewChecker())
	}
	for _, c := range chks {
		buf := bytes.Clone(rfc3526)
		dhcheck.ExactlyOne(t, "CheckParams(2, rfc3526)", c.CheckParams(2, buf), nil)
		copy(buf, bad)
		dhcheck.ExactlyOne(t, "CheckParams(2, mutated buffer)", c.CheckParams(2, buf), dhcheck.ErrNotSafePrime)
		dhcheck.ExactlyOne(t, "CheckParams(2, rfc3526) again", c.CheckParams(2, rfc3526), nil)
		copy(buf, rfc3526)
		dhcheck.ExactlyOne(t, "CheckParams(2, buffer restored)", c.CheckParams(2, buf), nil)
		// The well-known prime's entry is not tied to the caller's buffer.
		wk := bytes.Clone(wellKnown)
		dhcheck.ExactlyOne(t, "CheckParams(3, wellknown)", c.CheckParams(3, wk), nil)
		copy(wk, bad)
		dhcheck.ExactlyOne(t, "CheckParams(3, mutated wellknown buffer)", c.CheckParams(2, wk), dhcheck.ErrNotSafePrime)
	}
}

// storeFiles lists the regular files under dir.
func storeFiles(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			out = append(out, path)
		}
		return nil
	})
	return out
}

func TestContractStore(t *testing.T) {
	nums := dhcheck.LoadNumbers(t)
	good := rfc3526 // g = 2 and 6 pass the rule
	dir := t.TempDir()
	a := dhcheck.NewChecker(dhcheck.WithStore(dir))
	dhcheck.ExactlyOne(t, "store: CheckParams(2, rfc3526)", a.CheckParams(2, good), nil)
	if len(storeFiles(t, dir)) == 0 {
		t.Fatal("no verdict on disk when CheckParams returned")
	}
	// A second Checker on the same dir agrees, for this g and others.
	b := dhcheck.NewChecker(dhcheck.WithStore(dir))
	dhcheck.ExactlyOne(t, "second Checker g=2", b.CheckParams(2, good), nil)
	dhcheck.ExactlyOne(t, "second Checker g=6", b.CheckParams(6, good), nil)
	dhcheck.ExactlyOne(t, "second Checker g=7", b.CheckParams(7, good), nil)

	// Corrupt every entry in every way: the verdict must still be right,
	// and for a bad p never "good".
	bad := cheapBad
	badQ := nums["p-prime-q-composite"]
	goodEntries := map[string][]byte{}
	for _, f := range storeFiles(t, dir) {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		goodEntries[f] = raw
	}
	// Plant foreign entries under every name that the good entries' names
	// could map to for the bad numbers: replace any hex encoding of good (or
	// of its SHA-256, at any prefix length) by that of the bad one, and any
	// mention of the good g by the others.
	plant := func(target []byte) {
		gh, th := hex.EncodeToString(good), hex.EncodeToString(target)
		gsum, tsum := sha256.Sum256(good), sha256.Sum256(target)
		gs, ts := hex.EncodeToString(gsum[:]), hex.EncodeToString(tsum[:])
		for f, raw := range goodEntries {
			base := filepath.Base(f)
			name := ""
			for n := 64; n >= 8 && name == ""; n -= 2 {
				if strings.Contains(base, gs[:n]) {
					name = strings.ReplaceAll(base, gs[:n], ts[:n])
				}
			}
			if name == "" && strings.Contains(base, gh) {
				name = strings.ReplaceAll(base, gh, th)
			}
			if name == "" {
				t.Logf("store entry name %q does not derive from p in a way this test knows; foreign-entry cases skipped", base)
				continue
			}
			contents := [][]byte{
				raw,              // the good p's own entry under the bad p's name
				raw[:len(raw)/2], // truncated
				nil,              // empty
				append(bytes.Clone(raw), '\n'),
			}
			// The bad p named, but for another g: foreign as well. (An
			// exact entry for (bad, 2) would be a forgery by someone with
			// write access to dir, which the store trusts by design.)
			if forged := bytes.ReplaceAll(raw, []byte(gh), []byte(th)); bytes.Contains(forged, []byte("g 2")) {
				contents = append(contents, bytes.Replace(forged, []byte("g 2"), []byte("g 3"), 1))
			}
			for k, content := range contents {
				path := filepath.Join(filepath.Dir(f), name)
				if err := os.WriteFile(path, content, 0o600); err != nil {
					t.Fatal(err)
				}
				c := dhcheck.NewChecker(dhcheck.WithStore(dir))
				if err := c.CheckParams(2, target); err == nil {
					t.Fatalf("a foreign/corrupt entry %q (content %d) made a bad p pass", name, k)
				}
				os.Remove(path)
			}
		}
	}
	plant(bad)
	if thorough() {
		plant(badQ)
	}

	// Corrupt the good entries themselves: the verdict is still right.
	for f, raw := range goodEntries {
		corrupt := [][]byte{raw[:len(raw)-1], append(bytes.Clone(raw), "junk"...)}
		if thorough() {
			corrupt = append(corrupt, nil, raw[:1], bytes.Repeat([]byte{0}, len(raw)))
		}
		for _, content := range corrupt {
			os.WriteFile(f, content, 0o600)
			c := dhcheck.NewChecker(dhcheck.WithStore(dir))
			dhcheck.ExactlyOne(t, "CheckParams with a corrupt entry", c.CheckParams(2, good), nil)
		}
		// An entry that is a directory, or unreadable, is absent too.
		os.Remove(f)
		os.Mkdir(f, 0o700)
		dhcheck.ExactlyOne(t, "CheckParams with a directory entry", dhcheck.NewChecker(dhcheck.WithStore(dir)).CheckParams(2, good), nil)
		os.Remove(f)
	}
}

func TestContractStoreUnwritable(t *testing.T) {
	tmp := t.TempDir()
	file := filepath.Join(tmp, "file")
	if err := os.WriteFile(file, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	dirs := []string{filepath.Join(file, "sub")}
	if thorough() {
		dirs = append(dirs, file, string([]byte{0}))
	}
	for _, dir := range dirs {
		c := dhcheck.NewChecker(dhcheck.WithStore(dir))
		var err1, err2, err3 error
		err1 = c.CheckParams(2, rfc3526)
		err2 = c.CheckParams(2, cheapBad)
		err3 = c.CheckParams(2, rfc3526)
		dhcheck.ExactlyOne(t, "unwritable store "+dir+", good p", err1, nil)
		dhcheck.ExactlyOne(t, "unwritable store "+dir+", bad p", err2, dhcheck.ErrNotSafePrime)
		dhcheck.ExactlyOne(t, "unwritable store "+dir+", good p again", err3, nil)
	}
}

// Many goroutines, several Checkers, one store dir.
func TestContractConcurrentStore(t *testing.T) {
	nums := dhcheck.LoadNumbers(t)
	dir := t.TempDir()
	checkers := []*dhcheck.Checker{
		dhcheck.NewChecker(dhcheck.WithStore(dir)),
		dhcheck.NewChecker(dhcheck.WithStore(dir)),
		dhcheck.NewChecker(),
		new(dhcheck.Checker),
	}
	type q struct {
		g    int
		p    []byte
		want error
	}
	qs := []q{
		{2, rfc3526, nil},
		{6, rfc3526, nil},
		{7, rfc3526, nil},
		{3, wellKnown, nil},
		{2, wellKnown, dhcheck.ErrGenerator},
		{2, cheapBad, dhcheck.ErrNotSafePrime},
		{2, nums["generated-2049"], dhcheck.ErrPrimeSize},
	}
	if thorough() {
		qs = append(qs, q{2, nums["p-prime-q-composite"], dhcheck.ErrNotSafePrime}, q{4, nums["generated-2048"], nil})
	}
	var wg sync.WaitGroup
	errs := make(chan string, 1000)
	for w := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 3 * len(qs) {
				x := qs[(w+i)%len(qs)]
				c := checkers[(w+i)%len(checkers)]
				got := c.CheckParams(x.g, x.p)
				if got != x.want && !errors.Is(got, x.want) {
					errs <- fmt.Sprintf("goroutine %d: CheckParams(%d, %x...) = %v, want %v", w, x.g, x.p[:4], got, x.want)
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	// No temporary files left behind, and the entries are readable by a
	// fresh Checker.
	fresh := dhcheck.NewChecker(dhcheck.WithStore(dir))
	for _, x := range qs {
		if got := fresh.CheckParams(x.g, x.p); got != x.want && !errors.Is(got, x.want) {
			t.Errorf("fresh Checker: CheckParams(%d) = %v, want %v", x.g, got, x.want)
		}
	}
	for _, f := range storeFiles(t, dir) {
		if strings.Contains(filepath.Base(f), "tmp") {
			t.Errorf("temporary file left in the store: %s", f)
		}
	}
}

// FuzzContractPublicAndGenerator checks CheckPublic and CheckGenerator
// against math/big and docs/PROTOCOL.md's table, for arbitrary bytes (with
// leading zeros) as gx and as p.
func FuzzContractPublicAndGenerator(f *testing.F) {
	f.Add([]byte{1}, 0, 3)
	f.Add(new(big.Int).Lsh(big.NewInt(1), 1984).Bytes(), 2, 7)
	f.Add(wellKnown, 1, 4)
	f.Fuzz(func(t *testing.T, x []byte, pad int, g int) {
		pad = pad & 7
		two1984 := new(big.Int).Lsh(big.NewInt(1), 1984)
		for _, p := range [][]byte{wellKnown, rfc3526} {
			pb := new(big.Int).SetBytes(p)
			gx := new(big.Int).SetBytes(x)
			// Also probe the bounds: x read as an offset from p - 2^1984.
			for _, v := range []*big.Int{gx, new(big.Int).Sub(new(big.Int).Sub(pb, two1984), new(big.Int).SetBytes(x[:min(len(x), 2)]))} {
				if v.Sign() < 0 {
					continue
				}
				hi := new(big.Int).Sub(pb, two1984)
				want := v.Cmp(two1984) >= 0 && v.Cmp(hi) <= 0
				in := cat(zeros(pad), v.Bytes())
				err := dhcheck.CheckPublic(cat(zeros(pad/2), p), in)
				if (err == nil) != want || (err != nil && !errors.Is(err, dhcheck.ErrRange)) {
					t.Fatalf("CheckPublic(%x) = %v, want ok=%v", v, err, want)
				}
			}
		}
		// CheckGenerator on x as p: the rule's table applied to p mod 840
		// computed with big (the table itself is checked against Euler's
		// criterion in internal/dhrule).
		want := dhrule.OK(g, new(big.Int).Mod(new(big.Int).SetBytes(x), big.NewInt(dhrule.LCM)).Uint64())
		err := dhcheck.CheckGenerator(g, cat(zeros(pad), x))
		if (err == nil) != want || (err != nil && !errors.Is(err, dhcheck.ErrGenerator)) {
			t.Fatalf("CheckGenerator(%d, %x) = %v, want ok=%v", g, x, err, want)
		}
	})
}

// The package doc promises that a warm CheckParams does not allocate.
func TestContractWarmNoAllocs(t *testing.T) {
	if raceflag.Enabled {
		t.Skip("allocation counts are not meaningful under -race")
	}
	padded := cat(zeros(7), wellKnown)
	for name, c := range map[string]*dhcheck.Checker{
		"NewChecker": dhcheck.NewChecker(),
		"zero":       new(dhcheck.Checker),
		"WithStore":  dhcheck.NewChecker(dhcheck.WithStore(t.TempDir())),
	} {
		_ = c.CheckParams(2, rfc3526)
		_ = c.CheckParams(2, cheapBad)
		for _, q := range []struct {
			g int
			p []byte
		}{{3, wellKnown}, {2, wellKnown}, {7, padded}, {2, rfc3526}, {2, cheapBad}, {9, rfc3526}} {
			want := c.CheckParams(q.g, q.p)
			if n := testing.AllocsPerRun(20, func() {
				if c.CheckParams(q.g, q.p) != want {
					panic("verdict changed")
				}
			}); n != 0 {
				t.Errorf("%s: warm CheckParams(%d, %x...) allocates %v times", name, q.g, q.p[:2], n)
			}
		}
	}
}
