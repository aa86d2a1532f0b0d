package secret

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/secretbench/secretbench/internal/dudect"
)

// Review: does Decrypt's running time, on a tampered message (msg_key
// fails, ErrMsgKey either way), depend on whether the secret length prefix
// of its first block is plausible for v2? The server sees a legitimate
// message, can cut or extend its ciphertext while keeping msg_key and the
// first block, and so would learn the plaintext length the random padding
// hides by timing the receiver. open() used to take a different order of
// work for an implausible prefix (v1 first, then a second v2 key derivation
// and a decryption not overlapped with the hash): |t| was about 4,000 at
// 500,000 measurements, against about 2 for a baseline pair of two
// plausible prefixes, and about 1 once open did the same work for both.
//
// The pair under test is judged against that baseline pair as well as
// dudect's threshold, so that an artefact of the harness that separates any
// two wires is not mistaken for this leak.
//
//	SECRETBENCH_DUDECT=1 go test -run ReviewDudect -v ./secret/
func TestReviewDudectLengthPlausibility(t *testing.T) {
	dudect.Skip(t)
	r := rand.New(rand.NewPCG(45, 46))
	key := dudectKey(r)
	const n = 1088
	pair := func(pads [2]int) [2][]byte {
		var wires [2][]byte
		for c, pad := range pads {
			for {
				w := dudectWire(key, dudectPlaintext(r, n, n-4-pad))
				w[len(w)-1] ^= 1 // tampered: msg_key no longer matches
				if v1RejectsEarly(key, w) {
					wires[c] = w
					break
				}
			}
		}
		return wires
	}
	base := dudectDecrypt(t, key, pair([2]int{100, 200}), ErrMsgKey)
	res := dudectDecrypt(t, key, pair([2]int{100, MaxPadding + 36}), ErrMsgKey)
	t.Logf("baseline, both prefixes plausible: %v", base)
	t.Logf("prefix plausible vs not:           %v", res)
	if res.Leaky() && math.Abs(res.T) > 5*max(math.Abs(base.T), 4.5) {
		t.Errorf("Decrypt's time on a message that fails msg_key depends on whether its secret length prefix passes the v2 checks: %v (baseline %v)", res, base)
	}
}
