package ingest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/codeless/codeless/internal/resource"
	"github.com/codeless/codeless/internal/store/duckdb"
)

// benchBody builds a JSON array of demo records (alternating Alert/File,
// ~390 bytes each as in SPEC §9) of at most max bytes.
func benchBody(max int) ([]byte, int) {
	var b bytes.Buffer
	b.WriteByte('[')
	n := 0
	for {
		typ := "Alert"
		if n%2 == 1 {
			typ = "File"
		}
		rec := fmt.Sprintf(`{"ts":"2023-03-06T%02d:%02d:%02dZ","eventType":"%s","deviceMac":"00:11:22:33:44:%02x","clientMac":"66:77:88:99:aa:%02x","srcIp":"10.1.%d.%d","destIp":"192.168.%d.%d","protocol":"tcp","priority":"%d","message":"Suspicious connection attempt number %d from host","fileType":"pdf","fileSizeBytes":%d,"disposition":"Allowed"}`,
			n%24, n%60, n%60, typ, n%256, n%256, n%256, (n/256)%256, n%256, (n/7)%256, n%10, n, n*13)
		if b.Len()+len(rec)+2 > max {
			break
		}
		if n > 0 {
			b.WriteByte(',')
		}
		b.WriteString(rec)
		n++
	}
	b.WriteByte(']')
	return b.Bytes(), n
}

// BenchmarkIngest measures MB/s through the Logs Ingestion handler (JSON
// parse, coercion, two transforms, DuckDB commit) with 1 MB calls into an
// in-memory DuckDB.
func BenchmarkIngest(b *testing.B) {
	db, err := duckdb.Open("")
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	p := New(db, Options{Now: func() time.Time { return testNow }})
	if err := p.PutDCR(context.Background(), decodeDCR(b, demoDCR), []*resource.Table{alertsTable}); err != nil {
		b.Fatal(err)
	}
	body, n := benchBody(DefaultMaxBodyBytes)
	h := p.Handler()
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		req := httptest.NewRequest(http.MethodPost, "/dataCollectionRules/dcr-demo/streams/Custom-ExampleConnectorInput?api-version=2023-01-01", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusNoContent {
			b.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
}

// BenchmarkProcess measures records/s through validation, coercion and both
// transforms (no storage), from a JSON body and from decoded maps.
func BenchmarkProcess(b *testing.B) {
	p, _ := loadDemo(b)
	body, n := benchBody(DefaultMaxBodyBytes)
	var recs []any
	if err := json.Unmarshal(body, &recs); err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.Run("json", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			if _, err := p.ProcessJSON(ctx, "dcr-demo", "Custom-ExampleConnectorInput", body); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
	})
	b.Run("maps", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			if _, err := p.Process(ctx, "dcr-demo", "Custom-ExampleConnectorInput", recs); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
	})
}
