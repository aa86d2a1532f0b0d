//go:build !linux

package secret_test

func threadCPU() (int64, bool) { return 0, false }
