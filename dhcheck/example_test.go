package dhcheck_test

import (
	"errors"
	"fmt"

	"github.com/secretbench/secretbench/dhcheck"
)

func ExampleChecker_CheckParams() {
	// The server's dh_config: p (256 bytes) and g. Here: an even number.
	p := make([]byte, 256)
	p[0] = 0xc7
	p[255] = 0x5a
	c := dhcheck.NewChecker()
	err := c.CheckParams(4, p)
	fmt.Println(errors.Is(err, dhcheck.ErrNotSafePrime))
	// Output: true
}

func ExampleCheckGenerator() {
	// 23 is a safe prime (23 = 2*11 + 1); p mod 8 = 7, so g = 2 is a
	// quadratic residue; p mod 5 = 3, so g = 5 is not.
	fmt.Println(dhcheck.CheckGenerator(2, []byte{23}))
	fmt.Println(dhcheck.CheckGenerator(5, []byte{23}))
	// Output:
	// <nil>
	// dhcheck: g does not generate the subgroup of order (p-1)/2
}

func ExampleCheckPublic() {
	p := make([]byte, 256)
	for i := range p {
		p[i] = 0xff
	}
	gx := []byte{1} // far below 2^1984
	fmt.Println(errors.Is(dhcheck.CheckPublic(p, gx), dhcheck.ErrRange))
	// Output: true
}
