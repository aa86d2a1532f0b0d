package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/secretbench/secretbench/bench"
	"github.com/secretbench/secretbench/ige"
	"golang.org/x/perf/benchfmt"
)

// TestRunOutput runs the CLI's main logic on the kdf suite with a few
// iterations per case, then reads the -o file back with benchfmt as
// benchstat would and checks names, units and config lines, and the JSON.
func TestRunOutput(t *testing.T) {
	dir := t.TempDir()
	out, js := filepath.Join(dir, "out.txt"), filepath.Join(dir, "out.json")
	var stdout, stderr bytes.Buffer
	err := run([]string{"-suite", "kdf", "-benchtime", "3x", "-count", "2", "-o", out, "-json", js}, &stdout, &stderr)
	if err != nil {
		t.Fatalf("run: %v\nstderr:\n%s", err, &stderr)
	}
	for _, want := range []string{"cpu: ", "ige: ", "kdf: ", "KDF/op=derive-v2/impl=fast", "vs ref"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("stdout lacks %q:\n%s", want, &stdout)
		}
	}
	if !strings.Contains(stderr.String(), "[1/") {
		t.Errorf("no plain progress lines on stderr (not a terminal):\n%s", &stderr)
	}

	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := benchfmt.NewReader(f, out)
	count := map[string]int{}
	units := map[string]map[string]bool{}
	for r.Scan() {
		switch rec := r.Result().(type) {
		case *benchfmt.SyntaxError:
			t.Errorf("benchfmt: %v", rec)
		case *benchfmt.Result:
			for key, want := range map[string]string{"goos": runtime.GOOS, "goarch": runtime.GOARCH, "pkg": benchPkg, "cpu": cpuBrand()} {
				if got := rec.GetConfig(key); got != want {
					t.Errorf("%s: config %s = %q, want %q", rec.Name, key, got, want)
				}
			}
			name := string(rec.Name.Full())
			count[name]++
			if units[name] == nil {
				units[name] = map[string]bool{}
			}
			for _, v := range rec.Values {
				u := v.OrigUnit // set when the reader tidied the unit (ns/op to sec/op)
				if u == "" {
					u = v.Unit
				}
				units[name][u] = true
			}
			if rec.Iters < 1 {
				t.Errorf("%s: %d iterations", name, rec.Iters)
			}
		}
	}
	if err := r.Err(); err != nil {
		t.Fatal(err)
	}
	suffix := ""
	if p := runtime.GOMAXPROCS(0); p != 1 {
		suffix = "-" + strconv.Itoa(p)
	}
	for _, name := range []string{
		"KDF/op=derive-v1/impl=ref", "KDF/op=derive-v2/impl=fast",
		"KDF/op=msgkey-v2/impl=fast/size=1KiB", "KDF/op=visualization/impl=ref",
	} {
		if count[name+suffix] != 2 {
			t.Errorf("%s: %d results, want 2 (-count 2); have %v", name+suffix, count[name+suffix], count)
		}
	}
	wantUnits := []string{"ns/op", "B/op", "allocs/op"}
	if runtime.GOOS == "linux" {
		wantUnits = append(wantUnits, bench.CPUUnit)
	}
	for _, u := range wantUnits {
		if !units["KDF/op=derive-v2/impl=fast"+suffix][u] {
			t.Errorf("derive-v2 lacks unit %s", u)
		}
	}
	if !units["KDF/op=msgkey-v2/impl=fast/size=1KiB"+suffix]["MB/s"] {
		t.Errorf("msgkey-v2 (SetBytes) lacks MB/s")
	}
	if units["KDF/op=derive-v2/impl=fast"+suffix]["MB/s"] {
		t.Errorf("derive-v2 (no SetBytes) has MB/s")
	}

	var rep jsonReport
	b, err := os.ReadFile(js)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Count != 2 || len(rep.Cases) != len(count) {
		t.Errorf("JSON: count %d, %d cases; want 2 and %d", rep.Count, len(rep.Cases), len(count))
	}
	for _, c := range rep.Cases {
		if len(c.Runs) != 2 || c.NsPerOp <= 0 {
			t.Errorf("JSON %s: %d runs, %v ns/op", c.Name, len(c.Runs), c.NsPerOp)
		}
		if strings.Contains(c.Name, "impl=fast") && (c.Ref == "" || c.VsRef <= 0) {
			t.Errorf("JSON %s: no ratio to the reference (ref %q, %v)", c.Name, c.Ref, c.VsRef)
		}
	}
}

// TestRunIGEChart runs a few IGE cases, which pull in their bound case, and
// draws the chart.
func TestRunIGEChart(t *testing.T) {
	dir := t.TempDir()
	svg, md := filepath.Join(dir, "chart.svg"), filepath.Join(dir, cpuFileName()+".md")
	var stdout, stderr bytes.Buffer
	err := run([]string{"-suite", "ige", "-run", `^BenchmarkIGE/op=encrypt/.*/size=(64B|1KiB)$`, "-benchtime", "2x", "-svg", svg, "-results", dir, "-clock", "wall"}, &stdout, &stderr)
	if err != nil {
		t.Fatalf("run: %v\nstderr:\n%s", err, &stderr)
	}
	if !regexp.MustCompile(`AESBound/impl=\S+/lanes=1`).MatchString(stdout.String()) {
		t.Errorf("the bound of the IGE cases was not run:\n%s", &stdout)
	}
	if !strings.Contains(stdout.String(), "%") {
		t.Errorf("no share of the bound in the table:\n%s", &stdout)
	}
	table, err := os.ReadFile(md)
	if err != nil {
		t.Fatal(err)
	}
	row := regexp.MustCompile("(?m)^\\| ige \\| `IGE/op=encrypt/impl=" + regexp.QuoteMeta(ige.Impl()) + "/size=1KiB` \\| [0-9]+ MB/s \\| [0-9]+ MB/s \\| [0-9.e+]+x \\| [0-9]+% \\|$")
	if !row.Match(table) {
		t.Errorf("markdown table lacks the 1KiB row of %s with its ratios:\n%s", ige.Impl(), table)
	}
	for _, ext := range []string{".txt", ".json"} {
		if _, err := os.Stat(filepath.Join(dir, cpuFileName()+ext)); err != nil {
			t.Errorf("-results: %v", err)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, cpuFileName()+".svg")); err == nil {
		t.Errorf("-results overrode the -svg given")
	}
	b, err := os.ReadFile(svg)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b, []byte("<svg")) || !bytes.Contains(b, []byte("ref (gotd/ige")) {
		t.Errorf("chart is not an SVG with the ref series: %.200s", b)
	}
}

// TestCompare compares the two files in testdata: derive-v2/impl=fast
// drops by about 29% there, the others only move within noise.
func TestCompare(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if err := run([]string{"compare", "testdata/old.txt", "testdata/new.txt"}, &stdout, &stderr); err != nil {
		t.Fatalf("compare: %v\n%s", err, &stderr)
	}
	got := stdout.String()
	for _, want := range []string{"sec/op", "KDF/op=derive-v2/impl=fast-2", "± ", "testdata/new.txt"} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}
	line := regexp.MustCompile(`(?m)^KDF/op=derive-v2/impl=fast-2 .*$`).FindString(got)
	if !regexp.MustCompile(`-2\d\.\d\d% \(p=0\.0\d\d n=6\)`).MatchString(line) {
		t.Errorf("derive-v2 fast: want a significant ~-29%% delta, got %q", line)
	}
	line = regexp.MustCompile(`(?m)^KDF/op=derive-v2/impl=ref-2 .*$`).FindString(got)
	if !strings.Contains(line, "~ (p=") {
		t.Errorf("derive-v2 ref: want ~ (no significant change), got %q", line)
	}

	// -col /impl pivots one file on the impl key, as benchstat -col /impl.
	stdout.Reset()
	if err := run([]string{"compare", "-col", "/impl", "-filter", ".name:KDF", "testdata/old.txt"}, &stdout, &stderr); err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`KDF/op=derive-v2-2 .*-6\d\.\d\d% \(p=`).MatchString(stdout.String()) {
		t.Errorf("-col /impl: want fast about -68%% vs ref:\n%s", &stdout)
	}
}

func TestErrors(t *testing.T) {
	for _, args := range [][]string{
		{"-suite", "nope"},
		{"-count", "0"},
		{"-clock", "sundial"},
		{"-suite", "kdf", "-o", "testdata/no-such-dir/out.txt"}, // fails before running
		{"-benchtime", "forever"},
		{"-run", "("},
		{"-suite", "quick,kdf"},
		{"-run", "NoSuchBenchmark"},
		{"extra"},
		{"compare", "testdata/old.txt"},
		{"compare", "testdata/missing.txt", "testdata/new.txt"},
	} {
		var stdout, stderr bytes.Buffer
		if err := run(args, &stdout, &stderr); err == nil {
			t.Errorf("%q: no error", args)
		}
	}
}

// TestList lists the default (quick) suite: it must cover every suite that
// has cases, with both sides of each ratio.
func TestList(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if err := run([]string{"-list"}, &stdout, &stderr); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"BenchmarkIGE/", "BenchmarkIGEBatch/", "BenchmarkAESBound/", "BenchmarkKDF/", "BenchmarkPipeline/", "BenchmarkExchange/", "BenchmarkDHCheck/op=cold/impl=ref"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("quick suite lacks %s", want)
		}
	}
}

func TestCPUFileName(t *testing.T) {
	name := cpuFileName()
	if name == "" || strings.ContainsAny(name, " /\\:*?\"<>|") {
		t.Errorf("cpuFileName() = %q: not a safe file name", name)
	}
}
