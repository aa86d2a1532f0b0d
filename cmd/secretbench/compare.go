package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"golang.org/x/perf/benchfmt"
	"golang.org/x/perf/benchmath"
	"golang.org/x/perf/benchproc"
	"golang.org/x/perf/benchunit"
)

// compare prints a benchstat comparison of result files: one table per
// configuration and unit, a row per benchmark, per file the median with the
// range of its 95% confidence interval, and for each file after the first
// the change against the first with the p-value of the Mann-Whitney U test
// ("~" when not significant). Grouping is benchproc's, statistics are
// benchmath's AssumeNothing, as in benchstat; "-col /impl" style
// projections are accepted with -col.
func compare(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("secretbench compare", flag.ContinueOnError)
	fs.SetOutput(stderr)
	col := fs.String("col", ".file", "split columns by `projection` (benchstat syntax, e.g. /impl)")
	row := fs.String("row", ".fullname", "split rows by `projection`")
	filterQ := fs.String("filter", "*", "use only benchmarks matching benchfilter `query`")
	confidence := fs.Float64("confidence", 0.95, "confidence `level` of the ranges")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: secretbench compare [flags] old.txt new.txt...")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if fs.NArg() == 0 || *col == ".file" && fs.NArg() < 2 {
		fs.Usage()
		return errors.New("compare needs two result files (or one with -col)")
	}
	if *confidence <= 0 || *confidence >= 1 {
		return errors.New("-confidence must be in (0, 1)")
	}
	filter, err := benchproc.NewFilter(*filterQ)
	if err != nil {
		return fmt.Errorf("-filter: %v", err)
	}
	var parser benchproc.ProjectionParser
	tableBy, unitField, err := parser.ParseWithUnit(".config", filter)
	if err != nil {
		return err
	}
	rowBy, err := parser.Parse(*row, filter)
	if err != nil {
		return fmt.Errorf("-row: %v", err)
	}
	colBy, err := parser.Parse(*col, filter)
	if err != nil {
		return fmt.Errorf("-col: %v", err)
	}

	type cell = []float64
	tables := map[benchproc.Key]map[benchproc.Key]map[benchproc.Key]cell{}
	var tableKeys, rowKeys, colKeys []benchproc.Key
	seenRow, seenCol := map[benchproc.Key]bool{}, map[benchproc.Key]bool{}
	files := benchfmt.Files{Paths: fs.Args(), AllowLabels: true}
	for files.Scan() {
		switch rec := files.Result().(type) {
		case *benchfmt.SyntaxError:
			fmt.Fprintln(stderr, rec)
		case *benchfmt.Result:
			if ok, _ := filter.Apply(rec); !ok {
				continue
			}
			r, c := rowBy.Project(rec), colBy.Project(rec)
			if !seenRow[r] {
				seenRow[r] = true
				rowKeys = append(rowKeys, r)
			}
			if !seenCol[c] {
				seenCol[c] = true
				colKeys = append(colKeys, c)
			}
			for i, t := range tableBy.ProjectValues(rec) {
				if tables[t] == nil {
					tables[t] = map[benchproc.Key]map[benchproc.Key]cell{}
					tableKeys = append(tableKeys, t)
				}
				if tables[t][r] == nil {
					tables[t][r] = map[benchproc.Key]cell{}
				}
				tables[t][r][c] = append(tables[t][r][c], rec.Values[i].Value)
			}
		}
	}
	if err := files.Err(); err != nil {
		return err
	}
	if len(tableKeys) == 0 {
		return errors.New("no benchmark results in the input")
	}
	benchproc.SortKeys(tableKeys)
	benchproc.SortKeys(colKeys)

	thresholds := benchmath.DefaultThresholds
	assume := benchmath.AssumeNothing
	for ti, t := range tableKeys {
		if ti > 0 {
			fmt.Fprintln(stdout)
		}
		unit := t.Get(unitField)
		fmt.Fprintln(stdout, t.String())
		// One scale per table so that the column reads uniformly.
		var all []float64
		for _, r := range rowKeys {
			for _, c := range colKeys {
				all = append(all, tables[t][r][c]...)
			}
		}
		scale := benchunit.CommonScale(all, benchunit.ClassOf(unit))
		tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
		head := []string{unit}
		for i, c := range colKeys {
			head = append(head, c.StringValues(), "")
			if i > 0 {
				head = append(head, "vs "+colKeys[0].StringValues())
			}
		}
		fmt.Fprintln(tw, strings.Join(head, "\t")+"\t")
		for _, r := range rowKeys {
			cells := tables[t][r]
			if cells == nil {
				continue
			}
			line := []string{r.StringValues()}
			var base *benchmath.Sample
			var baseSum benchmath.Summary
			for i, c := range colKeys {
				vals := cells[c]
				if len(vals) == 0 {
					line = append(line, "-", "")
					if i > 0 {
						line = append(line, "")
					}
					continue
				}
				s := benchmath.NewSample(vals, &thresholds)
				sum := assume.Summary(s, *confidence)
				line = append(line, scale.Format(sum.Center), "± "+sum.PctRangeString())
				switch {
				case i == 0:
					base, baseSum = s, sum
				case base == nil:
					line = append(line, "")
				default:
					cmp := assume.Compare(base, s)
					line = append(line, fmt.Sprintf("%s (%s)", cmp.FormatDelta(baseSum.Center, sum.Center), cmp))
				}
			}
			fmt.Fprintln(tw, strings.Join(line, "\t")+"\t")
		}
		tw.Flush()
	}
	return nil
}
