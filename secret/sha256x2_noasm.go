//go:build !amd64 || purego

package secret

const hasSHA2x = false

func blocks2(s1, s2 *[8]uint32, p1, p2 []byte, n int) {
	panic("secret: two-lane SHA-256 kernel not available")
}
