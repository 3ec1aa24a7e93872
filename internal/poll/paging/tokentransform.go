package paging

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"
)

// TokenTransform is SAP BTP's tokenTransform: {"TransformType":
// "SplitOnDelimiter", "SliceDelimiter": "=", "StringIndex": 1} turns a
// response header "handle=XYZ" into "XYZ". Only SplitOnDelimiter is known.
type TokenTransform struct {
	Type      string
	Delimiter string
	Index     int
}

func parseTokenTransform(v any) (*TokenTransform, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("paging.tokenTransform: want an object, got %T", v)
	}
	var errs []error
	t := &TokenTransform{}
	var err error
	t.Type, err = fieldString(m, "TransformType")
	errs = append(errs, err)
	t.Delimiter, err = fieldString(m, "SliceDelimiter")
	errs = append(errs, err)
	t.Index, err = fieldInt(m, "StringIndex")
	errs = append(errs, err)
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("paging.tokenTransform: %w", err)
	}
	return t, nil
}

func (t *TokenTransform) validate() error {
	if !strings.EqualFold(t.Type, "SplitOnDelimiter") {
		return fmt.Errorf("paging.tokenTransform.TransformType: %q is not supported (SplitOnDelimiter)", t.Type)
	}
	if t.Delimiter == "" {
		return errors.New("paging.tokenTransform.SliceDelimiter: required")
	}
	if t.Index < 0 {
		return errors.New("paging.tokenTransform.StringIndex: must be >= 0")
	}
	return nil
}

// apply splits like .NET String.Split (every occurrence) and picks Index.
func (t *TokenTransform) apply(tok string) (string, error) {
	parts := strings.Split(tok, t.Delimiter)
	if t.Index >= len(parts) {
		return "", fmt.Errorf("paging.tokenTransform: token has %d parts split on %q, StringIndex %d is out of range", len(parts), t.Delimiter, t.Index)
	}
	return strings.TrimSpace(parts[t.Index]), nil
}

// Condition is Slack's paging.condition: a JavaScript-like "check" over the
// response ("data.a && data.a.b") and an optional "nextCursorProcessing"
// ("data.a.b.replace(/=$/, '%3D')"). We accept exactly that shape: member
// paths from "data" joined by && / ||, and a member path followed by
// .replace(/regex/flags, 'literal') calls. Anything else is a config error.
//
// The Runner URL-encodes query values itself, so percent escapes in a
// replacement literal are decoded first ('%3D' becomes '='): the value on
// the wire is then the one Slack expects, not double-encoded.
type Condition struct {
	Check      string
	Processing string

	check []condTerm
	path  []string
	repls []condReplace
}

type condTerm struct {
	path []string
	or   bool // joined to the previous term by ||
}

type condReplace struct {
	re   *regexp.Regexp
	with string
	all  bool
}

func parseCondition(v any) (*Condition, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("paging.condition: want an object, got %T", v)
	}
	c := &Condition{}
	var err1, err2 error
	c.Check, err1 = fieldString(m, "check")
	c.Processing, err2 = fieldString(m, "nextCursorProcessing")
	if err := errors.Join(err1, err2); err != nil {
		return nil, fmt.Errorf("paging.condition: %w", err)
	}
	return c, nil
}

var (
	memberRe  = regexp.MustCompile(`^data(\.[A-Za-z_$][A-Za-z0-9_$]*)*$`)
	replaceRe = regexp.MustCompile(`^\.replace\(\s*/((?:[^/\\]|\\.)+)/([gi]*)\s*,\s*(?:'([^']*)'|"([^"]*)")\s*\)`)
)

func memberPath(s string) ([]string, bool) {
	s = strings.TrimSpace(s)
	if !memberRe.MatchString(s) {
		return nil, false
	}
	return strings.Split(s, ".")[1:], true
}

func (c *Condition) compile() error {
	c.check, c.path, c.repls = nil, nil, nil
	if strings.TrimSpace(c.Check) != "" {
		// Split on && and ||, remembering the operator.
		rest := c.Check
		or := false
		for {
			i, op := len(rest), ""
			if j := strings.Index(rest, "&&"); j >= 0 && j < i {
				i, op = j, "&&"
			}
			if j := strings.Index(rest, "||"); j >= 0 && j < i {
				i, op = j, "||"
			}
			p, ok := memberPath(rest[:i])
			if !ok {
				return fmt.Errorf("paging.condition.check: %q is not a member path from data (only a.b && c.d || … is supported)", strings.TrimSpace(rest[:i]))
			}
			c.check = append(c.check, condTerm{path: p, or: or})
			if op == "" {
				break
			}
			or = op == "||"
			rest = rest[i+2:]
		}
	}
	if s := strings.TrimSpace(c.Processing); s != "" {
		i := strings.Index(s, ".replace(")
		if i < 0 {
			i = len(s)
		}
		p, ok := memberPath(s[:i])
		if !ok || len(p) == 0 {
			return fmt.Errorf("paging.condition.nextCursorProcessing: %q is not a member path from data", s[:i])
		}
		c.path = p
		rest := s[i:]
		for rest != "" {
			m := replaceRe.FindStringSubmatch(rest)
			if m == nil {
				return fmt.Errorf("paging.condition.nextCursorProcessing: cannot read %q (only .replace(/re/, 'text') is supported)", rest)
			}
			pat := m[1]
			if strings.Contains(m[2], "i") {
				pat = "(?i)" + pat
			}
			re, err := regexp.Compile(pat)
			if err != nil {
				return fmt.Errorf("paging.condition.nextCursorProcessing: regex /%s/: %w", m[1], err)
			}
			with := m[3] + m[4]
			if dec, err := url.PathUnescape(with); err == nil {
				with = dec
			}
			c.repls = append(c.repls, condReplace{re: re, with: strings.ReplaceAll(with, "$", "$$"), all: strings.Contains(m[2], "g")})
			rest = strings.TrimSpace(rest[len(m[0]):])
		}
	}
	if len(c.check) == 0 && c.path == nil {
		return errors.New("paging.condition: needs check or nextCursorProcessing")
	}
	return nil
}

func member(body any, path []string) (any, bool) {
	cur := body
	for _, k := range path {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = m[k]; !ok {
			return nil, false
		}
	}
	return cur, true
}

// eval returns the next token, or "" when check is false.
func (c *Condition) eval(body any) (string, error) {
	if len(c.check) > 0 {
		res := false
		for i, t := range c.check {
			v := truthy(member(body, t.path))
			switch {
			case i == 0:
				res = v
			case t.or:
				res = res || v
			default:
				res = res && v
			}
		}
		if !res {
			return "", nil
		}
	}
	path := c.path
	if path == nil {
		path = c.check[len(c.check)-1].path
	}
	tok := tokenString(member(body, path))
	for _, r := range c.repls {
		if r.all {
			tok = r.re.ReplaceAllString(tok, r.with)
			continue
		}
		if loc := r.re.FindStringIndex(tok); loc != nil {
			tok = tok[:loc[0]] + r.re.ReplaceAllString(tok[loc[0]:loc[1]], r.with) + tok[loc[1]:]
		}
	}
	return tok, nil
}
