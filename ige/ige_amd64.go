//go:build !purego

package ige

// Placeholder until the assembly for this architecture lands: it dispatches
// to the portable code. The assembly's file replaces this one.

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
