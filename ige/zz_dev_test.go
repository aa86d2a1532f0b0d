package ige

import (
	"runtime"
	"testing"
)

func minNS(reps int, f func()) float64 {
	best := int64(1 << 62)
	for range reps {
		t0 := threadCPUNanos()
		f()
		if d := threadCPUNanos() - t0; d < best {
			best = d
		}
	}
	return float64(best)
}

func TestDevSpeed(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var c Cipher
	var key [32]byte
	tabExpandKey(&c, &key)
	var k ctKeys
	singleKeys(&k, &c, false)
	var dk ctKeys
	singleKeys(&dk, &c, true)
	const n = 2000
	var s0, s1, s2, s3 uint32
	tab := minNS(50, func() {
		for range n {
			s0, s1, s2, s3 = tabEncryptWords(&c.enc, s0^1, s1, s2, s3)
		}
	}) / n
	var b block
	one := minNS(50, func() {
		for range n {
			b = encryptOne(&k, b)
		}
	}) / n
	oneD := minNS(50, func() {
		for range n {
			b = decryptOne(&dk, b)
		}
	}) / n
	var q sliced
	var bl [4]block
	four := minNS(50, func() {
		for range n / 4 {
			slice4(&q, &bl)
			encryptSliced(&q, &k.rk)
			unslice4(&bl, &q)
		}
	}) / n
	fourD := minNS(50, func() {
		for range n / 4 {
			slice4(&q, &bl)
			decryptSliced(&q, &k.rk)
			unslice4(&bl, &q)
		}
	}) / n
	sub := minNS(50, func() {
		for range n {
			subBytes(&q, false)
		}
	}) / n
	mix := minNS(50, func() {
		for range n {
			mixColumns(&q, 1)
		}
	}) / n
	keys := minNS(50, func() {
		for range n / 10 {
			singleKeys(&k, &c, false)
		}
	}) / (n / 10)
	t.Logf("ns/block: table %.1f  ct1 %.1f (%.2fx) ct1dec %.1f ct4 %.1f (%.2fx) ct4dec %.1f | sub %.1f mix1 %.1f keys %.1f", tab, one, tab/one, oneD, four, tab/four, fourD, sub, mix, keys)
	_ = s0 + s1 + s2 + s3
}
