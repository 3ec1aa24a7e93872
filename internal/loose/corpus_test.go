package loose

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/codeless/codeless/internal/corpustest"
)

var update = flag.Bool("update", false, "rewrite testdata/corpus-expected.txt")

// dummy gives a placeholder a value that keeps URLs absolute.
func dummy(name string) any {
	l := strings.ToLower(name)
	switch {
	case strings.Contains(l, "url") || strings.Contains(l, "endpoint") || strings.HasSuffix(l, "uri"):
		return "https://source.example"
	case strings.Contains(l, "window") || strings.Contains(l, "interval") || strings.Contains(l, "minutes") || strings.Contains(l, "delay"):
		return "5"
	}
	return "dummy-" + name
}

// corpusFolders groups the corpus files by their original Azure-Sentinel
// "Data Connectors" folder (from MANIFEST.tsv, mainTemplates left out) and
// returns the corpus root and the sorted folder names.
func corpusFolders(t *testing.T) (root string, names []string, groups map[string][]string) {
	root = corpustest.Dir(t)
	f, err := os.Open(filepath.Join(root, "MANIFEST.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	groups = map[string][]string{}
	sc := bufio.NewScanner(f)
	sc.Scan() // header
	for sc.Scan() {
		cols := strings.Split(sc.Text(), "\t")
		if len(cols) < 3 || strings.HasSuffix(cols[0], "mainTemplate.json") {
			continue
		}
		groups[filepath.Dir(cols[2])] = append(groups[filepath.Dir(cols[2])], filepath.Join(root, cols[0]))
	}
	for g := range groups {
		names = append(names, g)
	}
	sort.Strings(names)
	return root, names, groups
}

// folderTemplate builds a folder's deployment the way `codeless deploy DIR`
// does, giving every placeholder a dummy value; without a template the
// outcome says why ("template: ...").
func folderTemplate(t *testing.T, root string, files []string) ([]byte, string) {
	params := arrayParams(t, files)
	urls := urlParams(t, files)
	var tmpl []byte
	var problems []Problem
	var err error
	// Expressions stop at their first missing parameter, so fill
	// placeholders until no new one shows up.
	for pass := 0; pass < 8; pass++ {
		tmpl, problems, err = TemplateFiles(files, params, env)
		if err != nil {
			t.Fatal(err)
		}
		added := false
		for _, p := range problems {
			if _, seen := params[p.Placeholder]; p.Placeholder != "" && !seen {
				params[p.Placeholder] = dummy(p.Placeholder)
				if urls[strings.ToLower(p.Placeholder)] {
					params[p.Placeholder] = "https://source.example"
				}
				added = true
			}
		}
		if !added {
			break
		}
	}
	if tmpl == nil {
		for _, p := range problems {
			if !p.Warning {
				return nil, "template: " + firstLine(strings.ReplaceAll(p.String(), root+"/", ""))
			}
		}
	}
	return tmpl, "ok"
}

// TestCorpusLooseFolders deploys every connector folder of the corpus (the
// files of one Azure-Sentinel "Data Connectors" folder, from MANIFEST.tsv)
// with `codeless deploy DIR`'s code path, giving every placeholder a dummy
// value, and compares the outcome per folder with
// testdata/corpus-expected.txt (docs/loose-corpus.md says why each failure
// is a problem of the files, not of Codeless).
func TestCorpusLooseFolders(t *testing.T) {
	root, names, groups := corpusFolders(t)
	var got []string
	ok := 0
	for _, g := range names {
		tmpl, outcome := folderTemplate(t, root, groups[g])
		if tmpl != nil {
			e := newEngine(t)
			if _, err := e.DeployTemplate(context.Background(), "loose", tmpl, nil); err != nil {
				outcome = "deploy: " + firstLine(err.Error())
			}
		}
		if outcome == "ok" {
			ok++
		}
		got = append(got, fmt.Sprintf("%s\t%s", g, outcome))
	}
	t.Logf("%d of %d corpus connector folders deploy", ok, len(names))
	compareLines(t, filepath.Join("testdata", "corpus-expected.txt"), got)
}

// compareLines compares outcome lines with a pinned file (-update rewrites
// it), naming every line that changed.
func compareLines(t *testing.T, path string, got []string) {
	t.Helper()
	text := strings.Join(got, "\n") + "\n"
	if *update {
		os.MkdirAll(filepath.Dir(path), 0o755)
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if string(want) == text {
		return
	}
	wl := strings.Split(strings.TrimSuffix(string(want), "\n"), "\n")
	for i, line := range got {
		if i >= len(wl) || wl[i] != line {
			w := "(nothing)"
			if i < len(wl) {
				w = wl[i]
			}
			t.Errorf("outcome changed:\n got  %s\n want %s", line, w)
		}
	}
	if len(wl) != len(got) {
		t.Errorf("%s: %d outcomes, want %d", path, len(got), len(wl))
	}
}

// arrayParams gives parameters used as parameters('x')[i] (multi-select
// Dropdowns) an array value.
func arrayParams(t *testing.T, files []string) map[string]any {
	out := map[string]any{}
	re := regexp.MustCompile(`parameters\('([A-Za-z0-9_]+)'\)\[`)
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range re.FindAllStringSubmatch(string(b), -1) {
			out[m[1]] = []any{"dummy-" + m[1]}
		}
	}
	return out
}

// urlParams finds parameters that start a string (or a concat), so their
// dummy value must be an absolute URL for the result to be one.
func urlParams(t *testing.T, files []string) map[string]bool {
	out := map[string]bool{}
	res := []*regexp.Regexp{regexp.MustCompile(`"\{\{([A-Za-z0-9_]+)\}\}`), regexp.MustCompile(`\[\[?concat\(parameters\('([A-Za-z0-9_]+)'\)`)}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, re := range res {
			for _, m := range re.FindAllStringSubmatch(string(b), -1) {
				out[strings.ToLower(m[1])] = true
			}
		}
	}
	return out
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if len(s) > 220 {
		s = s[:220] + "…"
	}
	return s
}
