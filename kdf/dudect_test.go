package kdf_test

import (
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/secretbench/secretbench/internal/dudect"
	"github.com/secretbench/secretbench/kdf"
)

// TestDudectMsgKeyV1Prefix: MsgKeyV1Prefix of a fixed prefix length (the
// whole buffer) against random ones must take the same time; run with
//
//	SECRETBENCH_DUDECT=1 go test -run Dudect -v ./kdf/
func TestDudectMsgKeyV1Prefix(t *testing.T) {
	dudect.Skip(t)
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	r := rand.New(rand.NewPCG(5, 6))
	data := make([]byte, 1024)
	for i := range data {
		data[i] = byte(r.Uint32())
	}
	const batch = 100
	var lengths [batch]int
	res := dudect.Run(dudect.Config{Measurements: dudect.Count(1_000_000), Batch: batch, Seed: 7}, dudect.Target{
		Prepare: func(c, i int) {
			lengths[i] = len(data)
			if c == 1 {
				lengths[i] = r.IntN(len(data) + 1)
			}
		},
		Run: func(i int) { sink16 = kdf.MsgKeyV1Prefix(data, lengths[i]) },
	})
	t.Logf("MsgKeyV1Prefix, prefix of all 1024 bytes vs a random length: %v", res)
	if res.Leaky() {
		t.Errorf("MsgKeyV1Prefix's time depends on the prefix length: %v", res)
	}
}
