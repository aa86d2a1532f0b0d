package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strings"

	"golang.org/x/perf/benchfmt"
	"golang.org/x/perf/benchmath"
	"golang.org/x/perf/benchproc"
	"golang.org/x/perf/benchunit"
)

// compareOptions are benchstat's flags that compare takes.
type compareOptions struct {
	table, row, col, filter string
	alpha, confidence       float64
	width                   int
	files                   []string
}

// compare prints what benchstat prints for the same files and flags: one
// table per configuration and unit, a row per benchmark, per column the
// median with its confidence interval, the change against the first column
// with the p-value of the Mann-Whitney U test ("~" when not significant),
// and a geomean row. Grouping (-table, -row, -col, -filter) is benchproc's,
// statistics benchmath's, units and scaling benchunit's, as in benchstat
// (whose table code is internal to its command, so compare assembles the
// same parts). Tables too wide for the terminal are stacked, then split.
func compare(args []string, stdout, stderr io.Writer) error {
	co, err := parseCompareFlags(args, stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	tables, err := readTables(co)
	if err != nil {
		return err
	}
	width := co.width
	if width == 0 {
		width = tableWidth(stdout)
	}
	for i, t := range tables {
		if i > 0 {
			fmt.Fprintln(stdout)
		}
		if i == 0 || t.config != tables[i-1].config {
			fmt.Fprint(stdout, t.config)
		}
		t.print(stdout, co, width)
	}
	return nil
}

func parseCompareFlags(args []string, stderr io.Writer) (compareOptions, error) {
	var co compareOptions
	fs := flag.NewFlagSet("secretbench compare", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&co.table, "table", ".config", "split results into tables by distinct values of `projection`")
	fs.StringVar(&co.col, "col", ".file", "split columns by `projection` (benchstat syntax, e.g. /impl)")
	fs.StringVar(&co.row, "row", ".fullname", "split rows by `projection`")
	fs.StringVar(&co.filter, "filter", "*", "use only benchmarks matching benchfilter `query`")
	fs.Float64Var(&co.alpha, "alpha", benchmath.DefaultThresholds.CompareAlpha, "consider a change significant if p < `α`")
	fs.Float64Var(&co.confidence, "confidence", 0.95, "confidence `level` of the ranges")
	fs.IntVar(&co.width, "width", 0, "fit tables to `columns` (default: the terminal's width; no limit when not a terminal)")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: secretbench compare [flags] old.txt new.txt...\n\n%s\n\n",
			wrap("The files are in the Go benchmark format: go test -bench output, secretbench -o, or the .txt of -results.", termWidth(stderr), ""))
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return co, err
	}
	co.files = fs.Args()
	if len(co.files) == 0 || co.col == ".file" && len(co.files) < 2 {
		fs.Usage()
		return co, errors.New("compare needs two result files (or one with -col)")
	}
	// Written so that NaN, for which every comparison is false, is refused.
	if !(co.confidence > 0 && co.confidence < 1) {
		return co, fmt.Errorf("-confidence %v: must be in (0, 1)", co.confidence)
	}
	if !(co.alpha > 0 && co.alpha < 1) {
		return co, fmt.Errorf("-alpha %v: must be in (0, 1)", co.alpha)
	}
	if co.width < 0 {
		return co, fmt.Errorf("-width %d: must be 0 (the terminal's) or a number of columns", co.width)
	}
	return co, nil
}

// cmpTable is one table: the results of one configuration and unit.
type cmpTable struct {
	config     string // "goos: linux\n..." as benchstat prints it
	unit       string
	assumption benchmath.Assumption
	rows, cols []benchproc.Key
	cells      map[[2]benchproc.Key][]float64
}

// projections are the -filter, -table, -row and -col of a comparison.
type projections struct {
	filter           *benchproc.Filter
	table, row, col  *benchproc.Projection
	unit             *benchproc.Field
	rowFlag, colFlag string
}

func parseProjections(co compareOptions) (p projections, err error) {
	if p.filter, err = benchproc.NewFilter(co.filter); err != nil {
		return p, fmt.Errorf("-filter %q: %v", co.filter, err)
	}
	var parser benchproc.ProjectionParser
	if p.table, p.unit, err = parser.ParseWithUnit(co.table, p.filter); err != nil {
		return p, fmt.Errorf("-table %q: %v", co.table, err)
	}
	if p.row, err = parser.Parse(co.row, p.filter); err != nil {
		return p, fmt.Errorf("-row %q: %v", co.row, err)
	}
	if p.col, err = parser.Parse(co.col, p.filter); err != nil {
		return p, fmt.Errorf("-col %q: %v", co.col, err)
	}
	p.rowFlag, p.colFlag = co.row, co.col
	return p, nil
}

// tableSet collects results into tables, and what the checks need: the
// keys the input has and the results each file held.
type tableSet struct {
	p                projections
	byKey            map[benchproc.Key]*cmpTable
	order            []benchproc.Key
	rowKeys, colKeys map[benchproc.Key]bool
	keysSeen         map[string]bool
	perFile          map[string]int
}

func newTableSet(p projections) *tableSet {
	return &tableSet{
		p: p, byKey: map[benchproc.Key]*cmpTable{},
		rowKeys: map[benchproc.Key]bool{}, colKeys: map[benchproc.Key]bool{},
		keysSeen: map[string]bool{".file": true, ".name": true, ".fullname": true, ".config": true, ".unit": true},
		perFile:  map[string]int{},
	}
}

// add puts one result's values in their tables' cells.
func (s *tableSet) add(rec *benchfmt.Result, units benchfmt.UnitMetadataMap) {
	s.perFile[rec.GetConfig(".file")]++
	noteKeys(rec, s.keysSeen)
	if ok, _ := s.p.filter.Apply(rec); !ok {
		return
	}
	r, c := s.p.row.Project(rec), s.p.col.Project(rec)
	s.rowKeys[r], s.colKeys[c] = true, true
	for i, tk := range s.p.table.ProjectValues(rec) {
		t := s.byKey[tk]
		if t == nil {
			t = &cmpTable{unit: tk.Get(s.p.unit), cells: map[[2]benchproc.Key][]float64{}}
			t.assumption = units.GetAssumption(t.unit)
			t.config = configLines(tk, s.p.unit)
			s.byKey[tk] = t
			s.order = append(s.order, tk)
		}
		cell := [2]benchproc.Key{r, c}
		if t.cells[cell] == nil {
			if !slices.Contains(t.rows, r) {
				t.rows = append(t.rows, r)
			}
			if !slices.Contains(t.cols, c) {
				t.cols = append(t.cols, c)
			}
		}
		t.cells[cell] = append(t.cells[cell], rec.Values[i].Value)
	}
}

// check refuses a file that held no results and a -row or -col on a key
// no result has.
func (s *tableSet) check(paths []string, filterQ string) error {
	// The labels benchfmt.Files gives: label=path as written, a path named
	// more than once path#0, path#1 ...
	count, seen := map[string]int{}, map[string]int{}
	for _, path := range paths {
		if !strings.Contains(path, "=") {
			count[path]++
		}
	}
	for _, path := range paths {
		label, p, ok := strings.Cut(path, "=")
		if !ok {
			label, p = path, path
			if count[path] > 1 {
				label = fmt.Sprintf("%s#%d", path, seen[path])
				seen[path]++
			}
		}
		if s.perFile[label] == 0 {
			return notResults(p)
		}
	}
	if err := checkKeys("-row", s.p.rowFlag, s.p.row, s.rowKeys, s.keysSeen); err != nil {
		return err
	}
	if err := checkKeys("-col", s.p.colFlag, s.p.col, s.colKeys, s.keysSeen); err != nil {
		return err
	}
	if len(s.order) == 0 {
		return fmt.Errorf("-filter %q: no result matches", filterQ)
	}
	return nil
}

// tables returns the tables in benchstat's order.
func (s *tableSet) tables() []*cmpTable {
	benchproc.SortKeys(s.order)
	var out []*cmpTable
	for _, k := range s.order {
		t := s.byKey[k]
		benchproc.SortKeys(t.rows)
		benchproc.SortKeys(t.cols)
		out = append(out, t)
	}
	return out
}

// readTables reads the files into tables, refusing input that is not
// benchmark results and projections on keys the input does not have.
func readTables(co compareOptions) ([]*cmpTable, error) {
	p, err := parseProjections(co)
	if err != nil {
		return nil, err
	}
	set := newTableSet(p)
	files := benchfmt.Files{Paths: co.files, AllowLabels: true}
	for files.Scan() {
		// Syntax errors are skipped, as benchstat does after a warning;
		// a file with nothing else is refused by check.
		if rec, ok := files.Result().(*benchfmt.Result); ok {
			set.add(rec, files.Units())
		}
	}
	if err := files.Err(); err != nil {
		return nil, err
	}
	if err := set.check(co.files, co.filter); err != nil {
		return nil, err
	}
	return set.tables(), nil
}

// notResults is the error for a file with no benchmark lines.
func notResults(path string) error {
	hint := ""
	if b, err := os.ReadFile(path); err == nil && bytes.HasPrefix(bytes.TrimSpace(b), []byte("{")) {
		hint = " (it looks like JSON; compare the .txt file of the same run)"
	}
	return fmt.Errorf("%s: no benchmark results%s; compare reads the Go benchmark format, lines such as\n"+
		"  BenchmarkIGE/op=encrypt/impl=ref/size=64B-2  2551485  70.1 ns/op\n"+
		"as go test -bench prints them and secretbench -o and -results write them", path, hint)
}

// noteKeys records the keys a result has: its file configuration and the
// /key parts of its name.
func noteKeys(rec *benchfmt.Result, seen map[string]bool) {
	for _, c := range rec.Config {
		seen[c.Key] = true
	}
	_, parts := rec.Name.Parts()
	for _, p := range parts {
		if k, _, ok := strings.Cut(string(p), "="); ok && strings.HasPrefix(k, "/") {
			seen[k] = true
		}
	}
	seen["/gomaxprocs"] = true
}

// checkKeys refuses a projection on a key no result has: benchstat would
// print one unnamed column or row.
func checkKeys(flagName, value string, proj *benchproc.Projection, keys map[benchproc.Key]bool, seen map[string]bool) error {
	for _, f := range proj.FlattenedFields() {
		if seen[f.Name] {
			continue
		}
		found := false
		for k := range keys {
			if k.Get(f) != "" {
				found = true
				break
			}
		}
		if !found {
			have := make([]string, 0, len(seen))
			for k := range seen {
				have = append(have, k)
			}
			slices.Sort(have)
			return fmt.Errorf("%s %q: no result has the key %q; the input has %s", flagName, value, f.Name, strings.Join(have, " "))
		}
	}
	return nil
}

// configLines prints a table's configuration as benchstat does: the file
// keys with a value, one "key: value" line each.
func configLines(k benchproc.Key, unitField *benchproc.Field) string {
	var sb strings.Builder
	for _, f := range k.Projection().FlattenedFields() {
		if f == unitField {
			continue
		}
		if v := k.Get(f); v != "" {
			fmt.Fprintf(&sb, "%s: %s\n", f.Name, v)
		}
	}
	return sb.String()
}

// cmpSummary is one cell's sample and its summary.
type cmpSummary struct {
	sample *benchmath.Sample
	sum    benchmath.Summary
}

// footnotes numbers warning texts, each once, as benchstat's superscripts.
type footnotes []string

func (n *footnotes) mark(errs []error) string {
	var marks []string
	for _, e := range errs {
		i := slices.Index(*n, e.Error())
		if i < 0 {
			*n = append(*n, e.Error())
			i = len(*n) - 1
		}
		marks = append(marks, superscript(i+1))
	}
	return strings.Join(marks, "")
}

// print writes the table: two header lines, a row per benchmark, the
// geomean row and the footnotes.
func (t *cmpTable) print(w io.Writer, co compareOptions, width int) {
	th := benchmath.DefaultThresholds
	th.CompareAlpha = co.alpha
	sums := map[[2]benchproc.Key]cmpSummary{}
	centers := map[[2]benchproc.Key]float64{}
	for k, vs := range t.cells {
		s := benchmath.NewSample(vs, &th)
		sums[k] = cmpSummary{s, t.assumption.Summary(s, co.confidence)}
		centers[k] = sums[k].sum.Center
	}
	names, units := []string{"", t.cols[0].StringValues()}, []string{"", t.unit}
	for _, c := range t.cols[1:] {
		names = append(names, c.StringValues(), "")
		units = append(units, t.unit, "vs base")
	}
	var notes footnotes
	rows := [][]string{names, units}
	for _, r := range t.rows {
		rows = append(rows, t.row(r, sums, &notes))
	}
	if len(t.rows) > 1 {
		rows = append(rows, t.geomeanRow(centers, benchunit.ClassOf(t.unit), notes.mark))
	}
	printSplit(w, rows, width)
	for i, n := range notes {
		fmt.Fprintf(w, "%s %s\n", superscript(i+1), n)
	}
}

// row is one benchmark: the label, then per column the median ± its range
// on a scale common to the row and, after the first column, the change
// against it with the test's p-value.
func (t *cmpTable) row(r benchproc.Key, sums map[[2]benchproc.Key]cmpSummary, notes *footnotes) []string {
	var centers []float64
	for _, c := range t.cols {
		if s, ok := sums[[2]benchproc.Key{r, c}]; ok {
			centers = append(centers, s.sum.Center)
		}
	}
	scale := benchunit.CommonScale(centers, benchunit.ClassOf(t.unit))
	row := []string{r.StringValues()}
	base, hasBase := sums[[2]benchproc.Key{r, t.cols[0]}]
	for i, c := range t.cols {
		s, ok := sums[[2]benchproc.Key{r, c}]
		switch {
		case !ok && i == 0:
			row = append(row, "")
			continue
		case !ok:
			row = append(row, "", "")
			continue
		}
		row = append(row, scale.Format(s.sum.Center)+" ± "+s.sum.PctRangeString()+notes.mark(append(s.sample.Warnings, s.sum.Warnings...)))
		switch {
		case i == 0:
		case !hasBase:
			row = append(row, "")
		default:
			cmp := t.assumption.Compare(base.sample, s.sample)
			row = append(row, cmp.FormatDelta(base.sum.Center, s.sum.Center)+" ("+cmp.String()+")"+notes.mark(cmp.Warnings))
		}
	}
	return row
}

// geomeanRow is benchstat's last row: per column the geometric mean of
// the medians and, after the first, the geometric mean of the ratios of
// each row's median to the first column's.
func (t *cmpTable) geomeanRow(centers map[[2]benchproc.Key]float64, class benchunit.Class, note func([]error) string) []string {
	nBase := 0
	for _, r := range t.rows {
		if _, ok := centers[[2]benchproc.Key{r, t.cols[0]}]; ok {
			nBase++
		}
	}
	row := []string{"geomean"}
	for i, c := range t.cols {
		var vals, ratios []float64
		var warns []error
		for _, r := range t.rows {
			v, ok := centers[[2]benchproc.Key{r, c}]
			if !ok {
				continue
			}
			vals = append(vals, v)
			if b, ok := centers[[2]benchproc.Key{r, t.cols[0]}]; ok && i > 0 {
				switch {
				case v == b:
					ratios = append(ratios, 1)
				case b == 0:
					ratios = append(ratios, 0)
				default:
					ratios = append(ratios, v/b)
				}
			}
		}
		if i > 0 && len(ratios) != nBase {
			warns = append(warns, errors.New("benchmark set differs from baseline; geomeans may not be comparable"))
		}
		gm := geomean(vals)
		cell := ""
		if math.IsNaN(gm) {
			warns = append(warns, errors.New("summaries must be >0 to compute geomean"))
		} else {
			cell = benchunit.Scale(gm, class)
		}
		if i == 0 {
			row = append(row, cell+note(warns))
			continue
		}
		ratio := "?"
		if g := geomean(ratios); !math.IsNaN(g) {
			ratio = fmt.Sprintf("%+.2f%%", (g-1)*100)
		}
		row = append(row, cell, ratio+note(warns))
	}
	return row
}

// geomean is the geometric mean of positive values, NaN otherwise.
func geomean(vs []float64) float64 {
	if len(vs) == 0 {
		return math.NaN()
	}
	sum := 0.0
	for _, v := range vs {
		if v <= 0 {
			return math.NaN()
		}
		sum += math.Log(v)
	}
	return math.Exp(sum / float64(len(vs)))
}

// printSplit prints a comparison table within width: whole when it fits,
// stacked (each row's label on its own line) when that fits, and else as
// several tables, each with the label, the base column and as many
// compared columns (value and change) as fit.
func printSplit(w io.Writer, rows [][]string, width int) {
	ncmp := (len(rows[0]) - 2) / 2
	pick := func(from, to int) [][]string {
		out := make([][]string, len(rows))
		for i, r := range rows {
			line := []string{r[0], cellAt(r, 1)}
			for j := from; j < to; j++ {
				line = append(line, cellAt(r, 2+2*j), cellAt(r, 3+2*j))
			}
			out[i] = line
		}
		return out
	}
	if ncmp <= 1 || stackedWidth(rows) <= width {
		fitTable(w, rows, width)
		return
	}
	for from := 0; from < ncmp; {
		to := from + 1
		for to < ncmp && stackedWidth(pick(from, to+1)) <= width {
			to++
		}
		if from > 0 {
			fmt.Fprintln(w)
		}
		fitTable(w, pick(from, to), width)
		from = to
	}
}

func cellAt(r []string, i int) string {
	if i < len(r) {
		return r[i]
	}
	return ""
}

// stackedWidth is the width of rows printed with the label on its own line.
func stackedWidth(rows [][]string) int {
	widths := map[int]int{}
	for _, r := range rows {
		for i, c := range r[1:] {
			widths[i] = max(widths[i], len([]rune(c)))
		}
	}
	total := 0
	for _, cw := range widths {
		total += cw + 2
	}
	return total
}

func superscript(i int) string {
	const digits = "⁰¹²³⁴⁵⁶⁷⁸⁹"
	d := []rune(digits)
	var out []rune
	for _, c := range fmt.Sprint(i) {
		out = append(out, d[c-'0'])
	}
	return string(out)
}
