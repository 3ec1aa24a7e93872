package drytest

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// corpusDir finds ../shared/corpus/azure-sentinel relative to the module
// root (the directory holding go.mod).
func corpusDir(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Skip("module root not found; corpus test needs the repository layout")
		}
		dir = parent
	}
	c := filepath.Join(dir, "..", "shared", "corpus", "azure-sentinel")
	if _, err := os.Stat(c); err != nil {
		t.Skipf("corpus not present at %s (real connector files are test data outside the repo)", c)
	}
	return c
}

var (
	curlyRe = regexp.MustCompile(`\{\{([^{}]+)\}\}`)
	paramRe = regexp.MustCompile(`(?i)(parameters|variables)\('([^']+)'\)(\[)?`)
)

// TestCorpusPollerFilesResolve loads every real poller file with a dummy
// value for each parameter it mentions: nothing panics, at least one
// connection is found, and no placeholder stays unresolved.
func TestCorpusPollerFilesResolve(t *testing.T) {
	dir := corpusDir(t)
	files, err := filepath.Glob(filepath.Join(dir, "*", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		text := string(data)
		if !strings.Contains(strings.ToLower(text), `"restapipoller"`) || strings.Contains(filepath.Base(f), "mainTemplate") {
			continue
		}
		n++
		rel, _ := filepath.Rel(dir, f)
		t.Run(rel, func(t *testing.T) {
			params := map[string]any{}
			// "1" fits the URL, text and int() uses; an indexed parameter
			// (a Dropdown) is an array.
			for _, m := range curlyRe.FindAllStringSubmatch(text, -1) {
				params[strings.TrimSpace(m[1])] = "1"
			}
			for _, m := range paramRe.FindAllStringSubmatch(text, -1) {
				switch {
				case strings.EqualFold(m[2], "dcrConfig"): // resolved leniently
				case m[3] == "[":
					params[m[2]] = []any{"1"}
				default:
					if _, isArr := params[m[2]].([]any); !isArr {
						params[m[2]] = "1"
					}
				}
			}
			rep := newReport()
			ld, err := loadPoller(data, rel, params, "", rep)
			if err != nil {
				t.Fatalf("loadPoller: %v", err)
			}
			for _, e := range rep.Errors {
				if strings.Contains(e, "unresolved") || strings.Contains(e, "resolving") || strings.Contains(e, "no RestApiPoller connection") {
					t.Errorf("%s", e)
				}
			}
			if len(ld.names) == 0 {
				t.Errorf("no connection found")
			}
		})
	}
	if n == 0 {
		t.Fatal("no poller files found in the corpus")
	}
}
