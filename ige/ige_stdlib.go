//go:build !purego && (ppc64le || s390x)

package ige

import "crypto/aes"

// On ppc64le (POWER8 vcipher) and s390x (CPACF) crypto/aes has hardware
// AES and this package has no assembly, so the "stdlib" implementation runs
// IGE over crypto/aes's block cipher. A Cipher holds only the key schedules;
// the standard library's block is rebuilt from the key (the first two round
// keys) at each call: the one allocation (two on s390x) of this path, which
// the standard library's API does not let us avoid. The key schedules are
// still ours (constant-time), so a Cipher keyed here works under "generic"
// too.
var implStdlib = &implementation{name: "stdlib", available: true}

var archImpls = []*implementation{implStdlib}

func stdBlock(c *Cipher) interface {
	Encrypt(dst, src []byte)
	Decrypt(dst, src []byte)
} {
	b, err := aes.NewCipher(c.enc[:KeySize])
	if err != nil {
		panic("ige: " + err.Error()) // unreachable: the key is 32 bytes
	}
	return b
}

func expandKey(c *Cipher, key *[KeySize]byte) { expandKeyGeneric(c, key) }

func encryptBlock(c *Cipher, dst, src []byte) {
	if active == implGeneric {
		encryptBlockGeneric(c, dst, src)
		return
	}
	stdBlock(c).Encrypt(dst, src)
}

func decryptBlock(c *Cipher, dst, src []byte) {
	if active == implGeneric {
		decryptBlockGeneric(c, dst, src)
		return
	}
	stdBlock(c).Decrypt(dst, src)
}

// stdIGE runs IGE over crypto/aes one block at a time: y_i = E(x_i ^
// y_{i-1}) ^ x_{i-1} to encrypt, x_i = D(y_i ^ x_{i-1}) ^ y_{i-1} to
// decrypt, iv = y_{-1} || x_{-1} left holding the chaining state.
func stdIGE(c *Cipher, iv *[IVSize]byte, dst, src []byte, decrypt bool) {
	b := stdBlock(c)
	y, x := loadBlock(iv[:16]), loadBlock(iv[16:])
	for len(src) >= BlockSize {
		// The block cipher works in dst, which the caller owns (a buffer
		// of ours would escape through the interface call).
		n, out := loadBlock(src), dst[:BlockSize]
		if decrypt {
			storeBlock(out, n.xor(x))
			b.Decrypt(out, out)
			x, y = loadBlock(out).xor(y), n
			storeBlock(out, x)
		} else {
			storeBlock(out, n.xor(y))
			b.Encrypt(out, out)
			y, x = loadBlock(out).xor(x), n
			storeBlock(out, y)
		}
		src, dst = src[BlockSize:], dst[BlockSize:]
	}
	storeBlock(iv[:16], y)
	storeBlock(iv[16:], x)
}

func encryptIGE(c *Cipher, iv *[IVSize]byte, dst, src []byte) {
	if active == implGeneric {
		encryptIGEGeneric(c, iv, dst, src)
		return
	}
	stdIGE(c, iv, dst, src, false)
}

func decryptIGE(c *Cipher, iv *[IVSize]byte, dst, src []byte) {
	if active == implGeneric {
		decryptIGEGeneric(c, iv, dst, src)
		return
	}
	stdIGE(c, iv, dst, src, true)
}

// The hardware does one serial stream fast enough that a batch runs its
// jobs one after another.
func stdBatch(jobs []Job, decrypt bool) {
	for i := range jobs {
		j := &jobs[i]
		iv := [IVSize]byte(j.IV)
		stdIGE(j.Cipher, &iv, j.Dst, j.Src, decrypt)
	}
}

func encryptBatch(jobs []Job) {
	if active == implGeneric {
		encryptBatchGeneric(jobs)
		return
	}
	stdBatch(jobs, false)
}

func decryptBatch(jobs []Job) {
	if active == implGeneric {
		decryptBatchGeneric(jobs)
		return
	}
	stdBatch(jobs, true)
}

func boundLanes() []int { return []int{1} }

func aesBound(c *Cipher, lanes, blocks int) {
	if active == implGeneric {
		aesBoundGeneric(c, blocks)
		return
	}
	b := stdBlock(c)
	s := make([]byte, BlockSize)
	for range blocks {
		s[0] ^= 1
		b.Encrypt(s, s)
	}
	boundSink = uint32(s[0])
}
