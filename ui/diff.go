package ui

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/weftworks/weft"
)

// A version's diff against the one before it: both blueprints indented the same way
// (so a re-indented export does not show as a change), compared line by line, shown
// as hunks with three lines of context, like `diff -u`.

// diffLine is one line of a diff: Op is ' ', '-' or '+'.
type diffLine struct {
	Op       byte
	Text     string
	Old, New int // line numbers (0: none)
}

// diffHunk is a run of changes with its context.
type diffHunk struct {
	Lines []diffLine
}

// maxDiffCells bounds the table the line diff fills after the common head and tail
// are cut off: beyond it the changed middle is shown as removed then added (still
// exact, only less minimal). 4 M cells is ~16 MB of int32.
const maxDiffCells = 4 << 20

// lineDiff compares a and b line by line (longest common subsequence of the part
// between their common head and tail).
func lineDiff(a, b []string) []diffLine {
	pre := 0
	for pre < len(a) && pre < len(b) && a[pre] == b[pre] {
		pre++
	}
	suf := 0
	for suf < len(a)-pre && suf < len(b)-pre && a[len(a)-1-suf] == b[len(b)-1-suf] {
		suf++
	}
	var out []diffLine
	for i := 0; i < pre; i++ {
		out = append(out, diffLine{Op: ' ', Text: a[i], Old: i + 1, New: i + 1})
	}
	am, bm := a[pre:len(a)-suf], b[pre:len(b)-suf]
	n, m := len(am), len(bm)
	if n*m > maxDiffCells {
		for i, l := range am {
			out = append(out, diffLine{Op: '-', Text: l, Old: pre + i + 1})
		}
		for j, l := range bm {
			out = append(out, diffLine{Op: '+', Text: l, New: pre + j + 1})
		}
	} else {
		// lcs[i][j]: the longest common subsequence of am[i:] and bm[j:].
		lcs := make([]int32, (n+1)*(m+1))
		at := func(i, j int) int32 { return lcs[i*(m+1)+j] }
		for i := n - 1; i >= 0; i-- {
			for j := m - 1; j >= 0; j-- {
				switch {
				case am[i] == bm[j]:
					lcs[i*(m+1)+j] = at(i+1, j+1) + 1
				case at(i+1, j) >= at(i, j+1):
					lcs[i*(m+1)+j] = at(i+1, j)
				default:
					lcs[i*(m+1)+j] = at(i, j+1)
				}
			}
		}
		i, j := 0, 0
		for i < n || j < m {
			switch {
			case i < n && j < m && am[i] == bm[j]:
				out = append(out, diffLine{Op: ' ', Text: am[i], Old: pre + i + 1, New: pre + j + 1})
				i++
				j++
			case j < m && (i == n || at(i, j+1) > at(i+1, j)):
				out = append(out, diffLine{Op: '+', Text: bm[j], New: pre + j + 1})
				j++
			default:
				out = append(out, diffLine{Op: '-', Text: am[i], Old: pre + i + 1})
				i++
			}
		}
	}
	for k := 0; k < suf; k++ {
		out = append(out, diffLine{Op: ' ', Text: a[len(a)-suf+k], Old: len(a) - suf + k + 1, New: len(b) - suf + k + 1})
	}
	return out
}

// hunks keeps the changed lines with context lines around them.
func hunks(lines []diffLine, context int) []diffHunk {
	var out []diffHunk
	var cur *diffHunk
	last := -1 // index of the last line put in a hunk
	for i, l := range lines {
		if l.Op == ' ' {
			continue
		}
		from := max(i-context, last+1)
		if cur == nil || from > last+1 {
			out = append(out, diffHunk{})
			cur = &out[len(out)-1]
		}
		for k := from; k <= i; k++ {
			cur.Lines = append(cur.Lines, lines[k])
		}
		last = i
		// Context after: up to the next change or context lines.
		for k := i + 1; k < len(lines) && k <= i+context && lines[k].Op == ' '; k++ {
			cur.Lines = append(cur.Lines, lines[k])
			last = k
		}
	}
	return out
}

// blueprintLines indents a blueprint the same way whatever its stored formatting.
func blueprintLines(raw []byte) []string {
	var out bytes.Buffer
	if err := json.Indent(&out, bytes.TrimSpace(raw), "", "  "); err != nil {
		out.Reset()
		out.Write(raw)
	}
	return strings.Split(out.String(), "\n")
}

type diffData struct {
	pageBase
	Scenario *weft.Scenario
	Version  int
	Prev     int
	Hunks    []diffHunk
	Added    int
	Removed  int
}

func (u *UI) versionDiff(w http.ResponseWriter, r *http.Request, s *session) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	n, err := versionOf(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	sc, err := u.st.GetScenario(ctx, id)
	if err != nil {
		return err
	}
	v, err := u.st.GetVersion(ctx, id, n)
	if err != nil {
		return err
	}
	d := &diffData{pageBase: u.base(s, fmt.Sprintf("%s: version %d", sc.Name, n), "scenarios"), Scenario: sc, Version: n}
	var before []string
	if n > 1 {
		prev, err := u.st.GetVersion(ctx, id, n-1)
		if err != nil {
			return err
		}
		d.Prev = n - 1
		before = blueprintLines(prev.Blueprint)
	}
	lines := lineDiff(before, blueprintLines(v.Blueprint))
	for _, l := range lines {
		switch l.Op {
		case '+':
			d.Added++
		case '-':
			d.Removed++
		}
	}
	d.Hunks = hunks(lines, 3)
	u.render(w, r, http.StatusOK, "diff", d)
	return nil
}
