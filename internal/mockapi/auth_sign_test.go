package mockapi

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

// The verifiers accept the vendors' published examples and reject any
// tampering with them.
func TestVerifiersAcceptPublishedExamples(t *testing.T) {
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})
	duoParams := url.Values{
		"\u469a\u287b\u35d0\u8ef3\u6727\u502a\u0810\ud091\u00c8\uc170": {"\u0f45\u1a76\u341a\u654c\uc23f\u9b09\uabe2\u8343\u1b27\u60d0"},
		"\u7449\u7e4b\uccfb\u59ff\ufe5f\u83b7\uadcc\u900c\ucfd1\u7813": {"\u8db7\u5022\u92d3\u42ef\u207d\u8730\uacfe\u5617\u0946\u4e30"},
		"\u7470\u9314\u901c\u9eae\u40d8\u4201\u82d8\u8c70\u1d31\ua042": {"\u17d9\u0ba8\u9358\uaadf\ua42a\u48be\ufb96\u6fe9\ub7ff\u32f3"},
		"\uc2c5\u2c1d\u2620\u3617\u96b3F\u8605\u20e8\uac21\u5934":      {"\ufba9\u41aa\ubd83\u840b\u2615\u3e6e\u652d\ua8b5\ud56bU"},
	}
	duoDate := time.Date(2012, 12, 7, 17, 18, 0, 0, time.UTC)
	duoReq := func(sig, body string) *http.Request {
		r := httptest.NewRequest("POST", "https://foO.BAr52.cOm/Foo/BaR2/qux", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.Header.Set("Date", "Fri, 07 Dec 2012 17:18:00 -0000")
		r.SetBasicAuth("test_ikey", sig)
		return r
	}
	const sha1Sig = "f01811cbbf9561623ab45b893096267fd46a5178"
	const sha512Sig = "0508065035a03b2a1de2f453e629e791d180329e157f65df6b3e0f08299d4321e1c5c7a7c7ee6b9e5fc80d1fb6fbf3ad5eb7c44dd3b3985a02c37aca53ec3698"
	slsReq := func(sig, query string) *http.Request {
		r := httptest.NewRequest("GET", "http://ali-test-project.regionid.example.com/logstores?"+query, nil)
		r.Header.Set("Date", "Mon, 09 Nov 2015 06:11:16 GMT")
		r.Header.Set("x-log-apiversion", "0.6.0")
		r.Header.Set("x-log-signaturemethod", "hmac-sha1")
		r.Header.Set("Authorization", "LOG bq2sjzesjmo86kq35behupbq:"+sig)
		return r
	}
	duo := &DuoVerifier{IKey: "test_ikey", SKey: "gtdfxv9YgVBYcF6dl2Eq17KUQJN2PLM2ODVTkvoT", Now: func() time.Time { return duoDate }}
	sls := &SLSVerifier{AccessKeyID: "bq2sjzesjmo86kq35behupbq", AccessKeySecret: "4fdO2fTDDnZPU/L7CHNdemB2Nsk="}
	tests := []struct {
		name string
		h    http.Handler
		req  *http.Request
		want int
	}{
		{"duo sha1", duo.Protect(ok), duoReq(sha1Sig, duoParams.Encode()), 200},
		{"duo sha512", duo.Protect(ok), duoReq(sha512Sig, duoParams.Encode()), 200},
		{"duo tampered body", duo.Protect(ok), duoReq(sha1Sig, duoParams.Encode()+"&x=1"), 401},
		{"duo wrong signature", duo.Protect(ok), duoReq(strings.Repeat("0", 40), duoParams.Encode()), 401},
		{"sls example 1", sls.Protect(ok), slsReq("jEYOTCJs2e88o+y5F4/S5IsnBJQ=", "logstoreName=&offset=0&size=1000"), 200},
		{"sls query order does not matter", sls.Protect(ok), slsReq("jEYOTCJs2e88o+y5F4/S5IsnBJQ=", "size=1000&offset=0&logstoreName="), 200},
		{"sls tampered query", sls.Protect(ok), slsReq("jEYOTCJs2e88o+y5F4/S5IsnBJQ=", "logstoreName=&offset=1&size=1000"), 401},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := httptest.NewRecorder()
			tc.h.ServeHTTP(w, tc.req)
			if w.Code != tc.want {
				t.Fatalf("HTTP %d, want %d: %s", w.Code, tc.want, w.Body)
			}
		})
	}
}
