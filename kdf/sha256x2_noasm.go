//go:build !amd64 || purego

package kdf

import "github.com/secretbench/secretbench/internal/impl"

// archImpls is empty: no two-lane kernel on this architecture or build.
var archImpls []impl.Impl

func blocks2(s1, s2 *[8]uint32, p1, p2 []byte, n int) {
	panic("kdf: two-lane SHA-256 kernel not available")
}
