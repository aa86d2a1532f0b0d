package filecrypt_test

import (
	"math/rand/v2"
	"testing"

	"github.com/secretbench/secretbench/internal/impl/impltest"
	"github.com/secretbench/secretbench/internal/raceflag"
)

// TestImplementations runs the vectors, stream round trips and batches once
// on every ige implementation this CPU has, the generic one included, not
// only on the one selected. Under the race detector (where the generic AES
// is very slow) the round trips stop at the first part boundaries.
func TestImplementations(t *testing.T) {
	sizes := roundTripSizes()
	if raceflag.Enabled {
		sizes = []int{0, 1, 15, 16, 17, 32<<10 - 1, 32<<10 + 1, 64<<10 + 1}
	}
	impltest.Run(t, "ige", func(t *testing.T) {
		t.Run("vectors", TestVectors)
		t.Run("round-trip", func(t *testing.T) { roundTrip(t, sizes, rand.New(rand.NewPCG(7, 8))) })
		if !raceflag.Enabled {
			t.Run("batch", TestBatch)
		}
	})
}
