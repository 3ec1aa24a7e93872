package resource

import (
	"cmp"
	"fmt"
	"slices"
)

// Severity says whether a Diagnostic stops a resource from being used. It
// is a string so that it prints and serialises as "error" / "warning".
type Severity string

// Severities. Error means Azure (or Codeless) rejects or cannot run the
// resource; Warning means it works but something looks wrong (a typo Azure
// tolerates, an unknown key, an expression only checked at connect time).
const (
	Error   Severity = "error"
	Warning Severity = "warning"
)

func (s Severity) String() string { return string(s) }

// Diagnostic is one finding about a file: where (file and JSON path) and why.
type Diagnostic struct {
	File     string   `json:"file,omitempty"`
	Path     string   `json:"path"`
	Severity Severity `json:"severity"`
	Message  string   `json:"message"`
}

// String renders "file: path: error: message" (file omitted when empty).
func (d Diagnostic) String() string {
	if d.File == "" {
		return fmt.Sprintf("%s: %s: %s", d.Path, d.Severity, d.Message)
	}
	return fmt.Sprintf("%s: %s: %s: %s", d.File, d.Path, d.Severity, d.Message)
}

// SortDiagnostics orders diagnostics by file, path, severity and message.
func SortDiagnostics(ds []Diagnostic) {
	slices.SortStableFunc(ds, func(a, b Diagnostic) int {
		return cmp.Or(cmp.Compare(a.File, b.File), cmp.Compare(a.Path, b.Path),
			cmp.Compare(a.Severity, b.Severity), cmp.Compare(a.Message, b.Message))
	})
}

// HasErrors reports whether any diagnostic is an Error.
func HasErrors(ds []Diagnostic) bool {
	for _, d := range ds {
		if d.Severity == Error {
			return true
		}
	}
	return false
}

// PathError is the error of a single-resource decode (DecodeConnection and
// friends): the first error-severity diagnostic, with the JSON path at fault
// (the HTTP layer reports it as the ARM error "target"). All holds every
// error diagnostic.
type PathError struct {
	Path    string
	Message string
	All     []Diagnostic
}

func (e *PathError) Error() string {
	if len(e.All) > 1 {
		return fmt.Sprintf("%s: %s (and %d more errors)", e.Path, e.Message, len(e.All)-1)
	}
	return fmt.Sprintf("%s: %s", e.Path, e.Message)
}

// pathErrorOf returns a *PathError for the error diagnostics in ds, or nil.
func pathErrorOf(ds []Diagnostic) error {
	var errs []Diagnostic
	for _, d := range ds {
		if d.Severity == Error {
			errs = append(errs, d)
		}
	}
	if len(errs) == 0 {
		return nil
	}
	return &PathError{Path: errs[0].Path, Message: errs[0].Message, All: errs}
}

// diags collects diagnostics for one file.
type diags struct {
	file string
	list []Diagnostic
}

func (d *diags) errorf(path, format string, args ...any) {
	d.list = append(d.list, Diagnostic{File: d.file, Path: path, Severity: Error, Message: fmt.Sprintf(format, args...)})
}

func (d *diags) warnf(path, format string, args ...any) {
	d.list = append(d.list, Diagnostic{File: d.file, Path: path, Severity: Warning, Message: fmt.Sprintf(format, args...)})
}
