package main

import (
	"fmt"
	"io"
	"strings"
	"testing"
	"time"
)

// progress reports the run as it goes: a bar on a terminal, plain lines
// otherwise (logs, pipes, tests).
type progress interface {
	start(name string)
	step(name string, r *testing.BenchmarkResult) // r is nil for a failed case
	finish()
}

func newProgress(stdout, stderr io.Writer, total int) progress {
	_, outTerm := terminalWidth(stdout)
	if _, errTerm := terminalWidth(stderr); outTerm && errTerm {
		return &barProgress{w: stderr, total: total, begin: time.Now()}
	}
	return &lineProgress{w: stderr, total: total}
}

// barProgress redraws one line, never wider than the terminal (read again
// at each redraw, so a resized window is followed): a bar, the count, the
// time elapsed and left, and the case running, cut to fit.
type barProgress struct {
	w     io.Writer
	i     int
	total int
	begin time.Time
	name  string
}

func (p *barProgress) start(name string) {
	p.name = strings.TrimPrefix(name, "Benchmark")
	p.draw()
}

func (p *barProgress) step(string, *testing.BenchmarkResult) {
	p.i++
	p.draw()
}

func (p *barProgress) finish() {
	// Clear the line: the report follows on stdout.
	fmt.Fprint(p.w, "\r\x1b[K")
}

func (p *barProgress) draw() {
	width := termWidth(p.w)
	elapsed := time.Since(p.begin).Round(time.Second)
	left := "?"
	if p.i > 0 {
		left = (time.Duration(float64(elapsed) / float64(p.i) * float64(p.total-p.i))).Round(time.Second).String()
	}
	barWidth := 20
	if width >= 120 {
		barWidth = 40
	}
	done := barWidth * p.i / max(p.total, 1)
	bar := strings.Repeat("=", done) + strings.Repeat(" ", barWidth-done)
	line := fmt.Sprintf("[%s] %d/%d %s, %s left  %s", bar, p.i, p.total, elapsed, left, p.name)
	// One column spare: a line that fills the terminal exactly wraps on
	// some terminals.
	fmt.Fprintf(p.w, "\r%s\x1b[K", truncate(line, width-1))
}

type lineProgress struct {
	w        io.Writer
	i, total int
}

func (p *lineProgress) start(string) {}
func (p *lineProgress) step(name string, r *testing.BenchmarkResult) {
	p.i++
	if r == nil {
		fmt.Fprintf(p.w, "[%d/%d] %s FAILED\n", p.i, p.total, name)
		return
	}
	fmt.Fprintf(p.w, "[%d/%d] %s\t%s\n", p.i, p.total, name, r.String())
}
func (p *lineProgress) finish() {}
