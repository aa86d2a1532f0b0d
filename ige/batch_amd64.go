//go:build !purego

package ige

// Multi-stream batch entry points for the amd64 dispatch. Placeholder: the
// portable per-job loop until the interleaved kernels land.

// encryptBatchLanes encrypts jobs interleaved over lanes streams (8: AES-NI,
// 16: VAES ymm, 32: VAES zmm).
func encryptBatchLanes(jobs []Job, lanes int) {
	for i := range jobs {
		j := &jobs[i]
		iv := [IVSize]byte(j.IV)
		encryptIGEGeneric(j.Cipher, &iv, j.Dst, j.Src)
	}
}

// decryptBatchLanes decrypts jobs interleaved over lanes streams.
func decryptBatchLanes(jobs []Job, lanes int) {
	for i := range jobs {
		j := &jobs[i]
		iv := [IVSize]byte(j.IV)
		decryptIGEGeneric(j.Cipher, &iv, j.Dst, j.Src)
	}
}

// aesBoundLanes is the AES throughput bound at lanes independent streams.
func aesBoundLanes(c *Cipher, lanes, blocks int) {
	aesBoundGeneric(c, blocks)
}
