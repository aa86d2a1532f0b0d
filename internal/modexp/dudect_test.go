package modexp

import (
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/secretbench/secretbench/internal/dudect"
	"github.com/secretbench/secretbench/internal/impl"
)

// TestDudectExp checks that the time of Modulus.Exp and of
// Modulus.ExpFixedBase (with its table cached) does not depend on the
// exponent, the Diffie-Hellman secret (see internal/dudect). It runs only
// with SECRETBENCH_DUDECT=1, under every implementation once modexp is in
// the registry (else the active one):
//
//	SECRETBENCH_DUDECT=1 go test -run Dudect -v ./internal/modexp/
//
// 2048-bit modulus and exponents, as in secret chats; the fixed class is
// the all-zero exponent (a shortcut for zero windows or leading zeros would
// show), the random class a fresh random one. A 2048-bit exponentiation
// takes about a millisecond, so the default is 10,000 measurements.
func TestDudectExp(t *testing.T) {
	dudect.Skip(t)
	names := impl.Available("modexp")
	if len(names) == 0 {
		names = []string{""}
	}
	for _, name := range names {
		if name != "" {
			restore, err := impl.Select("modexp", name)
			if err != nil {
				t.Fatal(err)
			}
			defer restore()
		}
		for _, f := range []struct {
			name string
			exp  func(m *Modulus, dst, base, exp []byte) error
		}{
			{"Exp", (*Modulus).Exp},
			{"ExpFixedBase", func(m *Modulus, dst, _, exp []byte) error { return m.ExpFixedBase(dst, 3, exp) }},
		} {
			res := dudectExp(t, f.exp)
			t.Logf("%s (impl %q): %v", f.name, name, res)
			if res.Leaky() {
				t.Errorf("%s (impl %q): timing depends on the exponent: %v", f.name, name, res)
			}
		}
	}
}

func dudectExp(t *testing.T, exp func(m *Modulus, dst, base, exp []byte) error) dudect.Result {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	const size, batch = 256, 100
	r := rand.New(rand.NewPCG(21, 22))
	m, err := NewModulus(randOddModulus(r, size))
	if err != nil {
		t.Fatal(err)
	}
	base := randBytes(r, size)
	exps := make([][]byte, batch)
	for i := range exps {
		exps[i] = make([]byte, size)
	}
	dst := make([]byte, size)
	if err := exp(m, dst, base, exps[0]); err != nil { // warm: ExpFixedBase builds its table once
		t.Fatal(err)
	}
	return dudect.Run(dudect.Config{Measurements: dudect.Count(10_000), Batch: batch, Seed: 23}, dudect.Target{
		Prepare: func(class, i int) {
			clear(exps[i])
			if class == 1 {
				for k := range exps[i] {
					exps[i][k] = byte(r.Uint32())
				}
			}
		},
		Run: func(i int) {
			if err := exp(m, dst, base, exps[i]); err != nil {
				t.Fatal(err)
			}
		},
	})
}
