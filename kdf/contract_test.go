package kdf_test

// Black-box contract tests of API.md's kdf section: docs/PROTOCOL.md section 10's
// vectors, an independent reference written from docs/PROTOCOL.md section 2's
// formulas, the panics for bad x and Version, inputs of any length, and no
// allocation.

import (
	"bytes"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"

	"github.com/secretbench/secretbench/internal/raceflag"
	"github.com/secretbench/secretbench/kdf"
)

var (
	_ func([]byte) [16]byte                                              = kdf.MsgKeyV1
	_ func(*[256]byte, int, []byte) [16]byte                             = kdf.MsgKeyV2
	_ func(kdf.Version, *[256]byte, *[16]byte, int) ([32]byte, [32]byte) = kdf.Derive
	_ func(*[256]byte) int64                                             = kdf.KeyFingerprint
	_ func(*[32]byte, *[32]byte) int32                                   = kdf.FileFingerprint
	_ func(*[256]byte, *[256]byte) [36]byte                              = kdf.Visualization
)

func seqKey() *[256]byte {
	var k [256]byte
	for i := range k {
		k[i] = byte(i)
	}
	return &k
}

func hx(b []byte) string { return hex.EncodeToString(b) }

func TestContractVersions(t *testing.T) {
	if kdf.V1 != 1 || kdf.V2 != 2 {
		t.Fatalf("V1, V2 = %d, %d", kdf.V1, kdf.V2)
	}
}

// docs/PROTOCOL.md section 10.
func TestContractVectors(t *testing.T) {
	K := seqKey()
	var mk [16]byte
	for i := range mk {
		mk[i] = byte(i)
	}
	for _, v := range []struct {
		v       kdf.Version
		x       int
		key, iv string
	}{
		{kdf.V2, 0, "704ed09c8b41668ae8f99d244738f71dbddc44469b6bbd4aa8573dd042bd059e", "4d266000a550edabbf4c7ce40fd0043cc92230184cd317a5cc9c2482fd3b9318"},
		{kdf.V2, 8, "217725799b245806458174a1fcfbc883906807b15033fdd0ea2b4d69cf9c364e", "669a6538917a4fa56ca32360a431c9160be4ad887140980dab91ce7bdc47ffbc"},
		{kdf.V1, 0, "17d7295ca9213d1ab656acdb1ad48b2ea7f3a8f7095098d5508b900bbd5fccfc", "2d7d16a65a84108e9805656caa474501cc580aa2edc33abfd0bfad785464d1c6"},
	} {
		k, iv := kdf.Derive(v.v, K, &mk, v.x)
		if hx(k[:]) != v.key || hx(iv[:]) != v.iv {
			t.Errorf("Derive(v%d, x=%d) = %x, %x", v.v, v.x, k, iv)
		}
	}
	pt := make([]byte, 64)
	for i := range pt {
		pt[i] = byte(i)
	}
	if got := kdf.MsgKeyV2(K, 0, pt); hx(got[:]) != "e49f11289d422637af5d2db54562ad19" {
		t.Errorf("MsgKeyV2 x=0 = %x", got)
	}
	if got := kdf.MsgKeyV2(K, 8, pt); hx(got[:]) != "aea64dd261353032696868c799753ba6" {
		t.Errorf("MsgKeyV2 x=8 = %x", got)
	}
	if got := kdf.KeyFingerprint(K); got != -3972359982579920590 {
		t.Errorf("KeyFingerprint = %d", got)
	}
	if got := kdf.Visualization(K, K); hx(got[:]) != "4916d6bdb7f78e6803698cab32d1586e40aff2e9d2d8922e47afd4648e6967497158785f" {
		t.Errorf("Visualization = %x", got)
	}
	var fk, fiv [32]byte
	for i := range fk {
		fk[i], fiv[i] = byte(i), byte(32+i)
	}
	if got := kdf.FileFingerprint(&fk, &fiv); got != -217561997 {
		t.Errorf("FileFingerprint = %d", got)
	}
}

// refDerive is docs/PROTOCOL.md section 2 read literally.
func refDerive(v kdf.Version, K *[256]byte, mk []byte, x int) (key, iv []byte) {
	c := func(bs ...[]byte) []byte { return bytes.Join(bs, nil) }
	if v == kdf.V1 {
		s1 := func(b []byte) []byte { h := sha1.Sum(b); return h[:] }
		a := s1(c(mk, K[x:x+32]))
		b := s1(c(K[32+x:48+x], mk, K[48+x:64+x]))
		cc := s1(c(K[64+x:96+x], mk))
		d := s1(c(mk, K[96+x:128+x]))
		return c(a[0:8], b[8:20], cc[4:16]), c(a[8:20], b[0:8], cc[16:20], d[0:8])
	}
	s2 := func(b []byte) []byte { h := sha256.Sum256(b); return h[:] }
	a := s2(c(mk, K[x:x+36]))
	b := s2(c(K[40+x:76+x], mk))
	return c(a[0:8], b[8:24], a[24:32]), c(b[0:8], a[8:24], b[24:32])
}

func TestContractAgainstReference(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for i := range 200 {
		var K, L [256]byte
		var mk [16]byte
		for j := range K {
			K[j], L[j] = byte(r.Uint32()), byte(r.Uint32())
		}
		for j := range mk {
			mk[j] = byte(r.Uint32())
		}
		for _, v := range []kdf.Version{kdf.V1, kdf.V2} {
			for _, x := range []int{0, 8} {
				k, iv := kdf.Derive(v, &K, &mk, x)
				wk, wiv := refDerive(v, &K, mk[:], x)
				if !bytes.Equal(k[:], wk) || !bytes.Equal(iv[:], wiv) {
					t.Fatalf("case %d: Derive(v%d, x=%d) differs from the formulas", i, v, x)
				}
			}
		}
		n := r.IntN(3000)
		if i == 0 {
			n = 0
		}
		data := make([]byte, n)
		for j := range data {
			data[j] = byte(r.Uint32())
		}
		for _, x := range []int{0, 8} {
			h := sha256.Sum256(append(bytes.Clone(K[88+x:120+x]), data...))
			if got := kdf.MsgKeyV2(&K, x, data); !bytes.Equal(got[:], h[8:24]) {
				t.Fatalf("MsgKeyV2 x=%d len=%d wrong", x, n)
			}
		}
		if got, h := kdf.MsgKeyV1(data), sha1.Sum(data); !bytes.Equal(got[:], h[4:20]) {
			t.Fatalf("MsgKeyV1 len=%d wrong", n)
		}
		if got, h := kdf.KeyFingerprint(&K), sha1.Sum(K[:]); got != int64(binary.LittleEndian.Uint64(h[12:20])) {
			t.Fatal("KeyFingerprint wrong")
		}
		fk, fiv := [32]byte(K[:32]), [32]byte(L[:32])
		d := md5.Sum(append(fk[:], fiv[:]...))
		if got := kdf.FileFingerprint(&fk, &fiv); got != int32(binary.LittleEndian.Uint32(d[0:4])^binary.LittleEndian.Uint32(d[4:8])) {
			t.Fatal("FileFingerprint wrong")
		}
		a, b := sha1.Sum(K[:]), sha256.Sum256(L[:])
		if got := kdf.Visualization(&K, &L); !bytes.Equal(got[:], append(a[:16:16], b[:20]...)) {
			t.Fatal("Visualization wrong (argument order?)")
		}
	}
}

// MsgKeyV1/V2 hash exactly the bytes given, of any length, validating
// nothing; nil and empty are the same empty message. Inputs unmodified.
func TestContractAnyLength(t *testing.T) {
	K := seqKey()
	Kc := *K
	big := bytes.Repeat([]byte{0xab}, 1<<20+3)
	for _, data := range [][]byte{nil, {}, {0}, make([]byte, 15), make([]byte, 17), big, big[1:], big[:1<<20]} {
		dc := bytes.Clone(data)
		h1 := sha1.Sum(data)
		if got := kdf.MsgKeyV1(data); !bytes.Equal(got[:], h1[4:20]) {
			t.Errorf("MsgKeyV1(len %d) wrong", len(data))
		}
		h2 := sha256.Sum256(append(bytes.Clone(K[88:120]), data...))
		if got := kdf.MsgKeyV2(K, 0, data); !bytes.Equal(got[:], h2[8:24]) {
			t.Errorf("MsgKeyV2(len %d) wrong", len(data))
		}
		if !bytes.Equal(data, dc) || *K != Kc {
			t.Errorf("input modified")
		}
	}
	if kdf.MsgKeyV1(nil) != kdf.MsgKeyV1([]byte{}) || kdf.MsgKeyV2(K, 8, nil) != kdf.MsgKeyV2(K, 8, []byte{}) {
		t.Error("nil and empty differ")
	}
}

func contractPanic(t *testing.T, what string, want []string, f func()) {
	t.Helper()
	defer func() {
		t.Helper()
		r := recover()
		if r == nil {
			t.Errorf("%s: no panic", what)
			return
		}
		if _, ok := r.(runtime.Error); ok {
			t.Errorf("%s: runtime panic %v instead of a clear message", what, r)
			return
		}
		msg := fmt.Sprint(r)
		for _, w := range want {
			if !strings.Contains(msg, w) {
				t.Errorf("%s: panic %q does not mention %q", what, msg, w)
			}
		}
	}()
	f()
}

func TestContractPanics(t *testing.T) {
	K := seqKey()
	var mk [16]byte
	for _, x := range []int{-8, -1, 1, 4, 7, 9, 16, 120, 128, 137, 248, 256, 1 << 40, -1 << 63} {
		contractPanic(t, fmt.Sprint("MsgKeyV2 x=", x), []string{"x", fmt.Sprint(x)}, func() { kdf.MsgKeyV2(K, x, nil) })
		for _, v := range []kdf.Version{kdf.V1, kdf.V2} {
			contractPanic(t, fmt.Sprint("Derive v", v, " x=", x), []string{"x"}, func() { kdf.Derive(v, K, &mk, x) })
		}
	}
	for _, v := range []kdf.Version{0, -1, 3, 73, 1 << 40} {
		for _, x := range []int{0, 8} {
			contractPanic(t, fmt.Sprint("Derive version ", v), []string{"ersion"}, func() { kdf.Derive(v, K, &mk, x) })
		}
	}
}

func TestContractNoAllocs(t *testing.T) {
	if raceflag.Enabled {
		t.Skip("allocation counts are not meaningful under -race")
	}
	K := seqKey()
	var mk [16]byte
	var fk, fiv [32]byte
	data := make([]byte, 4096)
	var sink [16]byte
	var s64 int64
	var s32 int32
	var s36 [36]byte
	var a, b [32]byte
	for name, f := range map[string]func(){
		"MsgKeyV1":        func() { sink = kdf.MsgKeyV1(data) },
		"MsgKeyV2":        func() { sink = kdf.MsgKeyV2(K, 8, data) },
		"Derive v1":       func() { a, b = kdf.Derive(kdf.V1, K, &mk, 0) },
		"Derive v2":       func() { a, b = kdf.Derive(kdf.V2, K, &mk, 8) },
		"KeyFingerprint":  func() { s64 = kdf.KeyFingerprint(K) },
		"FileFingerprint": func() { s32 = kdf.FileFingerprint(&fk, &fiv) },
		"Visualization":   func() { s36 = kdf.Visualization(K, K) },
	} {
		if n := testing.AllocsPerRun(50, f); n != 0 {
			t.Errorf("%s: %v allocations, want 0", name, n)
		}
	}
	_, _, _, _, _, _ = sink, s64, s32, s36, a, b
}
