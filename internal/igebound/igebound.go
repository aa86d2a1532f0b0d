// Package igebound runs the hardware bounds that package ige's results are
// stated against: AES-256 alone, with no loads or stores, in lanes
// independent chains. With one lane it is a serial chain with one xor per
// block, the critical path of one IGE stream (the single-stream bound); with
// more it is AES throughput at that width. It is benchmark plumbing, kept
// out of ige's public API: package ige fills it in at init with the kernels
// of its implementations, so a user of this package must import ige too
// (bench and ige's own tests do).
package igebound

import "strconv"

var (
	lanesOf  func() []int
	kernel   func(lanes int) func(blocks int)
	distinct func() (lanes int, run func(blocks int))
)

// Register is called once by package ige: lanes lists the lane counts of the
// active implementation, and newKernel returns the bound kernel at a width.
func Register(lanes func() []int, newKernel func(lanes int) func(blocks int)) {
	if lanesOf != nil {
		panic("igebound: registered twice")
	}
	lanesOf, kernel = lanes, newKernel
}

func registered() {
	if lanesOf == nil {
		panic("igebound: package ige is not linked in (import it)")
	}
}

// Lanes lists the lane counts the active ige implementation has a bound
// kernel for: 1 (serial) and each batch width.
func Lanes() []int {
	registered()
	return lanesOf()
}

// New returns the bound kernel of the active ige implementation at the given
// width, keyed with a fixed key; each call runs blocks AES-256 blocks in
// every lane. It panics unless lanes is one of Lanes().
func New(lanes int) func(blocks int) {
	registered()
	for _, l := range lanesOf() {
		if l == lanes {
			return kernel(lanes)
		}
	}
	panic("igebound: " + strconv.Itoa(lanes) + " lanes not supported (have " + fmtInts(lanesOf()) + ")")
}

func fmtInts(v []int) string {
	s := ""
	for i, n := range v {
		if i > 0 {
			s += " "
		}
		s += strconv.Itoa(n)
	}
	return s
}

// RegisterDistinctKeys is called by package ige where it has the
// distinct-keys bound (see DistinctKeys).
func RegisterDistinctKeys(newKernel func() (lanes int, run func(blocks int))) {
	distinct = newKernel
}

// DistinctKeys returns the throughput bound at the widest width with every
// lane under its own key: each AES instruction loads its lanes' round keys,
// as a batch of independent messages must. lanes is 0 and run nil where the
// active implementation has no such kernel (the portable ones).
func DistinctKeys() (lanes int, run func(blocks int)) {
	registered()
	if distinct == nil {
		return 0, nil
	}
	return distinct()
}
