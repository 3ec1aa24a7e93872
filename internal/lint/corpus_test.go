package lint

import (
	"bufio"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/codeless/codeless/internal/corpustest"

	"github.com/codeless/codeless/internal/resource"
)

var update = flag.Bool("update", false, "rewrite testdata/corpus-expected.txt from the current results")

// manifestGroups maps each corpus file (relative path) to the directory it
// came from in Azure-Sentinel: one connector = one directory there, while
// the corpus flattens a solution's connectors into one folder.
func manifestGroups(t *testing.T, root string) map[string]string {
	f, err := os.Open(filepath.Join(root, "MANIFEST.tsv"))
	if err != nil {
		t.Fatalf("reading manifest: %v", err)
	}
	defer f.Close()
	out := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		cols := strings.Split(sc.Text(), "\t")
		if len(cols) < 3 || cols[0] == "local_path" {
			continue
		}
		out[cols[0]] = filepath.Dir(cols[2])
	}
	return out
}

// TestCorpus lints every folder of the corpus. The set of error diagnostics
// must equal testdata/corpus-expected.txt (one "folder/file: path: message
// prefix" per line; docs/lint-corpus.md says why each is a real problem),
// so any new or vanished error fails.
func TestCorpus(t *testing.T) {
	root := corpustest.Dir(t)
	groups := manifestGroups(t, root)
	entries, err := os.ReadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, e := range entries {
		if e.IsDir() {
			paths = append(paths, filepath.Join(root, e.Name()))
		}
	}
	rel := func(file string) string {
		r, err := filepath.Rel(root, file)
		if err != nil {
			return file
		}
		return filepath.ToSlash(r)
	}
	rep, err := Run(paths, Options{Group: func(file string) string {
		if g, ok := groups[rel(file)]; ok {
			return g
		}
		return filepath.Dir(file)
	}})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Files < 100 || rep.Resources < 200 {
		t.Errorf("read %d files / %d resources; the corpus has 149 files", rep.Files, rep.Resources)
	}
	var got []string
	for _, d := range rep.Diagnostics {
		if d.Severity == resource.Error {
			got = append(got, rel(d.File)+": "+d.Path+": "+d.Message)
		}
	}
	expPath := filepath.Join("testdata", "corpus-expected.txt")
	if *update {
		if err := os.WriteFile(expPath, []byte(strings.Join(got, "\n")+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	raw, err := os.ReadFile(expPath)
	if err != nil {
		t.Fatalf("reading expected errors: %v (run with -update to create)", err)
	}
	var want []string
	for _, l := range strings.Split(string(raw), "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			want = append(want, l)
		}
	}
	// Each expected line is a prefix of exactly one actual error line.
	used := make([]bool, len(got))
	for _, w := range want {
		i := slices.IndexFunc(got, func(g string) bool { return strings.HasPrefix(g, w) })
		for i >= 0 && used[i] {
			j := slices.IndexFunc(got[i+1:], func(g string) bool { return strings.HasPrefix(g, w) })
			if j < 0 {
				i = -1
				break
			}
			i += 1 + j
		}
		if i < 0 {
			t.Errorf("expected error vanished: %s", w)
			continue
		}
		used[i] = true
	}
	for i, g := range got {
		if !used[i] {
			t.Errorf("new error: %s", g)
		}
	}
	t.Logf("%d files, %d resources, %d errors, %d warnings", rep.Files, rep.Resources, rep.Errors(), rep.Warnings())
}
