package secret_test

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"os"
	"testing"

	"github.com/secretbench/secretbench/internal/reference"
	"github.com/secretbench/secretbench/kdf"
	"github.com/secretbench/secretbench/secret"
)

// goldenFile holds wire messages produced by internal/reference (the
// spec-literal pipeline) from fixed inputs and a ChaCha8 random stream; see
// its "source" field. Regenerate with SECRETBENCH_REGEN_GOLDEN=1 (only if
// the reference itself was found wrong).
type goldenFile struct {
	Source   string         `json:"source"`
	Messages []goldenRecord `json:"messages"`
}

type goldenRecord struct {
	Version    int    `json:"version"`
	Originator bool   `json:"sender_is_originator"`
	TextLen    int    `json:"text_len"`
	Seed       byte   `json:"chacha8_seed"`
	Wire       string `json:"wire"`
}

func TestGoldenWire(t *testing.T) {
	const path = "testdata/wire.json"
	key := seqKeyBytes()
	var golden goldenFile
	if os.Getenv("SECRETBENCH_REGEN_GOLDEN") == "1" {
		golden.Source = "internal/reference.Encrypt, key 00..ff, body = decryptedMessage{random_id 0x1122334455667788, message 'a' x text_len}, " +
			"layer 46 (v1) or 144 (v2), in_seq_no 4, out_seq_no 7, 15 random_bytes, Rand = math/rand/v2 ChaCha8([32]byte{seed, 's'})"
		seed := byte(0)
		for _, v := range []int{1, 2} {
			for _, orig := range []bool{true, false} {
				for _, n := range []int{0, 100, 1000} {
					seed++
					h := headerFor(kdf.Version(v))
					m := reference.Message{Version: v, Layer: int(h.Layer), InSeqNo: 4, OutSeqNo: 7, Body: textBody(t, n)}
					w, err := reference.Encrypt(key, orig, m, reference.Options{Rand: stream(seed)})
					if err != nil {
						t.Fatal(err)
					}
					golden.Messages = append(golden.Messages, goldenRecord{v, orig, n, seed, hex.EncodeToString(w)})
				}
			}
		}
		raw, _ := json.MarshalIndent(golden, "", "  ")
		if err := os.WriteFile(path, append(raw, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &golden); err != nil {
		t.Fatal(err)
	}
	k := mustKey(t, key)
	for _, g := range golden.Messages {
		role := secret.Responder
		if g.Originator {
			role = secret.Originator
		}
		want, _ := hex.DecodeString(g.Wire)
		got, err := secret.NewCodec(k, role, secret.WithRand(stream(g.Seed))).Encrypt(nil, headerFor(kdf.Version(g.Version)), textBody(t, g.TextLen))
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("v%d seed %d: Encrypt differs from the golden wire (%v)", g.Version, g.Seed, err)
		}
		body, h, err := secret.NewCodec(k, peer(role)).Decrypt(nil, want)
		if err != nil || int(h.Version) != g.Version || !bytes.Equal(body, textBody(t, g.TextLen)) {
			t.Fatalf("v%d seed %d: Decrypt: %v", g.Version, g.Seed, err)
		}
	}
	if len(golden.Messages) != 12 {
		t.Fatalf("%d golden messages", len(golden.Messages))
	}
}
