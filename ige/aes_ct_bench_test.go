package ige

import (
	"fmt"
	"runtime"
	"testing"
)

// BenchmarkPortableAES compares the bitsliced AES with the table oracle it
// replaced, both called directly (no dispatch): one IGE stream, and a batch
// of 8 streams with distinct keys (the table path ran a batch's jobs one
// after another). Besides wall time it reports cpu-ns/op, the benchmark
// goroutine's thread CPU time (locked to its thread), steadier on a shared
// machine. Reproduce the ratios with
//
//	go test -tags purego -run '^$' -bench PortableAES -count 10 -benchtime 0.3s ./ige > pa.txt
//	benchstat -col /aes pa.txt
func BenchmarkPortableAES(b *testing.B) {
	const size = 16 << 10
	for _, op := range []string{"encrypt", "decrypt"} {
		decrypt := op == "decrypt"
		for _, streams := range []int{1, 8} {
			for _, impl := range []string{"table", "ct"} {
				b.Run(fmt.Sprintf("op=%s/streams=%d/aes=%s", op, streams, impl), func(b *testing.B) {
					jobs := make([]Job, streams)
					for i := range jobs {
						key := make([]byte, KeySize)
						key[0] = byte(i)
						var c Cipher
						tabExpandKey(&c, (*[KeySize]byte)(key))
						buf := make([]byte, size)
						jobs[i] = Job{Cipher: &c, IV: make([]byte, IVSize), Dst: buf, Src: buf}
					}
					b.SetBytes(int64(streams * size))
					runtime.LockOSThread()
					defer runtime.UnlockOSThread()
					cpu0 := threadCPUNanos()
					for b.Loop() {
						switch {
						case impl == "table":
							tabCryptBatch(jobs, decrypt)
						case streams > 1:
							cryptBatchGeneric(jobs, decrypt)
						default:
							j := &jobs[0]
							iv := [IVSize]byte(j.IV)
							if decrypt {
								decryptIGEGeneric(j.Cipher, &iv, j.Dst, j.Src)
							} else {
								encryptIGEGeneric(j.Cipher, &iv, j.Dst, j.Src)
							}
						}
					}
					if cpu := threadCPUNanos() - cpu0; cpu > 0 {
						b.ReportMetric(float64(cpu)/float64(b.N), "cpu-ns/op")
					}
				})
			}
		}
	}
}
