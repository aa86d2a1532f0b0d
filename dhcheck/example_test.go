package dhcheck_test

import (
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"

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

func ExampleWithStore() {
	dir, err := os.MkdirTemp("", "dhcheck-example")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	store := filepath.Join(dir, "verdicts")

	// The 2048-bit MODP group of RFC 3526 section 3, with g = 2.
	p, _ := hex.DecodeString("" +
		"FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74" +
		"020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F1437" +
		"4FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED" +
		"EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF05" +
		"98DA48361C55D39A69163FA8FD24CF5F83655D23DCA3AD961C62F356208552BB" +
		"9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B" +
		"E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF695581718" +
		"3995497CEA956AE515D2261898FA051015728E5A8AACAA68FFFFFFFFFFFFFFFF")

	// The first Checker tests p and writes its verdict; a second one (in
	// this or another process) finds it in the store.
	fmt.Println(dhcheck.NewChecker(dhcheck.WithStore(store)).CheckParams(2, p))
	fmt.Println(dhcheck.NewChecker(dhcheck.WithStore(store)).CheckParams(2, p))
	entries, _ := os.ReadDir(store)
	fmt.Println(len(entries), "entry")
	// Output:
	// <nil>
	// <nil>
	// 1 entry
}
