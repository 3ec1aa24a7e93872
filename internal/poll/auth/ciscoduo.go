package auth

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"mime"
	"net/http"
	"net/url"
	"sort"
	"strings"

	"github.com/codeless/codeless/internal/resource"
)

// CiscoDuoConfig is auth type CiscoDuo (corpus only: the Cisco Duo
// connectors use "APIKey" for the integration key and "ClientSecret" for
// the secret key).
type CiscoDuoConfig struct {
	IntegrationKey string
	SecretKey      string
	// SHA1 signs with HMAC-SHA1 instead of HMAC-SHA512. Duo's Admin API
	// accepts both; SHA512 is what Duo's current clients send.
	SHA1 bool
}

// Validate checks the required fields.
func (c CiscoDuoConfig) Validate() error {
	var errs []error
	if strings.TrimSpace(c.IntegrationKey) == "" {
		errs = append(errs, errors.New("auth.apiKey: required for CiscoDuo auth (the Duo integration key)"))
	}
	if c.SecretKey == "" {
		errs = append(errs, errors.New("auth.clientSecret: required for CiscoDuo auth (the Duo secret key)"))
	}
	return errors.Join(errs...)
}

// CiscoDuo signs every request as the Duo Admin API requires
// (https://duo.com/docs/adminapi#authentication, canonicalization v2):
// the canonical string is the Date header, the upper-case method, the
// lower-case host, the path and the sorted, RFC 3986-encoded parameters
// (query string, or form body for POST/PUT), joined by newlines; the
// request carries "Date" and "Authorization: Basic
// base64(ikey:hex(hmac(skey, canonical)))".
type CiscoDuo struct {
	c CiscoDuoConfig
	o Options
}

// NewCiscoDuo validates c and returns the signer.
func NewCiscoDuo(c CiscoDuoConfig, o Options) (*CiscoDuo, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return &CiscoDuo{c: c, o: o.withDefaults()}, nil
}

func newCiscoDuoFrom(a resource.Auth, o Options) (Authenticator, error) {
	secret, err := str(a.Fields, "clientSecret")
	if err != nil {
		return nil, err
	}
	if secret == "" {
		// Tolerate the secret under the names other types use.
		for _, k := range []string{"secretKey", "apiSecret"} {
			if s, _ := str(a.Fields, k); s != "" {
				secret = s
			}
		}
	}
	ikey := a.APIKey
	if ikey == "" {
		ikey, _ = str(a.Fields, "integrationKey")
	}
	return NewCiscoDuo(CiscoDuoConfig{IntegrationKey: ikey, SecretKey: secret}, o)
}

// duoDateFormat is RFC 2822 with a numeric zone, as Duo's clients send it.
const duoDateFormat = "Mon, 02 Jan 2006 15:04:05 -0000"

// Apply sets Date and Authorization.
func (d *CiscoDuo) Apply(req *http.Request) error {
	params := req.URL.Query()
	if req.Method == http.MethodPost || req.Method == http.MethodPut {
		ct, _, _ := mime.ParseMediaType(req.Header.Get("Content-Type"))
		if ct == "application/x-www-form-urlencoded" {
			b, err := peekBody(req)
			if err != nil {
				return fmt.Errorf("auth.ciscoDuo: reading the form body to sign: %w", err)
			}
			if params, err = url.ParseQuery(string(b)); err != nil {
				return fmt.Errorf("auth.ciscoDuo: form body is not URL-encoded: %w", err)
			}
		}
	}
	date := d.o.Now().UTC().Format(duoDateFormat)
	host := req.Host
	if host == "" {
		host = req.URL.Host
	}
	canon := DuoCanonical(date, req.Method, host, req.URL.EscapedPath(), params)
	req.Header.Set("Date", date)
	req.Header.Set("Authorization", DuoAuthorization(d.c.IntegrationKey, d.c.SecretKey, canon, d.c.SHA1))
	return nil
}

// Secrets returns the secret key.
func (d *CiscoDuo) Secrets() []string { return []string{d.c.SecretKey} }

// DuoCanonical builds Duo's v2 canonical request string.
func DuoCanonical(date, method, host, path string, params url.Values) string {
	return strings.Join([]string{date, strings.ToUpper(method), strings.ToLower(host), path, DuoCanonParams(params)}, "\n")
}

// DuoCanonParams sorts the parameters by encoded key (then value) and
// encodes them per RFC 3986 (only A-Z a-z 0-9 - . _ ~ stay literal).
func DuoCanonParams(params url.Values) string {
	type kv struct{ k, v string }
	var all []kv
	for k, vs := range params {
		ek := duoEscape(k)
		for _, v := range vs {
			all = append(all, kv{ek, duoEscape(v)})
		}
	}
	sort.Slice(all, func(i, j int) bool {
		if all[i].k != all[j].k {
			return all[i].k < all[j].k
		}
		return all[i].v < all[j].v
	})
	parts := make([]string, len(all))
	for i, p := range all {
		parts[i] = p.k + "=" + p.v
	}
	return strings.Join(parts, "&")
}

// DuoAuthorization returns "Basic base64(ikey:hex(hmac(skey, canon)))".
func DuoAuthorization(ikey, skey, canon string, sha1Sig bool) string {
	h := sha512.New
	if sha1Sig {
		h = func() hash.Hash { return sha1.New() }
	}
	m := hmac.New(h, []byte(skey))
	m.Write([]byte(canon))
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(ikey+":"+hex.EncodeToString(m.Sum(nil))))
}

func duoEscape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~' {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

// peekBody returns the request body and leaves it readable again.
func peekBody(req *http.Request) ([]byte, error) {
	if req.Body == nil || req.Body == http.NoBody {
		return nil, nil
	}
	if req.GetBody != nil {
		rc, err := req.GetBody()
		if err != nil {
			return nil, err
		}
		defer rc.Close()
		return io.ReadAll(rc)
	}
	b, err := io.ReadAll(req.Body)
	req.Body.Close()
	if err != nil {
		return nil, err
	}
	req.Body = io.NopCloser(bytes.NewReader(b))
	req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }
	return b, nil
}
