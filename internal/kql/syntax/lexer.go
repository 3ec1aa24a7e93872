package syntax

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// TokKind classifies tokens.
type TokKind int

// Token kinds.
const (
	TokEOF      TokKind = iota
	TokIdent            // name or keyword; also "!has", "in~", "!in~" forms
	TokLong             // 123
	TokReal             // 1.5, 1e3
	TokTimespan         // 1h, 1.5d, 100ms
	TokString           // '..' ".." @'..' h'..' ```..```
	TokPunct            // operators and punctuation
	TokRaw              // "(...)" after datetime/time/timespan/guid/dynamic; Val is the inner text
)

func (k TokKind) String() string {
	switch k {
	case TokEOF:
		return "end of query"
	case TokIdent:
		return "name"
	case TokLong, TokReal:
		return "number"
	case TokTimespan:
		return "timespan"
	case TokString:
		return "string"
	}
	return "operator"
}

// Token is one lexical token. Text is the source text; for strings Val holds
// the decoded value.
type Token struct {
	Kind TokKind
	Pos  Pos // byte offset of the first character
	End  Pos // byte offset after the last character
	Text string
	Val  string
}

func (t Token) describe() string {
	if t.Kind == TokEOF {
		return "end of query"
	}
	return strconv.Quote(t.Text)
}

// puncts lists multi-character punctuation first (longest match wins).
var puncts = []string{"..", "==", "!=", "<>", "<=", ">=", "=~", "!~", "=>",
	"|", "(", ")", "[", "]", "{", "}", ",", ".", "=", "<", ">", "+", "-", "*", "/", "%", ";", ":", "~", "!", "?", "@"}

// lex splits src into tokens. It stops at the first error.
func lex(src string) ([]Token, *Error) {
	var toks []Token
	i := 0
	for {
		// Skip whitespace and comments.
		for i < len(src) {
			c := src[i]
			if c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v' {
				i++
				continue
			}
			if c == '/' && i+1 < len(src) && src[i+1] == '/' {
				for i < len(src) && src[i] != '\n' {
					i++
				}
				continue
			}
			if c >= 0x80 {
				r, n := utf8.DecodeRuneInString(src[i:])
				if r == '\u00a0' || r == '\ufeff' || r == '\u200b' {
					i += n
					continue
				}
			}
			break
		}
		if i >= len(src) {
			toks = append(toks, Token{Kind: TokEOF, Pos: Pos(i), End: Pos(i)})
			return toks, nil
		}
		start := i
		c := src[i]
		switch {
		case c == '\'' || c == '"':
			val, n, err := lexQuoted(src, i)
			if err != nil {
				return nil, err
			}
			i += n
			toks = append(toks, Token{Kind: TokString, Pos: Pos(start), End: Pos(i), Text: src[start:i], Val: val})
		case c == '`' && strings.HasPrefix(src[i:], "```"):
			end := strings.Index(src[i+3:], "```")
			if end < 0 {
				return nil, errAt(src, Pos(i), "unterminated ``` string")
			}
			val := src[i+3 : i+3+end]
			i += 3 + end + 3
			toks = append(toks, Token{Kind: TokString, Pos: Pos(start), End: Pos(i), Text: src[start:i], Val: val})
		case (c == '@' || c == 'h' || c == 'H') && i+1 < len(src) && (src[i+1] == '\'' || src[i+1] == '"'):
			verbatim := c == '@'
			var val string
			var n int
			var err *Error
			if verbatim {
				val, n, err = lexVerbatim(src, i+1)
			} else {
				val, n, err = lexQuoted(src, i+1)
			}
			if err != nil {
				return nil, err
			}
			i += 1 + n
			toks = append(toks, Token{Kind: TokString, Pos: Pos(start), End: Pos(i), Text: src[start:i], Val: val})
		case (c == 'h' || c == 'H') && i+2 < len(src) && src[i+1] == '@' && (src[i+2] == '\'' || src[i+2] == '"'):
			val, n, err := lexVerbatim(src, i+2)
			if err != nil {
				return nil, err
			}
			i += 2 + n
			toks = append(toks, Token{Kind: TokString, Pos: Pos(start), End: Pos(i), Text: src[start:i], Val: val})
		case isDigit(c):
			tok, err := lexNumber(src, i)
			if err != nil {
				return nil, err
			}
			i = int(tok.End)
			toks = append(toks, tok)
		case isIdentStart(c):
			for i < len(src) && isIdentPart(src[i]) {
				i++
			}
			text := src[start:i]
			// Literal forms whose content is not KQL tokens: datetime(...),
			// time(...), guid(...), dynamic(...) are captured raw.
			if rawLiteralKeyword(text) {
				j := i
				for j < len(src) && (src[j] == ' ' || src[j] == '\t') {
					j++
				}
				if j < len(src) && src[j] == '(' {
					end, err := rawParenEnd(src, j, text == "dynamic")
					if err != nil {
						return nil, err
					}
					toks = append(toks, Token{Kind: TokIdent, Pos: Pos(start), End: Pos(i), Text: text},
						Token{Kind: TokRaw, Pos: Pos(j), End: Pos(end), Text: src[j:end], Val: src[j+1 : end-1]})
					i = end
					continue
				}
			}
			// in~
			if strings.EqualFold(text, "in") && i < len(src) && src[i] == '~' {
				i++
				text = src[start:i]
			}
			toks = append(toks, Token{Kind: TokIdent, Pos: Pos(start), End: Pos(i), Text: text})
		case c == '!' && i+1 < len(src) && isIdentStart(src[i+1]):
			i++
			for i < len(src) && isIdentPart(src[i]) {
				i++
			}
			if strings.EqualFold(src[start+1:i], "in") && i < len(src) && src[i] == '~' {
				i++
			}
			toks = append(toks, Token{Kind: TokIdent, Pos: Pos(start), End: Pos(i), Text: src[start:i]})
		default:
			matched := ""
			for _, p := range puncts {
				if strings.HasPrefix(src[i:], p) {
					matched = p
					break
				}
			}
			if matched == "" {
				r, _ := utf8.DecodeRuneInString(src[i:])
				return nil, errAt(src, Pos(i), "unexpected character "+strconv.QuoteRune(r))
			}
			i += len(matched)
			toks = append(toks, Token{Kind: TokPunct, Pos: Pos(start), End: Pos(i), Text: matched})
		}
	}
}

func isDigit(c byte) bool      { return c >= '0' && c <= '9' }
func isIdentStart(c byte) bool { return c == '_' || c == '$' || (c|0x20) >= 'a' && (c|0x20) <= 'z' }
func isIdentPart(c byte) bool  { return isIdentStart(c) || isDigit(c) }

// lexQuoted reads a '..' or ".." string with backslash escapes starting at
// src[i] (the quote); it returns the decoded value and the length consumed.
func lexQuoted(src string, i int) (string, int, *Error) {
	q := src[i]
	var b strings.Builder
	j := i + 1
	for j < len(src) {
		c := src[j]
		switch {
		case c == q:
			return b.String(), j + 1 - i, nil
		case c == '\n':
			return "", 0, errAt(src, Pos(i), "unterminated string literal")
		case c == '\\':
			if j+1 >= len(src) {
				return "", 0, errAt(src, Pos(i), "unterminated string literal")
			}
			e := src[j+1]
			j += 2
			switch e {
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			case 'r':
				b.WriteByte('\r')
			case '0':
				b.WriteByte(0)
			case '\\', '\'', '"', '/':
				b.WriteByte(e)
			case '\n':
				// line continuation
			case 'u':
				if j+4 <= len(src) {
					if n, err := strconv.ParseUint(src[j:j+4], 16, 32); err == nil {
						b.WriteRune(rune(n))
						j += 4
						continue
					}
				}
				return "", 0, errAt(src, Pos(j-2), `invalid \u escape`)
			default:
				return "", 0, errAt(src, Pos(j-2), "invalid escape sequence \\"+string(e))
			}
		default:
			b.WriteByte(c)
			j++
		}
	}
	return "", 0, errAt(src, Pos(i), "unterminated string literal")
}

// lexVerbatim reads @'..' (quote doubled to escape) starting at the quote.
func lexVerbatim(src string, i int) (string, int, *Error) {
	q := src[i]
	var b strings.Builder
	j := i + 1
	for j < len(src) {
		c := src[j]
		if c == q {
			if j+1 < len(src) && src[j+1] == q {
				b.WriteByte(q)
				j += 2
				continue
			}
			return b.String(), j + 1 - i, nil
		}
		if c == '\n' {
			break
		}
		b.WriteByte(c)
		j++
	}
	return "", 0, errAt(src, Pos(i), "unterminated string literal")
}

// lexNumber reads 123, 1.5, 1e-3, 0x1F, and number+unit timespans (1h, 1.5d, 100ms).
func lexNumber(src string, i int) (Token, *Error) {
	start := i
	kind := TokLong
	if src[i] == '0' && i+1 < len(src) && (src[i+1] == 'x' || src[i+1] == 'X') {
		i += 2
		for i < len(src) && strings.IndexByte("0123456789abcdefABCDEF", src[i]) >= 0 {
			i++
		}
		return Token{Kind: TokLong, Pos: Pos(start), End: Pos(i), Text: src[start:i]}, nil
	}
	for i < len(src) && isDigit(src[i]) {
		i++
	}
	if i+1 < len(src) && src[i] == '.' && isDigit(src[i+1]) {
		kind = TokReal
		i++
		for i < len(src) && isDigit(src[i]) {
			i++
		}
	} else if i < len(src) && src[i] == '.' && (i+1 >= len(src) || src[i+1] != '.') && (i+1 >= len(src) || !isIdentStart(src[i+1])) {
		// "1." is a real
		kind = TokReal
		i++
	}
	if i < len(src) && (src[i] == 'e' || src[i] == 'E') {
		j := i + 1
		if j < len(src) && (src[j] == '+' || src[j] == '-') {
			j++
		}
		if j < len(src) && isDigit(src[j]) {
			for j < len(src) && isDigit(src[j]) {
				j++
			}
			kind = TokReal
			i = j
		}
	}
	if i < len(src) && isIdentStart(src[i]) {
		j := i
		for j < len(src) && isIdentPart(src[j]) {
			j++
		}
		unit := src[i:j]
		if _, ok := timespanUnit(unit); ok {
			return Token{Kind: TokTimespan, Pos: Pos(start), End: Pos(j), Text: src[start:j]}, nil
		}
		return Token{}, errAt(src, Pos(i), "unknown timespan unit "+strconv.Quote(unit)+" (want d, h, m, s, ms, microsecond or tick)")
	}
	return Token{Kind: kind, Pos: Pos(start), End: Pos(i), Text: src[start:i]}, nil
}

func rawLiteralKeyword(s string) bool {
	switch s {
	case "datetime", "date", "time", "timespan", "guid", "dynamic":
		return true
	}
	return false
}

// rawParenEnd finds the ')' matching the '(' at src[i] and returns the offset
// after it. For dynamic literals it tracks nesting and skips strings.
func rawParenEnd(src string, i int, nested bool) (int, *Error) {
	depth := 0
	for j := i; j < len(src); j++ {
		c := src[j]
		switch {
		case nested && (c == '\'' || c == '"'):
			q := c
			j++
			for j < len(src) && src[j] != q {
				if src[j] == '\\' {
					j++
				}
				j++
			}
			if j >= len(src) {
				return 0, errAt(src, Pos(i), "unterminated string in dynamic literal")
			}
		case c == '(' || nested && (c == '[' || c == '{'):
			depth++
		case c == ')' || nested && (c == ']' || c == '}'):
			depth--
			if depth == 0 {
				if c != ')' {
					return 0, errAt(src, Pos(j), "unbalanced brackets in literal")
				}
				return j + 1, nil
			}
		case c == '\n' && !nested:
			return 0, errAt(src, Pos(i), "unterminated literal: missing \")\"")
		}
	}
	return 0, errAt(src, Pos(i), "unterminated literal: missing \")\"")
}
