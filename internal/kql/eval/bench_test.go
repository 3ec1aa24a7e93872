package eval

import (
	"testing"
	"time"
)

// BenchmarkTransform runs a 5-operator transform (where + extend + project
// over the 12-column demo stream) and reports records/s.
func BenchmarkTransform(b *testing.B) {
	p, err := CompileTransform(`source
| where eventType == "Alert" and fileSizeBytes > 0
| extend Severity = iff(priority == "1", "High", "Low"), SrcMac = toupper(clientMac)
| extend TimeGenerated = ts
| project TimeGenerated, SourceIP = srcIp, DestIP = destIp, Message = message, Priority = toint(priority), Severity, SrcMac
| project-rename Msg = Message`, demoInput)
	if err != nil {
		b.Fatal(err)
	}
	row := demoRow("Alert")
	now := time.Now()
	n := 0
	emit := func([]any) error { n++; return nil }
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		if err := p.Run(row, now, emit); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "records/s")
	if n != b.N {
		b.Fatalf("emitted %d rows for %d records", n, b.N)
	}
}
