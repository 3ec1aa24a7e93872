package decode

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/codeless/codeless/internal/resource"
)

// appendPage appends a JSON page {"value":[…]} of n ≈400-byte events.
func appendPage(b []byte, first, n int) []byte {
	b = append(b, `{"value":[`...)
	for i := first; i < first+n; i++ {
		if i > first {
			b = append(b, ',')
		}
		b = fmt.Appendf(b, `{"id":"evt-%08d","ts":"2024-01-01T00:00:%02dZ","eventType":"Alert","srcIp":"10.%d.%d.%d","destIp":"192.168.%d.%d","protocol":"TCP","priority":"%d","deviceMac":"00:1a:2b:00:00:%02x","message":"alert %d: suspicious traffic from a host that keeps on talking to a place it should not, padding padding padding padding padding padding padding padding padding"}`,
			i, i%60, i>>16&255, i>>8&255, i&255, i>>8&255, i&255, i%5+1, i&255, i)
	}
	return append(b, `],"next":"tok"}`...)
}

// maxRSSMB is the peak RSS of this process image (VmHWM; getrusage's
// maxrss would include the parent's RSS at fork time).
func maxRSSMB() float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			return float64(kb) / 1024
		}
	}
	return -1
}

// TestRSSHelper is the child process of BenchmarkRSS (it does nothing in a
// normal test run): it decodes in the mode DECODE_RSS_MODE names and prints
// its peak RSS, so each measurement starts from a fresh process.
func TestRSSHelper(t *testing.T) {
	mode := os.Getenv("DECODE_RSS_MODE")
	if mode == "" {
		return
	}
	mb, _ := strconv.Atoi(os.Getenv("DECODE_RSS_SIZE_MB"))
	d, err := New(resource.Response{EventsJSONPaths: []string{"$.value"}})
	if err != nil {
		t.Fatal(err)
	}
	events := 0
	base := maxRSSMB()
	switch mode {
	case "window":
		// mb MB of JSON as 4 MB pages (DECODE_RSS_PAGE_KB), each decoded
		// and dropped as the Runner does after a commit.
		per := 4 << 20 / 420
		if kb, _ := strconv.Atoi(os.Getenv("DECODE_RSS_PAGE_KB")); kb > 0 {
			per = kb << 10 / 420
		}
		page := make([]byte, 0, 5<<20)
		for done := 0; done < mb<<20; done += len(page) {
			page = appendPage(page[:0], events, per)
			p, err := d.Decode(page, http.Header{})
			if err != nil {
				t.Fatal(err)
			}
			events += len(p.Events)
		}
	case "page", "gzpage":
		// The parent wrote the page to a file: the child holds only what
		// a Runner would (the response body) before decoding.
		body, err := os.ReadFile(os.Getenv("DECODE_RSS_FILE"))
		if err != nil {
			t.Fatal(err)
		}
		h := http.Header{}
		if mode == "gzpage" {
			h.Set("Content-Encoding", "gzip")
		}
		base = maxRSSMB()
		p, err := d.Decode(body, h)
		if err != nil {
			t.Fatal(err)
		}
		events = len(p.Events)
	}
	fmt.Printf("RSS events=%d base=%.0f peak=%.0f\n", events, base, maxRSSMB())
}

// BenchmarkRSS reports the peak RSS (MB) of fresh processes that decode (a)
// a 1 GB window as 4 MB and as 512 KB pages, (b) one 64 MB page, (c) the same page gzip
// compressed. Run: go test -run XXX -bench RSS -benchtime 1x ./internal/poll/decode/
func BenchmarkRSS(b *testing.B) {
	for _, tc := range []struct {
		mode   string
		mb     int
		pageKB int
	}{{"window", 1024, 4096}, {"window", 1024, 512}, {"page", 64, 0}, {"gzpage", 64, 0}} {
		name := fmt.Sprintf("%s-%dMB", tc.mode, tc.mb)
		if tc.pageKB > 0 {
			name += fmt.Sprintf("-pages-%dKB", tc.pageKB)
		}
		b.Run(name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				file := ""
				if tc.mode != "window" {
					body := appendPage(nil, 0, (tc.mb<<20)/420)
					if tc.mode == "gzpage" {
						var zb bytes.Buffer
						zw, _ := gzip.NewWriterLevel(&zb, gzip.BestSpeed)
						zw.Write(body)
						zw.Close()
						body = zb.Bytes()
					}
					file = filepath.Join(b.TempDir(), "page")
					if err := os.WriteFile(file, body, 0o644); err != nil {
						b.Fatal(err)
					}
				}
				cmd := exec.Command(os.Args[0], "-test.run=^TestRSSHelper$", "-test.v=false")
				cmd.Env = append(os.Environ(), "DECODE_RSS_MODE="+tc.mode, "DECODE_RSS_SIZE_MB="+strconv.Itoa(tc.mb), "DECODE_RSS_PAGE_KB="+strconv.Itoa(tc.pageKB), "DECODE_RSS_FILE="+file)
				out, err := cmd.CombinedOutput()
				if err != nil {
					b.Fatalf("%v: %s", err, out)
				}
				var events int
				var base, peak float64
				line := string(out)
				if j := strings.Index(line, "RSS "); j >= 0 {
					fmt.Sscanf(line[j:], "RSS events=%d base=%f peak=%f", &events, &base, &peak)
				}
				if events == 0 {
					b.Fatalf("no measurement in %q", out)
				}
				b.ReportMetric(peak, "peak-RSS-MB")
				b.ReportMetric(base, "before-decode-RSS-MB")
				b.ReportMetric(float64(events), "events")
			}
		})
	}
}
