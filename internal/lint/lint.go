// Package lint implements `codeless lint` (SPEC §2, reference/ccf-format.md
// Appendix E): it finds the JSON files under the given paths, decodes each
// with internal/resource (case-insensitive keys, every problem with its JSON
// path), validates every resource on its own, and cross-checks the resources
// of one connector — the files of one folder — against each other: stream
// names between connection and DCR, connection and definition names, DCR
// output tables and table files, and the schema a DCR transform produces
// against the table it writes to. JSONPaths and queryTimeFormat values are
// compiled with the poller's own compilers (internal/jsonpath,
// internal/timefmt), transforms and nested-step placeholder queries with the
// KQL engine that runs them (internal/kql/eval).
//
// It does not resolve ARM expressions or {{placeholders}} (those values are
// checked at deploy/connect time and reported as warnings here), does not
// contact any API, and does not check KQL beyond what compiling a transform
// against its input stream reveals.
package lint

import (
	"cmp"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/codeless/codeless/internal/resource"
)

// Report is the outcome of a lint run.
type Report struct {
	// Diagnostics sorted by file, then JSON path.
	Diagnostics []resource.Diagnostic
	// Files is the number of JSON files read.
	Files int
	// Resources is the number of resources decoded.
	Resources int
}

// Errors counts error diagnostics.
func (r *Report) Errors() int { return r.count(resource.Error) }

// Warnings counts warning diagnostics.
func (r *Report) Warnings() int { return r.count(resource.Warning) }

func (r *Report) count(s resource.Severity) int {
	n := 0
	for _, d := range r.Diagnostics {
		if d.Severity == s {
			n++
		}
	}
	return n
}

// Options tunes a run.
type Options struct {
	// Group names the cross-reference group of a file: files of one group
	// are checked against each other, files of different groups never.
	// Default: the file's directory (one connector = one folder).
	Group func(file string) string
}

// Paths lints files and directories (directories are walked for *.json
// files), grouping cross-reference checks by folder. The error is only for
// paths that cannot be read; problems in files are diagnostics.
func Paths(paths []string) (*Report, error) {
	return Run(paths, Options{})
}

// Run is Paths with options.
func Run(paths []string, opt Options) (*Report, error) {
	group := opt.Group
	if group == nil {
		group = filepath.Dir
	}
	files, err := collect(paths)
	if err != nil {
		return nil, err
	}
	rep := &Report{Files: len(files)}
	groups := map[string]*resource.Set{}
	var order []string
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			rep.Diagnostics = append(rep.Diagnostics, resource.Diagnostic{File: f, Path: "$", Severity: resource.Error, Message: fmt.Sprintf("reading file: %v", err)})
			continue
		}
		set, ds := resource.DecodeFile(f, data)
		rep.Diagnostics = append(rep.Diagnostics, ds...)
		rep.Diagnostics = append(rep.Diagnostics, set.Validate()...)
		for _, c := range set.Connections {
			rep.Diagnostics = append(rep.Diagnostics, checkSyntax(c)...)
			rep.Diagnostics = append(rep.Diagnostics, checkSteps(c)...)
		}
		rep.Resources += set.Len()
		g := group(f)
		if groups[g] == nil {
			groups[g] = &resource.Set{}
			order = append(order, g)
		}
		groups[g].Merge(set)
	}
	for _, g := range order {
		rep.Diagnostics = append(rep.Diagnostics, CrossCheck(groups[g])...)
	}
	resource.SortDiagnostics(rep.Diagnostics)
	rep.Diagnostics = slices.CompactFunc(rep.Diagnostics, func(a, b resource.Diagnostic) bool { return a == b })
	return rep, nil
}

// CrossCheck runs every cross-resource check on one group: the structural
// ones of resource.CrossCheck plus the transform-output check.
func CrossCheck(s *resource.Set) []resource.Diagnostic {
	out := resource.CrossCheck(s)
	out = append(out, checkTransforms(s)...)
	return out
}

// collect expands paths into a sorted, de-duplicated list of JSON files.
func collect(paths []string) ([]string, error) {
	var files []string
	for _, p := range paths {
		info, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("linting %s: %w", p, err)
		}
		if !info.IsDir() {
			files = append(files, p)
			continue
		}
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				if path != p && strings.HasPrefix(d.Name(), ".") {
					return filepath.SkipDir
				}
				return nil
			}
			if strings.EqualFold(filepath.Ext(path), ".json") {
				files = append(files, path)
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("walking %s: %w", p, err)
		}
	}
	slices.SortFunc(files, func(a, b string) int { return cmp.Compare(a, b) })
	return slices.Compact(files), nil
}
