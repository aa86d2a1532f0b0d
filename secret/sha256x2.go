package secret

import (
	"encoding/binary"

	"github.com/secretbench/secretbench/kdf"
)

// Two SHA-256 hashes at once. Where the hardware has the SHA extensions
// (amd64 without purego), two independent hashes run through one
// interleaved kernel (sha256x2_amd64.s) at about the cost of one; elsewhere,
// and when useSHA2x is false, they are two crypto/sha256 hashes. The batch
// path pairs the msg_key checks of consecutive messages, and every v2 key
// derivation pairs its two hashes a and b.

// useSHA2x selects the kernel; tests switch it off to check the fallback.
var useSHA2x = hasSHA2x

// SHA256x2 reports whether the two-lane SHA-256 kernel is in use (amd64
// with the SHA extensions, without the purego tag); benchmarks print it.
func SHA256x2() bool { return useSHA2x }

var sha256IV = [8]uint32{0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19}

// sha2Lane is one message pre || msg laid out as runs of whole blocks: a
// head block joining pre to the start of msg, the blocks of msg in place,
// and the tail (rest of msg, padding, bit length) in scratch.
type sha2Lane struct {
	state [8]uint32
	segs  [3][]byte // each a multiple of 64 bytes; empty ones skipped
	head  [64]byte
	tail  [128]byte
}

// init lays out pre || msg; pre must be shorter than 64 bytes.
func (l *sha2Lane) init(pre, msg []byte) {
	l.state = sha256IV
	l.segs = [3][]byte{}
	total := uint64(len(pre) + len(msg))
	rest := msg
	if len(pre) > 0 && len(pre)+len(msg) >= 64 {
		copy(l.head[:], pre)
		n := copy(l.head[len(pre):], msg)
		l.segs[0] = l.head[:]
		rest = msg[n:]
		pre = nil
	}
	full := len(rest) &^ 63
	l.segs[1] = rest[:full]
	t := copy(l.tail[:], pre)
	t += copy(l.tail[t:], rest[full:])
	l.tail[t] = 0x80
	t++
	end := 64
	if t > 56 {
		end = 128
	}
	clear(l.tail[t : end-8])
	binary.BigEndian.PutUint64(l.tail[end-8:], total*8)
	l.segs[2] = l.tail[:end]
}

func (l *sha2Lane) sum() (d [32]byte) {
	for i, v := range l.state {
		binary.BigEndian.PutUint32(d[4*i:], v)
	}
	return d
}

// run2 hashes both lanes, interleaved while both have blocks left; the
// longer one finishes alongside a throw-away copy of itself.
func run2(a, b *sha2Lane) {
	ia, ib := 0, 0
	var sa, sb []byte
	for {
		for len(sa) == 0 && ia < len(a.segs) {
			sa, ia = a.segs[ia], ia+1
		}
		for len(sb) == 0 && ib < len(b.segs) {
			sb, ib = b.segs[ib], ib+1
		}
		switch {
		case len(sa) == 0 && len(sb) == 0:
			return
		case len(sb) == 0:
			var dummy [8]uint32
			blocks2(&a.state, &dummy, sa, sa, len(sa)/64)
			sa = nil
		case len(sa) == 0:
			var dummy [8]uint32
			blocks2(&dummy, &b.state, sb, sb, len(sb)/64)
			sb = nil
		default:
			n := min(len(sa), len(sb))
			blocks2(&a.state, &b.state, sa, sb, n/64)
			sa, sb = sa[n:], sb[n:]
		}
	}
}

// sha2Pair is scratch for two hashes; it is large (two tails), so Codecs
// keep one instead of putting it on the stack of every call.
type sha2Pair struct{ a, b sha2Lane }

// sum256x2 returns SHA256(pre1 || msg1) and SHA256(pre2 || msg2); the
// prefixes are shorter than 64 bytes. Only with useSHA2x.
func (p *sha2Pair) sum256x2(pre1, msg1, pre2, msg2 []byte) (d1, d2 [32]byte) {
	p.a.init(pre1, msg1)
	p.b.init(pre2, msg2)
	run2(&p.a, &p.b)
	// Keep no reference to the caller's buffers, nor their tails.
	p.a.segs, p.b.segs = [3][]byte{}, [3][]byte{}
	return p.a.sum(), p.b.sum()
}

// msgKeysV2 is kdf.MsgKeyV2 for two plaintexts under the same key and x.
func (p *sha2Pair) msgKeysV2(key *[256]byte, x int, padded1, padded2 []byte) (k1, k2 [16]byte) {
	if !useSHA2x {
		return kdf.MsgKeyV2(key, x, padded1), kdf.MsgKeyV2(key, x, padded2)
	}
	d1, d2 := p.sum256x2(key[88+x:120+x], padded1, key[88+x:120+x], padded2)
	return [16]byte(d1[8:24]), [16]byte(d2[8:24])
}

// deriveV2 is kdf.Derive(kdf.V2, ...) with its two hashes run as a pair:
// a = SHA256(msg_key || K[x:x+36]), b = SHA256(K[40+x:76+x] || msg_key).
func (p *sha2Pair) deriveV2(key *[256]byte, msgKey *[16]byte, x int) (aesKey, aesIV [32]byte) {
	if !useSHA2x {
		return kdf.Derive(kdf.V2, key, msgKey, x)
	}
	a, b := p.sum256x2(msgKey[:], key[x:x+36], key[40+x:76+x], msgKey[:])
	copy(aesKey[0:8], a[0:8])
	copy(aesKey[8:24], b[8:24])
	copy(aesKey[24:32], a[24:32])
	copy(aesIV[0:8], b[0:8])
	copy(aesIV[8:24], a[8:24])
	copy(aesIV[24:32], b[24:32])
	return aesKey, aesIV
}
