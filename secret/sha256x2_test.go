package secret

import (
	"bytes"
	"crypto/sha256"
	"math/rand/v2"
	"os"
	"testing"

	"github.com/secretbench/secretbench/kdf"
)

// withEachSHA2x runs f with the two-lane kernel (where the CPU has it) and
// with the crypto/sha256 fallback.
func withEachSHA2x(t *testing.T, f func(t *testing.T)) {
	modes := []bool{false}
	if hasSHA2x {
		modes = append(modes, true)
	} else {
		t.Log("two-lane SHA-256 kernel not available here; fallback only")
	}
	saved := useSHA2x
	defer func() { useSHA2x = saved }()
	for _, m := range modes {
		useSHA2x = m
		name := "fallback"
		if m {
			name = "sha256x2"
		}
		t.Run(name, f)
	}
}

// TestSum256x2 checks the two-lane kernel against crypto/sha256 for every
// prefix length and message lengths around each block boundary, lanes of
// different lengths included.
func TestSum256x2(t *testing.T) {
	if !hasSHA2x {
		t.Skip("two-lane SHA-256 kernel not available")
	}
	rng := rand.New(rand.NewPCG(3, 4))
	buf := make([]byte, 4200)
	for i := range buf {
		buf[i] = byte(rng.Uint32())
	}
	lengths := []int{0, 1, 31, 32, 33, 55, 56, 63, 64, 65, 119, 120, 127, 128, 129, 1000, 4000}
	var p sha2Pair
	for pre := 0; pre < 64; pre += 7 {
		for _, n1 := range lengths {
			for _, n2 := range lengths {
				pre1, msg1 := buf[:pre], buf[100:100+n1]
				pre2, msg2 := buf[50:50+(63-pre)], buf[7:7+n2]
				d1, d2 := p.sum256x2(pre1, msg1, pre2, msg2)
				if d1 != sha256.Sum256(append(append([]byte{}, pre1...), msg1...)) ||
					d2 != sha256.Sum256(append(append([]byte{}, pre2...), msg2...)) {
					t.Fatalf("pre %d, lengths %d %d: differs from crypto/sha256", pre, n1, n2)
				}
			}
		}
	}
}

// TestPairedKDF: deriveV2 and msgKeysV2 equal package kdf's functions.
func TestPairedKDF(t *testing.T) {
	withEachSHA2x(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(5, 6))
		var p sha2Pair
		var key [256]byte
		for i := 0; i < 200; i++ {
			for j := range key {
				key[j] = byte(rng.Uint32())
			}
			var mk [16]byte
			for j := range mk {
				mk[j] = byte(rng.Uint32())
			}
			x := 8 * rng.IntN(2)
			k1, iv1 := p.deriveV2(&key, &mk, x)
			k2, iv2 := kdf.Derive(kdf.V2, &key, &mk, x)
			if k1 != k2 || iv1 != iv2 {
				t.Fatalf("deriveV2 differs from kdf.Derive")
			}
			a := make([]byte, 16*rng.IntN(200))
			b := make([]byte, 16*rng.IntN(200))
			for j := range a {
				a[j] = byte(j * i)
			}
			m1, m2 := p.msgKeysV2(&key, x, a, b)
			if m1 != kdf.MsgKeyV2(&key, x, a) || m2 != kdf.MsgKeyV2(&key, x, b) {
				t.Fatalf("msgKeysV2 differs from kdf.MsgKeyV2")
			}
		}
	})
}

// TestPipelineBothSHAPaths runs a batch and single messages through both
// hashing paths and checks the results agree.
func TestPipelineBothSHAPaths(t *testing.T) {
	key := sequentialKey(t)
	body := bytes.Repeat([]byte{0x60, 0x41, 0x16, 0x73}, 50)
	var wires [][]byte
	tx := NewCodec(key, Originator)
	for i := 0; i < 9; i++ {
		w, err := tx.Encrypt(nil, Header{Layer: 144}, body[:4*(i*5+1)])
		if err != nil {
			t.Fatal(err)
		}
		wires = append(wires, w)
	}
	withEachSHA2x(t, func(t *testing.T) {
		rx := NewCodec(key, Responder)
		_, res := rx.DecryptBatch(nil, wires, nil)
		for i, r := range res {
			if r.Err != nil || !bytes.Equal(r.Body, body[:4*(i*5+1)]) {
				t.Fatalf("message %d: %v", i, r.Err)
			}
			if _, _, err := rx.Decrypt(nil, wires[i]); err != nil {
				t.Fatal(err)
			}
		}
	})
}

// FuzzSum256x2 compares the two-lane kernel with crypto/sha256.
func FuzzSum256x2(f *testing.F) {
	f.Add([]byte("prefix"), []byte("message one"), uint8(3), uint16(70))
	f.Fuzz(func(t *testing.T, pre, msg []byte, pre2Len uint8, msg2Len uint16) {
		if !hasSHA2x {
			t.Skip("two-lane SHA-256 kernel not available")
		}
		if len(pre) > 63 {
			pre = pre[:63]
		}
		pre2 := msg[:min(int(pre2Len)%64, len(msg))]
		msg2 := msg[:min(int(msg2Len), len(msg))]
		var p sha2Pair
		d1, d2 := p.sum256x2(pre, msg, pre2, msg2)
		if d1 != sha256.Sum256(append(append([]byte{}, pre...), msg...)) ||
			d2 != sha256.Sum256(append(append([]byte{}, pre2...), msg2...)) {
			t.Fatal("differs from crypto/sha256")
		}
	})
}

// TestRequiredImpl: SECRETBENCH_REQUIRE_IMPL=sha-ni-x2 fails unless the
// two-lane SHA-256 kernel is in use, =generic unless it is not; other values
// name other packages' code paths and are ignored here.
func TestRequiredImpl(t *testing.T) {
	switch req := os.Getenv("SECRETBENCH_REQUIRE_IMPL"); req {
	case "sha-ni-x2":
		if !useSHA2x {
			t.Fatal("SECRETBENCH_REQUIRE_IMPL=sha-ni-x2 but the two-lane SHA-256 kernel is not in use")
		}
	case "generic":
		if useSHA2x {
			t.Fatal("SECRETBENCH_REQUIRE_IMPL=generic but the two-lane SHA-256 kernel is in use")
		}
	default:
		t.Skipf("SECRETBENCH_REQUIRE_IMPL=%q does not name a path of this package", req)
	}
}
