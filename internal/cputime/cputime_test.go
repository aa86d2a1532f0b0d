package cputime

import (
	"flag"
	"runtime"
	"testing"
	"time"
)

// spin burns CPU on this goroutine for about d of wall time.
func spin(d time.Duration) (n int) {
	for end := time.Now().Add(d); time.Now().Before(end); {
		n++
	}
	return n
}

// TestClocksAdvance: both clocks see CPU work, and the thread clock does not
// count sleeping.
func TestClocksAdvance(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("per-thread clock only on linux")
	}
	m := StartThread()
	spin(20 * time.Millisecond)
	busy, ok := m.Elapsed()
	time.Sleep(50 * time.Millisecond)
	total, _ := m.Elapsed()
	runtime.UnlockOSThread()
	if !ok || busy <= 0 {
		t.Fatalf("thread clock: %v after 20ms of spinning (ok %v)", busy, ok)
	}
	if total-busy > 20*time.Millisecond {
		t.Errorf("thread clock counted %v of a 50ms sleep", total-busy)
	}
	p := StartProcess()
	spin(20 * time.Millisecond)
	if d, ok := p.Elapsed(); !ok || d <= 0 {
		t.Fatalf("process clock: %v after 20ms of spinning (ok %v)", d, ok)
	}
}

// TestReport: Report adds the metric over b.N.
func TestReport(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("per-thread clock only on linux")
	}
	old := flag.Lookup("test.benchtime").Value.String()
	if err := flag.Set("test.benchtime", "20x"); err != nil {
		t.Fatal(err)
	}
	defer flag.Set("test.benchtime", old)
	r := testing.Benchmark(func(b *testing.B) {
		m := StartThread()
		for b.Loop() {
			spin(100 * time.Microsecond)
		}
		m.Report(b)
	})
	if v := r.Extra[Unit]; v < 50e3 || v > 1e6 {
		t.Fatalf("%s = %v for 100µs of spinning per op", Unit, v)
	}
}
