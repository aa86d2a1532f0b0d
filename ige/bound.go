package ige

import "strconv"

// AESBound encrypts blocks AES-256 blocks in each of lanes independent lanes,
// with no loads or stores in the loop, to measure the hardware limits that
// IGE results are stated against. With lanes == 1 it is a serial chain with
// one xor per block, the critical path of one IGE stream (the single-stream
// bound); with more lanes it is the AES throughput bound at that width, one
// key schedule shared by all lanes. lanes must be one of BoundLanes().
func AESBound(c *Cipher, lanes, blocks int) {
	c.mustBeKeyed()
	if !boundSupported(lanes) {
		panic("ige: AESBound: " + strconv.Itoa(lanes) + " lanes not supported by " + Impl())
	}
	aesBound(c, lanes, blocks)
}

// BoundLanes lists the lane counts AESBound supports under the active
// implementation: 1 (serial) and each batch width it has.
func BoundLanes() []int { return boundLanes() }

func boundSupported(lanes int) bool {
	for _, l := range boundLanes() {
		if l == lanes {
			return true
		}
	}
	return false
}

var boundSink uint32
