package ige

import (
	"runtime"
	"slices"
	"testing"

	"github.com/secretbench/secretbench/internal/igebound"
	"github.com/secretbench/secretbench/internal/impl/impltest"
	"github.com/secretbench/secretbench/internal/testutil"
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
		testutil.MustPanic(t, "igebound.New(3)", func() { igebound.New(3) }, "3 lanes not supported")
		n, run := igebound.DistinctKeys()
		// amd64 has it for each family's widest kernel.
		if want := runtime.GOARCH == "amd64" && active.name != "generic"; (n == maxBoundLanes()) != want || (run != nil) != want {
			t.Fatalf("DistinctKeys() = %d lanes under %s", n, active.name)
		}
		if run != nil {
			run(4)
		}
	})
}

func maxBoundLanes() int { return slices.Max(boundLanes()) }
