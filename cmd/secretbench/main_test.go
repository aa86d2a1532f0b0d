package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/secretbench/secretbench/bench"
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
	for _, want := range []string{"machine: " + thisMachine().FileName(), "implementations: ", "ige=", "kdf: ", "KDF/op=derive-v2/impl=fast", "vs ref", "only 2 runs per case"} {
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
			for key, want := range map[string]string{"goos": runtime.GOOS, "goarch": runtime.GOARCH, "pkg": benchPkg, "cpu": thisMachine().Brand} {
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
	if rep.Machine != thisMachine().FileName() {
		t.Errorf("JSON machine %q, want %q", rep.Machine, thisMachine().FileName())
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

// TestRunIGEChart runs a few IGE cases once each, which pull in their
// bound case, and draws the chart and the table: both must say that one
// run is too few for an interval.
func TestRunIGEChart(t *testing.T) {
	dir := t.TempDir()
	name := thisMachine().FileName()
	svg, md := filepath.Join(dir, "chart.svg"), filepath.Join(dir, name+".md")
	var stdout, stderr bytes.Buffer
	err := run([]string{"-suite", "ige", "-run", `^BenchmarkIGE/op=(en|de)crypt/.*/size=(64B|1KiB)$`, "-benchtime", "2x", "-count", "1", "-svg", svg, "-results", dir, "-clock", "wall"}, &stdout, &stderr)
	if err != nil {
		t.Fatalf("run: %v\nstderr:\n%s", err, &stderr)
	}
	if !regexp.MustCompile(`AESBound/impl=\S+/lanes=1`).MatchString(stdout.String()) {
		t.Errorf("the bound of the IGE cases was not run:\n%s", &stdout)
	}
	for _, p := range []string{svg, md, filepath.Join(dir, name+".txt")} {
		if !strings.Contains(stdout.String(), "wrote "+p+"\n") {
			t.Errorf("path %s not printed:\n%s", p, &stdout)
		}
	}
	table, err := os.ReadFile(md)
	if err != nil {
		t.Fatal(err)
	}
	impl := bench.ActiveImpl("ige")
	row := regexp.MustCompile("(?m)^\\| ige \\| `IGE/op=encrypt/impl=" + regexp.QuoteMeta(impl) + "/size=1KiB` \\| [0-9]+ MB/s \\| [0-9]+ MB/s \\| n=1 \\| [0-9.e+]+x \\| [0-9]+% \\|$")
	if !row.Match(table) {
		t.Errorf("markdown table lacks the 1KiB row of %s with its ratios:\n%s", impl, table)
	}
	if !bytes.Contains(table, []byte("**Warning:** only 1 run per case")) {
		t.Errorf("markdown of a count-1 run does not warn:\n%s", table)
	}
	if _, err := os.Stat(filepath.Join(dir, name+".svg")); err == nil {
		t.Errorf("-results overrode the -svg given")
	}
	b, err := os.ReadFile(svg)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"<svg", "ref (gotd/ige", "encrypt", "decrypt", "warning: only 1 run", casesMarker} {
		if !bytes.Contains(b, []byte(want)) {
			t.Errorf("chart lacks %q", want)
		}
	}
	if left, _ := filepath.Glob(filepath.Join(dir, ".*tmp*")); len(left) > 0 {
		t.Errorf("temporary files left: %v", left)
	}
}

// committed is the full Zen 5 run in results/.
const committed = "../../results/AMD-EPYC-Zen5-2c-vaes-avx512.txt"

// TestSubsetKeepsFullRun puts a full run's files in a directory under
// this machine's name and runs a subset suite with -results and -svg on
// it: every byte of the old files must still be there, nothing new may be
// left behind, and -force must be what it takes to replace them.
func TestSubsetKeepsFullRun(t *testing.T) {
	dir := t.TempDir()
	name := thisMachine().FileName()
	old := map[string][]byte{}
	for _, ext := range []string{".txt", ".md", ".svg"} {
		b, err := os.ReadFile(strings.TrimSuffix(committed, ".txt") + ext)
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, name+ext)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		old[p] = b
	}
	same := func(when string) {
		t.Helper()
		entries, _ := os.ReadDir(dir)
		if len(entries) != len(old) {
			t.Errorf("%s: directory holds %d entries, want %d", when, len(entries), len(old))
		}
		for p, want := range old {
			got, err := os.ReadFile(p)
			if err != nil || !bytes.Equal(got, want) {
				t.Errorf("%s: %s changed (%d bytes, was %d; %v)", when, p, len(got), len(want), err)
			}
		}
	}
	for _, args := range [][]string{
		{"-suite", "kdf", "-run", "derive-v2", "-benchtime", "1x", "-count", "1", "-results", dir},
		{"-suite", "kdf", "-run", "derive-v2", "-benchtime", "1x", "-count", "1", "-results", dir, "-svg", filepath.Join(dir, "x.svg")},
		{"-suite", "ige", "-run", "size=64B", "-benchtime", "1x", "-count", "1", "-results", dir},
	} {
		var stdout, stderr bytes.Buffer
		err := run(args, &stdout, &stderr)
		if err == nil {
			t.Errorf("%q: no error", args)
		} else if !strings.Contains(err.Error(), "-force") && !strings.Contains(err.Error(), "-suite ige") {
			t.Errorf("%q: error %q does not say how to go on", args, err)
		}
		if strings.Contains(stderr.String(), "[1/") {
			t.Errorf("%q: benchmarks ran before the outputs were refused", args)
		}
		same(strings.Join(args, " "))
	}

	// -force replaces: the .txt then holds the subset only.
	var stdout, stderr bytes.Buffer
	if err := run([]string{"-suite", "kdf", "-run", "derive-v2", "-benchtime", "1x", "-count", "1", "-o", filepath.Join(dir, name+".txt"), "-force"}, &stdout, &stderr); err != nil {
		t.Fatal(err)
	}
	names, _, err := fileCases(filepath.Join(dir, name+".txt"))
	if err != nil || len(names) != 2 {
		t.Errorf("-force: the .txt holds %v (%v), want the 2 derive-v2 cases", names, err)
	}
}

// TestFrom draws the committed run again: the chart and table come from
// its samples and its header, not from this machine.
func TestFrom(t *testing.T) {
	dir := t.TempDir()
	svg, md := filepath.Join(dir, "c.svg"), filepath.Join(dir, "c.md")
	var stdout, stderr bytes.Buffer
	if err := run([]string{"-from", committed, "-svg", svg, "-md", md}, &stdout, &stderr); err != nil {
		t.Fatalf("%v\n%s", err, &stderr)
	}
	// The committed run's own count of runs and cases, read from the file
	// (the .txt has one "# case:" line per case and one line per run).
	raw, err := os.ReadFile(committed)
	if err != nil {
		t.Fatal(err)
	}
	runs := strings.Count(string(raw), "\nBenchmarkIGE/op=encrypt/impl=vaes-avx512/size=1KiB-")
	cases := strings.Count(string(raw), "\n# case:")
	if runs < 6 || cases < 100 {
		t.Fatalf("the committed run has %d runs of a case and %d cases: not a full run", runs, cases)
	}
	table, _ := os.ReadFile(md)
	for _, want := range []string{"# AMD EPYC Zen5, 2 cores, vaes-avx512", fmt.Sprintf("medians of %d runs", runs), "| ige | `IGE/op=encrypt/impl=vaes-avx512/size=1KiB` |"} {
		if !strings.Contains(string(table), want) {
			t.Errorf("table lacks %q:\n%.600s", want, table)
		}
	}
	if strings.Contains(string(table), "Warning") {
		t.Errorf("a %d-run table warns about too few runs", runs)
	}
	chart, _ := os.ReadFile(svg)
	for _, want := range []string{"AMD EPYC Zen5, 2 cores, vaes-avx512", fmt.Sprintf("of %d runs per point", runs), "vaes-avx2", "aes-ni", "generic", "bound: serial AES chain"} {
		if !strings.Contains(string(chart), want) {
			t.Errorf("chart lacks %q", want)
		}
	}
	names, ok, err := fileCases(svg)
	if err != nil || !ok || len(names) != cases {
		t.Errorf("chart records %d cases (%v, %v), want the %d of the run", len(names), ok, err, cases)
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
	for _, want := range []string{"sec/op", "KDF/op=derive-v2/impl=fast-2", "± ", "testdata/new.txt", "vs base", "geomean"} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}
	line := regexp.MustCompile(`(?m)^KDF/op=derive-v2/impl=fast-2 .*$`).FindString(got)
	if !regexp.MustCompile(`-2\d\.\d\d% \(p=0\.0\d\d n=6\)`).MatchString(line) {
		t.Errorf("derive-v2 fast: want a significant ~-29%% delta, got %q", line)
	}
	// benchstat's numbers on these files: 140.20n ± 2% to 99.30n ± 1%,
	// geomean 435.4n to 387.7n, -10.96%.
	if !strings.Contains(line, "140.20n ± 2%") || !strings.Contains(line, "99.30n ± 1%") ||
		!regexp.MustCompile(`(?m)^geomean +435.4n +387.7n +-10.96%$`).MatchString(got) {
		t.Errorf("numbers differ from benchstat's:\n%s", got)
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

// TestErrors checks that bad input fails before anything runs, with an
// error that names the bad value and what is wanted.
func TestErrors(t *testing.T) {
	dir := t.TempDir()
	js := filepath.Join(dir, "r.json")
	os.WriteFile(js, []byte(`{"cases": []}`), 0o644)
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"-suite", "bogus"}, []string{`"bogus"`, "quick", "all", "kdf"}},
		{[]string{"-count", "0"}, []string{"-count 0"}},
		{[]string{"-clock", "sundial"}, []string{`"sundial"`}},
		{[]string{"-suite", "kdf", "-o", "testdata/no-such-dir/out.txt"}, []string{"no-such-dir"}},
		{[]string{"-suite", "kdf", "-svg", filepath.Join(t.TempDir(), "x.svg")}, []string{"-suite ige"}},
		{[]string{"-suite", "kdf", "-o", filepath.Join(dir, "a"), "-md", filepath.Join(dir, "b"), "-json", filepath.Join(dir, "b")}, []string{"-json and -md both name"}},
		{[]string{"-benchtime", "0"}, []string{`-benchtime "0"`, "positive"}},
		{[]string{"-benchtime", "-1s"}, []string{`-benchtime "-1s"`}},
		{[]string{"-benchtime", "xyz"}, []string{`-benchtime "xyz"`}},
		{[]string{"-benchtime", "0x"}, []string{`-benchtime "0x"`}},
		{[]string{"-run", "("}, []string{`-run "("`}},
		{[]string{"-suite", "quick,kdf"}, []string{"quick cannot be combined"}},
		{[]string{"-run", "NoSuchBenchmark"}, []string{"NoSuchBenchmark"}},
		{[]string{"-from", "testdata/old.txt"}, []string{"no secretbench header"}},
		{[]string{"extra"}, []string{`"extra"`}},
		{[]string{"compare", "testdata/old.txt"}, []string{"two result files"}},
		{[]string{"compare", "testdata/missing.txt", "testdata/new.txt"}, []string{"missing.txt"}},
		{[]string{"compare", "../../README.md", "testdata/new.txt"}, []string{"README.md: no benchmark results", "Go benchmark format"}},
		{[]string{"compare", js, "testdata/new.txt"}, []string{"looks like JSON"}},
		{[]string{"compare", "-col", "/nokey", "testdata/old.txt"}, []string{`"/nokey"`, "/impl"}},
		{[]string{"compare", "-row", "/nokey", "testdata/old.txt", "testdata/new.txt"}, []string{`"/nokey"`}},
		{[]string{"compare", "-filter", "/impl:nope", "testdata/old.txt", "testdata/new.txt"}, []string{"no result matches"}},
	} {
		var stdout, stderr bytes.Buffer
		err := run(tc.args, &stdout, &stderr)
		if err == nil {
			t.Errorf("%q: no error", tc.args)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%q: error %q lacks %q", tc.args, err, w)
			}
		}
		if strings.Contains(stderr.String(), "[1/") {
			t.Errorf("%q: benchmarks ran before the error", tc.args)
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

// TestMachineNames names two different CPUs that share a brand string
// and one Intel part: no two names may collide, and each must be safe as a
// file name.
func TestMachineNames(t *testing.T) {
	zen3 := machine{Brand: "AMD EPYC 7B13", Vendor: "AMD", Family: 25, Model: 1, Cores: 2, Impl: "vaes-avx2"}
	zen5 := machine{Brand: "AMD EPYC", Vendor: "AMD", Family: 26, Model: 2, Cores: 2, Impl: "vaes-avx512"}
	zen3same := zen3
	zen3same.Brand = "AMD EPYC"
	icx := machine{Brand: "Intel(R) Xeon(R) Platinum 8375C CPU @ 2.90GHz", Vendor: "Intel", Family: 6, Model: 0x6a, Cores: 4, Impl: "vaes-avx512"}
	spr := machine{Brand: "Intel(R) Xeon(R) Processor", Vendor: "Intel", Family: 6, Model: 0x8f, Cores: 2, Impl: "vaes-avx512", AMX: true}
	kvm := spr
	kvm.Model = 0xa7 // what KVM reported on one such machine
	for _, tc := range []struct {
		m           machine
		file, title string
	}{
		{spr, "Intel-Xeon-SapphireRapids-2c-vaes-avx512", "Intel Xeon SapphireRapids, 2 cores, vaes-avx512"},
		{kvm, "Intel-Xeon-SapphireRapids-2c-vaes-avx512", "Intel Xeon SapphireRapids+, 2 cores, vaes-avx512"},
		{zen3, "AMD-EPYC-7B13-Zen3-2c-vaes-avx2", "AMD EPYC 7B13 Zen3, 2 cores, vaes-avx2"},
		{zen3same, "AMD-EPYC-Zen3-2c-vaes-avx2", "AMD EPYC Zen3, 2 cores, vaes-avx2"},
		{zen5, "AMD-EPYC-Zen5-2c-vaes-avx512", "AMD EPYC Zen5, 2 cores, vaes-avx512"},
		{icx, "Intel-Xeon-Platinum-8375C-IceLakeSP-4c-vaes-avx512", "Intel Xeon Platinum 8375C IceLakeSP, 4 cores, vaes-avx512"},
		{machine{Brand: "Weird CPU", Vendor: "AMD", Family: 99, Model: 3, Cores: 8, Impl: "generic"}, "Weird-f99m3-8c-generic", "Weird f99m3, 8 cores, generic"},
	} {
		if got := tc.m.FileName(); got != tc.file {
			t.Errorf("%+v: FileName %q, want %q", tc.m, got, tc.file)
		}
		if got := tc.m.Title(); got != tc.title {
			t.Errorf("%+v: Title %q, want %q", tc.m, got, tc.title)
		}
	}
	// This machine's name carries the AES implementation in use.
	if name := thisMachine().FileName(); !strings.HasSuffix(name, "-"+bench.ActiveImpl("ige")) || strings.ContainsAny(name, " /\\:*?\"<>|") {
		t.Errorf("this machine: %q", name)
	}
}

// TestFit checks the text that must fit an 80-column terminal: wrapped
// notes, stacked tables and the progress bar.
func TestFit(t *testing.T) {
	long := strings.Repeat("word ", 40)
	for _, l := range strings.Split(wrap(long, 80, "    "), "\n") {
		if len([]rune(l)) > 80 {
			t.Errorf("wrapped line of %d columns", len([]rune(l)))
		}
	}
	var b bytes.Buffer
	rows := [][]string{{"case", "a", "b"}, {strings.Repeat("x", 70), "1234567890", "1234567890"}}
	fitTable(&b, rows, 80)
	for _, l := range strings.Split(strings.TrimSpace(b.String()), "\n") {
		if len([]rune(l)) > 80 {
			t.Errorf("table line of %d columns: %q", len([]rune(l)), l)
		}
	}
	b.Reset()
	p := &barProgress{w: &b, total: 3, begin: time.Now()}
	p.start("BenchmarkIGEBatch/op=encrypt/impl=vaes-avx512/jobs=mix64B-64KiB/and/a/very/long/tail")
	p.step("", nil)
	for _, frame := range strings.Split(b.String(), "\r")[1:] {
		frame = strings.TrimSuffix(frame, "\x1b[K")
		if n := len([]rune(frame)); n > 79 || n == 0 {
			t.Errorf("progress line of %d columns: %q", n, frame)
		}
	}
}

// TestChartStyleFixed draws the committed run twice, once with every
// implementation and once with aes-ni and ref alone (as on a machine
// without VAES): aes-ni keeps its colour, so charts of two machines read
// alike.
func TestChartStyleFixed(t *testing.T) {
	info, ms, err := loadRun(committed, "cpu")
	if err != nil {
		t.Fatal(err)
	}
	colour := func(impl string) string {
		r, g, b, _ := styleOf(impl).color.RGBA()
		return fmt.Sprintf("stroke:#%02X%02X%02X", r>>8, g>>8, b>>8)
	}
	draw := func(keep func(impl string) bool) string {
		var sub []*measured
		for _, m := range ms {
			if keep(m.Case.Get("impl")) {
				sub = append(sub, m)
			}
		}
		var b bytes.Buffer
		if err := writeSVG(&b, sub, info); err != nil {
			t.Fatal(err)
		}
		return b.String()
	}
	all := draw(func(string) bool { return true })
	for _, impl := range []string{"ref", "vaes-avx512", "vaes-avx2", "aes-ni", "generic"} {
		if !strings.Contains(all, colour(impl)) {
			t.Errorf("full chart lacks the colour of %s (%s)", impl, colour(impl))
		}
	}
	few := draw(func(impl string) bool { return impl == "ref" || impl == "aes-ni" })
	if !strings.Contains(few, colour("aes-ni")) || strings.Contains(few, colour("vaes-avx512")) || strings.Contains(few, "vaes-avx2") {
		t.Errorf("aes-ni changed colour when drawn without the VAES implementations")
	}
}
