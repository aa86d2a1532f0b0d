package secret

import (
	"encoding/binary"
	"errors"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/secretbench/secretbench/ige"
	"github.com/secretbench/secretbench/internal/dudect"
	"github.com/secretbench/secretbench/kdf"
)

// Timing-leak checks of Decrypt's secret-dependent checks (see
// internal/dudect), run only with SECRETBENCH_DUDECT=1:
//
//	SECRETBENCH_DUDECT=1 go test -run Dudect -v ./secret/
//
// Each compares two fixed wires that Decrypt rejects with the same error
// along the same path, differing only in where the secret comparison
// fails: the msg_key comparison failing at the first byte or at the last,
// and the padding check failing because the padding is too short or too
// long. The wires are chosen so that the checks run on garbage (the v1
// attempt, which must hash a length read from its decryption, and the v2
// length check of a wrong msg_key) fail the same way for both: at a
// negative length, before any hashing. TestDudectGarbageLength shows why:
// those checks do leak.

// dudectWire encrypts data as a v2 message from the originator.
func dudectWire(key *Key, data []byte) []byte {
	mk := kdf.MsgKeyV2(&key.k, 0, data)
	aesKey, aesIV := kdf.Derive(kdf.V2, &key.k, &mk, 0)
	ct := make([]byte, len(data))
	ige.EncryptAES256Blocks(aesKey[:], aesIV[:], ct, data)
	w := binary.LittleEndian.AppendUint64(nil, uint64(key.fp))
	w = append(w, mk[:]...)
	return append(w, ct...)
}

// firstLength is the length prefix of the first block of wire decrypted as
// version v: for a wrong msg_key, a value the checks branch on.
func firstLength(key *Key, wire []byte, v kdf.Version) int {
	mk := (*[16]byte)(wire[8:24])
	aesKey, aesIV := kdf.Derive(v, &key.k, mk, 0)
	var first [16]byte
	ige.DecryptAES256Blocks(aesKey[:], aesIV[:], first[:], wire[Overhead:Overhead+16])
	return int(int32(binary.LittleEndian.Uint32(first[:])))
}

// v1RejectsEarly reports whether the v1 attempt on wire stops at the first
// test of its length check (a negative length), before any hashing.
func v1RejectsEarly(key *Key, wire []byte) bool { return firstLength(key, wire, kdf.V1) < 0 }

// dudectPlaintext is a v2 plaintext of n bytes with the given length prefix.
func dudectPlaintext(r *rand.Rand, n, length int) []byte {
	data := make([]byte, n)
	for i := range data {
		data[i] = byte(r.Uint32())
	}
	binary.LittleEndian.PutUint32(data, uint32(length))
	return data
}

func dudectDecrypt(t *testing.T, key *Key, wires [2][]byte, want error) dudect.Result {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	rx := NewCodec(key, Responder)
	buf := make([]byte, 0, len(wires[0]))
	for _, w := range wires {
		if _, _, err := rx.Decrypt(buf, w); !errors.Is(err, want) {
			t.Fatalf("Decrypt: %v, want %v", err, want)
		}
	}
	// Every slot has its own buffer, filled with either class's wire, so
	// that the two classes are not also two addresses.
	const batch = 100
	var slots [batch][]byte
	for i := range slots {
		slots[i] = make([]byte, len(wires[0]))
	}
	return dudect.Run(dudect.Config{Measurements: dudect.Count(1_000_000), Batch: batch, Seed: 31}, dudect.Target{
		Prepare: func(c, i int) { copy(slots[i], wires[c]) },
		Run:     func(i int) { rx.Decrypt(buf, slots[i]) },
	})
}

func dudectKey(r *rand.Rand) *Key {
	b := make([]byte, KeySize)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	key, err := NewKey(b)
	if err != nil {
		panic(err)
	}
	return key
}

func TestDudectMsgKeyCompare(t *testing.T) {
	dudect.Skip(t)
	r := rand.New(rand.NewPCG(41, 42))
	key := dudectKey(r)
	good := dudectWire(key, dudectPlaintext(r, 1024, 1000))
	var wires [2][]byte
	for c, pos := range []int{8, 23} { // first and last byte of msg_key
		for d := 1; ; d++ {
			w := append([]byte(nil), good...)
			w[pos] ^= byte(d)
			// The v2 decryption is garbage too: its length check must
			// also fail the same way for both.
			if v1RejectsEarly(key, w) && firstLength(key, w, kdf.V2) < 0 {
				wires[c] = w
				break
			}
		}
	}
	res := dudectDecrypt(t, key, wires, ErrMsgKey)
	t.Logf("msg_key wrong in the first vs the last byte: %v", res)
	if res.Leaky() {
		t.Errorf("msg_key comparison: timing depends on where it fails: %v", res)
	}
}

func TestDudectPaddingCheck(t *testing.T) {
	dudect.Skip(t)
	r := rand.New(rand.NewPCG(43, 44))
	key := dudectKey(r)
	const n = 1088
	var wires [2][]byte
	for c, pad := range []int{MinPadding - 4, MaxPadding + 4} { // too short, too long
		for {
			w := dudectWire(key, dudectPlaintext(r, n, n-4-pad))
			if v1RejectsEarly(key, w) {
				wires[c] = w
				break
			}
		}
	}
	res := dudectDecrypt(t, key, wires, ErrPadding)
	t.Logf("padding too short vs too long: %v", res)
	if res.Leaky() {
		t.Errorf("padding check: timing depends on the padding: %v", res)
	}
}

// TestDudectGarbageLength: before msg_key is verified, Decrypt reads the
// length prefix of the decryption under a wrong key (the v1 attempt's, and
// the v2 plausibility shortcut's) and branches on it. Two wires with msg_key
// wrong in the same byte, one decrypting to negative length prefixes and
// one to too-large ones, should take the same time; dudect says they do
// not. Timing that depends on the plaintext of an unauthenticated message
// is what the attacks of Albrecht, Mareková, Paterson and Stepanovs on
// Telegram clients (IEEE S&P 2022) were built on.
func TestDudectGarbageLength(t *testing.T) {
	dudect.Skip(t)
	r := rand.New(rand.NewPCG(45, 46))
	key := dudectKey(r)
	good := dudectWire(key, dudectPlaintext(r, 1024, 1000))
	var wires [2][]byte
	for c := range wires {
		for d := 1; wires[c] == nil; d++ {
			w := append([]byte(nil), good...)
			w[8] ^= byte(d)
			w[9] ^= byte(d >> 8)
			v1, v2 := firstLength(key, w, kdf.V1), firstLength(key, w, kdf.V2)
			if c == 0 && v1 < 0 && v2 < 0 || c == 1 && v1 > len(w) && v2 > len(w) {
				wires[c] = w
			}
		}
	}
	res := dudectDecrypt(t, key, wires, ErrMsgKey)
	t.Logf("garbage length prefixes negative vs too large: %v", res)
	if res.Leaky() {
		t.Errorf("Decrypt's time depends on the decryption of a message whose msg_key is wrong: %v", res)
	}
}
