//go:build !linux

package filecrypt_test

import "testing"

// threadCPU reports nothing where there is no per-thread CPU clock.
func threadCPU(b *testing.B) (stop func()) { return func() {} }
