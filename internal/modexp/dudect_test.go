package modexp

import (
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/secretbench/secretbench/internal/dudect"
	"github.com/secretbench/secretbench/internal/impl"
)

// TestDudectExp checks that Modulus.Exp's time does not depend on the
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
		res := dudectExp(t)
		t.Logf("Exp (impl %q): %v", name, res)
		if res.Leaky() {
			t.Errorf("Exp (impl %q): timing depends on the exponent: %v", name, res)
		}
	}
}

func dudectExp(t *testing.T) dudect.Result {
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
			if err := m.Exp(dst, base, exps[i]); err != nil {
				t.Fatal(err)
			}
		},
	})
}
