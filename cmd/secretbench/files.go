package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"

	"github.com/secretbench/secretbench/bench"
	"golang.org/x/perf/benchfmt"
)

// An outputFile is one file a run writes. It is planned before the first
// benchmark (checked, and a temporary file created beside it) and put in
// place only after the whole run succeeded, so that a failed or interrupted
// run leaves every existing file as it was.
type outputFile struct {
	flag string // the flag that asked for it: "-o", "-svg", ...
	path string
	fill func(io.Writer, []*measured, runInfo) error
	tmp  *os.File
}

// outputs are the files of one run.
type outputs struct {
	mu      sync.Mutex // commit against an abort from the interrupt handler
	files   []*outputFile
	madeDir string // a -results directory this run created, removed on abort
}

// removeOnInterrupt aborts outs when the process is interrupted (Ctrl-C,
// SIGTERM) before it ends, so that no temporary file is left behind, and
// exits. The returned function stops watching.
func removeOnInterrupt(outs *outputs, stderr io.Writer) (stop func()) {
	sig := make(chan os.Signal, 1)
	done := make(chan struct{})
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	go func() {
		select {
		case <-sig:
			outs.abort()
			fmt.Fprintln(stderr, "\nsecretbench: interrupted; no file written")
			os.Exit(130)
		case <-done:
		}
	}()
	return func() {
		signal.Stop(sig)
		close(done)
	}
}

// planOutputs checks every output the flags ask for before anything runs:
// the chart needs AES-IGE cases, each directory must take a new file, and
// an existing file is only replaced by one holding every case it holds
// (unless -force). It creates the temporary files.
func planOutputs(o options, cases []*bench.Case) (*outputs, error) {
	outs := &outputs{}
	if o.results != "" {
		if _, err := os.Stat(o.results); errors.Is(err, os.ErrNotExist) {
			if err := os.MkdirAll(o.results, 0o755); err != nil {
				return nil, err
			}
			outs.madeDir = o.results
		}
	}
	specs := []struct {
		flag, path string
		fill       func(io.Writer, []*measured, runInfo) error
	}{
		{"-o", o.out, writeBenchfmt},
		{"-json", o.json, writeJSON},
		{"-svg", o.svg, writeSVG},
		{"-md", o.md, writeMarkdown},
	}
	names := caseNames(cases)
	for _, s := range specs {
		if s.path == "" {
			continue
		}
		target, err := outputTarget(s.path)
		if err != nil {
			outs.abort()
			return nil, fmt.Errorf("%s %s: %v", s.flag, s.path, err)
		}
		s.path = target
		if i := slices.IndexFunc(outs.files, func(f *outputFile) bool { return filepath.Clean(f.path) == filepath.Clean(s.path) }); i >= 0 {
			other := outs.files[i].flag
			outs.abort()
			return nil, fmt.Errorf("%s and %s both name %s", other, s.flag, s.path)
		}
		if s.flag == "-svg" && !slices.ContainsFunc(cases, isChartCase) {
			outs.abort()
			return nil, fmt.Errorf("%s %s: the chart draws AES-IGE single-stream cases and this run has none (add -suite ige, or drop %s)", s.flag, s.path, s.flag)
		}
		if !o.force {
			if err := checkNotFewer(s.path, names); err != nil {
				outs.abort()
				return nil, fmt.Errorf("%s %s: %v", s.flag, s.path, err)
			}
		}
		tmp, err := os.CreateTemp(filepath.Dir(s.path), "."+filepath.Base(s.path)+".tmp*")
		if err != nil {
			outs.abort()
			return nil, fmt.Errorf("%s %s: cannot write there: %v", s.flag, s.path, err)
		}
		outs.files = append(outs.files, &outputFile{flag: s.flag, path: s.path, fill: s.fill, tmp: tmp})
	}
	return outs, nil
}

// outputTarget returns the file an output path names: a symlink is
// followed, so that the rename of the temporary file updates its target
// and the link stays. A path that exists and is not a regular file (a
// directory, a device such as /dev/null, a FIFO) is refused: reading it to
// check its cases could block, and the rename would replace it.
func outputTarget(path string) (string, error) {
	for range 40 { // as many links as Linux follows
		fi, err := os.Lstat(path)
		switch {
		case errors.Is(err, os.ErrNotExist):
			return path, nil
		case err != nil:
			return "", err
		case fi.Mode()&os.ModeSymlink != 0:
			dest, err := os.Readlink(path)
			if err != nil {
				return "", err
			}
			if !filepath.IsAbs(dest) {
				dest = filepath.Join(filepath.Dir(path), dest)
			}
			path = dest
		case !fi.Mode().IsRegular():
			return "", fmt.Errorf("exists and is not a regular file (%v); name a file", fi.Mode().Type())
		default:
			return path, nil
		}
	}
	return "", errors.New("too many levels of symbolic links")
}

// commit fills every temporary file and, when all of them are complete,
// renames each into place and prints its path.
func (outs *outputs) commit(ms []*measured, info runInfo, w io.Writer) error {
	outs.mu.Lock()
	defer outs.mu.Unlock()
	for _, f := range outs.files {
		err := f.fill(f.tmp, ms, info)
		if cerr := f.tmp.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			outs.abortLocked()
			return fmt.Errorf("%s %s: %v (no file written)", f.flag, f.path, err)
		}
	}
	for _, f := range outs.files {
		if err := os.Chmod(f.tmp.Name(), 0o644); err != nil {
			outs.abortLocked()
			return err
		}
	}
	for i, f := range outs.files {
		if err := os.Rename(f.tmp.Name(), f.path); err != nil {
			outs.files = outs.files[i:]
			outs.abortLocked()
			return err
		}
		fmt.Fprintf(w, "wrote %s\n", f.path)
	}
	outs.files = nil
	return nil
}

// abort removes the temporary files (and a directory the run created).
func (outs *outputs) abort() {
	outs.mu.Lock()
	defer outs.mu.Unlock()
	outs.abortLocked()
}

func (outs *outputs) abortLocked() {
	for _, f := range outs.files {
		f.tmp.Close()
		os.Remove(f.tmp.Name())
	}
	outs.files = nil
	if outs.madeDir != "" {
		os.Remove(outs.madeDir) // only if still empty
	}
}

// caseNames are the names of the cases as result files hold them, without
// "Benchmark" and the -GOMAXPROCS suffix.
func caseNames(cases []*bench.Case) []string {
	out := make([]string, len(cases))
	for i, c := range cases {
		out[i] = strings.TrimPrefix(c.FullName(), "Benchmark")
	}
	return out
}

// casesMarker is how .md and .svg files record the cases of their run, so
// that a later run can tell whether it would drop some.
const casesMarker = "secretbench cases:"

func writeCasesMarker(w io.Writer, ms []*measured) error {
	names := make([]*bench.Case, len(ms))
	for i, m := range ms {
		names[i] = m.Case
	}
	_, err := fmt.Fprintf(w, "\n<!-- %s %s -->\n", casesMarker, strings.Join(caseNames(names), " "))
	return err
}

var markerRE = regexp.MustCompile(`<!-- ` + casesMarker + ` ([^>]*) -->`)

var procsSuffix = regexp.MustCompile(`-\d+$`)

// fileCases reads the case names an existing result file holds: benchmark
// lines of a .txt, the cases of a .json, the marker of a .md or .svg. ok is
// false when the file holds something else.
func fileCases(path string) (names []string, ok bool, err error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, false, err
	}
	if len(strings.TrimSpace(string(b))) == 0 {
		return nil, true, nil
	}
	if m := markerRE.FindSubmatch(b); m != nil {
		return strings.Fields(string(m[1])), true, nil
	}
	var rep jsonReport
	if json.Unmarshal(b, &rep) == nil && rep.Cases != nil {
		for _, c := range rep.Cases {
			names = append(names, strings.TrimPrefix(c.Name, "Benchmark"))
		}
		return names, true, nil
	}
	r := benchfmt.NewReader(strings.NewReader(string(b)), path)
	for r.Scan() {
		if res, isRes := r.Result().(*benchfmt.Result); isRes {
			names = append(names, procsSuffix.ReplaceAllString(string(res.Name.Full()), ""))
		}
	}
	return names, len(names) > 0, nil
}

// checkNotFewer returns an error when path exists and holds cases that a
// run of want would not write.
func checkNotFewer(path string, want []string) error {
	old, ok, err := fileCases(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if !ok {
		return errors.New("exists and is not a secretbench result file; -force replaces it")
	}
	var lost []string
	for _, n := range old {
		if !slices.Contains(want, n) && !slices.Contains(lost, n) {
			lost = append(lost, n)
		}
	}
	if len(lost) == 0 {
		return nil
	}
	eg := lost[0]
	return fmt.Errorf("holds %d cases this run would drop (%s, ...); run a suite that covers them, write elsewhere, or -force to replace it",
		len(lost), eg)
}
