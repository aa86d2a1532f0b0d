package secret

import (
	"crypto/subtle"
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
// TestDudectMsgKeyCompare and TestDudectPaddingCheck compare two fixed
// wires that Decrypt rejects with the same error, differing only in where
// the secret comparison fails: msg_key wrong at the first byte or at the
// last, and the padding too short or too long. TestDudectGarbageLength
// compares a fixed forged wire with random ones: the plaintext of a wire
// whose msg_key is wrong must not change Decrypt's time at all.
// TestDudectLeakyV1Detected runs the same classes through the v1 check as
// it was before it was made constant-time, and must find that leak.

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

// v1RejectsEarly reports whether the v1 length prefix of wire's
// decryption is negative: the v1 check before it was made constant-time
// stopped there, before any hashing (review_dudect_test.go pairs wires on
// it).
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
		w := append([]byte(nil), good...)
		w[pos] ^= 1
		wires[c] = w
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
		wires[c] = dudectWire(key, dudectPlaintext(r, n, n-4-pad))
	}
	res := dudectDecrypt(t, key, wires, ErrPadding)
	t.Logf("padding too short vs too long: %v", res)
	if res.Leaky() {
		t.Errorf("padding check: timing depends on the padding: %v", res)
	}
}

// garbageWires returns a forged wire of n bytes of ciphertext whose
// v1 decryption has the length prefix n-4-16 (in range: the old check
// hashed almost all of it) and count forged wires with random msg_keys,
// whose decryptions are random (their length prefixes almost always out of
// range: the old check hashed nothing). None has a valid msg_key.
func garbageWires(r *rand.Rand, key *Key, n, count int) (fixed []byte, random [][]byte) {
	var mk [16]byte
	for i := range mk {
		mk[i] = byte(r.Uint32())
	}
	aesKey, aesIV := kdf.Derive(kdf.V1, &key.k, &mk, 0)
	pt := dudectPlaintext(r, n, n-4-16)
	fixed = binary.LittleEndian.AppendUint64(nil, uint64(key.fp))
	fixed = append(fixed, mk[:]...)
	fixed = append(fixed, make([]byte, n)...)
	ige.EncryptAES256Blocks(aesKey[:], aesIV[:], fixed[Overhead:], pt)
	for range count {
		w := append([]byte(nil), fixed...)
		for i := 8; i < Overhead; i++ {
			w[i] = byte(r.Uint32())
		}
		random = append(random, w)
	}
	return fixed, random
}

// TestDudectGarbageLength: Decrypt reads the length prefix of the v1
// decryption before msg_key is verified. A fixed forged wire whose v1 length
// is in range against random forged wires (random length prefixes) must
// take the same time. Timing that depends on the plaintext of an
// unauthenticated message is what the attacks of Albrecht, Mareková,
// Paterson and Stepanovs on Telegram clients (IEEE S&P 2022) were built on.
func TestDudectGarbageLength(t *testing.T) {
	dudect.Skip(t)
	r := rand.New(rand.NewPCG(45, 46))
	key := dudectKey(r)
	fixed, random := garbageWires(r, key, 1024, 4096)
	if firstLength(key, fixed, kdf.V1) != 1024-4-16 {
		t.Fatal("the fixed wire does not decrypt to its length prefix")
	}
	res := dudectGarbage(t, fixed, random, func(rx *Codec, buf, w []byte) error {
		_, _, err := rx.Decrypt(buf, w)
		return err
	}, key)
	t.Logf("Decrypt, garbage length prefix fixed in range vs random: %v", res)
	if res.Leaky() {
		t.Errorf("Decrypt's time depends on the decryption of a message whose msg_key is wrong: %v", res)
	}
}

// TestDudectLeakyV1Detected: the v1 check as it was (reject an out-of-range
// length at once, else hash exactly the prefix) on the classes of
// TestDudectGarbageLength. The check must flag it, or it proves nothing.
func TestDudectLeakyV1Detected(t *testing.T) {
	dudect.Skip(t)
	r := rand.New(rand.NewPCG(45, 46))
	key := dudectKey(r)
	fixed, random := garbageWires(r, key, 1024, 4096)
	res := dudectGarbage(t, fixed, random, leakyOpenV1, key)
	t.Logf("leaky v1 check, garbage length prefix fixed in range vs random: %v", res)
	if !res.Leaky() {
		t.Errorf("the leaky v1 check was not flagged: %v", res)
	}
}

// leakyOpenV1 is openV1 before it was made constant-time.
func leakyOpenV1(c *Codec, data, wire []byte) error {
	data = data[:len(wire)-Overhead]
	msgKey := (*[16]byte)(wire[8:24])
	c.derive(kdf.V1, msgKey, 0)
	ige.DecryptBlocks(&c.cipher, c.aesIV[:], data, wire[Overhead:])
	length := int(int32(binary.LittleEndian.Uint32(data)))
	if length < 0 || length > len(data)-4 {
		return ErrMsgKey
	}
	if sum := kdf.MsgKeyV1(data[:4+length]); subtle.ConstantTimeCompare(sum[:], msgKey[:]) != 1 {
		return ErrMsgKey
	}
	return nil
}

// dudectGarbage measures open on the fixed wire (class 0) against the
// random ones (class 1), each expected to fail with ErrMsgKey.
func dudectGarbage(t *testing.T, fixed []byte, random [][]byte, open func(rx *Codec, buf, w []byte) error, key *Key) dudect.Result {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	rx := NewCodec(key, Responder)
	buf := make([]byte, 0, len(fixed))
	for _, w := range append([][]byte{fixed}, random...) {
		if err := open(rx, buf, w); !errors.Is(err, ErrMsgKey) {
			t.Fatalf("open: %v, want %v", err, ErrMsgKey)
		}
	}
	const batch = 100
	var slots [batch][]byte
	for i := range slots {
		slots[i] = make([]byte, len(fixed))
	}
	next := 0
	return dudect.Run(dudect.Config{Measurements: dudect.Count(1_000_000), Batch: batch, Seed: 47}, dudect.Target{
		Prepare: func(c, i int) {
			if c == 0 {
				copy(slots[i], fixed)
				return
			}
			copy(slots[i], random[next])
			next = (next + 1) % len(random)
		},
		Run: func(i int) { open(rx, buf, slots[i]) },
	})
}
