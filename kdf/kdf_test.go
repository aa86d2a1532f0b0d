package kdf_test

import (
	"bytes"
	"math"
	"math/rand/v2"
	"os"
	"strconv"
	"testing"

	"github.com/secretbench/secretbench/internal/impl/impltest"
	"github.com/secretbench/secretbench/internal/raceflag"
	"github.com/secretbench/secretbench/internal/testutil"
	"github.com/secretbench/secretbench/kdf"
	"github.com/secretbench/secretbench/kdf/kdfref"
)

// The signatures the kdf package documents.
var (
	_ func([]byte) [16]byte                                              = kdf.MsgKeyV1
	_ func(*[256]byte, int, []byte) [16]byte                             = kdf.MsgKeyV2
	_ func(*[256]byte, int, []byte, []byte) ([16]byte, [16]byte)         = kdf.MsgKeysV2
	_ func(kdf.Version, *[256]byte, *[16]byte, int) ([32]byte, [32]byte) = kdf.Derive
	_ func(*[256]byte) int64                                             = kdf.KeyFingerprint
	_ func(*[32]byte, *[32]byte) int32                                   = kdf.FileFingerprint
	_ func(*[256]byte, *[256]byte) [36]byte                              = kdf.Visualization
)

func TestVersions(t *testing.T) {
	if kdf.V1 != 1 || kdf.V2 != 2 {
		t.Fatalf("V1, V2 = %d, %d", kdf.V1, kdf.V2)
	}
}

// impl is one implementation of the kdf contract, so that every known-answer
// test runs on the fast package and on the slow reference alike.
type impl struct {
	name            string
	msgKeyV1        func(data []byte) [16]byte
	msgKeyV2        func(key *[256]byte, x int, padded []byte) [16]byte
	derive          func(v kdf.Version, key *[256]byte, msgKey *[16]byte, x int) (aesKey, aesIV [32]byte)
	keyFingerprint  func(key *[256]byte) int64
	fileFingerprint func(key, iv *[32]byte) int32
	visualization   func(initial, layer46 *[256]byte) [36]byte
}

var (
	fast = impl{"fast", kdf.MsgKeyV1, kdf.MsgKeyV2, kdf.Derive,
		kdf.KeyFingerprint, kdf.FileFingerprint, kdf.Visualization}
	// ref is the spec-literal reference (package kdfref), kept apart so that
	// the external benchmark suite can use it too.
	ref = impl{"ref", kdfref.MsgKeyV1, kdfref.MsgKeyV2, kdfref.Derive,
		kdfref.KeyFingerprint, kdfref.FileFingerprint, kdfref.Visualization}
	impls = []impl{fast, ref}
)

type vectors struct {
	Derive []struct {
		Source  string
		Version kdf.Version
		X       int
		Key     testutil.Hex
		MsgKey  testutil.Hex `json:"msg_key"`
		AESKey  testutil.Hex `json:"aes_key"`
		AESIV   testutil.Hex `json:"aes_iv"`
	}
	MsgKeyV2 []struct {
		Source      string
		X           int
		Key, Padded testutil.Hex
		MsgKey      testutil.Hex `json:"msg_key"`
	} `json:"msg_key_v2"`
	MsgKeyV1 []struct {
		Source string
		Data   testutil.Hex
		MsgKey testutil.Hex `json:"msg_key"`
	} `json:"msg_key_v1"`
	KeyFingerprint []struct {
		Source      string
		Key         testutil.Hex
		Fingerprint int64
	} `json:"key_fingerprint"`
	Visualization []struct {
		Source                          string
		Initial, Layer46, Visualization testutil.Hex
	}
	FileFingerprint []struct {
		Source      string
		Key, IV     testutil.Hex
		Fingerprint int32
	} `json:"file_fingerprint"`
}

func loadVectors(t *testing.T) *vectors {
	t.Helper()
	var v vectors
	testutil.LoadJSON(t, "testdata/vectors.json", &v)
	// A vector file that lost a section would make the tests below pass
	// vacuously.
	if len(v.Derive) < 8 || len(v.MsgKeyV2) < 6 || len(v.MsgKeyV1) < 4 ||
		len(v.KeyFingerprint) < 3 || len(v.Visualization) < 3 || len(v.FileFingerprint) < 3 {
		t.Fatalf("testdata/vectors.json is missing entries")
	}
	return &v
}

// Fixed-size views of vector fields; a wrong length in the file fails here.
func key256(t *testing.T, b []byte) *[256]byte {
	t.Helper()
	if len(b) != 256 {
		t.Fatalf("vector key is %d bytes, want 256", len(b))
	}
	return (*[256]byte)(b)
}

func arr32(t *testing.T, b []byte) *[32]byte {
	t.Helper()
	if len(b) != 32 {
		t.Fatalf("vector field is %d bytes, want 32", len(b))
	}
	return (*[32]byte)(b)
}

func TestVectors(t *testing.T) {
	v := loadVectors(t)
	for _, im := range impls {
		t.Run("impl="+im.name, func(t *testing.T) {
			for i, c := range v.Derive {
				if len(c.MsgKey) != 16 {
					t.Fatalf("derive[%d]: msg_key is %d bytes", i, len(c.MsgKey))
				}
				k, iv := im.derive(c.Version, key256(t, c.Key), (*[16]byte)(c.MsgKey), c.X)
				if !bytes.Equal(k[:], c.AESKey) || !bytes.Equal(iv[:], c.AESIV) {
					t.Errorf("derive[%d] v%d x=%d (%s):\n aes_key %x\n    want %x\n aes_iv  %x\n    want %x",
						i, c.Version, c.X, c.Source, k, c.AESKey, iv, c.AESIV)
				}
			}
			for i, c := range v.MsgKeyV2 {
				if got := im.msgKeyV2(key256(t, c.Key), c.X, c.Padded); !bytes.Equal(got[:], c.MsgKey) {
					t.Errorf("msg_key_v2[%d] x=%d (%s): %x, want %x", i, c.X, c.Source, got, c.MsgKey)
				}
			}
			for i, c := range v.MsgKeyV1 {
				if got := im.msgKeyV1(c.Data); !bytes.Equal(got[:], c.MsgKey) {
					t.Errorf("msg_key_v1[%d] (%s): %x, want %x", i, c.Source, got, c.MsgKey)
				}
			}
			for i, c := range v.KeyFingerprint {
				if got := im.keyFingerprint(key256(t, c.Key)); got != c.Fingerprint {
					t.Errorf("key_fingerprint[%d] (%s): %d, want %d", i, c.Source, got, c.Fingerprint)
				}
			}
			for i, c := range v.Visualization {
				got := im.visualization(key256(t, c.Initial), key256(t, c.Layer46))
				if !bytes.Equal(got[:], c.Visualization) {
					t.Errorf("visualization[%d] (%s): %x, want %x", i, c.Source, got, c.Visualization)
				}
			}
			for i, c := range v.FileFingerprint {
				if got := im.fileFingerprint(arr32(t, c.Key), arr32(t, c.IV)); got != c.Fingerprint {
					t.Errorf("file_fingerprint[%d] (%s): %d, want %d", i, c.Source, got, c.Fingerprint)
				}
			}
		})
	}
}

// rounds scales randomized checks: small by default and under -short (the
// arm64 run is emulated), large when CI sets SECRETBENCH_LONG=1.
func rounds(normal int) int {
	switch {
	case os.Getenv("SECRETBENCH_LONG") == "1":
		return normal * 20
	case testing.Short():
		return max(normal/10, 1)
	}
	return normal
}

func TestMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewChaCha8([32]byte{'k', 'd', 'f'}))
	var key, other [256]byte
	var msgKey [16]byte
	var fkey, fiv [32]byte
	// Lengths around the SHA block size (and, for v2, where the 32 key bytes
	// push the message over a block boundary), then a few long ones.
	lengths := []int{0, 1, 15, 16, 31, 32, 33, 55, 56, 63, 64, 65, 96, 119, 120, 128, 1000, 4096 + 7, 1 << 16}
	msg := make([]byte, 1<<16)
	fillRand(rng, msg)
	for i := range rounds(200) {
		// New keys every round; of the message, only the bytes that the
		// random lengths below reach.
		fillRand(rng, key[:], other[:], msgKey[:], fkey[:], fiv[:], msg[:300])
		for _, v := range []kdf.Version{kdf.V1, kdf.V2} {
			for _, x := range []int{0, 8} {
				gk, giv := kdf.Derive(v, &key, &msgKey, x)
				wk, wiv := kdfref.Derive(v, &key, &msgKey, x)
				if gk != wk || giv != wiv {
					t.Fatalf("round %d: Derive(v%d, x=%d) = %x %x, reference %x %x", i, v, x, gk, giv, wk, wiv)
				}
			}
		}
		n := lengths[i%len(lengths)]
		if i >= len(lengths) {
			n = rng.IntN(300)
		}
		for _, x := range []int{0, 8} {
			if g, w := kdf.MsgKeyV2(&key, x, msg[:n]), kdfref.MsgKeyV2(&key, x, msg[:n]); g != w {
				t.Fatalf("round %d: MsgKeyV2(x=%d, %d bytes) = %x, reference %x", i, x, n, g, w)
			}
		}
		if g, w := kdf.MsgKeyV1(msg[:n]), kdfref.MsgKeyV1(msg[:n]); g != w {
			t.Fatalf("round %d: MsgKeyV1(%d bytes) = %x, reference %x", i, n, g, w)
		}
		if g, w := kdf.KeyFingerprint(&key), kdfref.KeyFingerprint(&key); g != w {
			t.Fatalf("round %d: KeyFingerprint = %d, reference %d", i, g, w)
		}
		if g, w := kdf.Visualization(&key, &other), kdfref.Visualization(&key, &other); g != w {
			t.Fatalf("round %d: Visualization = %x, reference %x", i, g, w)
		}
		if g, w := kdf.FileFingerprint(&fkey, &fiv), kdfref.FileFingerprint(&fkey, &fiv); g != w {
			t.Fatalf("round %d: FileFingerprint = %d, reference %d", i, g, w)
		}
	}
}

func fillRand(rng *rand.Rand, bufs ...[]byte) {
	for _, b := range bufs {
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
	}
}

// The two directions and the two versions must give unrelated keys; a
// derivation that ignored x or v would still pass a test that only compares
// against a reference written with the same mistake.
func TestDistinct(t *testing.T) {
	var key [256]byte
	var msgKey [16]byte
	for i := range key {
		key[i] = byte(i * 7)
	}
	seen := map[[64]byte]string{}
	for _, v := range []kdf.Version{kdf.V1, kdf.V2} {
		for _, x := range []int{0, 8} {
			k, iv := kdf.Derive(v, &key, &msgKey, x)
			var both [64]byte
			copy(both[:32], k[:])
			copy(both[32:], iv[:])
			name := "v" + strconv.Itoa(int(v)) + " x=" + strconv.Itoa(x)
			if prev, ok := seen[both]; ok {
				t.Errorf("%s gives the same key and iv as %s", name, prev)
			}
			seen[both] = name
		}
	}
	if kdf.MsgKeyV2(&key, 0, nil) == kdf.MsgKeyV2(&key, 8, nil) {
		t.Error("MsgKeyV2 ignores x")
	}
}

func TestInputsUnchanged(t *testing.T) {
	var key, key2 [256]byte
	var msgKey [16]byte
	var fkey, fiv [32]byte
	rng := rand.New(rand.NewChaCha8([32]byte{1}))
	msg := make([]byte, 300)
	fillRand(rng, key[:], key2[:], msgKey[:], fkey[:], fiv[:], msg)
	keyC, key2C, msgKeyC, fkeyC, fivC := key, key2, msgKey, fkey, fiv
	msgC := bytes.Clone(msg)

	kdf.MsgKeyV1(msg)
	kdf.MsgKeyV2(&key, 8, msg)
	kdf.Derive(kdf.V1, &key, &msgKey, 8)
	kdf.Derive(kdf.V2, &key, &msgKey, 8)
	kdf.KeyFingerprint(&key)
	kdf.Visualization(&key, &key2)
	kdf.FileFingerprint(&fkey, &fiv)
	if key != keyC || key2 != key2C || msgKey != msgKeyC || fkey != fkeyC || fiv != fivC || !bytes.Equal(msg, msgC) {
		t.Fatal("an input was modified")
	}
}

// Sinks keep the compiler from discarding calls in tests and benchmarks.
var (
	sink16  [16]byte
	sink32  [32]byte
	sink36  [36]byte
	sinkI64 int64
	sinkI32 int32
)

type allocCase struct {
	name string
	f    func()
}

func TestZeroAllocs(t *testing.T) {
	if raceflag.Enabled {
		t.Skip("the race detector allocates")
	}
	var key, key2 [256]byte
	var msgKey [16]byte
	var fkey, fiv [32]byte
	cases := []allocCase{
		{"Derive/v1/x=0", func() { sink32, _ = kdf.Derive(kdf.V1, &key, &msgKey, 0) }},
		{"Derive/v1/x=8", func() { _, sink32 = kdf.Derive(kdf.V1, &key, &msgKey, 8) }},
		{"Derive/v2/x=0", func() { sink32, _ = kdf.Derive(kdf.V2, &key, &msgKey, 0) }},
		{"Derive/v2/x=8", func() { _, sink32 = kdf.Derive(kdf.V2, &key, &msgKey, 8) }},
		{"KeyFingerprint", func() { sinkI64 = kdf.KeyFingerprint(&key) }},
		{"FileFingerprint", func() { sinkI32 = kdf.FileFingerprint(&fkey, &fiv) }},
		{"Visualization", func() { sink36 = kdf.Visualization(&key, &key2) }},
	}
	// "Whatever the input length": from empty to well past any buffer size.
	big := make([]byte, 1<<16+5)
	for _, n := range []int{0, 1, 31, 32, 33, 64, 1000, len(big)} {
		p, size := big[:n], "/size="+strconv.Itoa(n)
		cases = append(cases,
			allocCase{"MsgKeyV1" + size, func() { sink16 = kdf.MsgKeyV1(p) }},
			allocCase{"MsgKeyV2/x=0" + size, func() { sink16 = kdf.MsgKeyV2(&key, 0, p) }},
			allocCase{"MsgKeyV2/x=8" + size, func() { sink16 = kdf.MsgKeyV2(&key, 8, p) }},
			allocCase{"MsgKeysV2" + size, func() { sink16, _ = kdf.MsgKeysV2(&key, 8, p, big[:n/2]) }},
		)
	}
	var mh kdf.MsgKeyHash
	mh.Reset(kdf.V1, &key, 0)
	mh.Reset(kdf.V2, &key, 0)
	cases = append(cases, allocCase{"MsgKeyHash", func() {
		mh.Reset(kdf.V2, &key, 8)
		mh.Write(big[:1000])
		sink16 = mh.Sum()
		mh.Reset(kdf.V1, &key, 0)
		mh.Write(big[:1000])
		sink16 = mh.Sum()
	}})
	impltest.Run(t, "kdf", func(t *testing.T) {
		for _, c := range cases {
			if a := testing.AllocsPerRun(20, c.f); a != 0 {
				t.Errorf("%s: %v allocations per call, want 0", c.name, a)
			}
		}
	})
}

// TestMsgKeyHash: msg_key written in pieces equals MsgKeyV1 and MsgKeyV2 of
// the whole, with the hash reused across versions and messages.
func TestMsgKeyHash(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	var key [256]byte
	fillRand(rng, key[:])
	var m kdf.MsgKeyHash
	for _, n := range []int{0, 1, 16, 63, 64, 65, 1000, 5000} {
		data := make([]byte, n)
		fillRand(rng, data)
		cut := rng.IntN(n + 1)
		for _, x := range []int{0, 8} {
			m.Reset(kdf.V2, &key, x)
			m.Write(data[:cut])
			m.Write(data[cut:])
			if got, want := m.Sum(), kdf.MsgKeyV2(&key, x, data); got != want {
				t.Errorf("v2 x=%d n=%d: %x, want %x", x, n, got, want)
			}
		}
		m.Reset(kdf.V1, nil, 0)
		m.Write(data[:cut])
		m.Write(data[cut:])
		if got, want := m.Sum(), kdf.MsgKeyV1(data); got != want {
			t.Errorf("v1 n=%d: %x, want %x", n, got, want)
		}
	}
	m.Wipe()
	testutil.MustPanic(t, "Write after Wipe", func() { m.Write(nil) }, "before Reset")
	testutil.MustPanic(t, "Sum before Reset", func() { var z kdf.MsgKeyHash; z.Sum() }, "before Reset")
	testutil.MustPanic(t, "Reset v3", func() { m.Reset(3, &key, 0) }, "unknown Version", "3")
	testutil.MustPanic(t, "Reset x=4", func() { m.Reset(kdf.V2, &key, 4) }, "x must be 0 or 8", "4")
	testutil.MustPanic(t, "MsgKeysV2 x=1", func() { kdf.MsgKeysV2(&key, 1, nil, nil) }, "x must be 0 or 8", "1")
}

func TestPanics(t *testing.T) {
	var key [256]byte
	var msgKey [16]byte
	msg := make([]byte, 64)
	// 88, 120 and 128 would still slice inside the key; MaxInt overflows 88+x.
	badX := []int{-8, -1, 1, 4, 7, 9, 16, 88, 120, 128, 137, 248, 256, 1 << 40, math.MaxInt, math.MinInt}
	for _, im := range impls {
		for _, x := range badX {
			xs := strconv.Itoa(x)
			for _, v := range []kdf.Version{kdf.V1, kdf.V2} {
				testutil.MustPanic(t, im.name+" Derive v"+strconv.Itoa(int(v))+" x="+xs,
					func() { im.derive(v, &key, &msgKey, x) }, "x must be 0 or 8", xs)
			}
			testutil.MustPanic(t, im.name+" MsgKeyV2 x="+xs,
				func() { im.msgKeyV2(&key, x, msg) }, "x must be 0 or 8", xs)
		}
		for _, v := range []kdf.Version{0, 3, -1, 73, 1 << 40} {
			vs := strconv.Itoa(int(v))
			for _, x := range []int{0, 8} {
				testutil.MustPanic(t, im.name+" Derive version "+vs,
					func() { im.derive(v, &key, &msgKey, x) }, "unknown Version", vs)
			}
		}
	}
}

// MsgKeyV1 and MsgKeyV2 hash exactly the bytes given, of any length,
// validating nothing; nil and empty are the same empty message.
func TestAnyLength(t *testing.T) {
	K := testutil.SeqKey()
	big := bytes.Repeat([]byte{0xab}, 1<<20+3)
	for _, data := range [][]byte{nil, {}, {0}, make([]byte, 15), make([]byte, 17), big, big[1:], big[:1<<20]} {
		if kdf.MsgKeyV1(data) != kdfref.MsgKeyV1(data) {
			t.Errorf("MsgKeyV1(len %d) wrong", len(data))
		}
		if kdf.MsgKeyV2(K, 0, data) != kdfref.MsgKeyV2(K, 0, data) {
			t.Errorf("MsgKeyV2(len %d) wrong", len(data))
		}
	}
	if kdf.MsgKeyV1(nil) != kdf.MsgKeyV1([]byte{}) || kdf.MsgKeyV2(K, 8, nil) != kdf.MsgKeyV2(K, 8, []byte{}) {
		t.Error("nil and empty differ")
	}
}
