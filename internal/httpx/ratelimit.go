package httpx

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Reset header formats of rateLimitConfig (reference/ccf-format.md §2.4.3).
const (
	FormatInteger          = "Integer"         // seconds to wait
	FormatUnixTimeSeconds  = "UnixTimeSeconds" // absolute epoch seconds
	FormatUnixTimeMillis   = "UnixTimeMilliseconds"
	FormatDateTime         = "DateTime" // HTTP date or RFC 3339
	sourceCustomHeaders    = "customheaders"
	sourceDefaultHeaders   = "defaultheaders"
	checkModeOnlyWhen429   = "onlywhen429"
	checkModeAlways        = "always"
	unixSecondsPlausibleAt = 1_000_000_000 // a reset above this is an epoch
	maxResetValue          = 1e12          // larger values are not a time
)

// HeaderSpec names one rate-limit header and its value format.
type HeaderSpec struct {
	Name   string
	Format string
}

// RateLimitConfig is CCF's request.rateLimitConfig: which response headers
// carry the limit and when to look at them. The zero value (also used when
// a connection has no rateLimitConfig) reads the default dialects
// (Retry-After, X-RateLimit-*, RateLimit/RateLimit-*) on every response.
type RateLimitConfig struct {
	// OnlyWhen429 evaluates the headers only on HTTP 429
	// (evaluation.checkMode "OnlyWhen429"); otherwise a successful response
	// with no remaining quota also pauses the next request until the reset.
	OnlyWhen429 bool
	// Custom headers (extraction.source "CustomHeaders"); empty names fall
	// back to the default dialects.
	Limit, Remaining, Reset HeaderSpec
	// UseReset waits for the reset/Retry-After time instead of the
	// exponential backoff (retryStrategy.useResetOrRetryAfterHeaders); the
	// default dialects' Retry-After is always honoured.
	UseReset bool
}

// ParseRateLimitConfig reads a rateLimitConfig object (both corpus shapes:
// CustomHeaders with named headers, DefaultHeaders). Keys match
// case-insensitively; errors name the JSON path below rateLimitConfig.
func ParseRateLimitConfig(m map[string]any) (*RateLimitConfig, error) {
	if m == nil {
		return nil, nil
	}
	c := &RateLimitConfig{UseReset: true}
	var errs []error
	obj := func(v any, path string) map[string]any {
		if v == nil {
			return nil
		}
		o, ok := v.(map[string]any)
		if !ok {
			errs = append(errs, fmt.Errorf("rateLimitConfig.%s: want an object, got %T", path, v))
		}
		return o
	}
	str := func(o map[string]any, key, path string) string {
		v := get(o, key)
		if v == nil {
			return ""
		}
		s, ok := v.(string)
		if !ok {
			errs = append(errs, fmt.Errorf("rateLimitConfig.%s: want a string, got %T", path, v))
		}
		return s
	}
	for k := range m {
		switch strings.ToLower(k) {
		case "evaluation", "extraction", "retrystrategy":
		default:
			errs = append(errs, fmt.Errorf("rateLimitConfig.%s: unknown field (want evaluation, extraction, retryStrategy)", k))
		}
	}
	if ev := obj(get(m, "evaluation"), "evaluation"); ev != nil {
		switch mode := str(ev, "checkMode", "evaluation.checkMode"); strings.ToLower(mode) {
		case "", checkModeAlways:
		case checkModeOnlyWhen429:
			c.OnlyWhen429 = true
		default:
			errs = append(errs, fmt.Errorf("rateLimitConfig.evaluation.checkMode: %q is not OnlyWhen429 or Always", mode))
		}
	}
	if ex := obj(get(m, "extraction"), "extraction"); ex != nil {
		src := str(ex, "source", "extraction.source")
		switch strings.ToLower(src) {
		case "", sourceDefaultHeaders:
		case sourceCustomHeaders:
			hs := obj(get(ex, "headers"), "extraction.headers")
			if hs == nil {
				errs = append(errs, errors.New("rateLimitConfig.extraction.headers: required when source is CustomHeaders"))
			}
			spec := func(key string, dst *HeaderSpec) {
				h := obj(get(hs, key), "extraction.headers."+key)
				if h == nil {
					return
				}
				dst.Name = str(h, "name", "extraction.headers."+key+".name")
				dst.Format = str(h, "format", "extraction.headers."+key+".format")
				switch strings.ToLower(dst.Format) {
				case "", "integer", "unixtimeseconds", "unixtimemilliseconds", "datetime":
				default:
					errs = append(errs, fmt.Errorf("rateLimitConfig.extraction.headers.%s.format: %q is not Integer, UnixTimeSeconds, UnixTimeMilliseconds or DateTime", key, dst.Format))
				}
			}
			spec("limit", &c.Limit)
			spec("remaining", &c.Remaining)
			spec("reset", &c.Reset)
		default:
			errs = append(errs, fmt.Errorf("rateLimitConfig.extraction.source: %q is not CustomHeaders or DefaultHeaders", src))
		}
	}
	if rs := obj(get(m, "retryStrategy"), "retryStrategy"); rs != nil {
		if v := get(rs, "useResetOrRetryAfterHeaders"); v != nil {
			b, ok := v.(bool)
			if !ok {
				errs = append(errs, fmt.Errorf("rateLimitConfig.retryStrategy.useResetOrRetryAfterHeaders: want a boolean, got %T", v))
			}
			c.UseReset = b
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return c, nil
}

func get(m map[string]any, key string) any {
	if v, ok := m[key]; ok {
		return v
	}
	for k, v := range m {
		if strings.EqualFold(k, key) {
			return v
		}
	}
	return nil
}

// Limit is what a response's headers say about the rate limit.
type Limit struct {
	Remaining    int64 // -1 when unknown
	Wait         time.Duration
	HasWait      bool
	FromHeader   string // header the wait came from
	HasRemaining bool
}

// ParseLimit reads the rate-limit headers of a response: the configured
// custom headers first, then Retry-After, X-RateLimit-Remaining/-Reset,
// RateLimit-Remaining/-Reset and the structured RateLimit header
// ("limit=100, remaining=0, reset=30"). A reset above 10⁹ in a
// seconds header is read as a Unix time.
func ParseLimit(h http.Header, cfg *RateLimitConfig, now time.Time) Limit {
	l := Limit{Remaining: -1}
	setRemaining := func(v string) {
		if l.HasRemaining {
			return
		}
		if n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64); err == nil {
			l.Remaining, l.HasRemaining = n, true
		}
	}
	setWait := func(name, v, format string) {
		if l.HasWait || strings.TrimSpace(v) == "" {
			return
		}
		if d, ok := parseReset(v, format, now); ok {
			l.Wait, l.HasWait, l.FromHeader = d, true, name
		}
	}
	if cfg != nil {
		if cfg.Remaining.Name != "" {
			setRemaining(h.Get(cfg.Remaining.Name))
		}
		if cfg.Reset.Name != "" {
			setWait(cfg.Reset.Name, h.Get(cfg.Reset.Name), cfg.Reset.Format)
		}
	}
	if d, ok := ParseRetryAfter(h.Get("Retry-After"), now); ok && !l.HasWait {
		l.Wait, l.HasWait, l.FromHeader = d, true, "Retry-After"
	}
	for _, p := range []string{"X-RateLimit-", "X-Rate-Limit-", "RateLimit-"} {
		setRemaining(h.Get(p + "Remaining"))
		setWait(p+"Reset", h.Get(p+"Reset"), "")
	}
	if v := h.Get("RateLimit"); v != "" {
		for _, part := range strings.Split(v, ",") {
			k, val, ok := strings.Cut(strings.TrimSpace(part), "=")
			if !ok {
				continue
			}
			switch strings.ToLower(strings.TrimSpace(k)) {
			case "remaining", "r":
				setRemaining(val)
			case "reset", "t":
				setWait("RateLimit", val, FormatInteger)
			}
		}
	}
	return l
}

// parseReset converts a reset header value into a wait from now.
func parseReset(v, format string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	clamp := func(d time.Duration) (time.Duration, bool) { return max(d, 0), true }
	switch strings.ToLower(format) {
	case "datetime":
		if t, err := http.ParseTime(v); err == nil {
			return clamp(t.Sub(now))
		}
		if t, err := time.Parse(time.RFC3339, v); err == nil {
			return clamp(t.Sub(now))
		}
		return 0, false
	case "unixtimemilliseconds":
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return 0, false
		}
		return clamp(time.UnixMilli(n).Sub(now))
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || f < 0 || f > maxResetValue {
		return 0, false
	}
	if strings.EqualFold(format, FormatUnixTimeSeconds) || (format == "" && f >= unixSecondsPlausibleAt) {
		return clamp(time.Unix(int64(f), 0).Sub(now))
	}
	if f >= unixSecondsPlausibleAt {
		return 0, false // a delta of more than 30 years is not a delay
	}
	return time.Duration(f * float64(time.Second)), true
}
