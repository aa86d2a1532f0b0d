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

var boundSink uint32
