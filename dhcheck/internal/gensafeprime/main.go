// Command gensafeprime generates the test primes in ../../testdata. It is
// run once, by hand; its output is committed so that tests never wait for it.
//
// Usage:
//
//	go run ./dhcheck/internal/gensafeprime -kind safe -bits 2048
//
// Kinds:
//
//   - safe: p = 2q+1 with p and q prime, p of exactly -bits bits.
//   - qcomposite: p prime of -bits bits, p = 2q+1 with q = r*s, r and s
//     primes of about half the size (no small factors, so only Miller-Rabin
//     can reject q).
//   - pcomposite: q prime, p = 2q+1 composite but free of small factors (so
//     the sieve passes and only the test of p can reject it).
//
// The search draws a random starting point from crypto/rand and walks
// q, q+2, q+4, ... keeping q mod r for every odd prime r below 2^16, so that
// candidates with r | q or r | 2q+1 (q = (r-1)/2 mod r) are dropped with no
// big-number arithmetic. Survivors get a base-2 Fermat test on q and then on
// p, and finally math/big's ProbablyPrime(64) on both.
package main

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"math/big"
	"os"
	"time"
)

const sieveLimit = 1 << 16

func smallPrimes() []uint32 {
	composite := make([]bool, sieveLimit)
	var ps []uint32
	for i := 3; i < sieveLimit; i += 2 {
		if composite[i] {
			continue
		}
		ps = append(ps, uint32(i))
		for j := i * i; j < sieveLimit; j += 2 * i {
			composite[j] = true
		}
	}
	return ps
}

type result struct {
	Kind    string `json:"kind"`
	Bits    int    `json:"bits"`
	P       string `json:"p"`
	Q       string `json:"q,omitempty"`
	Note    string `json:"note"`
	Seconds int    `json:"seconds"`
}

var two = big.NewInt(2)

func fermat2(n *big.Int) bool {
	nm1 := new(big.Int).Sub(n, big.NewInt(1))
	return new(big.Int).Exp(two, nm1, n).Cmp(big.NewInt(1)) == 0
}

// walk calls try on q, q+2, ... for q whose q and 2q+1 have no factor below
// sieveLimit (if sieveP) or whose q has none (if !sieveP), until try is true.
func walk(qbits int, sieveP bool, try func(q *big.Int) bool) {
	ps := smallPrimes()
	res := make([]uint32, len(ps))
	for {
		q, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), uint(qbits-1)))
		if err != nil {
			log.Fatal(err)
		}
		q.SetBit(q, qbits-1, 1)
		q.SetBit(q, 0, 1)
		for i, r := range ps {
			res[i] = uint32(new(big.Int).Mod(q, big.NewInt(int64(r))).Uint64())
		}
		for step := 0; step < 1<<16; step++ {
			ok := true
			for i, r := range ps {
				x := res[i]
				if x == 0 || (sieveP && x == (r-1)/2) {
					ok = false
				}
				x += 2
				if x >= r {
					x -= r
				}
				res[i] = x
			}
			if ok {
				c := new(big.Int).Add(q, big.NewInt(int64(2*step)))
				if c.BitLen() != qbits {
					break
				}
				if try(c) {
					return
				}
			}
		}
	}
}

func main() {
	kind := flag.String("kind", "safe", "safe, qcomposite or pcomposite")
	bits := flag.Int("bits", 2048, "bit length of p")
	flag.Parse()
	start := time.Now()
	var out result
	out.Kind, out.Bits = *kind, *bits
	switch *kind {
	case "safe":
		walk(*bits-1, true, func(q *big.Int) bool {
			if !fermat2(q) {
				return false
			}
			p := new(big.Int).Lsh(q, 1)
			p.SetBit(p, 0, 1)
			if !fermat2(p) || !q.ProbablyPrime(64) || !p.ProbablyPrime(64) {
				return false
			}
			out.P, out.Q = hex.EncodeToString(p.Bytes()), hex.EncodeToString(q.Bytes())
			out.Note = "p = 2q+1, both prime (ProbablyPrime(64) on each)"
			return true
		})
	case "pcomposite":
		walk(*bits-1, true, func(q *big.Int) bool {
			if !fermat2(q) || !q.ProbablyPrime(64) {
				return false
			}
			p := new(big.Int).Lsh(q, 1)
			p.SetBit(p, 0, 1)
			if fermat2(p) {
				return false
			}
			out.P, out.Q = hex.EncodeToString(p.Bytes()), hex.EncodeToString(q.Bytes())
			out.Note = "q prime, p = 2q+1 composite (fails base-2 Fermat), no factor of p or q below 2^16"
			return true
		})
	case "qcomposite":
		for {
			r, err := rand.Prime(rand.Reader, (*bits-1)/2)
			if err != nil {
				log.Fatal(err)
			}
			s, err := rand.Prime(rand.Reader, *bits-1-(*bits-1)/2)
			if err != nil {
				log.Fatal(err)
			}
			q := new(big.Int).Mul(r, s)
			if q.BitLen() != *bits-1 {
				continue
			}
			p := new(big.Int).Lsh(q, 1)
			p.SetBit(p, 0, 1)
			if !p.ProbablyPrime(64) {
				continue
			}
			out.P, out.Q = hex.EncodeToString(p.Bytes()), hex.EncodeToString(q.Bytes())
			out.Note = fmt.Sprintf("p = 2q+1 prime, q = r*s with r = %s, s = %s prime", r.Text(16), s.Text(16))
			break
		}
	default:
		log.Fatalf("unknown kind %q", *kind)
	}
	out.Seconds = int(time.Since(start).Seconds())
	enc := json.NewEncoder(os.Stdout)
	if err := enc.Encode(out); err != nil {
		log.Fatal(err)
	}
}
