package dhcheck

import (
	"math/big"
	"testing"

	"github.com/secretbench/secretbench/internal/gotdref"
)

// BenchmarkCheckSafePrime compares the cold safe-prime test on a freshly
// generated prime (not the well-known one) with gotd/td v0.93.0's check
// (math/big ProbablyPrime(64) on p and on (p-1)/2), reproduced in
// internal/gotdref.
func BenchmarkCheckSafePrime(b *testing.B) {
	p := loadNumbers(b)["generated-2048"]
	b.Run("impl=gotd", func(b *testing.B) {
		b.ReportAllocs()
		pb := new(big.Int).SetBytes(p)
		for b.Loop() {
			if err := gotdref.CheckSafePrime(pb); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("impl=fast", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if err := CheckSafePrime(p); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkCheckParams(b *testing.B) {
	p := loadNumbers(b)["generated-2048"]
	b.Run("state=warm", func(b *testing.B) {
		c := NewChecker()
		if err := c.CheckParams(3, p); err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			if err := c.CheckParams(3, p); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("state=wellknown", func(b *testing.B) {
		c := NewChecker()
		b.ReportAllocs()
		for b.Loop() {
			if err := c.CheckParams(3, wellKnownPrime); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("state=from-store", func(b *testing.B) {
		// A new Checker (a new process) whose store already has the verdict.
		dir := b.TempDir()
		if err := NewChecker(WithStore(dir)).CheckParams(3, p); err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			if err := NewChecker(WithStore(dir)).CheckParams(3, p); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("state=warm-store", func(b *testing.B) {
		c := NewChecker(WithStore(b.TempDir()))
		if err := c.CheckParams(3, p); err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			if err := c.CheckParams(3, p); err != nil {
				b.Fatal(err)
			}
		}
	})
}
