package decode

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/codeless/codeless/internal/resource"
)

// csvOptions are the CSV response options (reference §2.5).
type csvOptions struct {
	delim    rune
	quote    rune
	header   bool
	boundary bool
}

func newCSVOptions(r resource.Response) (csvOptions, error) {
	c := csvOptions{delim: ',', quote: '"', header: true, boundary: r.HasCSVBoundary}
	if r.HasCSVHeader != nil {
		c.header = *r.HasCSVHeader
	}
	var errs []error
	if r.CSVDelimiter != "" {
		d, err := oneChar(r.CSVDelimiter)
		if err != nil {
			errs = append(errs, fmt.Errorf("response.csvDelimiter: %w", err))
		}
		c.delim = d
	}
	if r.CSVEscape != "" {
		q, err := oneChar(r.CSVEscape)
		if err != nil {
			errs = append(errs, fmt.Errorf("response.csvEscape: %w", err))
		}
		c.quote = q
	}
	if c.delim == c.quote && len(errs) == 0 {
		errs = append(errs, fmt.Errorf("response.csvEscape: %q is also the delimiter", c.quote))
	}
	if c.delim == '\n' || c.delim == '\r' || c.quote == '\n' || c.quote == '\r' {
		errs = append(errs, errors.New("response.csvDelimiter/csvEscape: a line break cannot be a delimiter or quote"))
	}
	return c, errors.Join(errs...)
}

// oneChar accepts exactly one character, or the escapes \t, "tab".
func oneChar(s string) (rune, error) {
	switch s {
	case `\t`, "tab", "TAB", "Tab":
		return '\t', nil
	}
	if utf8.RuneCountInString(s) != 1 {
		return 0, fmt.Errorf("%q: want exactly one character", s)
	}
	r, _ := utf8.DecodeRuneInString(s)
	return r, nil
}

// parse reads all records. With a header, each row is an object keyed by
// the header's names; without one, keys are "Column1", "Column2", … Values
// are strings. A row with a different number of fields than the header is
// an ErrSyntax naming its line. With hasCsvBoundary the body is MIME
// multipart (boundary from Content-Type, or the body's first "--" line) and
// each part is one CSV with its own header.
func (c csvOptions) parse(r io.Reader, header http.Header) ([]any, error) {
	if !c.boundary {
		return c.parseOne(bufio.NewReaderSize(r, 64<<10), nil)
	}
	br := bufio.NewReaderSize(r, 64<<10)
	boundary := ""
	if _, params, err := mime.ParseMediaType(header.Get("Content-Type")); err == nil {
		boundary = params["boundary"]
	}
	if boundary == "" {
		first, err := br.Peek(1024)
		if err != nil && err != io.EOF && !errors.Is(err, bufio.ErrBufferFull) {
			return nil, err
		}
		line, _, _ := bytes.Cut(first, []byte("\n"))
		line = bytes.TrimRight(line, "\r")
		if !bytes.HasPrefix(line, []byte("--")) {
			if len(bytes.TrimSpace(first)) == 0 {
				return nil, nil
			}
			return nil, fmt.Errorf("%w: hasCsvBoundary: no boundary in Content-Type and the body does not start with a \"--boundary\" line", ErrSyntax)
		}
		boundary = string(line[2:])
	}
	mr := multipart.NewReader(br, boundary)
	var rows []any
	for i := 1; ; i++ {
		part, err := mr.NextPart()
		if err == io.EOF {
			return rows, nil
		}
		if err != nil {
			if errors.Is(err, ErrDecompress) {
				return nil, err
			}
			return nil, fmt.Errorf("%w: CSV boundary part %d: %w", ErrSyntax, i, err)
		}
		rows, err = c.parseOne(bufio.NewReader(part), rows)
		if err != nil {
			return nil, fmt.Errorf("CSV boundary part %d: %w", i, err)
		}
	}
}

func (c csvOptions) parseOne(br *bufio.Reader, rows []any) ([]any, error) {
	cr := &csvReader{r: br, delim: c.delim, quote: c.quote, line: 1}
	var names []string
	if c.header {
		rec, err := cr.record()
		if err == io.EOF {
			return rows, nil
		}
		if err != nil {
			return nil, err
		}
		seen := map[string]bool{}
		for i, n := range rec {
			if i == 0 {
				n = strings.TrimPrefix(n, "\ufeff")
			}
			if seen[n] {
				return nil, fmt.Errorf("%w: CSV header: column %q appears twice", ErrSyntax, n)
			}
			seen[n] = true
			names = append(names, n)
		}
	}
	for {
		line := cr.line
		rec, err := cr.record()
		if err == io.EOF {
			return rows, nil
		}
		if err != nil {
			return nil, err
		}
		if names != nil && len(rec) != len(names) {
			return nil, fmt.Errorf("%w: CSV line %d: %d fields, the header has %d", ErrSyntax, line, len(rec), len(names))
		}
		row := make(map[string]any, len(rec))
		for i, v := range rec {
			if names != nil {
				row[names[i]] = v
			} else {
				row["Column"+strconv.Itoa(i+1)] = v
			}
		}
		rows = append(rows, row)
	}
}

// csvReader reads RFC 4180 records with a configurable delimiter and quote:
// quoted fields may hold delimiters, line breaks and doubled quotes; a quote
// inside an unquoted field is literal; records end at LF or CRLF; empty
// lines are skipped.
type csvReader struct {
	r     *bufio.Reader
	delim rune
	quote rune
	line  int
	buf   strings.Builder
}

// record returns the next record, io.EOF at the end.
func (c *csvReader) record() ([]string, error) {
	for {
		rec, blank, err := c.read()
		if err != nil {
			return nil, err
		}
		if !blank {
			return rec, nil
		}
	}
}

func (c *csvReader) read() (rec []string, blank bool, err error) {
	start := c.line
	ch, _, err := c.r.ReadRune()
	if err == io.EOF {
		return nil, false, io.EOF
	}
	if err != nil {
		return nil, false, err
	}
	if ch == '\n' {
		c.line++
		return nil, true, nil
	}
	if ch == '\r' {
		if n, _, err := c.r.ReadRune(); err == nil && n != '\n' {
			_ = c.r.UnreadRune()
		}
		c.line++
		return nil, true, nil
	}
	_ = c.r.UnreadRune()
	for {
		c.buf.Reset()
		ch, _, err := c.r.ReadRune()
		if err != nil && err != io.EOF {
			return nil, false, err
		}
		if err == nil && ch == c.quote {
			// Quoted field.
			for {
				ch, _, err := c.r.ReadRune()
				if err == io.EOF {
					return nil, false, fmt.Errorf("%w: CSV line %d: quoted field not closed before the end of the body", ErrSyntax, start)
				}
				if err != nil {
					return nil, false, err
				}
				if ch == c.quote {
					n, _, err := c.r.ReadRune()
					if err == nil && n == c.quote {
						c.buf.WriteRune(c.quote)
						continue
					}
					if err == nil {
						_ = c.r.UnreadRune()
					} else if err != io.EOF {
						return nil, false, err
					}
					break
				}
				if ch == '\n' {
					c.line++
				}
				c.buf.WriteRune(ch)
			}
			// After the closing quote: delimiter, line end or EOF.
			ch, _, err = c.r.ReadRune()
			rec = append(rec, c.buf.String())
			switch {
			case err == io.EOF:
				return rec, false, nil
			case err != nil:
				return nil, false, err
			case ch == c.delim:
				continue
			case ch == '\n':
				c.line++
				return rec, false, nil
			case ch == '\r':
				if n, _, err := c.r.ReadRune(); err == nil && n != '\n' {
					_ = c.r.UnreadRune()
				}
				c.line++
				return rec, false, nil
			}
			return nil, false, fmt.Errorf("%w: CSV line %d: unexpected %q after a closing quote", ErrSyntax, c.line, ch)
		}
		// Unquoted field.
		for err == nil && ch != c.delim && ch != '\n' && ch != '\r' {
			c.buf.WriteRune(ch)
			ch, _, err = c.r.ReadRune()
		}
		if err != nil && err != io.EOF {
			return nil, false, err
		}
		rec = append(rec, c.buf.String())
		switch {
		case err == io.EOF:
			return rec, false, nil
		case ch == c.delim:
			continue
		case ch == '\r':
			if n, _, err := c.r.ReadRune(); err == nil && n != '\n' {
				_ = c.r.UnreadRune()
			}
		}
		c.line++
		return rec, false, nil
	}
}
