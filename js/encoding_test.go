package js

import (
	"regexp"
	"strings"
	"testing"
)

// Known vectors: RFC 4648 (base64), FIPS 180 and RFC 1321 ("abc"), RFC
// 2202 and RFC 4231 (HMAC).
func TestEncodingAndCryptoVectors(t *testing.T) {
	t.Parallel()
	src := `import { task } from "jsload";
import { b64encode, b64decode, hexEncode, hexDecode } from "jsload/encoding";
import * as crypto from "jsload/crypto";
const r = {};
for (const s of ["", "f", "fo", "foo", "foob", "fooba", "foobar"]) r["b64 " + s] = b64encode(s);
r["rawstd f"] = b64encode("f", "rawstd");
const fbff = hexDecode("fbff");
r["std fbff"] = b64encode(fbff);
r["url fbff"] = b64encode(fbff, "url");
r["rawurl fbff"] = b64encode(fbff, "rawurl");
r["decode"] = b64decode("Zm9vYmFy", "std", "s");
r["decode rawurl"] = hexEncode(b64decode("-_8", "rawurl"));
r["hex"] = hexEncode("abc");
r["unhex"] = hexDecode("616263", "s");
r["typed"] = hexEncode(new Uint8Array([1, 2, 3]).subarray(1));
r["utf8"] = hexEncode("€");
for (const h of ["md5", "sha1", "sha256", "sha384", "sha512"]) r[h] = crypto[h]("abc", "hex");
r["sha256 b64"] = crypto.sha256("abc", "base64");
r["sha256 bin"] = crypto.sha256("abc", "binary").byteLength;
r["hmac md5"] = crypto.hmac("md5", "Jefe", "what do ya want for nothing?", "hex");
r["hmac sha1"] = crypto.hmac("sha1", "Jefe", "what do ya want for nothing?", "hex");
r["hmac sha256"] = crypto.hmac("sha256", "Jefe", "what do ya want for nothing?", "hex");
r["hmac sha512"] = crypto.hmac("sha512", "Jefe", "what do ya want for nothing?");
r["hmac binary key"] = crypto.hmac("sha256", hexDecode("0b".repeat(20)), "Hi There", "hex");
r["streamed"] = crypto.createHMAC("sha256", "Jefe").update("what do ya ").update("want for nothing?").digest("hex");
r["streamed hash"] = crypto.createHash("sha-256").update("a").update("bc").digest();
r["random"] = crypto.randomBytes(16).byteLength;
r["uuid"] = crypto.randomUUID() + " " + crypto.randomUUID();
const enc = new TextEncoder();
r["encoder"] = Array.from(enc.encode("h€")).join(",") + " " + enc.encoding;
r["decoder"] = new TextDecoder().decode(enc.encode("\ufeffh€llo"));
r["decoder bom"] = new TextDecoder("utf-8", { ignoreBOM: true }).decode(enc.encode("\ufeffh")).length;
r["lenient"] = new TextDecoder().decode(hexDecode("68ff"));
try { new TextDecoder("utf-8", { fatal: true }).decode(hexDecode("68ff")); r["fatal"] = "no error"; } catch (e) { r["fatal"] = e.message; }
try { new TextDecoder("latin1"); } catch (e) { r["label"] = e.message; }
try { crypto.hmac("sha3", "k", "d"); } catch (e) { r["bad alg"] = e.message; }
try { b64decode("**"); } catch (e) { r["bad b64"] = e.message; }
globalThis.results = r;
export const a = task(() => {});
`
	s := load(t, "main.js", src)
	vu := newVU(t, s, testEnv(""), 1, 0)
	got := global(vu, "results").Export().(map[string]any)
	want := map[string]any{
		"b64 ": "", "b64 f": "Zg==", "b64 fo": "Zm8=", "b64 foo": "Zm9v", "b64 foob": "Zm9vYg==", "b64 fooba": "Zm9vYmE=", "b64 foobar": "Zm9vYmFy",
		"rawstd f": "Zg", "std fbff": "+/8=", "url fbff": "-_8=", "rawurl fbff": "-_8",
		"decode": "foobar", "decode rawurl": "fbff", "hex": "616263", "unhex": "abc", "typed": "0203", "utf8": "e282ac",
		"md5":             "900150983cd24fb0d6963f7d28e17f72",
		"sha1":            "a9993e364706816aba3e25717850c26c9cd0d89d",
		"sha256":          "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
		"sha384":          "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7",
		"sha512":          "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
		"sha256 b64":      "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=",
		"sha256 bin":      int64(32),
		"hmac md5":        "750c783e6ab0b503eaa86e310a5db738",
		"hmac sha1":       "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79",
		"hmac sha256":     "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
		"hmac sha512":     "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea2505549758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737",
		"hmac binary key": "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
		"streamed":        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
		"streamed hash":   "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
		"random":          int64(16),
		"encoder":         "104,226,130,172 utf-8",
		"decoder":         "h€llo",
		"decoder bom":     int64(2),
		"lenient":         "h\uFFFD",
		"fatal":           "TextDecoder.decode: the data is not valid UTF-8",
		"label":           `TextDecoder: encoding "latin1" is not supported: only utf-8`,
		"bad alg":         `unknown hash algorithm "sha3": use one of md5, sha1, sha256, sha384, sha512, sha512_224, sha512_256`,
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s = %#v, want %#v", k, got[k], w)
		}
	}
	if m, _ := got["bad b64"].(string); !strings.Contains(m, `b64decode: "**" is not base64`) {
		t.Errorf("bad b64: %q", m)
	}
	uuids := strings.Fields(got["uuid"].(string))
	v4 := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	if len(uuids) != 2 || !v4.MatchString(uuids[0]) || !v4.MatchString(uuids[1]) || uuids[0] == uuids[1] {
		t.Errorf("uuids %q", uuids)
	}
}
