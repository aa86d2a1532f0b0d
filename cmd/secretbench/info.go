package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"
	"strings"
)

// runInfo is what every output says about the run: the machine, its
// implementations and how the cases were run.
type runInfo struct {
	Name      string   // results file base name, machine.FileName
	Title     string   // machine.Title
	Detail    string   // machine.Detail
	Features  []string // cpuFeatures
	Impls     []string // implSummary
	IGEImpl   string   // the ige implementation in use
	Go        string   // "go1.26.8 linux/amd64"
	Count     int
	Benchtime string
	Clock     string
}

func newRunInfo(o options) runInfo {
	m := thisMachine()
	return runInfo{
		Name: m.FileName(), Title: m.Title(), Detail: m.Detail(),
		Features: cpuFeatures(), Impls: implSummary(), IGEImpl: m.Impl,
		Go:    fmt.Sprintf("%s %s/%s", runtime.Version(), runtime.GOOS, runtime.GOARCH),
		Count: o.count, Benchtime: o.benchtime, Clock: o.clock,
	}
}

// header is the run's description as "key: value" lines, the header of the
// .txt file (behind "# ", which benchfmt readers skip) and of the terminal
// output.
func (i runInfo) header() [][2]string {
	return [][2]string{
		{"machine", i.Name},
		{"title", i.Title},
		{"cpu", i.Detail},
		{"features", strings.Join(i.Features, " ")},
		{"implementations", strings.Join(i.Impls, "; ")},
		{"go", i.Go},
		{"run", fmt.Sprintf("count %d, benchtime %s, clock %s", i.Count, i.Benchtime, i.Clock)},
	}
}

// readRunInfo reads the header a results .txt file starts with (see
// header), for -from.
func readRunInfo(path string) (runInfo, error) {
	f, err := os.Open(path)
	if err != nil {
		return runInfo{}, err
	}
	defer f.Close()
	return parseRunInfo(f, path)
}

func parseRunInfo(r io.Reader, path string) (runInfo, error) {
	var i runInfo
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		k, v, ok := strings.Cut(strings.TrimPrefix(sc.Text(), "# "), ": ")
		if !ok || !strings.HasPrefix(sc.Text(), "# ") {
			continue
		}
		switch k {
		case "machine":
			i.Name = v
		case "title":
			i.Title = v
		case "cpu":
			i.Detail = v
		case "features":
			i.Features = strings.Fields(v)
		case "implementations":
			i.Impls = strings.Split(v, "; ")
			for _, s := range i.Impls {
				if rest, ok := strings.CutPrefix(s, "ige="); ok {
					i.IGEImpl, _, _ = strings.Cut(rest, " ")
				}
			}
		case "go":
			i.Go = v
		case "run":
			if _, err := fmt.Sscanf(v, "count %d, benchtime %s", &i.Count, &i.Benchtime); err != nil {
				return i, fmt.Errorf("%s: run line %q: %v", path, v, err)
			}
			i.Benchtime = strings.TrimSuffix(i.Benchtime, ",")
			if _, c, ok := strings.Cut(v, "clock "); ok {
				i.Clock = c
			}
		}
	}
	if err := sc.Err(); err != nil {
		return i, err
	}
	if i.Name == "" || i.Title == "" || i.Count == 0 || i.IGEImpl == "" {
		return i, fmt.Errorf("%s: no secretbench header (# machine:, # title:, # implementations: ige=..., # run: count ...)", path)
	}
	return i, nil
}

// countNote describes the number of runs for a heading: "medians of 10
// runs".
func countNote(count int) string {
	return "medians of " + strconv.Itoa(count) + " runs"
}

// brand is the CPU's brand string, as go test's cpu: line has it.
func (i runInfo) brand() string {
	b, _, _ := strings.Cut(i.Detail, " (")
	return b
}
