//go:build !linux

package ige

// threadCPUNanos is not measured here; benchmarks then omit the metric.
func threadCPUNanos() int64 { return 0 }
