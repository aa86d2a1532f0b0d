package secret_test

import (
	"crypto/sha1"
	"crypto/sha256"
	"fmt"
	"hash"
	"sync"
	"testing"

	"github.com/secretbench/secretbench/ige"
	"github.com/secretbench/secretbench/internal/cputime"
	"github.com/secretbench/secretbench/internal/impl"
	"github.com/secretbench/secretbench/internal/modexp"
	"github.com/secretbench/secretbench/internal/reference"
	"github.com/secretbench/secretbench/kdf"
	"github.com/secretbench/secretbench/secret"
)

// Benchmarks compare three implementations of one message, side by side:
//
//   - impl=ref: internal/reference, the spec-literal pipeline;
//   - impl=fast: this package;
//   - impl=floor: the work no implementation can avoid: (v2) SHA-256 over
//     the padded message for msg_key, the two 52-byte SHA-256 of the KDF, and
//     a serial AES-256 IGE chain over the padded length with an already
//     expanded key; (v1) SHA-1 over the message, the four SHA-1 of the KDF
//     and the same chain.
//
// size is the length of the text in a decryptedMessage. The v2 padding is
// held at its minimum (WithMaxPadding(27), the same bound for the
// reference) so that every implementation and the floor process the same
// number of bytes; with the protocol's random 12..1024 bytes the message
// would be ~500 bytes longer on average for all of them. Randomness is
// crypto/rand for ref and fast.

var implOnce sync.Once

// printImpl writes the code paths as configuration lines of the benchmark
// format, which benchstat shows above its tables.
func printImpl() {
	implOnce.Do(func() {
		fmt.Printf("ige-impl: %s\nmodexp-impl: %s\nkdf-impl: %s\n", ige.Impl(), modexp.Impl(), impl.Active("kdf"))
	})
}

var benchSizes = []struct {
	name string
	n    int
}{{"16B", 16}, {"256B", 256}, {"1KiB", 1024}, {"16KiB", 16 << 10}, {"64KiB", 64 << 10}}

const benchMaxPad = secret.MinPadding + 15

func BenchmarkPipeline(b *testing.B) {
	printImpl()
	keyBytes := randomKeyBytes(1)
	key := mustKey(b, keyBytes)
	for _, op := range []string{"encrypt", "decrypt"} {
		for _, v := range []kdf.Version{kdf.V1, kdf.V2} {
			// impl innermost: the three run back to back, under the same
			// load of a shared machine.
			for _, size := range benchSizes {
				for _, impl := range []string{"ref", "fast", "floor"} {
					name := fmt.Sprintf("op=%s/v=%d/impl=%s/size=%s", op, v, impl, size.name)
					b.Run(name, func(b *testing.B) {
						benchPipeline(b, key, keyBytes, op, v, impl, size.n)
					})
				}
			}
		}
	}
}

func benchPipeline(b *testing.B, key *secret.Key, keyBytes []byte, op string, v kdf.Version, impl string, n int) {
	body := textBody(b, n)
	h := headerFor(v)
	tx := secret.NewCodec(key, secret.Originator, secret.WithMaxPadding(benchMaxPad))
	rx := secret.NewCodec(key, secret.Responder)
	wire, err := tx.Encrypt(nil, h, body)
	if err != nil {
		b.Fatal(err)
	}
	refMsg := reference.Message{Version: int(v), Layer: int(h.Layer), InSeqNo: int(h.InSeqNo), OutSeqNo: int(h.OutSeqNo), Body: body}
	refOpts := reference.Options{MaxPadding: benchMaxPad}
	buf := make([]byte, 0, len(wire)+64)

	b.SetBytes(int64(n))
	b.ReportAllocs()
	defer cputime.StartThread().Report(b)
	switch impl + "/" + op {
	case "fast/encrypt":
		for b.Loop() {
			if _, err := tx.Encrypt(buf, h, body); err != nil {
				b.Fatal(err)
			}
		}
	case "fast/decrypt":
		for b.Loop() {
			if _, _, err := rx.Decrypt(buf, wire); err != nil {
				b.Fatal(err)
			}
		}
	case "ref/encrypt":
		for b.Loop() {
			if _, err := reference.Encrypt(keyBytes, true, refMsg, refOpts); err != nil {
				b.Fatal(err)
			}
		}
	case "ref/decrypt":
		for b.Loop() {
			if _, err := reference.Decrypt(keyBytes, false, wire); err != nil {
				b.Fatal(err)
			}
		}
	default:
		f := newFloor(keyBytes, v, len(wire)-secret.Overhead, len(body))
		for b.Loop() {
			f.run(op == "encrypt")
		}
	}
}

// floor is the unavoidable work of one message (see the comment above).
type floor struct {
	v        kdf.Version
	key      []byte
	data     []byte
	unpadded int
	h        hash.Hash
	sum      []byte
	kdfIn    [52]byte
	c        *ige.Cipher
	iv       [32]byte
}

func newFloor(key []byte, v kdf.Version, padded, bodyLen int) *floor {
	f := &floor{v: v, key: key, data: make([]byte, padded), unpadded: padded - 16, sum: make([]byte, 0, 32)}
	if v == kdf.V2 {
		f.h = sha256.New()
	} else {
		f.h = sha1.New()
	}
	f.c, _ = ige.NewCipher(key[:32])
	return f
}

func (f *floor) run(encrypt bool) {
	f.h.Reset()
	if f.v == kdf.V2 {
		f.h.Write(f.key[:32]) // as many key bytes as msg_key hashes
		f.h.Write(f.data)
		f.sum = f.h.Sum(f.sum[:0])
		copy(f.kdfIn[:], f.sum)
		a := sha256.Sum256(f.kdfIn[:])
		f.kdfIn[0] ^= a[0]
		bb := sha256.Sum256(f.kdfIn[:])
		f.iv[0] ^= bb[0]
	} else {
		f.h.Write(f.data[:f.unpadded])
		f.sum = f.h.Sum(f.sum[:0])
		copy(f.kdfIn[:], f.sum)
		for i := 0; i < 4; i++ {
			s := sha1.Sum(f.kdfIn[:48])
			f.kdfIn[i] ^= s[0]
		}
	}
	if encrypt {
		ige.EncryptBlocks(f.c, f.iv[:], f.data, f.data)
	} else {
		ige.DecryptBlocks(f.c, f.iv[:], f.data, f.data)
	}
}

// BenchmarkPipelineBatch decrypts 64 v2 messages of 1 KiB: the reference
// one by one, this package with DecryptBatch (impl=fast) and with Decrypt
// in a loop (impl=loop).
func BenchmarkPipelineBatch(b *testing.B) {
	printImpl()
	keyBytes := randomKeyBytes(2)
	key := mustKey(b, keyBytes)
	tx := secret.NewCodec(key, secret.Originator, secret.WithMaxPadding(benchMaxPad))
	rx := secret.NewCodec(key, secret.Responder)
	const count, size = 64, 1024
	wires := make([][]byte, count)
	total := 0
	for i := range wires {
		w, err := tx.Encrypt(nil, headerFor(kdf.V2), textBody(b, size))
		if err != nil {
			b.Fatal(err)
		}
		wires[i] = w
		total += len(w)
	}
	for _, impl := range []string{"ref", "loop", "fast"} {
		b.Run("impl="+impl, func(b *testing.B) {
			b.SetBytes(count * size)
			b.ReportAllocs()
			dst := make([]byte, 0, total)
			results := make([]secret.Result, 0, count)
			defer cputime.StartThread().Report(b)
			switch impl {
			case "ref":
				for b.Loop() {
					for _, w := range wires {
						if _, err := reference.Decrypt(keyBytes, false, w); err != nil {
							b.Fatal(err)
						}
					}
				}
			case "loop":
				for b.Loop() {
					for _, w := range wires {
						if _, _, err := rx.Decrypt(dst[:0], w); err != nil {
							b.Fatal(err)
						}
					}
				}
			case "fast":
				for b.Loop() {
					_, res := rx.DecryptBatch(dst[:0], wires, results[:0])
					if res[count-1].Err != nil {
						b.Fatal(res[count-1].Err)
					}
				}
			}
		})
	}
}

// BenchmarkKeyExchange runs a whole exchange (request, accept, complete:
// four 2048-bit exponentiations) with the well-known prime, g = 3. The
// parameters are known to be good in both (the reference does not re-test
// the prime; this package's Checker knows it).
func BenchmarkKeyExchange(b *testing.B) {
	printImpl()
	b.Run("impl=ref", func(b *testing.B) {
		b.ReportAllocs()
		defer cputime.StartThread().Report(b)
		for b.Loop() {
			a, gA, err := reference.Request(3, wellKnownPrime, nil, nil)
			if err != nil {
				b.Fatal(err)
			}
			gB, _, fp, err := reference.Accept(3, wellKnownPrime, gA, nil, nil)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := reference.Complete(wellKnownPrime, a, gB, fp); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("impl=fast", func(b *testing.B) {
		b.ReportAllocs()
		dh := secret.DH{G: 3, P: wellKnownPrime}
		defer cputime.StartThread().Report(b)
		for b.Loop() {
			ex, err := dh.Request(nil)
			if err != nil {
				b.Fatal(err)
			}
			gB, key, err := dh.Accept(ex.GA(), nil)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := ex.Complete(gB, key.Fingerprint()); err != nil {
				b.Fatal(err)
			}
		}
	})
}
