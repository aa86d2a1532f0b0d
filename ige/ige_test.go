package ige

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"encoding/hex"
	"fmt"
	"hash/crc32"
	"math/rand/v2"
	"slices"
	"testing"

	gotd "github.com/gotd/ige"

	"github.com/secretbench/secretbench/internal/impl"
	"github.com/secretbench/secretbench/internal/impl/impltest"
	"github.com/secretbench/secretbench/internal/raceflag"
	"github.com/secretbench/secretbench/internal/testutil"
)

// useImpl switches the package to the named implementation (for loops
// that cannot run subtests, such as fuzz targets).
func useImpl(name string) (restore func(), err error) { return impl.Select("ige", name) }

// TestRequiredImpl lets CI prove which code path ran: it fails unless ige
// runs what SECRETBENCH_REQUIRE_IMPL names for it.
func TestRequiredImpl(t *testing.T) { impltest.Require(t, "ige") }

// TestRegistered: ige's registration matches Impl and Implementations, and
// the registry refuses what this CPU cannot run.
func TestRegistered(t *testing.T) {
	if got := impl.Available("ige"); !slices.Equal(got, Implementations()) {
		t.Fatalf("impl.Available(ige) = %v, Implementations() = %v", got, Implementations())
	}
	if impl.Active("ige") != Impl() || Implementations()[0] != Impl() {
		t.Fatalf("active %q, Impl() %q, preferred %q", impl.Active("ige"), Impl(), Implementations()[0])
	}
	if _, err := useImpl("no-such-impl"); err == nil {
		t.Fatal("selected an unknown name")
	}
	for _, im := range impls {
		if !im.available {
			if _, err := useImpl(im.name); err == nil {
				t.Fatalf("selected %q, which this CPU lacks", im.name)
			}
		}
	}
	for _, name := range Implementations() {
		restore, err := useImpl(name)
		if err != nil {
			t.Fatal(err)
		}
		if Impl() != name || active.name != name {
			t.Errorf("after selecting %s: Impl() = %s", name, Impl())
		}
		restore()
	}
}

type vectorFile struct {
	OpenSSL struct {
		Vectors []hexVector `json:"vectors"`
	} `json:"openssl_aes128"`
	TDLib struct {
		CRC []struct {
			N     int    `json:"n"`
			CRC32 uint32 `json:"crc32"`
		} `json:"crc32"`
		Explicit []hexVector `json:"explicit"`
	} `json:"tdlib_aes256"`
}

type hexVector struct {
	Key, IV, Plaintext, Ciphertext string
}

func (v hexVector) decode(t *testing.T) (key, iv, pt, ct []byte) {
	t.Helper()
	return testutil.Unhex(t, v.Key), testutil.Unhex(t, v.IV), testutil.Unhex(t, v.Plaintext), testutil.Unhex(t, v.Ciphertext)
}

func loadVectors(t *testing.T) *vectorFile {
	t.Helper()
	var v vectorFile
	testutil.LoadJSON(t, "testdata/vectors.json", &v)
	if len(v.OpenSSL.Vectors) == 0 || len(v.TDLib.CRC) == 0 || len(v.TDLib.Explicit) == 0 {
		t.Fatal("testdata/vectors.json is missing vectors")
	}
	return &v
}

// TestOpenSSLVectors runs the AES-128 vectors through the cipher.Block path.
func TestOpenSSLVectors(t *testing.T) {
	for i, v := range loadVectors(t).OpenSSL.Vectors {
		key, iv, pt, ct := v.decode(t)
		b, err := aes.NewCipher(key)
		if err != nil {
			t.Fatal(err)
		}
		got := make([]byte, len(pt))
		EncryptBlocks(b, iv, got, pt)
		if !bytes.Equal(got, ct) {
			t.Errorf("vector %d: encrypt = %x, want %x", i, got, ct)
		}
		DecryptBlocks(b, iv, got, ct)
		if !bytes.Equal(got, pt) {
			t.Errorf("vector %d: decrypt = %x, want %x", i, got, pt)
		}
		NewIGEEncrypter(b, iv).CryptBlocks(got, pt)
		if !bytes.Equal(got, ct) {
			t.Errorf("vector %d: BlockMode encrypt = %x, want %x", i, got, ct)
		}
		NewIGEDecrypter(b, iv).CryptBlocks(got, ct)
		if !bytes.Equal(got, pt) {
			t.Errorf("vector %d: BlockMode decrypt = %x, want %x", i, got, pt)
		}
	}
}

// tdlibData is TDLib's test data generator (see testdata/vectors.json);
// docs/PROTOCOL.md section 10 gives the key it makes for n = 32.
func tdlibData(n int) (pt, key, iv []byte) {
	seed := uint32(n)
	data := make([]byte, n+64)
	for i := range data {
		seed = seed*123457567 + 987651241
		data[i] = byte(seed >> 23)
	}
	return data[:n], data[n : n+32], data[n+32:]
}

// TestTDLibVectors: TDLib's AES-256 vectors through every entry point, under
// every implementation.
func TestTDLibVectors(t *testing.T) {
	vf := loadVectors(t)
	if _, key, _ := tdlibData(32); hex.EncodeToString(key) != "3ef36a602c7c290e9f61268b6ea7ff16fec2e55b47989477d17d5df8b1381eda" {
		t.Fatalf("generator disagrees with docs/PROTOCOL.md: key %x", key)
	}
	impltest.Run(t, "ige", func(t *testing.T) {
		for _, v := range vf.TDLib.CRC {
			pt, key, iv := tdlibData(v.N)
			c, err := NewCipher(key)
			if err != nil {
				t.Fatal(err)
			}
			ct := make([]byte, len(pt))
			EncryptBlocks(c, iv, ct, pt)
			if got := crc32.ChecksumIEEE(ct); got != v.CRC32 {
				t.Errorf("n=%d: crc32 = %d, want %d", v.N, got, v.CRC32)
			}
			back := make([]byte, len(ct))
			DecryptBlocks(c, iv, back, ct)
			if !bytes.Equal(back, pt) {
				t.Errorf("n=%d: decrypt does not invert encrypt", v.N)
			}
			// Every other entry point agrees.
			std, _ := aes.NewCipher(key)
			for name, enc := range map[string]func(dst []byte){
				"EncryptAES256Blocks":       func(dst []byte) { EncryptAES256Blocks(key, iv, dst, pt) },
				"NewIGEEncrypter":           func(dst []byte) { NewIGEEncrypter(c, iv).CryptBlocks(dst, pt) },
				"EncryptBatch":              func(dst []byte) { EncryptBatch([]Job{{Cipher: c, IV: iv, Dst: dst, Src: pt}}) },
				"EncryptBlocks(crypto/aes)": func(dst []byte) { EncryptBlocks(std, iv, dst, pt) },
			} {
				got := make([]byte, len(pt))
				enc(got)
				if !bytes.Equal(got, ct) {
					t.Errorf("n=%d: %s differs", v.N, name)
				}
			}
		}
		for i, v := range vf.TDLib.Explicit {
			key, iv, pt, ct := v.decode(t)
			got := make([]byte, len(pt))
			EncryptAES256Blocks(key, iv, got, pt)
			if !bytes.Equal(got, ct) {
				t.Errorf("explicit %d: encrypt = %x, want %x", i, got, ct)
			}
			DecryptAES256Blocks(key, iv, got, ct)
			if !bytes.Equal(got, pt) {
				t.Errorf("explicit %d: decrypt = %x, want %x", i, got, pt)
			}
		}
	})
}

func randBytes(r *rand.Rand, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func newRand(t testing.TB) *rand.Rand {
	seed := rand.Uint64()
	t.Logf("seed %d", seed)
	return rand.New(rand.NewPCG(seed, 0x5ec7e7))
}

// TestBlockMatchesCryptoAES checks the raw AES-256 block against crypto/aes.
func TestBlockMatchesCryptoAES(t *testing.T) {
	r := newRand(t)
	impltest.Run(t, "ige", func(t *testing.T) {
		for range 200 {
			key, in := randBytes(r, 32), randBytes(r, 16)
			ref, _ := aes.NewCipher(key)
			c, err := NewCipher(key)
			if err != nil {
				t.Fatal(err)
			}
			want, got := make([]byte, 16), make([]byte, 16)
			ref.Encrypt(want, in)
			c.Encrypt(got, in)
			if !bytes.Equal(got, want) {
				t.Fatalf("Encrypt(%x) with key %x = %x, want %x", in, key, got, want)
			}
			ref.Decrypt(want, in)
			c.Decrypt(got, in)
			if !bytes.Equal(got, want) {
				t.Fatalf("Decrypt(%x) with key %x = %x, want %x", in, key, got, want)
			}
		}
	})
}

// TestKeyScheduleAgrees: every implementation expands keys exactly as the
// generic code does, so a Cipher keyed under one is valid under all.
func TestKeyScheduleAgrees(t *testing.T) {
	r := newRand(t)
	for range 100 {
		key := [KeySize]byte(randBytes(r, KeySize))
		var want Cipher
		expandKeyGeneric(&want, &key)
		impltest.Run(t, "ige", func(t *testing.T) {
			var got Cipher
			if err := got.SetKey(key[:]); err != nil {
				t.Fatal(err)
			}
			if got.enc != want.enc || got.dec != want.dec {
				t.Fatalf("key %x: schedule differs from generic", key)
			}
		})
	}
}

// TestImplsAgainstGeneric compares every implementation with the generic
// code for 0..N blocks, both directions, unaligned slices included.
func TestImplsAgainstGeneric(t *testing.T) {
	r := newRand(t)
	impltest.Run(t, "ige", func(t *testing.T) {
		for n := 0; n <= 70; n++ {
			off := r.IntN(16)
			key, iv := randBytes(r, KeySize), randBytes(r, IVSize)
			src := randBytes(r, off+16*n)[off:]
			c, _ := NewCipher(key)
			for _, enc := range []bool{true, false} {
				want := make([]byte, len(src))
				state := [IVSize]byte(iv)
				if enc {
					encryptIGEGeneric(c, &state, want, src)
				} else {
					decryptIGEGeneric(c, &state, want, src)
				}
				got := randBytes(r, off+len(src)+3)[off:]
				tail := bytes.Clone(got[len(src):])
				if enc {
					EncryptBlocks(c, iv, got, src)
				} else {
					DecryptBlocks(c, iv, got, src)
				}
				if !bytes.Equal(got[:len(src)], want) {
					t.Fatalf("%d blocks, encrypt=%v, offset %d: differs from generic", n, enc, off)
				}
				if !bytes.Equal(got[len(src):], tail) {
					t.Fatalf("%d blocks: bytes after dst[:len(src)] were written", n)
				}
			}
		}
	})
}

// TestAgainstGotd cross-checks random inputs with github.com/gotd/ige over
// crypto/aes, out of place, one-shot.
func TestAgainstGotd(t *testing.T) {
	r := newRand(t)
	impltest.Run(t, "ige", func(t *testing.T) {
		for range 200 {
			key, iv := randBytes(r, KeySize), randBytes(r, IVSize)
			src := randBytes(r, 16*r.IntN(40))
			ref, _ := aes.NewCipher(key)
			want, got := make([]byte, len(src)), make([]byte, len(src))
			gotd.EncryptBlocks(ref, iv, want, src)
			EncryptAES256Blocks(key, iv, got, src)
			if !bytes.Equal(got, want) {
				t.Fatalf("encrypt differs from gotd/ige (key %x, %d bytes)", key, len(src))
			}
			gotd.DecryptBlocks(ref, iv, want, src)
			c, _ := NewCipher(key)
			DecryptBlocks(c, iv, got, src)
			if !bytes.Equal(got, want) {
				t.Fatalf("decrypt differs from gotd/ige (key %x, %d bytes)", key, len(src))
			}
		}
	})
}

// blockOnly hides the *Cipher type so the portable per-block path runs.
type blockOnly struct{ cipher.Block }

func TestInPlace(t *testing.T) {
	r := newRand(t)
	impltest.Run(t, "ige", func(t *testing.T) {
		for range 50 {
			key, iv := randBytes(r, KeySize), randBytes(r, IVSize)
			src := randBytes(r, 16*r.IntN(64))
			c, _ := NewCipher(key)
			for _, b := range []cipher.Block{c, blockOnly{c}} {
				want := make([]byte, len(src))
				EncryptBlocks(b, iv, want, src)
				buf := bytes.Clone(src)
				EncryptBlocks(b, iv, buf, buf)
				if !bytes.Equal(buf, want) {
					t.Fatalf("%T: in-place encrypt differs", b)
				}
				NewIGEDecrypter(b, iv).CryptBlocks(buf, buf)
				if !bytes.Equal(buf, src) {
					t.Fatalf("%T: in-place BlockMode decrypt differs", b)
				}
				DecryptBlocks(b, iv, want, want)
				if !bytes.Equal(want, src) {
					t.Fatalf("%T: in-place decrypt differs", b)
				}
			}
		}
	})
}

// TestSplitCalls: a BlockMode fed in pieces gives what one call gives.
func TestSplitCalls(t *testing.T) {
	r := newRand(t)
	impltest.Run(t, "ige", func(t *testing.T) {
		for range 50 {
			key, iv := randBytes(r, KeySize), randBytes(r, IVSize)
			src := randBytes(r, 16*(1+r.IntN(64)))
			c, _ := NewCipher(key)
			ref, _ := aes.NewCipher(key)
			for _, b := range []cipher.Block{c, ref} {
				for _, enc := range []bool{true, false} {
					want := make([]byte, len(src))
					newMode := NewIGEDecrypter
					if enc {
						newMode = NewIGEEncrypter
					}
					newMode(b, iv).CryptBlocks(want, src)
					m := newMode(b, iv)
					if m.BlockSize() != BlockSize {
						t.Fatalf("BlockSize() = %d", m.BlockSize())
					}
					got := make([]byte, len(src))
					for i := 0; i < len(src); {
						n := 16 * r.IntN(4)
						n = min(n, len(src)-i)
						m.CryptBlocks(got[i:i+n], src[i:i+n])
						i += n
					}
					if !bytes.Equal(got, want) {
						t.Fatalf("%T encrypt=%v: split calls differ from one call", b, enc)
					}
				}
			}
		}
	})
}

// mixedJobs builds jobs of mixed lengths (zero included) that share ciphers.
func mixedJobs(r *rand.Rand, n int) []Job {
	ciphers := make([]*Cipher, 1+r.IntN(4))
	for i := range ciphers {
		ciphers[i], _ = NewCipher(randBytes(r, KeySize))
	}
	jobs := make([]Job, n)
	for i := range jobs {
		var blocks int
		switch r.IntN(4) {
		case 0:
			blocks = 0
		case 1:
			blocks = 1 + r.IntN(4)
		case 2:
			blocks = r.IntN(64)
		default:
			blocks = r.IntN(300)
		}
		src := randBytes(r, 16*blocks)
		jobs[i] = Job{Cipher: ciphers[r.IntN(len(ciphers))], IV: randBytes(r, IVSize), Dst: make([]byte, len(src)+r.IntN(3)), Src: src}
	}
	return jobs
}

func TestBatchMatchesLoop(t *testing.T) {
	r := newRand(t)
	impltest.Run(t, "ige", func(t *testing.T) {
		for _, n := range []int{0, 1, 2, 3, 7, 8, 9, 15, 16, 17, 31, 32, 33, 64, 100} {
			for _, enc := range []bool{true, false} {
				jobs := mixedJobs(r, n)
				want := make([][]byte, n)
				ivs := make([][]byte, n)
				for i, j := range jobs {
					want[i] = bytes.Clone(j.Dst)
					ivs[i] = bytes.Clone(j.IV)
					if enc {
						EncryptBlocks(j.Cipher, j.IV, want[i], j.Src)
					} else {
						DecryptBlocks(j.Cipher, j.IV, want[i], j.Src)
					}
				}
				if enc {
					EncryptBatch(jobs)
				} else {
					DecryptBatch(jobs)
				}
				for i, j := range jobs {
					if !bytes.Equal(j.Dst, want[i]) {
						t.Fatalf("%d jobs, encrypt=%v: job %d (%d bytes) differs from the per-job loop", n, enc, i, len(j.Src))
					}
					if !bytes.Equal(j.IV, ivs[i]) {
						t.Fatalf("job %d: IV was modified", i)
					}
				}
			}
		}
	})
}

// TestBatchInPlace: a job may have Dst == Src.
func TestBatchInPlace(t *testing.T) {
	r := newRand(t)
	impltest.Run(t, "ige", func(t *testing.T) {
		jobs := mixedJobs(r, 40)
		want := make([][]byte, len(jobs))
		for i := range jobs {
			j := &jobs[i]
			want[i] = make([]byte, len(j.Src))
			DecryptBlocks(j.Cipher, j.IV, want[i], j.Src)
			j.Dst = j.Src
		}
		DecryptBatch(jobs)
		for i, j := range jobs {
			if !bytes.Equal(j.Dst, want[i]) {
				t.Fatalf("job %d: in-place batch differs", i)
			}
		}
	})
}

func TestMisuse(t *testing.T) {
	key, iv := make([]byte, 32), make([]byte, 32)
	c, _ := NewCipher(key)
	blk, _ := aes.NewCipher(key)
	buf := make([]byte, 64)
	for _, b := range []cipher.Block{c, blk} {
		name := fmt.Sprintf("%T", b)
		t.Run(name, func(t *testing.T) {
			testutil.MustPanic(t, ErrInvalidIV.Error(), func() { EncryptBlocks(b, iv[:31], buf, buf) }, ErrInvalidIV.Error())
			testutil.MustPanic(t, ErrInvalidIV.Error(), func() { DecryptBlocks(b, append(iv, 0), buf, buf) }, ErrInvalidIV.Error())
			testutil.MustPanic(t, ErrInvalidIV.Error(), func() { NewIGEEncrypter(b, iv[:16]) }, ErrInvalidIV.Error())
			testutil.MustPanic(t, ErrInvalidIV.Error(), func() { NewIGEDecrypter(b, nil) }, ErrInvalidIV.Error())
			testutil.MustPanic(t, "not full blocks", func() { EncryptBlocks(b, iv, buf, buf[:17]) }, "not full blocks")
			testutil.MustPanic(t, "not full blocks", func() { NewIGEDecrypter(b, iv).CryptBlocks(buf, buf[:15]) }, "not full blocks")
			testutil.MustPanic(t, "dst shorter", func() { DecryptBlocks(b, iv, buf[:16], buf[:32]) }, "dst shorter")
			testutil.MustPanic(t, "dst shorter", func() { NewIGEEncrypter(b, iv).CryptBlocks(buf[:16], make([]byte, 32)) }, "dst shorter")
			testutil.MustPanic(t, "overlap", func() { EncryptBlocks(b, iv, buf[1:33], buf[:32]) }, "overlap")
		})
	}
	testutil.MustPanic(t, "invalid key size 16", func() { EncryptAES256Blocks(key[:16], iv, buf, buf) }, "invalid key size 16")
	testutil.MustPanic(t, "invalid key size 33", func() { DecryptAES256Blocks(append(key, 0), iv, buf, buf) }, "invalid key size 33")
	testutil.MustPanic(t, ErrInvalidIV.Error(), func() { EncryptAES256Blocks(key, iv[:8], buf, buf) }, ErrInvalidIV.Error())
	testutil.MustPanic(t, "not full blocks", func() { DecryptAES256Blocks(key, iv, buf, buf[:1]) }, "not full blocks")
	testutil.MustPanic(t, "dst shorter", func() { EncryptAES256Blocks(key, iv, buf[:0], buf[:16]) }, "dst shorter")
	testutil.MustPanic(t, "without a key", func() { EncryptBlocks(new(Cipher), iv, buf, buf) }, "without a key")
	testutil.MustPanic(t, "without a key", func() { new(Cipher).Encrypt(buf, buf) }, "without a key")
	testutil.MustPanic(t, "nil Cipher", func() { DecryptBlocks((*Cipher)(nil), iv, buf, buf) }, "nil Cipher")
	testutil.MustPanic(t, "input not full block", func() { c.Encrypt(buf, buf[:15]) }, "input not full block")
	testutil.MustPanic(t, "output not full block", func() { c.Decrypt(buf[:15], buf) }, "output not full block")

	job := func() Job { return Job{Cipher: c, IV: iv, Dst: make([]byte, 32), Src: make([]byte, 32)} }
	bad := job()
	bad.Cipher = nil
	testutil.MustPanic(t, "Job 1 has a nil Cipher", func() { EncryptBatch([]Job{job(), bad}) }, "Job 1 has a nil Cipher")
	bad = job()
	bad.IV = iv[:16]
	testutil.MustPanic(t, ErrInvalidIV.Error(), func() { DecryptBatch([]Job{bad}) }, ErrInvalidIV.Error())
	bad = job()
	bad.Src = bad.Src[:20]
	testutil.MustPanic(t, "not full blocks", func() { EncryptBatch([]Job{bad}) }, "not full blocks")
	bad = job()
	bad.Dst = bad.Dst[:16]
	testutil.MustPanic(t, "dst shorter", func() { DecryptBatch([]Job{job(), job(), bad}) }, "dst shorter")
	bad = job()
	bad.Cipher = new(Cipher)
	testutil.MustPanic(t, "without a key", func() { EncryptBatch([]Job{bad}) }, "without a key")

	// A batch with one bad job does no work at all.
	good := job()
	good.Src = []byte("0123456789abcdef0123456789abcdef")
	bad = job()
	bad.Cipher = nil
	testutil.MustPanic(t, "nil Cipher", func() { EncryptBatch([]Job{good, bad}) }, "nil Cipher")
	if !bytes.Equal(good.Dst, make([]byte, 32)) {
		t.Fatal("a batch that panicked wrote output")
	}
}

// TestZeroLength: empty input is valid everywhere and touches nothing: not
// the spare capacity of dst, not the iv, not a BlockMode's chaining state.
func TestZeroLength(t *testing.T) {
	impltest.Run(t, "ige", func(t *testing.T) {
		key := bytes.Repeat([]byte{7}, KeySize)
		iv := bytes.Repeat([]byte{9}, IVSize)
		c, _ := NewCipher(key)
		backing := bytes.Repeat([]byte{0xa5}, 64)
		dst, src := backing[:0], make([]byte, 0, 64)
		for name, f := range map[string]func(){
			"EncryptBlocks":       func() { EncryptBlocks(c, iv, dst, src) },
			"DecryptBlocks":       func() { DecryptBlocks(c, iv, dst, src) },
			"EncryptAES256Blocks": func() { EncryptAES256Blocks(key, iv, dst, src) },
			"DecryptAES256Blocks": func() { DecryptAES256Blocks(key, iv, dst, src) },
			"nil slices":          func() { EncryptBlocks(c, iv, nil, nil) },
			"EncryptBatch(nil)":   func() { EncryptBatch(nil) },
			"EncryptBatch":        func() { EncryptBatch([]Job{{Cipher: c, IV: iv, Dst: dst, Src: src}}) },
			"DecryptBatch":        func() { DecryptBatch([]Job{{Cipher: c, IV: iv, Dst: dst, Src: src}}) },
			"DecryptBatch(empty)": func() { DecryptBatch([]Job{}) },
			"IGE decrypter":       func() { NewIGEDecrypter(c, iv).CryptBlocks(dst, src) },
		} {
			f()
			if !bytes.Equal(backing, bytes.Repeat([]byte{0xa5}, 64)) || !bytes.Equal(iv, bytes.Repeat([]byte{9}, IVSize)) {
				t.Fatalf("%s on empty input wrote to dst's capacity or the iv", name)
			}
		}
		// A BlockMode keeps its chain across an empty call.
		block := bytes.Repeat([]byte{3}, 2*BlockSize)
		want := make([]byte, len(block))
		NewIGEEncrypter(c, iv).CryptBlocks(want, block)
		m := NewIGEEncrypter(c, iv)
		m.CryptBlocks(dst, src)
		got := make([]byte, len(block))
		m.CryptBlocks(got, block)
		if !bytes.Equal(got, want) {
			t.Fatal("an empty CryptBlocks changed the chaining state")
		}
	})
}

func TestAllocs(t *testing.T) {
	if raceflag.Enabled {
		t.Skip("allocation counts are not meaningful under -race")
	}
	impltest.Run(t, "ige", func(t *testing.T) {
		if Impl() == "stdlib" {
			// Documented: crypto/aes builds its block from the key at each
			// call, and its API offers no way to avoid the allocation.
			t.Skip("stdlib allocates crypto/aes's block per call (package doc)")
		}
		key, iv := make([]byte, 32), make([]byte, 32)
		buf := make([]byte, 1024)
		c, _ := NewCipher(key)
		jobs := []Job{{c, iv, buf[:512], buf[:512]}, {c, iv, buf[512:], buf[512:]}}
		for name, f := range map[string]func(){
			"SetKey":              func() { _ = c.SetKey(key) },
			"EncryptBlocks":       func() { EncryptBlocks(c, iv, buf, buf) },
			"DecryptBlocks":       func() { DecryptBlocks(c, iv, buf, buf) },
			"EncryptAES256Blocks": func() { EncryptAES256Blocks(key, iv, buf, buf) },
			"DecryptAES256Blocks": func() { DecryptAES256Blocks(key, iv, buf, buf) },
			"EncryptBatch":        func() { EncryptBatch(jobs) },
			"DecryptBatch":        func() { DecryptBatch(jobs) },
			"Encrypt":             func() { c.Encrypt(buf, buf[16:]) },
		} {
			if n := testing.AllocsPerRun(20, f); n != 0 {
				t.Errorf("%s: %v allocations, want 0", name, n)
			}
		}
	})
}

// FuzzRoundTrip: decrypt inverts encrypt under every implementation, and all
// implementations agree with the generic code and gotd/ige.
func FuzzRoundTrip(f *testing.F) {
	f.Add(make([]byte, 32), make([]byte, 32), make([]byte, 48), uint8(0))
	f.Add([]byte("0123456789abcdef0123456789abcdef"), []byte("fedcba9876543210fedcba9876543210"), []byte("x"), uint8(3))
	f.Fuzz(func(t *testing.T, key, iv, data []byte, off uint8) {
		if len(key) != KeySize || len(iv) != IVSize {
			return
		}
		o := int(off % 16)
		src := make([]byte, o+len(data)/16*16)[o:]
		copy(src, data)
		ref, _ := aes.NewCipher(key)
		want := make([]byte, len(src))
		gotd.EncryptBlocks(ref, iv, want, src)
		for _, name := range Implementations() {
			restore, _ := useImpl(name)
			c, _ := NewCipher(key)
			ct := make([]byte, len(src))
			EncryptBlocks(c, iv, ct, src)
			if !bytes.Equal(ct, want) {
				restore()
				t.Fatalf("%s: encrypt differs from gotd/ige", name)
			}
			DecryptBlocks(c, iv, ct, ct)
			restore()
			if !bytes.Equal(ct, src) {
				t.Fatalf("%s: round trip failed", name)
			}
		}
	})
}

// FuzzBatch: batches of fuzzer-chosen lengths agree with the per-job loop of
// the generic code under every implementation.
func FuzzBatch(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3, 40, 5, 6}, uint64(1), true)
	f.Fuzz(func(t *testing.T, lengths []byte, seed uint64, enc bool) {
		if len(lengths) > 80 {
			return
		}
		r := rand.New(rand.NewPCG(seed, 0))
		jobs := make([]Job, len(lengths))
		want := make([][]byte, len(lengths))
		for i, l := range lengths {
			c, _ := NewCipher(randBytes(r, KeySize))
			src := randBytes(r, 16*int(l))
			jobs[i] = Job{Cipher: c, IV: randBytes(r, IVSize), Src: src}
			want[i] = make([]byte, len(src))
			state := [IVSize]byte(jobs[i].IV)
			if enc {
				encryptIGEGeneric(c, &state, want[i], src)
			} else {
				decryptIGEGeneric(c, &state, want[i], src)
			}
		}
		for _, name := range Implementations() {
			restore, _ := useImpl(name)
			for i := range jobs {
				jobs[i].Dst = make([]byte, len(jobs[i].Src))
			}
			if enc {
				EncryptBatch(jobs)
			} else {
				DecryptBatch(jobs)
			}
			restore()
			for i := range jobs {
				if !bytes.Equal(jobs[i].Dst, want[i]) {
					t.Fatalf("%s: job %d of %d differs", name, i, len(jobs))
				}
			}
		}
	})
}

// zeroBlock is a cipher.Block with a nonsensical block size.
type zeroBlock struct{ cipher.Block }

func (zeroBlock) BlockSize() int { return 0 }

func TestBadBlock(t *testing.T) {
	buf := make([]byte, 32)
	testutil.MustPanic(t, "nil cipher.Block", func() { EncryptBlocks(nil, buf, buf, buf) }, "nil cipher.Block")
	testutil.MustPanic(t, "nil cipher.Block", func() { NewIGEDecrypter(nil, buf) }, "nil cipher.Block")
	testutil.MustPanic(t, "block size 0", func() { DecryptBlocks(zeroBlock{}, buf, buf, buf) }, "block size 0")
	testutil.MustPanic(t, "block size 0", func() { NewIGEEncrypter(zeroBlock{}, buf) }, "block size 0")
}
