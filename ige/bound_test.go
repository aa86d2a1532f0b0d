package ige

import (
	"slices"
	"testing"

	"github.com/secretbench/secretbench/internal/igebound"
	"github.com/secretbench/secretbench/internal/impl/impltest"
)

// TestBound: under every implementation the bound kernels (measured by the
// bench suite's AESBound cases) are reachable at exactly the lane counts the
// implementation has, serial first, and refuse any other width.
func TestBound(t *testing.T) {
	impltest.Run(t, "ige", func(t *testing.T) {
		lanes := igebound.Lanes()
		if !slices.Equal(lanes, boundLanes()) || lanes[0] != 1 || !slices.IsSorted(lanes) {
			t.Fatalf("igebound.Lanes() = %v, boundLanes() = %v", lanes, boundLanes())
		}
		for _, l := range lanes {
			igebound.New(l)(4)
		}
		mustPanic(t, "lanes not supported", func() { igebound.New(3) })
		n, run := igebound.DistinctKeys()
		if want := active.name == "vaes-avx512"; (n == maxBoundLanes()) != want || (run != nil) != want {
			t.Fatalf("DistinctKeys() = %d lanes under %s", n, active.name)
		}
	})
}

func maxBoundLanes() int { return slices.Max(boundLanes()) }
