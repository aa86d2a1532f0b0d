package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/secretbench/secretbench/bench"
	"github.com/secretbench/secretbench/ige"
	"golang.org/x/term"
)

// defaultBenchtime keeps the default run (the quick cases, once each) near
// a minute on two cores: testing.Benchmark spends up to about twice the
// benchtime per case while it finds the iteration count.
const defaultBenchtime = "500ms"

type options struct {
	suite     string
	count     int
	benchtime string
	run       string
	out       string
	json      string
	svg       string
	md        string
	clock     string
	results   string
	list      bool
}

// measured is one case with its runs, in run order.
type measured struct {
	Case *bench.Case
	Runs []testing.BenchmarkResult
}

func (m *measured) ok() bool { return len(m.Runs) > 0 }

// nsPerOp is the median time per operation over the runs, in nanoseconds,
// without NsPerOp's rounding to whole nanoseconds.
func (m *measured) nsPerOp() float64 {
	return median(m.Runs, func(r testing.BenchmarkResult) float64 {
		return float64(r.T.Nanoseconds()) / float64(r.N)
	})
}

// cpuPerOp is the median CPU time per operation in nanoseconds, or 0 where
// the OS does not report it.
func (m *measured) cpuPerOp() float64 {
	return median(m.Runs, func(r testing.BenchmarkResult) float64 { return r.Extra[bench.CPUUnit] })
}

// ratioClock is the time ratios are computed from: "cpu" or "wall".
var ratioClock = "cpu"

// pairTimes returns the times per operation of a and b that a ratio of the
// two compares: CPU times when ratioClock is cpu and both have one, else
// wall-clock times.
func pairTimes(a, b *measured) (ta, tb float64) {
	if ratioClock == "cpu" {
		if ca, cb := a.cpuPerOp(), b.cpuPerOp(); ca > 0 && cb > 0 {
			return ca, cb
		}
	}
	return a.nsPerOp(), b.nsPerOp()
}

// speedup is how many times faster m is than its reference ref.
func speedup(ref, m *measured) float64 {
	tr, tm := pairTimes(ref, m)
	return tr / tm
}

// ofBound is the share of the bound's throughput that m reaches.
func ofBound(m, bound *measured) float64 {
	tm, tb := pairTimes(m, bound)
	return (float64(m.Case.Bytes) / tm) / (float64(bound.Case.Bytes) / tb)
}

// mbPerSec is the median throughput in MB/s (10^6 bytes, as go test), or 0.
func (m *measured) mbPerSec() float64 {
	if m.Case.Bytes == 0 {
		return 0
	}
	return median(m.Runs, mbPerSec)
}

func mbPerSec(r testing.BenchmarkResult) float64 {
	if r.Bytes == 0 || r.T <= 0 {
		return 0
	}
	return float64(r.Bytes) * float64(r.N) / r.T.Seconds() / 1e6
}

func median(rs []testing.BenchmarkResult, f func(testing.BenchmarkResult) float64) float64 {
	if len(rs) == 0 {
		return 0
	}
	vs := make([]float64, len(rs))
	for i, r := range rs {
		vs[i] = f(r)
	}
	slices.Sort(vs)
	if len(vs)%2 == 1 {
		return vs[len(vs)/2]
	}
	return (vs[len(vs)/2-1] + vs[len(vs)/2]) / 2
}

func run(args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "compare" {
		return compare(args[1:], stdout, stderr)
	}
	var o options
	fs := flag.NewFlagSet("secretbench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: secretbench [flags]\n       secretbench compare old.txt new.txt\n\nsuites: %s, quick (default), all\n\nflags:\n",
			strings.Join(bench.SuiteNames(), ", "))
		fs.PrintDefaults()
	}
	fs.StringVar(&o.suite, "suite", "quick", "comma-separated `suites` to run; \"quick\" for the default subset, \"all\" for every case")
	fs.IntVar(&o.count, "count", 1, "run each case `n` times")
	fs.StringVar(&o.benchtime, "benchtime", defaultBenchtime, "run each case for `d` (a duration, or Nx for N iterations)")
	fs.StringVar(&o.run, "run", "", "only cases whose full name matches `regexp`")
	fs.StringVar(&o.out, "o", "", "write results in the Go benchmark format to `file`")
	fs.StringVar(&o.json, "json", "", "write results as JSON to `file`")
	fs.StringVar(&o.svg, "svg", "", "draw AES-IGE throughput by message size to `file` (SVG)")
	fs.StringVar(&o.md, "md", "", "write the headline table (selected implementation against reference) as Markdown to `file`")
	fs.StringVar(&o.clock, "clock", "cpu", "compute ratios from `clock` time per operation: cpu (process CPU time, robust to descheduling on a shared machine) or wall")
	fs.StringVar(&o.results, "results", "", "write all outputs to `dir`, named by CPU: dir/<cpu>.txt, .json, .svg, .md (where -o, -json, -svg, -md are not given)")
	fs.BoolVar(&o.list, "list", false, "list the selected cases and exit")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q (flags go before arguments; the only subcommand is compare)", fs.Arg(0))
	}
	switch o.clock {
	case "cpu", "wall":
		ratioClock = o.clock
	default:
		return fmt.Errorf("-clock %q: want cpu or wall", o.clock)
	}
	if o.results != "" {
		base := filepath.Join(o.results, cpuFileName())
		for _, f := range []struct {
			p   *string
			ext string
		}{{&o.out, ".txt"}, {&o.json, ".json"}, {&o.svg, ".svg"}, {&o.md, ".md"}} {
			if *f.p == "" {
				*f.p = base + f.ext
			}
		}
	}
	if o.count < 1 {
		return fmt.Errorf("-count %d: must be at least 1", o.count)
	}

	cases, err := selectCases(o.suite, o.run)
	if err != nil {
		return err
	}
	if o.list {
		for _, c := range cases {
			fmt.Fprintln(stdout, c.FullName())
		}
		return nil
	}

	restore, err := setBenchtime(o.benchtime)
	if err != nil {
		return err
	}
	defer restore()

	// Create the output files first, so that a bad path fails now and not
	// after a long run.
	if o.results != "" {
		if err := os.MkdirAll(o.results, 0o755); err != nil {
			return err
		}
	}
	var outs []*output
	defer func() {
		for _, out := range outs {
			out.f.Close()
		}
	}()
	for _, spec := range []struct {
		name  string
		write func(io.Writer, []*measured) error
	}{
		{o.out, writeBenchfmt},
		{o.json, func(w io.Writer, ms []*measured) error { return writeJSON(w, ms, o) }},
		{o.svg, writeSVG},
		{o.md, func(w io.Writer, ms []*measured) error { return writeMarkdown(w, ms, o) }},
	} {
		if spec.name == "" {
			continue
		}
		f, err := os.Create(spec.name)
		if err != nil {
			return err
		}
		outs = append(outs, &output{f: f, fill: spec.write})
	}

	fmt.Fprintf(stdout, "cpu: %s\n", cpuSummary())
	fmt.Fprintf(stdout, "features: %s\n", strings.Join(cpuFeatures(), " "))
	fmt.Fprintf(stdout, "ige: %s (available: %s)\n", ige.Impl(), strings.Join(ige.Implementations(), ", "))
	fmt.Fprintf(stdout, "go: %s %s/%s; %d cases x %d, benchtime %s\n\n", goVersion(), runtime.GOOS, runtime.GOARCH, len(cases), o.count, o.benchtime)

	ms := measure(cases, o.count, newProgress(stdout, stderr, len(cases)*o.count))
	report(stdout, ms)

	var errs []error
	for _, m := range ms {
		if !m.ok() {
			errs = append(errs, fmt.Errorf("%s failed (run it with go test -run '^$' -bench to see why)", m.Case.FullName()))
		}
	}
	for _, out := range outs {
		errs = append(errs, out.write(ms))
	}
	return errors.Join(errs...)
}

// selectCases returns the cases of the suite list that match the run
// pattern, plus every reference and bound case they are stated against, so
// that each ratio the report shows is measured in the same run.
func selectCases(suite, run string) ([]*bench.Case, error) {
	var names []string
	quick := false
	for _, s := range strings.Split(suite, ",") {
		switch s = strings.TrimSpace(s); s {
		case "":
		case "quick":
			quick = true
		case "all":
			names = append(names, bench.SuiteNames()...)
		default:
			names = append(names, s)
		}
	}
	if quick && len(names) > 0 {
		return nil, errors.New("-suite quick cannot be combined with other suites")
	}
	all, err := bench.Cases()
	if err != nil {
		return nil, err
	}
	if _, err := bench.Cases(names...); err != nil {
		return nil, err
	}
	var re *regexp.Regexp
	if run != "" {
		if re, err = regexp.Compile(run); err != nil {
			return nil, fmt.Errorf("-run: %v", err)
		}
	}
	want := map[string]bool{}
	for _, c := range all {
		if quick && !c.Quick || !quick && !slices.Contains(names, c.Suite) {
			continue
		}
		if re != nil && !re.MatchString(c.FullName()) {
			continue
		}
		want[c.FullName()] = true
		if r := c.RefName(); r != "" {
			want[r] = true
		}
		if c.Bound != "" {
			want[c.Bound] = true
		}
	}
	var out []*bench.Case
	for i := range all {
		if want[all[i].FullName()] {
			out = append(out, &all[i])
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no case matches -suite %q -run %q", suite, run)
	}
	return out, nil
}

// setBenchtime sets the benchtime testing.Benchmark reads, the flag of the
// testing package, and returns a function that puts the old value back.
func setBenchtime(v string) (restore func(), err error) {
	testing.Init()
	f := flag.Lookup("test.benchtime")
	if f == nil {
		return nil, errors.New("testing package has no test.benchtime flag")
	}
	old := f.Value.String()
	if err := f.Value.Set(v); err != nil {
		return nil, fmt.Errorf("-benchtime: %v", err)
	}
	return func() { _ = f.Value.Set(old) }, nil
}

// measure runs every case count times, round by round, so that drift in
// the machine's load spreads over all cases instead of biasing some. The
// results come back in the order of cases.
func measure(cases []*bench.Case, count int, p progress) []*measured {
	ms := make([]*measured, len(cases))
	for i, c := range cases {
		ms[i] = &measured{Case: c}
	}
	failed := map[*bench.Case]bool{}
	order := runOrder(ms)
	for range count {
		for _, m := range order {
			if failed[m.Case] {
				p.step(m.Case.FullName(), nil)
				continue
			}
			p.start(m.Case.FullName())
			r := testing.Benchmark(m.Case.Run)
			if r.N == 0 {
				// testing.Benchmark reports a failed or skipped
				// benchmark as a zero result.
				failed[m.Case] = true
				m.Runs = nil
				p.step(m.Case.FullName(), nil)
				continue
			}
			m.Runs = append(m.Runs, r)
			p.step(m.Case.FullName(), &r)
		}
	}
	p.finish()
	return ms
}

// runOrder puts each case's reference and bound right before the case's
// first use, so that the two sides of a ratio run close together in time
// on a machine whose load drifts.
func runOrder(ms []*measured) []*measured {
	byName := map[string]*measured{}
	for _, m := range ms {
		byName[m.Case.FullName()] = m
	}
	done := map[*measured]bool{}
	var order []*measured
	add := func(m *measured) {
		if m != nil && !done[m] {
			done[m] = true
			order = append(order, m)
		}
	}
	for _, m := range ms {
		add(byName[m.Case.RefName()])
		add(byName[m.Case.Bound])
		add(m)
	}
	return order
}

// progress reports the run as it goes: a bar on a terminal, plain lines
// otherwise (logs, pipes, tests).
type progress interface {
	start(name string)
	step(name string, r *testing.BenchmarkResult) // r is nil for a failed case
	finish()
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

func newProgress(stdout, stderr io.Writer, total int) progress {
	if isTerminal(stdout) && isTerminal(stderr) {
		return &barProgress{bar: progressbar.NewOptions(total,
			progressbar.OptionSetWriter(stderr),
			progressbar.OptionSetWidth(30),
			progressbar.OptionShowCount(),
			progressbar.OptionSetElapsedTime(true),
			progressbar.OptionSetPredictTime(true),
			progressbar.OptionClearOnFinish(),
			progressbar.OptionThrottle(100*time.Millisecond),
		)}
	}
	return &lineProgress{w: stderr, total: total}
}

type barProgress struct{ bar *progressbar.ProgressBar }

func (p *barProgress) start(name string) {
	p.bar.Describe(strings.TrimPrefix(name, "Benchmark"))
}
func (p *barProgress) step(string, *testing.BenchmarkResult) { _ = p.bar.Add(1) }
func (p *barProgress) finish()                               { _ = p.bar.Finish() }

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

// An output is a file created before the run and filled after it.
type output struct {
	f    *os.File
	fill func(io.Writer, []*measured) error
}

func (o *output) write(ms []*measured) error {
	if err := o.fill(o.f, ms); err != nil {
		return fmt.Errorf("%s: %v", o.f.Name(), err)
	}
	return o.f.Close()
}

func goVersion() string { return runtime.Version() }
