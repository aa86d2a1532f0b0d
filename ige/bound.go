package ige

import "github.com/secretbench/secretbench/internal/igebound"

// The hardware-bound kernels (see internal/igebound) are benchmark plumbing:
// they are reached through that package, not this one's API.
func init() {
	igebound.Register(boundLanes, func(lanes int) func(blocks int) {
		c, err := NewCipher(make([]byte, KeySize))
		if err != nil {
			panic("ige: internal error: " + err.Error())
		}
		return func(blocks int) { aesBound(c, lanes, blocks) }
	})
}

// aesBoundGeneric is the portable bound: a serial chain of table AES.
func aesBoundGeneric(c *Cipher, blocks int) {
	var s0, s1, s2, s3 uint32
	for range blocks {
		s0, s1, s2, s3 = encryptWords(&c.enc, s0^1, s1, s2, s3)
	}
	boundSink = s0 ^ s1 ^ s2 ^ s3
}

var boundSink uint32
