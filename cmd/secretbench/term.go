package main

import (
	"io"
	"math"
	"os"
	"strings"
	"unicode/utf8"

	"golang.org/x/term"
)

// plainWidth is the width text is wrapped to when the output is not a
// terminal (a file, a pipe, a test), the narrowest terminal we design for.
const plainWidth = 80

// terminalWidth returns w's width in columns when it is a terminal.
func terminalWidth(w io.Writer) (int, bool) {
	f, ok := w.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return 0, false
	}
	cols, _, err := term.GetSize(int(f.Fd()))
	if err != nil || cols <= 0 {
		return 0, false
	}
	return cols, true
}

// termWidth is the width to fit text written to w: the terminal's, or
// plainWidth.
func termWidth(w io.Writer) int {
	if cols, ok := terminalWidth(w); ok {
		return cols
	}
	return plainWidth
}

// tableWidth is the width tables are fitted to: the terminal's, or no
// limit for files and pipes, where one line per row reads (and greps)
// better.
func tableWidth(w io.Writer) int {
	if cols, ok := terminalWidth(w); ok {
		return cols
	}
	return math.MaxInt
}

// wrap breaks s at spaces into lines of at most width columns; lines after
// the first start with indent. A word longer than a line stays whole.
func wrap(s string, width int, indent string) string {
	var lines []string
	line := ""
	for _, word := range strings.Fields(s) {
		switch {
		case line == "":
			line = word
			if len(lines) > 0 {
				line = indent + word
			}
		case utf8.RuneCountInString(line)+1+utf8.RuneCountInString(word) <= width:
			line += " " + word
		default:
			lines = append(lines, line)
			line = indent + word
		}
	}
	if line != "" {
		lines = append(lines, line)
	}
	return strings.Join(lines, "\n")
}

// truncate cuts s to at most width columns.
func truncate(s string, width int) string {
	if utf8.RuneCountInString(s) <= width {
		return s
	}
	r := []rune(s)
	if width < 1 {
		return ""
	}
	return string(r[:width-1]) + "…"
}

// fitTable prints rows of cells (the first row the header) aligned in
// columns, the first column left-aligned and the rest right-aligned. When
// the table is wider than width, each row's first cell goes on a line of
// its own with the other cells indented below it, so that nothing wraps.
func fitTable(w io.Writer, rows [][]string, width int) {
	if len(rows) == 0 {
		return
	}
	ncol := 0
	for _, r := range rows {
		ncol = max(ncol, len(r))
	}
	widths := make([]int, ncol)
	for _, r := range rows {
		for i, c := range r {
			widths[i] = max(widths[i], utf8.RuneCountInString(c))
		}
	}
	const gap = 2
	total := 0
	for _, cw := range widths {
		total += cw + gap
	}
	stacked := total-gap > width
	pad := func(s string, n int, left bool) string {
		fill := strings.Repeat(" ", max(0, n-utf8.RuneCountInString(s)))
		if left {
			return s + fill
		}
		return fill + s
	}
	var sb strings.Builder
	for _, r := range rows {
		sb.Reset()
		start := 0
		if stacked {
			if r[0] != "" {
				sb.WriteString(r[0])
				sb.WriteString("\n")
			}
			sb.WriteString("  ")
			start = 1
		}
		for i := start; i < ncol; i++ {
			c := ""
			if i < len(r) {
				c = r[i]
			}
			if i > start {
				sb.WriteString(strings.Repeat(" ", gap))
			}
			sb.WriteString(pad(c, widths[i], i == 0))
		}
		io.WriteString(w, strings.TrimRight(sb.String(), " ")+"\n")
	}
}
