package auth

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/codeless/codeless/internal/resource"
)

// AliCloudSlsV1Config is auth type AliCloudSlsV1 (corpus only: Alibaba
// Cloud ActionTrail uses AccessKeyId and AccessKeySecret).
type AliCloudSlsV1Config struct {
	AccessKeyID     string
	AccessKeySecret string
	// SecurityToken is an STS token, sent as x-acs-security-token.
	SecurityToken string
}

// Validate checks the required fields.
func (c AliCloudSlsV1Config) Validate() error {
	var errs []error
	if strings.TrimSpace(c.AccessKeyID) == "" {
		errs = append(errs, errors.New("auth.accessKeyId: required for AliCloudSlsV1 auth"))
	}
	if c.AccessKeySecret == "" {
		errs = append(errs, errors.New("auth.accessKeySecret: required for AliCloudSlsV1 auth"))
	}
	return errors.Join(errs...)
}

// AliCloudSlsV1 signs requests with Alibaba Cloud Simple Log Service's
// signature v1 (help.aliyun.com "Request signatures", HMAC-SHA1):
//
//	SignString = VERB "\n" Content-MD5 "\n" Content-Type "\n" Date "\n"
//	             CanonicalizedLOGHeaders "\n" CanonicalizedResource
//
// where the headers are every x-log-* and x-acs-* header (lower-case name,
// sorted, "name:value", newline-separated) and the resource is the path
// plus "?" and the query parameters sorted by key, "k=v" joined by "&",
// not URL-encoded. Authorization is "LOG <AccessKeyId>:<base64 signature>".
type AliCloudSlsV1 struct {
	c AliCloudSlsV1Config
	o Options
}

// NewAliCloudSlsV1 validates c and returns the signer.
func NewAliCloudSlsV1(c AliCloudSlsV1Config, o Options) (*AliCloudSlsV1, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return &AliCloudSlsV1{c: c, o: o.withDefaults()}, nil
}

func newAliCloudSlsV1From(a resource.Auth, o Options) (Authenticator, error) {
	var errs []error
	get := func(k string) string {
		v, err := str(a.Fields, k)
		if err != nil {
			errs = append(errs, err)
		}
		return v
	}
	c := AliCloudSlsV1Config{AccessKeyID: get("accessKeyId"), AccessKeySecret: get("accessKeySecret"), SecurityToken: get("securityToken")}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return NewAliCloudSlsV1(c, o)
}

// Apply sets Date, the x-log-* headers, Content-MD5 (with a body) and
// Authorization.
func (s *AliCloudSlsV1) Apply(req *http.Request) error {
	body, err := peekBody(req)
	if err != nil {
		return fmt.Errorf("auth.aliCloudSlsV1: reading the body to sign: %w", err)
	}
	req.Header.Set("Date", s.o.Now().UTC().Format(http.TimeFormat))
	if req.Header.Get("x-log-apiversion") == "" {
		req.Header.Set("x-log-apiversion", "0.6.0")
	}
	req.Header.Set("x-log-signaturemethod", "hmac-sha1")
	// Without a body nothing else is needed (the published GET example
	// signs only apiversion and signaturemethod).
	if len(body) > 0 {
		sum := md5.Sum(body)
		req.Header.Set("Content-MD5", strings.ToUpper(hex.EncodeToString(sum[:])))
		req.Header.Set("x-log-bodyrawsize", strconv.Itoa(len(body)))
	} else {
		req.Header.Del("Content-MD5")
		req.Header.Del("x-log-bodyrawsize")
	}
	if s.c.SecurityToken != "" {
		req.Header.Set("x-acs-security-token", s.c.SecurityToken)
	}
	sig := SLSSignature(s.c.AccessKeySecret, SLSSignString(req.Method, req.Header, req.URL.Path, req.URL.Query()))
	req.Header.Set("Authorization", "LOG "+s.c.AccessKeyID+":"+sig)
	return nil
}

// Secrets returns the access key secret and the security token.
func (s *AliCloudSlsV1) Secrets() []string { return nonEmpty(s.c.AccessKeySecret, s.c.SecurityToken) }

// SLSSignString builds the string to sign from the request parts.
func SLSSignString(method string, h http.Header, path string, query url.Values) string {
	var names []string
	for k := range h {
		lk := strings.ToLower(k)
		if strings.HasPrefix(lk, "x-log-") || strings.HasPrefix(lk, "x-acs-") {
			names = append(names, lk)
		}
	}
	sort.Strings(names)
	var b strings.Builder
	b.WriteString(strings.ToUpper(method) + "\n")
	b.WriteString(h.Get("Content-MD5") + "\n")
	b.WriteString(h.Get("Content-Type") + "\n")
	b.WriteString(h.Get("Date") + "\n")
	for _, n := range names {
		b.WriteString(n + ":" + strings.TrimSpace(h.Get(n)) + "\n")
	}
	b.WriteString(path)
	if len(query) > 0 {
		keys := make([]string, 0, len(query))
		for k := range query {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var parts []string
		for _, k := range keys {
			vs := append([]string(nil), query[k]...)
			sort.Strings(vs)
			for _, v := range vs {
				parts = append(parts, k+"="+v)
			}
		}
		b.WriteString("?" + strings.Join(parts, "&"))
	}
	return b.String()
}

// SLSSignature is base64(hmac-sha1(secret, signString)).
func SLSSignature(secret, signString string) string {
	m := hmac.New(sha1.New, []byte(secret))
	m.Write([]byte(signString))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}
