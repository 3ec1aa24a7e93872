package mockapi

import (
	"bytes"
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"hash"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"
)

// The verifiers below recompute vendor request signatures on the server
// side, independently of internal/poll/auth, so that the two
// implementations check each other.

// verdicts counts a signature verifier's accepted and rejected requests.
type verdicts struct {
	mu       sync.Mutex
	accepted int
	rejected int
}

// Counts returns how many requests were accepted and rejected.
func (c *verdicts) Counts() (accepted, rejected int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.accepted, c.rejected
}

// guard serves next when verify accepts the request, and answers 401 with
// body otherwise, counting both.
func (c *verdicts) guard(next http.Handler, verify func(*http.Request) bool, body any) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ok := verify(r)
		c.mu.Lock()
		if ok {
			c.accepted++
		} else {
			c.rejected++
		}
		c.mu.Unlock()
		if !ok {
			authWriteJSON(w, http.StatusUnauthorized, body)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// DuoVerifier checks Duo Admin API request signatures (canonicalization
// v2, HMAC-SHA1 or HMAC-SHA512) and the Date header's freshness.
type DuoVerifier struct {
	IKey, SKey string
	// Now and MaxSkew bound the Date header (default time.Now, 5 min).
	Now     func() time.Time
	MaxSkew time.Duration

	verdicts
}

// Protect wraps next behind the signature check (401 on failure, with
// Duo's error body).
func (v *DuoVerifier) Protect(next http.Handler) http.Handler {
	return v.guard(next, v.verify, map[string]any{"stat": "FAIL", "code": 40103, "message": "Invalid signature in request credentials"})
}

func (v *DuoVerifier) verify(r *http.Request) bool {
	user, sig, ok := r.BasicAuth()
	if !ok || !authEq(user, v.IKey) {
		return false
	}
	date := r.Header.Get("Date")
	t, err := time.Parse("Mon, 02 Jan 2006 15:04:05 -0700", date)
	if err != nil {
		return false
	}
	now, skew := time.Now, v.MaxSkew
	if v.Now != nil {
		now = v.Now
	}
	if skew <= 0 {
		skew = 5 * time.Minute
	}
	if d := now().Sub(t); d > skew || d < -skew {
		return false
	}
	params := r.URL.Query()
	if (r.Method == http.MethodPost || r.Method == http.MethodPut) && strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		b, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(b))
		if params, err = url.ParseQuery(string(b)); err != nil {
			return false
		}
	}
	enc := url.Values{}
	for k, vs := range params {
		for _, val := range vs {
			enc.Add(duoEnc(k), duoEnc(val))
		}
	}
	canon := strings.Join([]string{date, strings.ToUpper(r.Method), strings.ToLower(r.Host), r.URL.EscapedPath(), sortedPairs(enc)}, "\n")
	for _, h := range []func() hash.Hash{sha1.New, sha512.New} {
		m := hmac.New(h, []byte(v.SKey))
		m.Write([]byte(canon))
		if authEq(sig, hex.EncodeToString(m.Sum(nil))) {
			return true
		}
	}
	return false
}

// duoEnc is RFC 3986 percent-encoding built from url.QueryEscape.
func duoEnc(s string) string {
	return strings.ReplaceAll(url.QueryEscape(s), "+", "%20")
}

// SLSVerifier checks Alibaba Cloud SLS v1 request signatures.
type SLSVerifier struct {
	AccessKeyID, AccessKeySecret string

	verdicts
}

// Protect wraps next behind the signature check (401 on failure, with
// SLS's error body).
func (v *SLSVerifier) Protect(next http.Handler) http.Handler {
	return v.guard(next, v.verify, map[string]string{"errorCode": "SignatureNotMatch", "errorMessage": "signature does not match"})
}

func (v *SLSVerifier) verify(r *http.Request) bool {
	id, sig, ok := strings.Cut(strings.TrimPrefix(r.Header.Get("Authorization"), "LOG "), ":")
	if !ok || !strings.HasPrefix(r.Header.Get("Authorization"), "LOG ") || !authEq(id, v.AccessKeyID) {
		return false
	}
	if r.Header.Get("x-log-apiversion") == "" || r.Header.Get("x-log-signaturemethod") != "hmac-sha1" || r.Header.Get("Date") == "" {
		return false
	}
	b, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(b))
	if len(b) > 0 {
		sum := md5.Sum(b)
		if r.Header.Get("Content-MD5") != strings.ToUpper(hex.EncodeToString(sum[:])) {
			return false
		}
	}
	var hdrs []string
	for k := range r.Header {
		lk := strings.ToLower(k)
		if strings.HasPrefix(lk, "x-log-") || strings.HasPrefix(lk, "x-acs-") {
			hdrs = append(hdrs, lk+":"+strings.TrimSpace(r.Header.Get(k)))
		}
	}
	sort.Strings(hdrs)
	res := r.URL.Path
	if q := r.URL.Query(); len(q) > 0 {
		res += "?" + sortedPairs(q)
	}
	lines := append([]string{r.Method, r.Header.Get("Content-MD5"), r.Header.Get("Content-Type"), r.Header.Get("Date")}, hdrs...)
	m := hmac.New(sha1.New, []byte(v.AccessKeySecret))
	m.Write([]byte(strings.Join(append(lines, res), "\n")))
	return authEq(sig, base64.StdEncoding.EncodeToString(m.Sum(nil)))
}

// sortedPairs renders "k=v" pairs sorted by key, then value, joined by "&"
// (keys and values as given).
func sortedPairs(q url.Values) string {
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var out []string
	for _, k := range keys {
		vs := append([]string(nil), q[k]...)
		sort.Strings(vs)
		for _, v := range vs {
			out = append(out, k+"="+v)
		}
	}
	return strings.Join(out, "&")
}
