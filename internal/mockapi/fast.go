package mockapi

import (
	"strconv"
	"sync"
	"time"
)

// fast.go keeps the simulator's own cost out of poll-path benchmarks, which
// run the mock on the same cores as the poller: appendEventFast writes an
// event's JSON directly (no map, no sorting, no fmt), and with
// Config.CachePageBytes the encoded pages themselves are kept (a page is a
// pure function of its event range and the immutable config), so a
// benchmark that polls the same window again pays only for HTTP. Without
// the cache every page is encoded as it is served (the "honest" mock).

// appendEventFast appends Event(i) as JSON with its keys sorted, exactly as
// appendEvent does (TestAppendEventFast compares them).
func (s *Server) appendEventFast(b []byte, i int64) []byte {
	ts := s.cfg.Origin.Add(time.Duration(i) * s.interval).UTC()
	x, y, z := byte(i>>16), byte(i>>8), byte(i)
	b = append(b, `{"clientMac":"02:00:00:`...)
	b = appendMacTail(b, x, y, z)
	b = append(b, `","destIp":"192.168.`...)
	b = strconv.AppendInt(b, int64(y), 10)
	b = append(b, '.')
	b = strconv.AppendInt(b, int64(z), 10)
	b = append(b, `","deviceMac":"00:1a:2b:`...)
	b = appendMacTail(b, x, y, z)
	if i%2 == 0 {
		b = append(b, `","eventType":"Alert","id":"`...)
		b = appendID(b, i)
		b = append(b, `","message":"alert `...)
		b = strconv.AppendInt(b, i, 10)
		b = append(b, `: suspicious traffic","priority":"`...)
		b = strconv.AppendInt(b, i/2%5+1, 10)
		b = append(b, `","protocol":"`...)
		b = append(b, [...]string{"TCP", "UDP", "ICMP"}[i/2%3]...)
	} else {
		b = append(b, `","disposition":"`...)
		b = append(b, [...]string{"Allowed", "Blocked", "Quarantined"}[i/2%3]...)
		b = append(b, `","eventType":"File","fileSizeBytes":`...)
		b = strconv.AppendInt(b, 1024+i*37%100000, 10)
		b = append(b, `,"fileType":"`...)
		b = append(b, [...]string{"exe", "pdf", "docx", "zip"}[i/2%4]...)
		b = append(b, `","id":"`...)
		b = appendID(b, i)
		b = append(b, `","message":"file `...)
		b = strconv.AppendInt(b, i, 10)
		b = append(b, ` scanned`...)
	}
	b = append(b, `","srcIp":"10.`...)
	b = strconv.AppendInt(b, int64(x), 10)
	b = append(b, '.')
	b = strconv.AppendInt(b, int64(y), 10)
	b = append(b, '.')
	b = strconv.AppendInt(b, int64(z), 10)
	b = append(b, `","ts":"`...)
	if s.cfg.TsFormat == "us" {
		b = ts.AppendFormat(b, "1/2/2006 3:04:05 PM")
	} else {
		b = ts.AppendFormat(b, "2006-01-02T15:04:05Z")
	}
	return append(b, `"}`...)
}

const hexDigits = "0123456789abcdef"

func appendMacTail(b []byte, x, y, z byte) []byte {
	return append(b, hexDigits[x>>4], hexDigits[x&15], ':', hexDigits[y>>4], hexDigits[y&15], ':', hexDigits[z>>4], hexDigits[z&15])
}

// appendID appends eventID(i): "evt-" and at least 8 digits.
func appendID(b []byte, i int64) []byte {
	b = append(b, "evt-"...)
	if i < 0 {
		return append(b, eventID(i)[4:]...)
	}
	for d := int64(10000000); d > 1 && i < d; d /= 10 {
		b = append(b, '0')
	}
	return strconv.AppendInt(b, i, 10)
}

// encodePage returns the body and event ids of the page [from, to).
func (s *Server) encodePage(from, to int64) ([]byte, []string) {
	if body, ids, ok := s.pages.get(from, to); ok {
		return body, ids
	}
	body := make([]byte, 0, 64+int(to-from)*400)
	body = append(body, '[')
	ids := make([]string, 0, to-from)
	for i := from; i < to; i++ {
		if i > from {
			body = append(body, ',')
		}
		start := len(body)
		body = s.appendEventFast(body, i)
		// The id sits at a fixed place in the event's text; slicing it out
		// saves formatting it again.
		ids = append(ids, idIn(body[start:]))
	}
	body = append(body, ']')
	s.pages.put(s.cfg.CachePageBytes, from, to, body, ids)
	return body, ids
}

// idIn returns the value of "id" in one encoded event.
func idIn(ev []byte) string {
	const key = `"id":"`
	for k := 0; k+len(key) <= len(ev); k++ {
		if string(ev[k:k+len(key)]) == key {
			rest := ev[k+len(key):]
			for e := range rest {
				if rest[e] == '"' {
					return string(rest[:e])
				}
			}
		}
	}
	return ""
}

// pageCache keeps encoded pages up to a byte budget, dropping the oldest.
type pageCache struct {
	mu    sync.Mutex
	m     map[[2]int64]cachedPage
	order [][2]int64
	bytes int
}

type cachedPage struct {
	body []byte
	ids  []string
}

func (c *pageCache) get(from, to int64) ([]byte, []string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	p, ok := c.m[[2]int64{from, to}]
	return p.body, p.ids, ok
}

func (c *pageCache) put(budget int, from, to int64, body []byte, ids []string) {
	if budget <= 0 || len(body) > budget {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	k := [2]int64{from, to}
	if _, ok := c.m[k]; ok {
		return
	}
	if c.m == nil {
		c.m = map[[2]int64]cachedPage{}
	}
	for c.bytes+len(body) > budget && len(c.order) > 0 {
		old := c.order[0]
		c.order = c.order[1:]
		c.bytes -= len(c.m[old].body)
		delete(c.m, old)
	}
	c.m[k] = cachedPage{body: body, ids: ids}
	c.order = append(c.order, k)
	c.bytes += len(body)
}
