package bench

import (
	"fmt"
	"strings"
	"testing"

	"github.com/gotd/td/bin"
	"github.com/gotd/td/tg/e2e"
	"github.com/secretbench/secretbench/internal/reference"
	"github.com/secretbench/secretbench/kdf"
	"github.com/secretbench/secretbench/secret"
)

func init() {
	register(Suite{Name: "pipeline", Doc: "secret-chat message: encrypt and decrypt (secret against internal/reference)", cases: pipelineCases})
	register(Suite{Name: "pipeline-batch", Doc: "a backlog of messages decrypted at once (Codec.DecryptBatch against a loop of reference.Decrypt)", cases: pipelineBatchCases})
	register(Suite{Name: "exchange", Doc: "Diffie-Hellman key exchange, request+accept+complete (secret.DH against internal/reference)", cases: exchangeCases})
}

// chatKey is the shared key of the pipeline cases: bytes 00..ff, the key of
// the vectors in docs/PROTOCOL.md section 10.
func chatKey() []byte {
	k := make([]byte, 256)
	for i := range k {
		k[i] = byte(i)
	}
	return k
}

// messageBody returns the TL of a DecryptedMessage (layer 73+) of exactly n
// bytes (n >= 32, a multiple of 4), text filling the rest.
func messageBody(n int) []byte {
	text := n
	for range 4 {
		var buf bin.Buffer
		m := &e2e.DecryptedMessage{RandomID: 1, Message: strings.Repeat("a", max(text, 0))}
		if err := m.Encode(&buf); err != nil {
			panic(err)
		}
		if len(buf.Buf) == n {
			return buf.Buf
		}
		text += n - len(buf.Buf)
	}
	panic(fmt.Sprintf("bench: no DecryptedMessage of %d bytes", n))
}

var pipelineSizes = []int{64, 1 << 10, 16 << 10}

func pipelineCases(dst []Case) []Case {
	for _, op := range []string{"encrypt", "decrypt"} {
		for _, v := range []int{1, 2} {
			for _, impl := range []string{"ref", "fast"} {
				for _, n := range pipelineSizes {
					if v == 1 && n != 1<<10 {
						continue
					}
					dst = append(dst, Case{
						Suite: "pipeline", Bench: "Pipeline",
						Name:  fmt.Sprintf("op=%s/v=%d/impl=%s/size=%s", op, v, impl, Size(n)),
						Bytes: int64(n),
						Quick: v == 2 && n == 1<<10,
						F:     pipeline(op, v, impl, n),
					})
				}
			}
		}
	}
	return dst
}

// header returns the envelope of a message of version v: the current layer
// for v2, layer 46 (the last before MTProto 2.0 became mandatory) for v1.
func header(v int) secret.Header {
	if v == 1 {
		return secret.Header{Version: kdf.V1, Layer: 46}
	}
	return secret.Header{Version: kdf.V2, Layer: secret.CurrentLayer}
}

// codecs returns the originator's and the responder's Codec over chatKey.
func codecs(b *testing.B) (send, recv *secret.Codec) {
	k, err := secret.NewKey(chatKey())
	if err != nil {
		b.Fatal(err)
	}
	return secret.NewCodec(k, secret.Originator), secret.NewCodec(k, secret.Responder)
}

// wire encrypts one message of n body bytes as the originator.
func wire(b *testing.B, send *secret.Codec, v, n int) []byte {
	w, err := send.Encrypt(nil, header(v), messageBody(n))
	if err != nil {
		b.Fatal(err)
	}
	return w
}

// pipeline: the whole per-message path: envelope, padding, msg_key, key
// derivation, AES-IGE (and on decrypt every check). Both sides draw their
// randomness from crypto/rand.
func pipeline(op string, v int, impl string, n int) func(*testing.B) {
	return func(b *testing.B) {
		send, recv := codecs(b)
		body := messageBody(n)
		h := header(v)
		w := wire(b, send, v, n)
		key := chatKey()
		switch {
		case op == "encrypt" && impl == "ref":
			m := reference.Message{Version: v, Layer: int(h.Layer), Body: body}
			cpu := startCPU()
			for b.Loop() {
				if _, err := reference.Encrypt(key, true, m, reference.Options{}); err != nil {
					b.Fatal(err)
				}
			}
			cpu.Report(b)
		case op == "encrypt":
			var buf []byte
			cpu := startCPU()
			for b.Loop() {
				var err error
				if buf, err = send.Encrypt(buf[:0], h, body); err != nil {
					b.Fatal(err)
				}
			}
			cpu.Report(b)
		case impl == "ref":
			cpu := startCPU()
			for b.Loop() {
				if _, err := reference.Decrypt(key, false, w); err != nil {
					b.Fatal(err)
				}
			}
			cpu.Report(b)
		default:
			var buf []byte
			cpu := startCPU()
			for b.Loop() {
				var err error
				if buf, _, err = recv.Decrypt(buf[:0], w); err != nil {
					b.Fatal(err)
				}
			}
			cpu.Report(b)
		}
	}
}

var backlogShapes = []struct {
	name  string
	sizes []int
	quick bool
}{
	{"32x1KiB", repeat(1<<10, 32), true},
	{"mix64B-16KiB", []int{64, 256, 1 << 10, 4 << 10, 16 << 10, 64, 64, 256, 1 << 10, 64, 256, 64, 4 << 10, 64, 1 << 10, 256}, false},
}

func pipelineBatchCases(dst []Case) []Case {
	for _, impl := range []string{"ref", "fast"} {
		for _, sh := range backlogShapes {
			dst = append(dst, Case{
				Suite: "pipeline-batch", Bench: "PipelineBatch",
				Name:  fmt.Sprintf("op=decrypt/v=2/impl=%s/msgs=%s", impl, sh.name),
				Bytes: int64(sum(sh.sizes)),
				Quick: sh.quick,
				F:     pipelineBatch(impl, sh.sizes),
			})
		}
	}
	return dst
}

func pipelineBatch(impl string, sizes []int) func(*testing.B) {
	return func(b *testing.B) {
		send, recv := codecs(b)
		wires := make([][]byte, len(sizes))
		for i, n := range sizes {
			wires[i] = wire(b, send, 2, n)
		}
		if impl == "ref" {
			key := chatKey()
			cpu := startCPU()
			for b.Loop() {
				for _, w := range wires {
					if _, err := reference.Decrypt(key, false, w); err != nil {
						b.Fatal(err)
					}
				}
			}
			cpu.Report(b)
			return
		}
		var buf []byte
		var results []secret.Result
		cpu := startCPU()
		for b.Loop() {
			buf, results = recv.DecryptBatch(buf[:0], wires, results[:0])
		}
		cpu.Report(b)
		for _, r := range results {
			if r.Err != nil {
				b.Fatal(r.Err)
			}
		}
	}
}

func exchangeCases(dst []Case) []Case {
	for _, impl := range []string{"ref", "fast"} {
		dst = append(dst, Case{
			Suite: "exchange", Bench: "Exchange",
			Name:  "op=full/impl=" + impl,
			Quick: true,
			F:     exchange(impl),
		})
	}
	return dst
}

// exchange: both sides of a key exchange over the well-known prime with g =
// 3: three 2048-bit exponentiations with secret exponents and the checks of
// g_a and g_b. The parameter check itself is the dhcheck suite's.
func exchange(impl string) func(*testing.B) {
	return func(b *testing.B) {
		p := wellKnownPrime()
		if impl == "ref" {
			cpu := startCPU()
			for b.Loop() {
				a, gA, err := reference.Request(3, p, nil, nil)
				if err != nil {
					b.Fatal(err)
				}
				gB, _, fp, err := reference.Accept(3, p, gA, nil, nil)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := reference.Complete(p, a, gB, fp); err != nil {
					b.Fatal(err)
				}
			}
			cpu.Report(b)
			return
		}
		d := &secret.DH{G: 3, P: p}
		cpu := startCPU()
		for b.Loop() {
			ex, err := d.Request(nil)
			if err != nil {
				b.Fatal(err)
			}
			gB, key, err := d.Accept(ex.GA(), nil)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := ex.Complete(gB, key.Fingerprint()); err != nil {
				b.Fatal(err)
			}
		}
		cpu.Report(b)
	}
}
