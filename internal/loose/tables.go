package loose

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/codeless/codeless/internal/kql/eval"
	"github.com/codeless/codeless/internal/resource"
)

// addMissingTables adds a table resource for each Custom-X_CL output of the
// folder's DCRs that no table file declares, with the columns the transform
// produces (Microsoft's packager needs a table file; the CCF sources in the
// Azure-Sentinel repository often keep it elsewhere). Each such table is a
// warning, so the author knows the schema was inferred.
func addMissingTables(resources *[]any, origin map[string]Problem) ([]Problem, error) {
	have := map[string]bool{}
	var dcrs []*resource.DCR
	for _, r := range *resources {
		obj := r.(map[string]any)
		typ, _ := obj["type"].(string)
		switch resource.TypeOf(typ) {
		case resource.KindTable:
			raw, _ := json.Marshal(obj)
			if t, err := resource.DecodeTable(raw); err == nil {
				have[strings.ToLower(t.TableName())] = true
			}
		case resource.KindDataCollectionRule:
			raw, _ := json.Marshal(obj)
			if d, err := resource.DecodeDCR(raw); err == nil {
				dcrs = append(dcrs, d)
			}
		}
	}
	var warnings []Problem
	var tables []any
	for _, d := range dcrs {
		for i, f := range d.DataFlows {
			table, ok := strings.CutPrefix(f.OutputStream, "Custom-")
			if !ok || !strings.HasSuffix(table, "_CL") || have[strings.ToLower(table)] || len(f.Streams) == 0 {
				continue
			}
			st, ok := d.Stream(f.Streams[0])
			if !ok {
				continue
			}
			src := f.TransformKQL
			if strings.TrimSpace(src) == "" {
				src = "source"
			}
			p, err := eval.CompileTransform(src, st.Columns)
			if err != nil {
				continue // the deployment reports the transform error
			}
			var cols []any
			for _, c := range p.Output() {
				cols = append(cols, map[string]any{"name": c.Name, "type": string(c.Type)})
			}
			tables = append(tables, map[string]any{
				"type":       "Microsoft.OperationalInsights/workspaces/tables",
				"name":       table,
				"properties": map[string]any{"schema": map[string]any{"name": table, "columns": cols}},
			})
			have[strings.ToLower(table)] = true
			o := origin[d.Name]
			warnings = append(warnings, Problem{File: o.File, Path: fmt.Sprintf("%s.properties.dataFlows[%d].outputStream", o.Path, i), Warning: true,
				Message: fmt.Sprintf("no table file declares %s; it is created with the columns the transform produces", table)})
		}
	}
	*resources = append(tables, *resources...)
	return warnings, nil
}
