package ige

import "encoding/binary"

// Portable AES-256, used where no AES instructions are available (and with
// -tags purego). It is the classic 32-bit table implementation, the same
// design as the standard library's generic fallback: its table lookups are
// indexed by secret data, so it is not constant-time against an attacker who
// shares the CPU cache. The assembly paths are; Impl says which one runs.
//
// Round keys are kept as bytes in FIPS-197 order (each 32-bit word
// big-endian), the layout AESENC/AESDEC and AESE/AESD consume directly, so
// every implementation shares one key schedule format. The decryption
// schedule is that of the "equivalent inverse cipher" (FIPS-197 section
// 5.3.5): the encryption round keys in reverse order, with InvMixColumns
// applied to all but the first and last.

const rounds = 14 // AES-256

var (
	sbox, invSbox      [256]byte
	te0, te1, te2, te3 [256]uint32
	td0, td1, td2, td3 [256]uint32
	rcon               = [7]uint32{0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40}
)

func init() {
	// Build the S-box by walking the multiplicative group of GF(2^8) with
	// generator 3 and its inverse (FIPS-197 section 5.1.1).
	p, q := byte(1), byte(1)
	for {
		p ^= p<<1 ^ (p>>7)*0x1b
		q ^= q << 1
		q ^= q << 2
		q ^= q << 4
		if q&0x80 != 0 {
			q ^= 0x09
		}
		x := q ^ rotl8(q, 1) ^ rotl8(q, 2) ^ rotl8(q, 3) ^ rotl8(q, 4)
		sbox[p] = x ^ 0x63
		if p == 1 {
			break
		}
	}
	sbox[0] = 0x63
	for i := range 256 {
		invSbox[sbox[i]] = byte(i)
	}
	for i := range 256 {
		s := uint32(sbox[i])
		w := mul(s, 2)<<24 | s<<16 | s<<8 | mul(s, 3)
		te0[i], te1[i], te2[i], te3[i] = w, w>>8|w<<24, w>>16|w<<16, w>>24|w<<8
		s = uint32(invSbox[i])
		w = mul(s, 14)<<24 | mul(s, 9)<<16 | mul(s, 13)<<8 | mul(s, 11)
		td0[i], td1[i], td2[i], td3[i] = w, w>>8|w<<24, w>>16|w<<16, w>>24|w<<8
	}
}

func rotl8(x byte, n uint) byte { return x<<n | x>>(8-n) }

// mul multiplies in GF(2^8) modulo x^8 + x^4 + x^3 + x + 1.
func mul(a, b uint32) uint32 {
	var r uint32
	for b != 0 {
		if b&1 != 0 {
			r ^= a
		}
		a <<= 1
		if a&0x100 != 0 {
			a ^= 0x11b
		}
		b >>= 1
	}
	return r
}

func subWord(w uint32) uint32 {
	return uint32(sbox[w>>24])<<24 | uint32(sbox[w>>16&0xff])<<16 | uint32(sbox[w>>8&0xff])<<8 | uint32(sbox[w&0xff])
}

// expandKeyGeneric fills both schedules of c from a 32-byte key (FIPS-197 5.2).
func expandKeyGeneric(c *Cipher, key *[KeySize]byte) {
	var w [4 * (rounds + 1)]uint32
	for i := range 8 {
		w[i] = binary.BigEndian.Uint32(key[4*i:])
	}
	for i := 8; i < len(w); i++ {
		t := w[i-1]
		switch i % 8 {
		case 0:
			t = subWord(t<<8|t>>24) ^ rcon[i/8-1]<<24
		case 4:
			t = subWord(t)
		}
		w[i] = w[i-8] ^ t
	}
	for i, v := range w {
		binary.BigEndian.PutUint32(c.enc[4*i:], v)
	}
	for r := 0; r <= rounds; r++ {
		for j := range 4 {
			v := w[4*(rounds-r)+j]
			if r > 0 && r < rounds {
				v = td0[sbox[v>>24]] ^ td1[sbox[v>>16&0xff]] ^ td2[sbox[v>>8&0xff]] ^ td3[sbox[v&0xff]]
			}
			binary.BigEndian.PutUint32(c.dec[16*r+4*j:], v)
		}
	}
}

func rk(k *[scheduleSize]byte, i int) uint32 { return binary.BigEndian.Uint32(k[4*i:]) }

// encryptWords runs AES-256 on a block held as four big-endian words.
func encryptWords(k *[scheduleSize]byte, s0, s1, s2, s3 uint32) (uint32, uint32, uint32, uint32) {
	s0 ^= rk(k, 0)
	s1 ^= rk(k, 1)
	s2 ^= rk(k, 2)
	s3 ^= rk(k, 3)
	for r := 1; r < rounds; r++ {
		t0 := te0[s0>>24] ^ te1[s1>>16&0xff] ^ te2[s2>>8&0xff] ^ te3[s3&0xff] ^ rk(k, 4*r)
		t1 := te0[s1>>24] ^ te1[s2>>16&0xff] ^ te2[s3>>8&0xff] ^ te3[s0&0xff] ^ rk(k, 4*r+1)
		t2 := te0[s2>>24] ^ te1[s3>>16&0xff] ^ te2[s0>>8&0xff] ^ te3[s1&0xff] ^ rk(k, 4*r+2)
		t3 := te0[s3>>24] ^ te1[s0>>16&0xff] ^ te2[s1>>8&0xff] ^ te3[s2&0xff] ^ rk(k, 4*r+3)
		s0, s1, s2, s3 = t0, t1, t2, t3
	}
	t0 := uint32(sbox[s0>>24])<<24 | uint32(sbox[s1>>16&0xff])<<16 | uint32(sbox[s2>>8&0xff])<<8 | uint32(sbox[s3&0xff])
	t1 := uint32(sbox[s1>>24])<<24 | uint32(sbox[s2>>16&0xff])<<16 | uint32(sbox[s3>>8&0xff])<<8 | uint32(sbox[s0&0xff])
	t2 := uint32(sbox[s2>>24])<<24 | uint32(sbox[s3>>16&0xff])<<16 | uint32(sbox[s0>>8&0xff])<<8 | uint32(sbox[s1&0xff])
	t3 := uint32(sbox[s3>>24])<<24 | uint32(sbox[s0>>16&0xff])<<16 | uint32(sbox[s1>>8&0xff])<<8 | uint32(sbox[s2&0xff])
	return t0 ^ rk(k, 4*rounds), t1 ^ rk(k, 4*rounds+1), t2 ^ rk(k, 4*rounds+2), t3 ^ rk(k, 4*rounds+3)
}

// decryptWords runs the equivalent inverse cipher with the decryption schedule.
func decryptWords(k *[scheduleSize]byte, s0, s1, s2, s3 uint32) (uint32, uint32, uint32, uint32) {
	s0 ^= rk(k, 0)
	s1 ^= rk(k, 1)
	s2 ^= rk(k, 2)
	s3 ^= rk(k, 3)
	for r := 1; r < rounds; r++ {
		t0 := td0[s0>>24] ^ td1[s3>>16&0xff] ^ td2[s2>>8&0xff] ^ td3[s1&0xff] ^ rk(k, 4*r)
		t1 := td0[s1>>24] ^ td1[s0>>16&0xff] ^ td2[s3>>8&0xff] ^ td3[s2&0xff] ^ rk(k, 4*r+1)
		t2 := td0[s2>>24] ^ td1[s1>>16&0xff] ^ td2[s0>>8&0xff] ^ td3[s3&0xff] ^ rk(k, 4*r+2)
		t3 := td0[s3>>24] ^ td1[s2>>16&0xff] ^ td2[s1>>8&0xff] ^ td3[s0&0xff] ^ rk(k, 4*r+3)
		s0, s1, s2, s3 = t0, t1, t2, t3
	}
	t0 := uint32(invSbox[s0>>24])<<24 | uint32(invSbox[s3>>16&0xff])<<16 | uint32(invSbox[s2>>8&0xff])<<8 | uint32(invSbox[s1&0xff])
	t1 := uint32(invSbox[s1>>24])<<24 | uint32(invSbox[s0>>16&0xff])<<16 | uint32(invSbox[s3>>8&0xff])<<8 | uint32(invSbox[s2&0xff])
	t2 := uint32(invSbox[s2>>24])<<24 | uint32(invSbox[s1>>16&0xff])<<16 | uint32(invSbox[s0>>8&0xff])<<8 | uint32(invSbox[s3&0xff])
	t3 := uint32(invSbox[s3>>24])<<24 | uint32(invSbox[s2>>16&0xff])<<16 | uint32(invSbox[s1>>8&0xff])<<8 | uint32(invSbox[s0&0xff])
	return t0 ^ rk(k, 4*rounds), t1 ^ rk(k, 4*rounds+1), t2 ^ rk(k, 4*rounds+2), t3 ^ rk(k, 4*rounds+3)
}

func load4(b []byte) (uint32, uint32, uint32, uint32) {
	_ = b[15]
	return binary.BigEndian.Uint32(b), binary.BigEndian.Uint32(b[4:]), binary.BigEndian.Uint32(b[8:]), binary.BigEndian.Uint32(b[12:])
}

func store4(b []byte, s0, s1, s2, s3 uint32) {
	_ = b[15]
	binary.BigEndian.PutUint32(b, s0)
	binary.BigEndian.PutUint32(b[4:], s1)
	binary.BigEndian.PutUint32(b[8:], s2)
	binary.BigEndian.PutUint32(b[12:], s3)
}

func encryptBlockGeneric(c *Cipher, dst, src []byte) {
	s0, s1, s2, s3 := load4(src)
	s0, s1, s2, s3 = encryptWords(&c.enc, s0, s1, s2, s3)
	store4(dst, s0, s1, s2, s3)
}

func decryptBlockGeneric(c *Cipher, dst, src []byte) {
	s0, s1, s2, s3 := load4(src)
	s0, s1, s2, s3 = decryptWords(&c.dec, s0, s1, s2, s3)
	store4(dst, s0, s1, s2, s3)
}

// encryptIGEGeneric: y_i = E(x_i ^ y_{i-1}) ^ x_{i-1}, iv = y_{-1} || x_{-1},
// left holding the chaining state (last y, last x).
func encryptIGEGeneric(c *Cipher, iv *[IVSize]byte, dst, src []byte) {
	y0, y1, y2, y3 := load4(iv[:16])
	x0, x1, x2, x3 := load4(iv[16:])
	for len(src) >= BlockSize {
		n0, n1, n2, n3 := load4(src)
		y0, y1, y2, y3 = encryptWords(&c.enc, n0^y0, n1^y1, n2^y2, n3^y3)
		y0, y1, y2, y3 = y0^x0, y1^x1, y2^x2, y3^x3
		x0, x1, x2, x3 = n0, n1, n2, n3
		store4(dst, y0, y1, y2, y3)
		src, dst = src[BlockSize:], dst[BlockSize:]
	}
	store4(iv[:16], y0, y1, y2, y3)
	store4(iv[16:], x0, x1, x2, x3)
}

// decryptIGEGeneric: x_i = D(y_i ^ x_{i-1}) ^ y_{i-1}.
func decryptIGEGeneric(c *Cipher, iv *[IVSize]byte, dst, src []byte) {
	y0, y1, y2, y3 := load4(iv[:16])
	x0, x1, x2, x3 := load4(iv[16:])
	for len(src) >= BlockSize {
		n0, n1, n2, n3 := load4(src)
		x0, x1, x2, x3 = decryptWords(&c.dec, n0^x0, n1^x1, n2^x2, n3^x3)
		x0, x1, x2, x3 = x0^y0, x1^y1, x2^y2, x3^y3
		y0, y1, y2, y3 = n0, n1, n2, n3
		store4(dst, x0, x1, x2, x3)
		src, dst = src[BlockSize:], dst[BlockSize:]
	}
	store4(iv[:16], y0, y1, y2, y3)
	store4(iv[16:], x0, x1, x2, x3)
}

// encryptBatchGeneric and decryptBatchGeneric run the jobs one after another.
func encryptBatchGeneric(jobs []Job) {
	for i := range jobs {
		j := &jobs[i]
		iv := [IVSize]byte(j.IV)
		encryptIGEGeneric(j.Cipher, &iv, j.Dst, j.Src)
	}
}

func decryptBatchGeneric(jobs []Job) {
	for i := range jobs {
		j := &jobs[i]
		iv := [IVSize]byte(j.IV)
		decryptIGEGeneric(j.Cipher, &iv, j.Dst, j.Src)
	}
}
