package secret

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/secretbench/secretbench/dhcheck"
	"github.com/secretbench/secretbench/internal/modexp"
)

// DH holds the Diffie-Hellman parameters of a key exchange (from
// messages.getDhConfig) and where its randomness and checks come from.
// The zero values of Rand and Checker mean crypto/rand.Reader and a Checker
// shared by the package (which knows the well-known prime without testing it).
type DH struct {
	G       int
	P       []byte // big-endian, 256 bytes
	Rand    io.Reader
	Checker *dhcheck.Checker
}

var (
	defaultCheckerOnce sync.Once
	defaultChecker     *dhcheck.Checker
)

func (d *DH) checker() *dhcheck.Checker {
	if d.Checker != nil {
		return d.Checker
	}
	defaultCheckerOnce.Do(func() { defaultChecker = dhcheck.NewChecker() })
	return defaultChecker
}

func (d *DH) rand() io.Reader {
	if d.Rand != nil {
		return d.Rand
	}
	return rand.Reader
}

// exponentSize is the length of a secret exponent: 2048 bits.
const exponentSize = 256

// check validates (g, p) through the Checker (cached).
func (d *DH) check() error {
	return d.checker().CheckParams(d.G, d.P)
}

// secret fills e with 2048 random bits, XORed with the server's random when
// one is given (never used raw).
func (d *DH) secret(e *[exponentSize]byte, serverRandom []byte) error {
	if serverRandom != nil && len(serverRandom) != exponentSize {
		return ErrServerRandom
	}
	if _, err := io.ReadFull(d.rand(), e[:]); err != nil {
		return err
	}
	for i, b := range serverRandom {
		e[i] ^= b
	}
	return nil
}

// exp returns base^e mod p, exactly len(p) bytes, in time independent of
// the value of e (modexp's constant-time path). The Montgomery constants of p
// are built on every call rather than cached: that costs a few microseconds,
// well under 1% of the exponentiation (BenchmarkNewModulus and
// BenchmarkModExp in internal/modexp), and the verdict on p is already cached
// by the Checker.
func exp(base, e, p []byte) ([]byte, error) {
	return expMod(p, func(m *modexp.Modulus, dst []byte) error { return m.Exp(dst, base, e) })
}

// expG is exp for the public generator g: modexp's fixed-base path, which
// keeps a table of powers of g per p and takes about half the time.
func expG(g int, e, p []byte) ([]byte, error) {
	return expMod(p, func(m *modexp.Modulus, dst []byte) error { return m.ExpFixedBase(dst, byte(g), e) })
}

func expMod(p []byte, f func(m *modexp.Modulus, dst []byte) error) ([]byte, error) {
	m, err := modexp.NewModulus(p)
	if err != nil {
		return nil, err
	}
	out := make([]byte, len(p))
	if err := f(m, out[len(p)-m.Size():]); err != nil {
		return nil, err
	}
	return out, nil
}

// public returns g^e mod p (256 bytes) and checks it as the peer will.
func (d *DH) public(e *[exponentSize]byte) ([]byte, error) {
	gx, err := expG(d.G, e[:], d.P)
	if err != nil {
		return nil, err
	}
	if err := dhcheck.CheckPublic(d.P, gx); err != nil {
		return nil, fmt.Errorf("secret: our own public value: %w", err)
	}
	return gx, nil
}

// shared returns the key (peer^e mod p, left-padded to 256 bytes).
func shared(p, peer []byte, e *[exponentSize]byte) (*Key, error) {
	k, err := exp(peer, e[:], p)
	if err != nil {
		return nil, err
	}
	defer clear(k)
	if len(k) > KeySize {
		return nil, ErrKeySize // p longer than 2048 bits; CheckParams refuses it first
	}
	var padded [KeySize]byte
	copy(padded[KeySize-len(k):], k)
	key, err := NewKey(padded[:])
	clear(padded[:])
	return key, err
}

// Exchange is the originator's side of a key exchange in flight: it holds
// the secret exponent a until Complete. Persist it with MarshalBinary (the
// result contains the secret: store it as carefully as a key).
type Exchange struct {
	g  int
	p  []byte
	a  [exponentSize]byte
	gA []byte
}

// Request starts a key exchange as the originator: it checks (g, p), draws
// the secret a (XORing serverRandom into it when not nil; it must then be
// 256 bytes) and returns the Exchange whose GA is sent in
// messages.requestEncryption (or decryptedMessageActionRequestKey).
// Errors: those of dhcheck (ErrPrimeSize, ErrNotSafePrime, ErrGenerator,
// ErrRange), ErrServerRandom, or a failed random read.
func (d *DH) Request(serverRandom []byte) (*Exchange, error) {
	if err := d.check(); err != nil {
		return nil, err
	}
	e := &Exchange{g: d.G, p: bytes.Clone(d.P)}
	if err := d.secret(&e.a, serverRandom); err != nil {
		return nil, err
	}
	gA, err := d.public(&e.a)
	if err != nil {
		e.Wipe()
		return nil, err
	}
	e.gA = gA
	return e, nil
}

// GA returns g_a (256 bytes, big-endian).
func (e *Exchange) GA() []byte { return bytes.Clone(e.gA) }

// Complete finishes the exchange with the responder's g_b and the
// key_fingerprint it sent: it checks g_b, computes the key and compares
// fingerprints. ErrKeyFingerprint means the exchange failed and the chat
// must be discarded. The Exchange keeps its secret until Wipe.
func (e *Exchange) Complete(gB []byte, fingerprint int64) (*Key, error) {
	if err := dhcheck.CheckPublic(e.p, gB); err != nil {
		return nil, err
	}
	key, err := shared(e.p, gB, &e.a)
	if err != nil {
		return nil, err
	}
	if key.Fingerprint() != fingerprint {
		key.Wipe()
		return nil, ErrKeyFingerprint
	}
	return key, nil
}

// Wipe overwrites the secret exponent.
func (e *Exchange) Wipe() { clear(e.a[:]) }

// Accept answers a request as the responder: it checks (g, p) and g_a,
// draws b, and returns g_b (to send with key.Fingerprint() in
// messages.acceptEncryption or decryptedMessageActionAcceptKey) and the key.
// The secret b is wiped before returning.
func (d *DH) Accept(gA, serverRandom []byte) (gB []byte, key *Key, err error) {
	if err := d.check(); err != nil {
		return nil, nil, err
	}
	if err := dhcheck.CheckPublic(d.P, gA); err != nil {
		return nil, nil, err
	}
	var b [exponentSize]byte
	defer clear(b[:])
	if err := d.secret(&b, serverRandom); err != nil {
		return nil, nil, err
	}
	if gB, err = d.public(&b); err != nil {
		return nil, nil, err
	}
	if key, err = shared(d.P, gA, &b); err != nil {
		return nil, nil, err
	}
	return gB, key, nil
}

// exchangeMagic versions the MarshalBinary form of an Exchange.
const exchangeMagic = "SBX1"

// ErrCorruptState is returned by UnmarshalBinary for a state it cannot trust.
var ErrCorruptState = errors.New("secret: corrupt or truncated Exchange state")

// MarshalBinary encodes the Exchange, secret exponent included.
func (e *Exchange) MarshalBinary() ([]byte, error) {
	out := []byte(exchangeMagic)
	out = binary.LittleEndian.AppendUint32(out, uint32(e.g))
	out = binary.LittleEndian.AppendUint32(out, uint32(len(e.p)))
	out = append(out, e.p...)
	out = append(out, e.a[:]...)
	out = binary.LittleEndian.AppendUint32(out, uint32(len(e.gA)))
	return append(out, e.gA...), nil
}

// UnmarshalBinary restores an Exchange from MarshalBinary's output. A
// truncated or corrupt encoding is an error: the restored g^a must equal
// the stored g_a.
func (e *Exchange) UnmarshalBinary(data []byte) error {
	if !bytes.HasPrefix(data, []byte(exchangeMagic)) {
		return ErrCorruptState
	}
	data = data[len(exchangeMagic):]
	u32 := func() (int, bool) {
		if len(data) < 4 {
			return 0, false
		}
		v := binary.LittleEndian.Uint32(data)
		data = data[4:]
		return int(v), v <= 1<<16
	}
	g, ok := u32()
	if !ok || g < 2 || g > 7 {
		return ErrCorruptState
	}
	np, ok := u32()
	if !ok || np != 256 || len(data) < np+exponentSize {
		return ErrCorruptState
	}
	p := bytes.Clone(data[:np])
	data = data[np:]
	var a [exponentSize]byte
	copy(a[:], data)
	data = data[exponentSize:]
	ng, ok := u32()
	if !ok || ng != len(data) || ng != 256 {
		return ErrCorruptState
	}
	// g^a must reproduce g_a: this catches corruption of any field
	// (one exponentiation, paid only on restore).
	gA, err := exp([]byte{byte(g)}, a[:], p)
	if err != nil || !bytes.Equal(gA, data) || dhcheck.CheckPublic(p, gA) != nil {
		clear(a[:])
		return ErrCorruptState
	}
	e.g, e.p, e.a, e.gA = g, p, a, gA
	clear(a[:])
	return nil
}
