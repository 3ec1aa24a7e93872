package auth

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/codeless/codeless/internal/resource"
)

// Duo's published test vectors (duo_client_python tests/test_client.py:
// TestQueryParameters, TestCanonicalize.test_v2, TestSign).
var duoUnicodeParams = url.Values{
	"\u469a\u287b\u35d0\u8ef3\u6727\u502a\u0810\ud091\u00c8\uc170": {"\u0f45\u1a76\u341a\u654c\uc23f\u9b09\uabe2\u8343\u1b27\u60d0"},
	"\u7449\u7e4b\uccfb\u59ff\ufe5f\u83b7\uadcc\u900c\ucfd1\u7813": {"\u8db7\u5022\u92d3\u42ef\u207d\u8730\uacfe\u5617\u0946\u4e30"},
	"\u7470\u9314\u901c\u9eae\u40d8\u4201\u82d8\u8c70\u1d31\ua042": {"\u17d9\u0ba8\u9358\uaadf\ua42a\u48be\ufb96\u6fe9\ub7ff\u32f3"},
	"\uc2c5\u2c1d\u2620\u3617\u96b3F\u8605\u20e8\uac21\u5934":      {"\ufba9\u41aa\ubd83\u840b\u2615\u3e6e\u652d\ua8b5\ud56bU"},
}

const duoUnicodeCanon = "%E4%9A%9A%E2%A1%BB%E3%97%90%E8%BB%B3%E6%9C%A7%E5%80%AA%E0%A0%90%ED%82%91%C3%88%EC%85%B0=%E0%BD%85%E1%A9%B6%E3%90%9A%E6%95%8C%EC%88%BF%E9%AC%89%EA%AF%A2%E8%8D%83%E1%AC%A7%E6%83%90&%E7%91%89%E7%B9%8B%EC%B3%BB%E5%A7%BF%EF%B9%9F%E8%8E%B7%EA%B7%8C%E9%80%8C%EC%BF%91%E7%A0%93=%E8%B6%B7%E5%80%A2%E9%8B%93%E4%8B%AF%E2%81%BD%E8%9C%B0%EA%B3%BE%E5%98%97%E0%A5%86%E4%B8%B0&%E7%91%B0%E9%8C%94%E9%80%9C%E9%BA%AE%E4%83%98%E4%88%81%E8%8B%98%E8%B1%B0%E1%B4%B1%EA%81%82=%E1%9F%99%E0%AE%A8%E9%8D%98%EA%AB%9F%EA%90%AA%E4%A2%BE%EF%AE%96%E6%BF%A9%EB%9F%BF%E3%8B%B3&%EC%8B%85%E2%B0%9D%E2%98%A0%E3%98%97%E9%9A%B3F%E8%98%85%E2%83%A8%EA%B0%A1%E5%A4%B4=%EF%AE%A9%E4%86%AA%EB%B6%83%E8%90%8B%E2%98%95%E3%B9%AE%E6%94%AD%EA%A2%B5%ED%95%ABU"

func TestDuoCanonParams(t *testing.T) {
	tests := []struct {
		name   string
		params url.Values
		want   string
	}{
		{"zero", url.Values{}, ""},
		{"one", url.Values{"realname": {"First Last"}}, "realname=First%20Last"},
		{"two", url.Values{"realname": {"First Last"}, "username": {"root"}}, "realname=First%20Last&username=root"},
		{"printable ascii", url.Values{
			"digits":      {"0123456789"},
			"letters":     {"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"},
			"punctuation": {"!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"},
			"whitespace":  {"\t\n\x0b\x0c\r "},
		}, "digits=0123456789&letters=abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ&punctuation=%21%22%23%24%25%26%27%28%29%2A%2B%2C-.%2F%3A%3B%3C%3D%3E%3F%40%5B%5C%5D%5E_%60%7B%7C%7D~&whitespace=%09%0A%0B%0C%0D%20"},
		{"unicode keys and values", duoUnicodeParams, duoUnicodeCanon},
		{"common prefix sorts shorter first", url.Values{"foo_bar": {"2"}, "foo": {"1"}}, "foo=1&foo_bar=2"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := DuoCanonParams(tc.params); got != tc.want {
				t.Fatalf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
}

func TestDuoPublishedSignatures(t *testing.T) {
	canon := DuoCanonical("Fri, 07 Dec 2012 17:18:00 -0000", "PoSt", "foO.BAr52.cOm", "/Foo/BaR2/qux", duoUnicodeParams)
	if want := "Fri, 07 Dec 2012 17:18:00 -0000\nPOST\nfoo.bar52.com\n/Foo/BaR2/qux\n" + duoUnicodeCanon; canon != want {
		t.Fatalf("canonical:\n%s\nwant\n%s", canon, want)
	}
	const skey = "gtdfxv9YgVBYcF6dl2Eq17KUQJN2PLM2ODVTkvoT"
	tests := []struct {
		sha1 bool
		hex  string
	}{
		{true, "f01811cbbf9561623ab45b893096267fd46a5178"},
		{false, "0508065035a03b2a1de2f453e629e791d180329e157f65df6b3e0f08299d4321e1c5c7a7c7ee6b9e5fc80d1fb6fbf3ad5eb7c44dd3b3985a02c37aca53ec3698"},
	}
	for _, tc := range tests {
		r, _ := http.NewRequest("GET", "http://x", nil)
		r.SetBasicAuth("test_ikey", tc.hex)
		if got, want := DuoAuthorization("test_ikey", skey, canon, tc.sha1), r.Header.Get("Authorization"); got != want {
			t.Errorf("sha1=%v: got %s want %s", tc.sha1, got, want)
		}
	}
}

// TestDuoApply signs a real request end to end and checks it against the
// published vector: same date, method, host, path and parameters.
func TestDuoApply(t *testing.T) {
	date := time.Date(2012, 12, 7, 17, 18, 0, 0, time.UTC)
	d, err := NewWithOptions(resource.Auth{Type: "CiscoDuo", APIKey: "test_ikey", Fields: map[string]any{"type": "CiscoDuo", "APIKey": "test_ikey", "ClientSecret": "gtdfxv9YgVBYcF6dl2Eq17KUQJN2PLM2ODVTkvoT"}},
		Options{Now: func() time.Time { return date }})
	if err != nil {
		t.Fatal(err)
	}
	body := duoUnicodeParams.Encode()
	req, _ := http.NewRequest("POST", "https://foO.BAr52.cOm/Foo/BaR2/qux", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if err := d.Apply(req); err != nil {
		t.Fatal(err)
	}
	if got := req.Header.Get("Date"); got != "Fri, 07 Dec 2012 17:18:00 -0000" {
		t.Fatalf("Date %q", got)
	}
	_, pass, _ := req.BasicAuth()
	if pass != "0508065035a03b2a1de2f453e629e791d180329e157f65df6b3e0f08299d4321e1c5c7a7c7ee6b9e5fc80d1fb6fbf3ad5eb7c44dd3b3985a02c37aca53ec3698" {
		t.Fatalf("signature %s", pass)
	}
	// The body is still readable after signing.
	b, _ := peekBody(req)
	if string(b) != body {
		t.Fatal("body consumed by signing")
	}
	if s := d.Secrets(); len(s) != 1 || s[0] != "gtdfxv9YgVBYcF6dl2Eq17KUQJN2PLM2ODVTkvoT" {
		t.Fatalf("secrets %v", s)
	}
}

// Alibaba Cloud SLS "Request signatures", examples 1 and 2.
func TestSLSPublishedSignatures(t *testing.T) {
	const secret = "4fdO2fTDDnZPU/L7CHNdemB2Nsk="
	get := http.Header{}
	get.Set("Date", "Mon, 09 Nov 2015 06:11:16 GMT")
	get.Set("x-log-apiversion", "0.6.0")
	get.Set("x-log-signaturemethod", "hmac-sha1")
	post := http.Header{}
	post.Set("Date", "Mon, 09 Nov 2015 06:03:03 GMT")
	post.Set("Content-MD5", "1DD45FA4A70A9300CC9FE7305AF2C494")
	post.Set("Content-Type", "application/x-protobuf")
	post.Set("Content-Length", "52")
	post.Set("x-log-apiversion", "0.6.0")
	post.Set("x-log-bodyrawsize", "50")
	post.Set("x-log-compresstype", "lz4")
	post.Set("x-log-signaturemethod", "hmac-sha1")
	tests := []struct {
		name, method, path string
		h                  http.Header
		q                  url.Values
		wantString, want   string
	}{
		{"GET", "GET", "/logstores", get, url.Values{"logstoreName": {""}, "offset": {"0"}, "size": {"1000"}},
			"GET\n\n\nMon, 09 Nov 2015 06:11:16 GMT\nx-log-apiversion:0.6.0\nx-log-signaturemethod:hmac-sha1\n/logstores?logstoreName=&offset=0&size=1000",
			"jEYOTCJs2e88o+y5F4/S5IsnBJQ="},
		{"POST", "POST", "/logstores/test-logstore", post, nil,
			"POST\n1DD45FA4A70A9300CC9FE7305AF2C494\napplication/x-protobuf\nMon, 09 Nov 2015 06:03:03 GMT\nx-log-apiversion:0.6.0\nx-log-bodyrawsize:50\nx-log-compresstype:lz4\nx-log-signaturemethod:hmac-sha1\n/logstores/test-logstore",
			"XWLGYHGg2F2hcfxWxMLiNkGki6g="},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := SLSSignString(tc.method, tc.h, tc.path, tc.q)
			if s != tc.wantString {
				t.Fatalf("sign string:\n%q\nwant\n%q", s, tc.wantString)
			}
			if got := SLSSignature(secret, s); got != tc.want {
				t.Fatalf("signature %s, want %s", got, tc.want)
			}
		})
	}
}

// TestSLSApply reproduces example 1's signed request through Apply.
func TestSLSApply(t *testing.T) {
	a, err := NewWithOptions(resource.Auth{Type: "AliCloudSlsV1", Fields: map[string]any{"AccessKeyId": "bq2sjzesjmo86kq35behupbq", "AccessKeySecret": "4fdO2fTDDnZPU/L7CHNdemB2Nsk="}},
		Options{Now: func() time.Time { return time.Date(2015, 11, 9, 6, 11, 16, 0, time.UTC) }})
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("GET", "https://ali-test-project.regionid.example.com/logstores?logstoreName=&offset=0&size=1000", nil)
	if err := a.Apply(req); err != nil {
		t.Fatal(err)
	}
	if got := req.Header.Get("Authorization"); got != "LOG bq2sjzesjmo86kq35behupbq:jEYOTCJs2e88o+y5F4/S5IsnBJQ=" {
		t.Fatalf("Authorization %q", got)
	}
	if got := req.Header.Get("Date"); got != "Mon, 09 Nov 2015 06:11:16 GMT" {
		t.Fatalf("Date %q", got)
	}
}
