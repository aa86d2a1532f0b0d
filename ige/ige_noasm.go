//go:build purego || !(amd64 || arm64 || ppc64le || s390x)

package ige

// Without assembly or a hardware AES in the standard library, the portable
// constant-time code is the only implementation.

var archImpls []*implementation

func expandKey(c *Cipher, key *[KeySize]byte)                 { expandKeyGeneric(c, key) }
func encryptBlock(c *Cipher, dst, src []byte)                 { encryptBlockGeneric(c, dst, src) }
func decryptBlock(c *Cipher, dst, src []byte)                 { decryptBlockGeneric(c, dst, src) }
func encryptIGE(c *Cipher, iv *[IVSize]byte, dst, src []byte) { encryptIGEGeneric(c, iv, dst, src) }
func decryptIGE(c *Cipher, iv *[IVSize]byte, dst, src []byte) { decryptIGEGeneric(c, iv, dst, src) }
func encryptBatch(jobs []Job)                                 { encryptBatchGeneric(jobs) }
func decryptBatch(jobs []Job)                                 { decryptBatchGeneric(jobs) }
func boundLanes() []int                                       { return []int{1} }
func aesBound(c *Cipher, lanes, blocks int)                   { aesBoundGeneric(c, blocks) }
