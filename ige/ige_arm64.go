//go:build !purego

package ige

import (
	"unsafe"

	"golang.org/x/sys/cpu"
)

// implARMv8 uses the ARMv8 Cryptography Extensions (AESE, AESMC, AESD,
// AESIMC), present on nearly every 64-bit ARM phone and server core.
// cpu.ARM64.HasAES honours GODEBUG=cpu.aes=off.
var implARMv8 = &implementation{name: "armv8", available: cpu.ARM64.HasAES}

var archImpls = []*implementation{implARMv8}

// The assembly in ige_arm64.s. Pointers are to whole blocks the callers
// have already checked; blocks counts 16-byte blocks.

//go:noescape
func expandKeyARMv8(enc, dec *[scheduleSize]byte, key *[KeySize]byte)

//go:noescape
func encryptBlockARMv8(xk *[scheduleSize]byte, dst, src *byte)

//go:noescape
func decryptBlockARMv8(xk *[scheduleSize]byte, dst, src *byte)

//go:noescape
func encryptIGEARMv8(xk *[scheduleSize]byte, iv *[IVSize]byte, dst, src *byte, blocks int)

//go:noescape
func decryptIGEARMv8(xk *[scheduleSize]byte, iv *[IVSize]byte, dst, src *byte, blocks int)

//go:noescape
func encryptLanesARMv8(p *[batchLanes]lanePtrs, s *[batchLanes]laneState, blocks int)

//go:noescape
func decryptLanesARMv8(p *[batchLanes]lanePtrs, s *[batchLanes]laneState, blocks int)

//go:noescape
func boundARMv8(xk *[scheduleSize]byte, out *[batchLanes][BlockSize]byte, lanes, blocks int)

// Dispatch compares active directly rather than calling through a func
// value, so arguments stay on the caller's stack.

func expandKey(c *Cipher, key *[KeySize]byte) {
	if active == implGeneric {
		expandKeyGeneric(c, key)
		return
	}
	expandKeyARMv8(&c.enc, &c.dec, key)
}

func encryptBlock(c *Cipher, dst, src []byte) {
	if active == implGeneric {
		encryptBlockGeneric(c, dst, src)
		return
	}
	encryptBlockARMv8(&c.enc, &dst[0], &src[0])
}

func decryptBlock(c *Cipher, dst, src []byte) {
	if active == implGeneric {
		decryptBlockGeneric(c, dst, src)
		return
	}
	decryptBlockARMv8(&c.dec, &dst[0], &src[0])
}

func encryptIGE(c *Cipher, iv *[IVSize]byte, dst, src []byte) {
	if active == implGeneric {
		encryptIGEGeneric(c, iv, dst, src)
		return
	}
	if len(src) == 0 {
		return
	}
	encryptIGEARMv8(&c.enc, iv, &dst[0], &src[0], len(src)/BlockSize)
}

func decryptIGE(c *Cipher, iv *[IVSize]byte, dst, src []byte) {
	if active == implGeneric {
		decryptIGEGeneric(c, iv, dst, src)
		return
	}
	if len(src) == 0 {
		return
	}
	decryptIGEARMv8(&c.dec, iv, &dst[0], &src[0], len(src)/BlockSize)
}

func encryptBatch(jobs []Job) {
	if active == implGeneric {
		encryptBatchGeneric(jobs)
		return
	}
	runLanes(jobs, true)
}

func decryptBatch(jobs []Job) {
	if active == implGeneric {
		decryptBatchGeneric(jobs)
		return
	}
	runLanes(jobs, false)
}

func boundLanes() []int {
	if active == implGeneric {
		return []int{1}
	}
	return []int{1, batchLanes}
}

func aesBound(c *Cipher, lanes, blocks int) {
	if active == implGeneric {
		aesBoundGeneric(c, blocks)
		return
	}
	var out [batchLanes][BlockSize]byte
	boundARMv8(&c.enc, &out, lanes, blocks)
}

// batchLanes is the width of the batch kernel. Four streams in flight cover
// the AESE+AESMC latency on cores that issue one or two AES instructions per
// cycle with a latency of two or three (Cortex-A57 to A78, Neoverse N1), the
// same 4-way interleave Linux's arm64 AES code uses. Cores with four AES
// pipes might gain from eight; that needs measuring on real hardware.
const batchLanes = 4

// lanePtrs is what the lane kernels read for one lane (layout fixed by
// ige_arm64.s). The kernels never write it: Go advances the pointers, so
// every pointer store has its write barrier and none points past a buffer.
type lanePtrs struct {
	xk       *[scheduleSize]byte
	src, dst unsafe.Pointer
	step     uintptr // BlockSize, or 0 for an idle lane
}

// laneState is one lane's chaining value, read and written by the kernels.
type laneState struct {
	y, x [BlockSize]byte
}

// laneJob is the Go-side view of a busy lane: what is left of its job.
type laneJob struct {
	dst, src []byte
	busy     bool
}

// runLanes is the batch scheduler. It keeps up to four jobs in the lanes of
// the kernel, advances all of them by the length of the shortest, and
// refills each lane that finished with the next non-empty job. Idle lanes
// (fewer jobs than lanes left) run on a scratch block with step 0; their
// rounds fill issue slots the busy lanes' dependency chains leave empty, so
// they cost little. The last busy lane finishes on the single-stream path,
// which keeps its keys in registers.
func runLanes(jobs []Job, encrypt bool) {
	var (
		ptrs    [batchLanes]lanePtrs
		states  [batchLanes]laneState
		lanes   [batchLanes]laneJob
		scratch [BlockSize]byte
	)
	// next is the first job not yet in a lane, kept past empty jobs so that
	// next == len(jobs) means no work is waiting.
	next := 0
	skipEmpty := func() {
		for next < len(jobs) && len(jobs[next].Src) == 0 {
			next++
		}
	}
	// fill puts the next non-empty job into lane i, or leaves it idle.
	fill := func(i int) {
		if skipEmpty(); next < len(jobs) {
			j := &jobs[next]
			next++
			skipEmpty()
			lanes[i] = laneJob{dst: j.Dst[:len(j.Src)], src: j.Src, busy: true}
			if encrypt {
				ptrs[i].xk = &j.Cipher.enc
			} else {
				ptrs[i].xk = &j.Cipher.dec
			}
			ptrs[i].step = BlockSize
			states[i].y = [BlockSize]byte(j.IV[:BlockSize])
			states[i].x = [BlockSize]byte(j.IV[BlockSize:])
			return
		}
		lanes[i] = laneJob{}
		ptrs[i].src = unsafe.Pointer(&scratch)
		ptrs[i].dst = unsafe.Pointer(&scratch)
		ptrs[i].step = 0
	}
	for i := range lanes {
		fill(i)
	}
	for {
		busy, last := 0, -1
		var blocks int
		for i := range lanes {
			if lanes[i].busy {
				n := len(lanes[i].src) / BlockSize
				if busy == 0 || n < blocks {
					blocks = n
				}
				busy++
				last = i
			}
		}
		if busy == 0 {
			return
		}
		if busy == 1 && next == len(jobs) {
			l := &lanes[last]
			var iv [IVSize]byte
			copy(iv[:BlockSize], states[last].y[:])
			copy(iv[BlockSize:], states[last].x[:])
			if encrypt {
				encryptIGEARMv8(ptrs[last].xk, &iv, &l.dst[0], &l.src[0], len(l.src)/BlockSize)
			} else {
				decryptIGEARMv8(ptrs[last].xk, &iv, &l.dst[0], &l.src[0], len(l.src)/BlockSize)
			}
			return
		}
		for i := range lanes {
			if lanes[i].busy {
				ptrs[i].src = unsafe.Pointer(&lanes[i].src[0])
				ptrs[i].dst = unsafe.Pointer(&lanes[i].dst[0])
			} else if ptrs[i].xk == nil {
				ptrs[i].xk = ptrs[last].xk // an idle lane needs some valid schedule
			}
		}
		if encrypt {
			encryptLanesARMv8(&ptrs, &states, blocks)
		} else {
			decryptLanesARMv8(&ptrs, &states, blocks)
		}
		for i := range lanes {
			l := &lanes[i]
			if !l.busy {
				continue
			}
			l.src, l.dst = l.src[blocks*BlockSize:], l.dst[blocks*BlockSize:]
			if len(l.src) == 0 {
				fill(i)
			}
		}
	}
}
