package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/secretbench/secretbench/bench"
)

// defaultCount and defaultBenchtime give benchstat the minSamples runs it
// needs for a confidence interval and keep the default run (the quick
// cases) near a minute on two cores: testing.Benchmark spends up to about
// twice the benchtime per run while it finds the iteration count.
const (
	defaultCount     = minSamples
	defaultBenchtime = "100ms"
)

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
	from      string
	force     bool
	list      bool
}

func run(args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "compare" {
		return compare(args[1:], stdout, stderr)
	}
	o, err := parseFlags(args, stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	info, cases, ms, err := casesToReport(o)
	if err != nil {
		return err
	}
	if o.list {
		for _, c := range cases {
			fmt.Fprintln(stdout, c.FullName())
		}
		return nil
	}
	setResultPaths(&o, info.Name, slices.ContainsFunc(cases, isChartCase))
	if o.from != "" && o.out != "" && sameFile(o.out, o.from) {
		o.out = "" // -from with -results draws the file again, never rewrites it
	}
	outs, err := planOutputs(o, cases)
	if err != nil {
		return err
	}
	defer outs.abort()
	defer removeOnInterrupt(outs, stderr)()

	printHeader(stdout, o, info, len(cases))
	if ms == nil {
		restore, err := setBenchtime(o.benchtime)
		if err != nil {
			return err
		}
		ms = measure(cases, o.count, newProgress(stdout, stderr, len(cases)*o.count))
		restore()
	}
	report(stdout, ms, info)
	if err := failures(ms); err != nil {
		return fmt.Errorf("%v\nno file written", err)
	}
	return outs.commit(ms, info, stdout)
}

// casesToReport returns what the run reports on: this machine and the
// cases to measure, or, with -from, the saved run's machine, cases and
// measurements.
func casesToReport(o options) (info runInfo, cases []*bench.Case, ms []*measured, err error) {
	if o.from == "" {
		cases, err = selectCases(o.suite, o.run)
		return newRunInfo(o), cases, nil, err
	}
	if info, ms, err = loadRun(o.from, o.clock); err != nil {
		return info, nil, nil, err
	}
	for _, m := range ms {
		cases = append(cases, m.Case)
	}
	return info, cases, ms, nil
}

// parseFlags reads the flags of a run and checks each value, echoing a bad
// one in its error.
func parseFlags(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("secretbench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: secretbench [flags]\n       secretbench compare [-col k] [-row k] [-filter q] old.txt new.txt\n\n%s\n\nflags:\n",
			wrap("suites: "+strings.Join(bench.SuiteNames(), ", ")+", quick (default), all", termWidth(stderr), "    "))
		fs.PrintDefaults()
	}
	fs.StringVar(&o.suite, "suite", "quick", "comma-separated `suites` to run; \"quick\" for the default subset, \"all\" for every case")
	fs.IntVar(&o.count, "count", defaultCount, "run each case `n` times (fewer than 6 gives no confidence interval)")
	fs.StringVar(&o.benchtime, "benchtime", defaultBenchtime, "run each case for `d` (a duration, or Nx for N iterations)")
	fs.StringVar(&o.run, "run", "", "only cases whose full name matches `regexp`")
	fs.StringVar(&o.out, "o", "", "write results in the Go benchmark format to `file`")
	fs.StringVar(&o.json, "json", "", "write results as JSON to `file`")
	fs.StringVar(&o.svg, "svg", "", "draw AES-IGE throughput by message size to `file` (SVG; needs the ige suite)")
	fs.StringVar(&o.md, "md", "", "write the headline table (selected implementation against reference) as Markdown to `file`")
	fs.StringVar(&o.clock, "clock", "cpu", "compute ratios from `clock` time per operation: cpu (process CPU time, robust to descheduling on a shared machine) or wall")
	fs.StringVar(&o.results, "results", "", "write .txt, .svg and .md to `dir`, named by the machine (where -o, -svg, -md are not given)")
	fs.StringVar(&o.from, "from", "", "instead of running, read the runs from a results `file` (.txt) and write the outputs again")
	fs.BoolVar(&o.force, "force", false, "replace result files even when they hold cases this run does not")
	fs.BoolVar(&o.list, "list", false, "list the selected cases and exit")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected argument %q (flags go before arguments; the only subcommand is compare)", fs.Arg(0))
	}
	switch o.clock {
	case "cpu", "wall":
		ratioClock = o.clock
	default:
		return o, fmt.Errorf("-clock %q: want cpu or wall", o.clock)
	}
	if o.count < 1 {
		return o, fmt.Errorf("-count %d: must be at least 1", o.count)
	}
	if err := checkBenchtime(o.benchtime); err != nil {
		return o, err
	}
	return o, nil
}

// checkBenchtime accepts what go test's -benchtime does: a positive
// duration or a positive count of iterations.
func checkBenchtime(v string) error {
	if n, ok := strings.CutSuffix(v, "x"); ok {
		if i, err := strconv.Atoi(n); err == nil && i > 0 {
			return nil
		}
	} else if d, err := time.ParseDuration(v); err == nil && d > 0 {
		return nil
	}
	return fmt.Errorf("-benchtime %q: want a positive duration (500ms, 2s) or iteration count (100x)", v)
}

// setResultPaths fills the outputs -results asks for, where no flag named
// them: dir/<machine>.txt, .md and, when the run has cases to draw, .svg.
func setResultPaths(o *options, name string, chart bool) {
	if o.results == "" {
		return
	}
	base := filepath.Join(o.results, name)
	for _, f := range []struct {
		p   *string
		ext string
	}{{&o.out, ".txt"}, {&o.svg, ".svg"}, {&o.md, ".md"}} {
		if *f.p == "" && (f.ext != ".svg" || chart) {
			*f.p = base + f.ext
		}
	}
}

// printHeader prints the run's description before its first benchmark.
func printHeader(w io.Writer, o options, info runInfo, n int) {
	width := termWidth(w)
	for _, kv := range info.header() {
		if kv[0] != "title" {
			fmt.Fprintln(w, wrap(kv[0]+": "+kv[1], width, "    "))
		}
	}
	if o.from != "" {
		fmt.Fprintf(w, "from: %s\n", o.from)
	} else {
		fmt.Fprintf(w, "%d cases x %d\n", n, o.count)
	}
	if s := fewRuns(info.Count); s != "" {
		fmt.Fprintln(w, wrap("warning: "+s, width, "    "))
	}
	fmt.Fprintln(w)
}

// failures lists the cases that failed to run.
func failures(ms []*measured) error {
	var errs []error
	for _, m := range ms {
		if !m.ok() {
			errs = append(errs, fmt.Errorf("%s failed (run it with go test -run '^$' -bench to see why)", m.Case.FullName()))
		}
	}
	return errors.Join(errs...)
}

// selectCases returns the cases of the suite list that match the run
// pattern, plus every reference and bound case they are stated against, so
// that each ratio the report shows is measured in the same run.
func selectCases(suite, run string) ([]*bench.Case, error) {
	names, quick, err := parseSuites(suite)
	if err != nil {
		return nil, err
	}
	all, err := bench.Cases()
	if err != nil {
		return nil, err
	}
	var re *regexp.Regexp
	if run != "" {
		if re, err = regexp.Compile(run); err != nil {
			return nil, fmt.Errorf("-run %q: %v", run, err)
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
		return nil, fmt.Errorf("no case matches -suite %q -run %q (-list shows the cases)", suite, run)
	}
	return out, nil
}

// parseSuites reads -suite: suite names, or quick alone.
func parseSuites(suite string) (names []string, quick bool, err error) {
	known := bench.SuiteNames()
	for _, s := range strings.Split(suite, ",") {
		switch s = strings.TrimSpace(s); s {
		case "":
		case "quick":
			quick = true
		case "all":
			names = append(names, known...)
		default:
			if !slices.Contains(known, s) {
				return nil, false, fmt.Errorf("-suite %q: unknown suite %q; want a comma-separated list of %s, or quick (the default) or all",
					suite, s, strings.Join(known, ", "))
			}
			names = append(names, s)
		}
	}
	if quick && len(names) > 0 {
		return nil, false, fmt.Errorf("-suite %q: quick cannot be combined with other suites", suite)
	}
	if !quick && len(names) == 0 {
		return nil, false, fmt.Errorf("-suite %q: no suite named", suite)
	}
	return names, quick, nil
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
		return nil, fmt.Errorf("-benchtime %q: %v", v, err)
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

func sameFile(a, b string) bool {
	sa, err1 := os.Stat(a)
	sb, err2 := os.Stat(b)
	return err1 == nil && err2 == nil && os.SameFile(sa, sb)
}
