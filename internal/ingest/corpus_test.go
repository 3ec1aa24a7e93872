package ingest

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/codeless/codeless/internal/corpustest"

	"github.com/codeless/codeless/internal/apierr"
	"github.com/codeless/codeless/internal/kql/eval"
	"github.com/codeless/codeless/internal/resource"
	"github.com/codeless/codeless/internal/schema"
)

// TestCorpusDCRs loads every DCR of the corpus, with the tables deployed
// next to it, into a pipeline: each must be accepted, or rejected with an
// error that names a JSON path.
func TestCorpusDCRs(t *testing.T) {
	root := corpustest.Dir(t)
	sets := map[string]*resource.Set{}
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(strings.ToLower(path), ".json") {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		set, _ := resource.DecodeFile(path, data)
		if set == nil {
			return nil
		}
		rel, _ := filepath.Rel(root, path)
		top := strings.SplitN(rel, string(filepath.Separator), 2)[0]
		if sets[top] == nil {
			sets[top] = &resource.Set{}
		}
		sets[top].Merge(set)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for n := range sets {
		names = append(names, n)
	}
	sort.Strings(names)
	accepted, rejected := 0, 0
	for _, n := range names {
		set := sets[n]
		for i, dcr := range set.DCRs {
			if dcr.ImmutableID == "" {
				dcr.ImmutableID = "dcr-corpus-" + n + "-" + dcr.Name
			}
			// Tables absent from the corpus folder are synthesized from the
			// transform output, so that every flow is compiled and mapped.
			tables := append(append([]*resource.Table(nil), set.Tables...), synthesizeTables(dcr, set.Tables)...)
			p := newPipeline(t, openDB(t))
			err := p.PutDCR(context.Background(), dcr, tables)
			if err == nil {
				accepted++
				if reason, ok := knownRejections[n+"/"+filepath.Base(dcr.File)]; ok {
					t.Errorf("%s: %s is accepted now; remove it from knownRejections (%s)", n, filepath.Base(dcr.File), reason)
				}
				continue
			}
			rejected++
			ae := apierr.From(err)
			if ae.Status != 400 || ae.Target == "" || !strings.HasPrefix(ae.Target, "properties.dataFlows[") {
				t.Errorf("%s DCR %d (%s): error without a JSON path: %v", n, i, dcr.File, err)
			}
			if reason, ok := knownRejections[n+"/"+filepath.Base(dcr.File)]; ok {
				t.Logf("%s: %s: rejected as expected (%s): %s", n, filepath.Base(dcr.File), reason, ae.Message)
				continue
			}
			t.Errorf("%s: %s: rejected: %s", n, filepath.Base(dcr.File), ae.Message)
		}
	}
	t.Logf("corpus DCRs: %d accepted, %d rejected", accepted, rejected)
	if accepted < 50 {
		t.Fatalf("only %d corpus DCRs accepted", accepted)
	}
}

// knownRejections are corpus DCR files (folder/file) that are not
// deployable as files; one that becomes accepted fails the test.
var knownRejections = map[string]string{
	"Trend Micro Vision One/TrendXDRLogs_DCR.json": "outputStream is a documentation placeholder",
	"VersasecCMS/VersasecCMS_DCR.json":             "outputStream is an unevaluated ARM expression",
	"ZeroFox/ZeroFoxAlerts_DCR.json":               "project-rename with expressions (rejected by kql/eval)",
}

func synthesizeTables(dcr *resource.DCR, have []*resource.Table) []*resource.Table {
	var out []*resource.Table
	for _, df := range dcr.DataFlows {
		tbl, custom, ok := outputTable(df.OutputStream)
		if df.OutputStream == "" && len(df.Streams) > 0 {
			tbl, custom, ok = outputTable(df.Streams[0])
		}
		if !ok || !custom || findTable(have, tbl) != nil || len(df.Streams) == 0 {
			continue
		}
		sd, found := dcr.Stream(df.Streams[0])
		if !found {
			continue
		}
		src := df.TransformKQL
		if strings.TrimSpace(src) == "" {
			src = "source"
		}
		prog, err := eval.CompileTransform(src, sd.Columns)
		if err != nil {
			continue
		}
		var t *resource.Table
		for _, o := range out {
			if o.Name == tbl {
				t = o
			}
		}
		if t == nil {
			t = &resource.Table{Meta: resource.Meta{Name: tbl}}
			out = append(out, t)
		}
		for _, c := range prog.Output() { // union of every flow into the table
			if t.Columns.Index(c.Name) < 0 {
				if c.Name == "TimeGenerated" {
					c.Type = schema.DateTime
				}
				t.Columns = append(t.Columns, c)
			}
		}
	}
	return out
}
