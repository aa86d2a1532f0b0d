package ige

import "encoding/binary"

// The classic 32-bit table AES-256 that the portable path used before the
// bitsliced one, kept only as a test oracle: an independent implementation
// to check against, and the leaky baseline that the timing check must flag
// and the benchmarks compare with. Its lookups are indexed by secret data.

var (
	tabSbox, tabInvSbox    [256]byte
	tabTe0, tabTe1, tabTe2 [256]uint32
	tabTe3                 [256]uint32
	tabTd0, tabTd1, tabTd2 [256]uint32
	tabTd3                 [256]uint32
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
		x := q ^ tabRotl8(q, 1) ^ tabRotl8(q, 2) ^ tabRotl8(q, 3) ^ tabRotl8(q, 4)
		tabSbox[p] = x ^ 0x63
		if p == 1 {
			break
		}
	}
	tabSbox[0] = 0x63
	for i := range 256 {
		tabInvSbox[tabSbox[i]] = byte(i)
	}
	for i := range 256 {
		s := uint32(tabSbox[i])
		w := tabMul(s, 2)<<24 | s<<16 | s<<8 | tabMul(s, 3)
		tabTe0[i], tabTe1[i], tabTe2[i], tabTe3[i] = w, w>>8|w<<24, w>>16|w<<16, w>>24|w<<8
		s = uint32(tabInvSbox[i])
		w = tabMul(s, 14)<<24 | tabMul(s, 9)<<16 | tabMul(s, 13)<<8 | tabMul(s, 11)
		tabTd0[i], tabTd1[i], tabTd2[i], tabTd3[i] = w, w>>8|w<<24, w>>16|w<<16, w>>24|w<<8
	}
}

func tabRotl8(x byte, n uint) byte { return x<<n | x>>(8-n) }

// tabMul multiplies in GF(2^8) modulo x^8 + x^4 + x^3 + x + 1.
func tabMul(a, b uint32) uint32 {
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

func tabSubWord(w uint32) uint32 {
	return uint32(tabSbox[w>>24])<<24 | uint32(tabSbox[w>>16&0xff])<<16 | uint32(tabSbox[w>>8&0xff])<<8 | uint32(tabSbox[w&0xff])
}

// tabExpandKey fills both schedules of c, in the layout of expandKeyGeneric.
func tabExpandKey(c *Cipher, key *[KeySize]byte) {
	var w [4 * (rounds + 1)]uint32
	for i := range 8 {
		w[i] = binary.BigEndian.Uint32(key[4*i:])
	}
	for i := 8; i < len(w); i++ {
		t := w[i-1]
		switch i % 8 {
		case 0:
			t = tabSubWord(t<<8|t>>24) ^ rcon[i/8-1]<<24
		case 4:
			t = tabSubWord(t)
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
				v = tabTd0[tabSbox[v>>24]] ^ tabTd1[tabSbox[v>>16&0xff]] ^ tabTd2[tabSbox[v>>8&0xff]] ^ tabTd3[tabSbox[v&0xff]]
			}
			binary.BigEndian.PutUint32(c.dec[16*r+4*j:], v)
		}
	}
	c.keyed = true
}

func tabRK(k *[scheduleSize]byte, i int) uint32 { return binary.BigEndian.Uint32(k[4*i:]) }

func tabEncryptWords(k *[scheduleSize]byte, s0, s1, s2, s3 uint32) (uint32, uint32, uint32, uint32) {
	s0 ^= tabRK(k, 0)
	s1 ^= tabRK(k, 1)
	s2 ^= tabRK(k, 2)
	s3 ^= tabRK(k, 3)
	for r := 1; r < rounds; r++ {
		t0 := tabTe0[s0>>24] ^ tabTe1[s1>>16&0xff] ^ tabTe2[s2>>8&0xff] ^ tabTe3[s3&0xff] ^ tabRK(k, 4*r)
		t1 := tabTe0[s1>>24] ^ tabTe1[s2>>16&0xff] ^ tabTe2[s3>>8&0xff] ^ tabTe3[s0&0xff] ^ tabRK(k, 4*r+1)
		t2 := tabTe0[s2>>24] ^ tabTe1[s3>>16&0xff] ^ tabTe2[s0>>8&0xff] ^ tabTe3[s1&0xff] ^ tabRK(k, 4*r+2)
		t3 := tabTe0[s3>>24] ^ tabTe1[s0>>16&0xff] ^ tabTe2[s1>>8&0xff] ^ tabTe3[s2&0xff] ^ tabRK(k, 4*r+3)
		s0, s1, s2, s3 = t0, t1, t2, t3
	}
	t0 := uint32(tabSbox[s0>>24])<<24 | uint32(tabSbox[s1>>16&0xff])<<16 | uint32(tabSbox[s2>>8&0xff])<<8 | uint32(tabSbox[s3&0xff])
	t1 := uint32(tabSbox[s1>>24])<<24 | uint32(tabSbox[s2>>16&0xff])<<16 | uint32(tabSbox[s3>>8&0xff])<<8 | uint32(tabSbox[s0&0xff])
	t2 := uint32(tabSbox[s2>>24])<<24 | uint32(tabSbox[s3>>16&0xff])<<16 | uint32(tabSbox[s0>>8&0xff])<<8 | uint32(tabSbox[s1&0xff])
	t3 := uint32(tabSbox[s3>>24])<<24 | uint32(tabSbox[s0>>16&0xff])<<16 | uint32(tabSbox[s1>>8&0xff])<<8 | uint32(tabSbox[s2&0xff])
	return t0 ^ tabRK(k, 4*rounds), t1 ^ tabRK(k, 4*rounds+1), t2 ^ tabRK(k, 4*rounds+2), t3 ^ tabRK(k, 4*rounds+3)
}

func tabDecryptWords(k *[scheduleSize]byte, s0, s1, s2, s3 uint32) (uint32, uint32, uint32, uint32) {
	s0 ^= tabRK(k, 0)
	s1 ^= tabRK(k, 1)
	s2 ^= tabRK(k, 2)
	s3 ^= tabRK(k, 3)
	for r := 1; r < rounds; r++ {
		t0 := tabTd0[s0>>24] ^ tabTd1[s3>>16&0xff] ^ tabTd2[s2>>8&0xff] ^ tabTd3[s1&0xff] ^ tabRK(k, 4*r)
		t1 := tabTd0[s1>>24] ^ tabTd1[s0>>16&0xff] ^ tabTd2[s3>>8&0xff] ^ tabTd3[s2&0xff] ^ tabRK(k, 4*r+1)
		t2 := tabTd0[s2>>24] ^ tabTd1[s1>>16&0xff] ^ tabTd2[s0>>8&0xff] ^ tabTd3[s3&0xff] ^ tabRK(k, 4*r+2)
		t3 := tabTd0[s3>>24] ^ tabTd1[s2>>16&0xff] ^ tabTd2[s1>>8&0xff] ^ tabTd3[s0&0xff] ^ tabRK(k, 4*r+3)
		s0, s1, s2, s3 = t0, t1, t2, t3
	}
	t0 := uint32(tabInvSbox[s0>>24])<<24 | uint32(tabInvSbox[s3>>16&0xff])<<16 | uint32(tabInvSbox[s2>>8&0xff])<<8 | uint32(tabInvSbox[s1&0xff])
	t1 := uint32(tabInvSbox[s1>>24])<<24 | uint32(tabInvSbox[s0>>16&0xff])<<16 | uint32(tabInvSbox[s3>>8&0xff])<<8 | uint32(tabInvSbox[s2&0xff])
	t2 := uint32(tabInvSbox[s2>>24])<<24 | uint32(tabInvSbox[s1>>16&0xff])<<16 | uint32(tabInvSbox[s0>>8&0xff])<<8 | uint32(tabInvSbox[s3&0xff])
	t3 := uint32(tabInvSbox[s3>>24])<<24 | uint32(tabInvSbox[s2>>16&0xff])<<16 | uint32(tabInvSbox[s1>>8&0xff])<<8 | uint32(tabInvSbox[s0&0xff])
	return t0 ^ tabRK(k, 4*rounds), t1 ^ tabRK(k, 4*rounds+1), t2 ^ tabRK(k, 4*rounds+2), t3 ^ tabRK(k, 4*rounds+3)
}

func tabLoad(b []byte) (uint32, uint32, uint32, uint32) {
	_ = b[15]
	return binary.BigEndian.Uint32(b), binary.BigEndian.Uint32(b[4:]), binary.BigEndian.Uint32(b[8:]), binary.BigEndian.Uint32(b[12:])
}

func tabStore(b []byte, s0, s1, s2, s3 uint32) {
	_ = b[15]
	binary.BigEndian.PutUint32(b, s0)
	binary.BigEndian.PutUint32(b[4:], s1)
	binary.BigEndian.PutUint32(b[8:], s2)
	binary.BigEndian.PutUint32(b[12:], s3)
}

func tabEncryptBlock(c *Cipher, dst, src []byte) {
	s0, s1, s2, s3 := tabLoad(src)
	s0, s1, s2, s3 = tabEncryptWords(&c.enc, s0, s1, s2, s3)
	tabStore(dst, s0, s1, s2, s3)
}

func tabDecryptBlock(c *Cipher, dst, src []byte) {
	s0, s1, s2, s3 := tabLoad(src)
	s0, s1, s2, s3 = tabDecryptWords(&c.dec, s0, s1, s2, s3)
	tabStore(dst, s0, s1, s2, s3)
}

// tabEncryptIGE and tabDecryptIGE are the table path's IGE loops.
func tabEncryptIGE(c *Cipher, iv *[IVSize]byte, dst, src []byte) {
	y0, y1, y2, y3 := tabLoad(iv[:16])
	x0, x1, x2, x3 := tabLoad(iv[16:])
	for len(src) >= BlockSize {
		n0, n1, n2, n3 := tabLoad(src)
		y0, y1, y2, y3 = tabEncryptWords(&c.enc, n0^y0, n1^y1, n2^y2, n3^y3)
		y0, y1, y2, y3 = y0^x0, y1^x1, y2^x2, y3^x3
		x0, x1, x2, x3 = n0, n1, n2, n3
		tabStore(dst, y0, y1, y2, y3)
		src, dst = src[BlockSize:], dst[BlockSize:]
	}
	tabStore(iv[:16], y0, y1, y2, y3)
	tabStore(iv[16:], x0, x1, x2, x3)
}

func tabDecryptIGE(c *Cipher, iv *[IVSize]byte, dst, src []byte) {
	y0, y1, y2, y3 := tabLoad(iv[:16])
	x0, x1, x2, x3 := tabLoad(iv[16:])
	for len(src) >= BlockSize {
		n0, n1, n2, n3 := tabLoad(src)
		x0, x1, x2, x3 = tabDecryptWords(&c.dec, n0^x0, n1^x1, n2^x2, n3^x3)
		x0, x1, x2, x3 = x0^y0, x1^y1, x2^y2, x3^y3
		y0, y1, y2, y3 = n0, n1, n2, n3
		tabStore(dst, x0, x1, x2, x3)
		src, dst = src[BlockSize:], dst[BlockSize:]
	}
	tabStore(iv[:16], y0, y1, y2, y3)
	tabStore(iv[16:], x0, x1, x2, x3)
}

// tabCryptBatch runs the jobs one after another, as the table path did.
func tabCryptBatch(jobs []Job, decrypt bool) {
	for i := range jobs {
		j := &jobs[i]
		iv := [IVSize]byte(j.IV)
		if decrypt {
			tabDecryptIGE(j.Cipher, &iv, j.Dst, j.Src)
		} else {
			tabEncryptIGE(j.Cipher, &iv, j.Dst, j.Src)
		}
	}
}
