package modexp_test

import (
	"fmt"

	"github.com/secretbench/secretbench/internal/modexp"
)

func ExampleExp() {
	// 3^200 mod 1000003, as 3 big-endian bytes (the length of m).
	r, err := modexp.Exp([]byte{3}, []byte{200}, []byte{0x0f, 0x42, 0x43})
	fmt.Printf("%x %v\n", r, err)
	// Output: 0518a2 <nil>
}

func ExampleVarTimeModulus_ExpBatch() {
	// Public bases, one exponent: Miller-Rabin style. 1000003 is prime, so
	// a^(m-1) = 1 for every base.
	m, _ := modexp.NewVarTimeModulus([]byte{0x0f, 0x42, 0x43})
	bases := [][]byte{{2}, {3}, {5}, {7}, {11}}
	dst := make([][]byte, len(bases))
	for i := range dst {
		dst[i] = make([]byte, m.Size())
	}
	if err := m.ExpBatch(dst, bases, []byte{0x0f, 0x42, 0x42}); err != nil {
		panic(err)
	}
	fmt.Println(dst)
	// Output: [[0 0 1] [0 0 1] [0 0 1] [0 0 1] [0 0 1]]
}
