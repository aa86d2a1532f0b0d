//go:build !race

// Package raceflag reports whether the race detector is on, so that tests of
// allocation counts (which the detector perturbs) can skip themselves.
package raceflag

// Enabled is true when the binary was built with -race.
const Enabled = false
