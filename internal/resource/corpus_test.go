package resource

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/codeless/codeless/internal/corpustest"
)

// TestCorpusDecode decodes every corpus file and compares what the typed
// model read with the figures of reference/corpus-stats.md (computed by an
// independent script with case-insensitive keys): if a key spelling were
// missed, a count would differ.
func TestCorpusDecode(t *testing.T) {
	root := corpustest.Dir(t)
	files, err := filepath.Glob(filepath.Join(root, "*", "*.json"))
	if err != nil || len(files) != 149 {
		t.Fatalf("want 149 corpus files, got %d (%v)", len(files), err)
	}
	all := &Set{}
	standalone := &Set{} // not inside a mainTemplate.json
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		set, _ := DecodeFile(f, data)
		all.Merge(set)
		if filepath.Base(f) != "mainTemplate.json" {
			standalone.Merge(set)
		}
	}
	if got := len(standalone.Connections); got != 188 {
		t.Errorf("standalone RestApiPoller connections: %d, want 188", got)
	}
	if got := len(all.Connections) - len(standalone.Connections); got != 4 {
		t.Errorf("connections inside mainTemplates: %d, want 4", got)
	}
	auth := map[string]int{}
	noPaging, noFormat, qps := 0, 0, 0
	for _, c := range standalone.Connections {
		auth[c.Properties.Auth.Type]++
		if c.Properties.Paging == nil {
			noPaging++
		}
		if c.Properties.Response.Format == "" {
			noFormat++
		}
		if c.Properties.Request.RateLimitQPS != 0 {
			qps++
		}
	}
	wantAuth := map[string]int{"APIKey": 93, "OAuth2": 63, "JwtToken": 16, "Basic": 12, "CiscoDuo": 3, "AliCloudSlsV1": 1}
	if !reflect.DeepEqual(auth, wantAuth) {
		t.Errorf("auth types %v, want %v", auth, wantAuth)
	}
	if noPaging != 54 {
		t.Errorf("connections without paging: %d, want 54", noPaging)
	}
	if noFormat != 70 {
		t.Errorf("connections without response.format: %d, want 70", noFormat)
	}
	if qps != 188-46 {
		t.Errorf("connections with rateLimitQPS/rateLimitQps: %d, want %d", qps, 188-46)
	}
	// Tables: 7 standalone files, one of them the Cyble Vision "DCR" (resource
	// name StyxViewAlerts_CL, schema name CybleVisionAlerts_CL).
	if got := len(standalone.Tables); got < 7 {
		t.Errorf("standalone tables: %d, want at least 7", got)
	}
	if got := len(standalone.Definitions); got != 4 {
		t.Errorf("standalone definitions: %d, want 4", got)
	}
	var cyble *Table
	for _, tb := range standalone.Tables {
		if strings.Contains(tb.File, "CybleVision_DCR.json") {
			cyble = tb
		}
	}
	if cyble == nil || cyble.Name != "CybleVisionAlerts_CL" || len(cyble.Columns) != 29 {
		t.Errorf("Cyble Vision's DCR file should decode as table CybleVisionAlerts_CL (schema name) with 29 columns")
	}
	for _, r := range all.DCRs {
		if !json.Valid(r.Raw) {
			t.Errorf("%s %s: Raw is not valid JSON", r.File, r.Path)
		}
	}
	for _, c := range all.Connections {
		if !json.Valid(c.Raw) {
			t.Errorf("%s %s: Raw is not valid JSON", c.File, c.Path)
		}
	}
}
