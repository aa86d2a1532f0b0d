package kdf_test

import (
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/secretbench/secretbench/internal/dudect"
	"github.com/secretbench/secretbench/kdf"
)

// TestDudectMsgKeyV1Prefix: MsgKeyV1Prefix of a fixed prefix length (the
// whole buffer) against random ones must take the same time. Run with
//
//	SECRETBENCH_DUDECT=1 go test -run Dudect -v ./kdf/
func TestDudectMsgKeyV1Prefix(t *testing.T) {
	dudect.Skip(t)
	res := dudectPrefix(func(data []byte, n int) [16]byte { return kdf.MsgKeyV1Prefix(data, n) })
	t.Logf("MsgKeyV1Prefix, prefix of all 1024 bytes vs a random length: %v", res)
	if res.Leaky() {
		t.Errorf("MsgKeyV1Prefix's time depends on the prefix length: %v", res)
	}
}

// TestDudectMsgKeyV1Detected: MsgKeyV1 of the prefix itself, whose time
// does depend on its length, must be flagged by the same check.
func TestDudectMsgKeyV1Detected(t *testing.T) {
	dudect.Skip(t)
	res := dudectPrefix(func(data []byte, n int) [16]byte { return kdf.MsgKeyV1(data[:n]) })
	t.Logf("MsgKeyV1 of the prefix, all 1024 bytes vs a random length: %v", res)
	if !res.Leaky() {
		t.Errorf("MsgKeyV1 of a variable prefix was not flagged: %v", res)
	}
}

// dudectPrefix measures f on a 1024-byte buffer with the prefix length
// fixed at 1024 (class 0) or random (class 1).
func dudectPrefix(f func(data []byte, n int) [16]byte) dudect.Result {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	r := rand.New(rand.NewPCG(5, 6))
	data := make([]byte, 1024)
	for i := range data {
		data[i] = byte(r.Uint32())
	}
	const batch = 100
	var lengths [batch]int
	return dudect.Run(dudect.Config{Measurements: dudect.Count(1_000_000), Batch: batch, Seed: 7}, dudect.Target{
		Prepare: func(c, i int) {
			lengths[i] = len(data)
			if c == 1 {
				lengths[i] = r.IntN(len(data) + 1)
			}
		},
		Run: func(i int) { sink16 = f(data, lengths[i]) },
	})
}
