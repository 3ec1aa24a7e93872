package decode

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
)

// maxLine bounds one JSON line (a line without a newline would otherwise be
// buffered without limit).
const maxLine = 64 << 20

// parseLines parses JSON lines: one document per line, blank lines skipped.
// An invalid line is an ErrSyntax naming its line number.
func parseLines(r io.Reader) ([]any, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	var docs []any
	var long []byte
	for n := 1; ; n++ {
		line, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			long = append(long[:0], line...)
			for errors.Is(err, bufio.ErrBufferFull) {
				line, err = br.ReadSlice('\n')
				long = append(long, line...)
				if len(long) > maxLine {
					return nil, fmt.Errorf("%w: JSON line %d is longer than %d bytes", ErrSyntax, n, maxLine)
				}
			}
			line = long
		}
		if err != nil && err != io.EOF {
			return nil, err
		}
		if t := bytes.TrimSpace(line); len(t) > 0 {
			v, perr := ParseJSON(t)
			if perr != nil {
				return nil, fmt.Errorf("JSON line %d: %w", n, perr)
			}
			docs = append(docs, v)
		}
		if err == io.EOF {
			return docs, nil
		}
	}
}
