package syntax

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Error is a positioned error in a query. Line and Col are 1-based; Col
// counts characters (runes). Error() renders
//
//	line 1, col 27: expected ")" or ",", got "|"
//	source | where f(a | b
//	                          ^
type Error struct {
	Pos  Pos
	Line int
	Col  int
	Msg  string
	Src  string // the source line holding Pos (no newline)
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "line %d, col %d: %s", e.Line, e.Col, e.Msg)
	if e.Src != "" || e.Col == 1 {
		b.WriteByte('\n')
		b.WriteString(e.Src)
		b.WriteByte('\n')
		// Keep tabs so the caret lines up.
		n := 0
		for _, r := range e.Src {
			if n >= e.Col-1 {
				break
			}
			if r == '\t' {
				b.WriteByte('\t')
			} else {
				b.WriteByte(' ')
			}
			n++
		}
		for ; n < e.Col-1; n++ {
			b.WriteByte(' ')
		}
		b.WriteByte('^')
	}
	return b.String()
}

// LineCol returns the 1-based line and rune column of pos in src.
func LineCol(src string, pos Pos) (line, col int) {
	p := int(pos)
	if p > len(src) {
		p = len(src)
	}
	if p < 0 {
		p = 0
	}
	line = 1 + strings.Count(src[:p], "\n")
	ls := strings.LastIndexByte(src[:p], '\n') + 1
	col = 1 + utf8.RuneCountInString(src[ls:p])
	return line, col
}

// ErrorAt builds an *Error for pos in src (used by later compiler stages
// so that every error renders the same way).
func ErrorAt(src string, pos Pos, msg string) *Error {
	return errAt(src, pos, msg)
}

// Errorf is ErrorAt with formatting.
func Errorf(src string, pos Pos, format string, args ...any) *Error {
	return errAt(src, pos, fmt.Sprintf(format, args...))
}

func errAt(src string, pos Pos, msg string) *Error {
	line, col := LineCol(src, pos)
	p := int(pos)
	if p > len(src) {
		p = len(src)
	}
	if p < 0 {
		p = 0
	}
	ls := strings.LastIndexByte(src[:p], '\n') + 1
	le := strings.IndexByte(src[p:], '\n')
	if le < 0 {
		le = len(src)
	} else {
		le += p
	}
	text := strings.TrimRight(src[ls:le], "\r")
	return &Error{Pos: pos, Line: line, Col: col, Msg: msg, Src: text}
}
