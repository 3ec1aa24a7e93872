package lint

import (
	"fmt"
	"strings"

	"github.com/codeless/codeless/internal/kql/eval"
	"github.com/codeless/codeless/internal/resource"
	"github.com/codeless/codeless/internal/schema"
)

// checkTransforms compiles every data flow's transform against its input
// stream with the engine that runs it (internal/kql/eval) and compares the
// output schema with the destination: TimeGenerated present (SPEC §5), and
// for Custom-X_CL outputs whose table is in the set, every output column
// exists in the table with a compatible type.
func checkTransforms(s *resource.Set) []resource.Diagnostic {
	tables := map[string]*resource.Table{}
	for _, t := range s.Tables {
		tables[t.Name] = t
	}
	var out []resource.Diagnostic
	for _, r := range s.DCRs {
		add := func(path, format string, args ...any) {
			out = append(out, resource.Diagnostic{File: r.File, Path: path, Severity: resource.Error, Message: fmt.Sprintf(format, args...)})
		}
		for i, f := range r.DataFlows {
			fp := f.Path
			if fp == "" {
				fp = fmt.Sprintf("%s.properties.dataFlows[%d]", r.Path, i)
			}
			if len(f.Streams) != 1 || f.OutputStream == "" || resource.HasPlaceholder(f.OutputStream) {
				continue
			}
			in, ok := r.Stream(f.Streams[0])
			if !ok {
				continue
			}
			src, srcPath := f.TransformKQL, fp+".transformKql"
			if strings.TrimSpace(src) == "" {
				src, srcPath = "source", fp
			}
			prog, err := eval.CompileTransform(src, in.Columns)
			if err != nil {
				// The engine's error carries the source line and a caret on
				// following lines; a diagnostic is one line.
				msg, _, _ := strings.Cut(err.Error(), "\n")
				add(srcPath, "transform does not compile against stream %s: %s", in.Name, msg)
				continue
			}
			outSchema := prog.Output()
			if outSchema.Index("TimeGenerated") < 0 {
				add(srcPath, "transform output has no TimeGenerated column (output: %s)", outSchema)
			}
			name, custom := strings.CutPrefix(f.OutputStream, "Custom-")
			table := tables[name]
			if !custom || table == nil {
				continue
			}
			for _, c := range outSchema {
				j := table.Columns.Index(c.Name)
				if j < 0 {
					add(srcPath, "transform output column %q is not in table %s", c.Name, name)
					continue
				}
				if want := table.Columns[j].Type; !compatible(c.Type, want) {
					add(srcPath, "transform output column %q is %s, table %s declares %s", c.Name, c.Type, name, want)
				}
			}
		}
	}
	return out
}

// compatible reports whether a value of type got can be stored in a table
// column of type want: the same type, int and long, guid and string, or
// anything into dynamic.
func compatible(got, want schema.Type) bool {
	switch {
	case got == want, want == schema.Dynamic:
		return true
	case (got == schema.Int || got == schema.Long) && (want == schema.Int || want == schema.Long):
		return true
	case (got == schema.GUID || got == schema.String) && (want == schema.GUID || want == schema.String):
		return true
	}
	return false
}
