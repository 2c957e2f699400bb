package js

import (
	"bytes"
	"crypto/hmac"
	"crypto/md5"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"hash"
	"strings"
	"unicode/utf8"

	"github.com/dop251/goja"
)

// The modules "jsload/encoding" (base64, hex) and "jsload/crypto" (hashes,
// HMAC, random bytes, UUIDs), with k6's function shapes, and the globals
// TextEncoder and TextDecoder (UTF-8 only). Inputs are strings (as UTF-8),
// ArrayBuffers, typed arrays or DataViews.

var encodingTable = []lazyEntry{
	{name: "b64encode", make: fn((*VU).b64encode)},
	{name: "b64decode", make: fn((*VU).b64decode)},
	{name: "hexEncode", make: fn((*VU).hexEncode)},
	{name: "hexDecode", make: fn((*VU).hexDecode)},
	{name: "TextEncoder", make: func(vu *VU) goja.Value { return vu.rt.Get("TextEncoder") }, kept: true},
	{name: "TextDecoder", make: func(vu *VU) goja.Value { return vu.rt.Get("TextDecoder") }, kept: true},
}

var cryptoTable = func() []lazyEntry {
	t := []lazyEntry{
		{name: "hmac", make: fn((*VU).hmacFn)},
		{name: "createHash", make: fn((*VU).createHash)},
		{name: "createHMAC", make: fn((*VU).createHMAC)},
		{name: "randomBytes", make: fn((*VU).randomBytes)},
		{name: "randomUUID", make: fn((*VU).randomUUID)},
		{name: "hexEncode", make: fn((*VU).hexEncode)},
	}
	for _, alg := range hashNames {
		t = append(t, lazyEntry{name: alg, make: func(vu *VU) goja.Value {
			return vu.rt.ToValue(func(c goja.FunctionCall) goja.Value {
				h := newHash(alg)
				h.Write(vu.bytesArg(c.Argument(0), alg+"(data)"))
				return vu.digestOut(h.Sum(nil), c.Argument(1))
			})
		}})
	}
	return t
}()

// hashNames are the hash algorithms of jsload/crypto.
var hashNames = []string{"md5", "sha1", "sha256", "sha384", "sha512", "sha512_224", "sha512_256"}

func newHash(alg string) hash.Hash {
	switch alg {
	case "md5":
		return md5.New()
	case "sha1":
		return sha1.New()
	case "sha256":
		return sha256.New()
	case "sha384":
		return sha512.New384()
	case "sha512":
		return sha512.New()
	case "sha512_224":
		return sha512.New512_224()
	case "sha512_256":
		return sha512.New512_256()
	}
	return nil
}

func (vu *VU) hashArg(v goja.Value) (string, func() hash.Hash) {
	alg := strings.ToLower(strings.ReplaceAll(v.String(), "-", ""))
	alg = strings.ReplaceAll(alg, "/", "_")
	if newHash(alg) == nil {
		panic(vu.rt.NewTypeError("unknown hash algorithm %q: use one of %s", v.String(), strings.Join(hashNames, ", ")))
	}
	return alg, func() hash.Hash { return newHash(alg) }
}

// bytesArg reads binary input: a string (its UTF-8 bytes), an ArrayBuffer,
// a typed array or a DataView (the bytes it views).
func (vu *VU) bytesArg(v goja.Value, what string) []byte {
	if goja.IsUndefined(v) || goja.IsNull(v) {
		panic(vu.rt.NewTypeError("%s: expected a string or an ArrayBuffer, got %s", what, v))
	}
	switch x := v.Export().(type) {
	case string:
		return []byte(x)
	case goja.ArrayBuffer:
		return x.Bytes()
	}
	if o, ok := v.(*goja.Object); ok {
		if ab, ok := o.Get("buffer").Export().(goja.ArrayBuffer); ok {
			b := ab.Bytes()
			off, n := o.Get("byteOffset").ToInteger(), o.Get("byteLength").ToInteger()
			if off >= 0 && n >= 0 && off+n <= int64(len(b)) {
				return b[off : off+n]
			}
		}
	}
	if _, ok := v.(*goja.Object); !ok {
		return []byte(v.String()) // numbers and booleans, as text
	}
	panic(vu.rt.NewTypeError("%s: expected a string, an ArrayBuffer or a typed array, got %s", what, v.ExportType()))
}

var b64Encodings = map[string]*base64.Encoding{
	"std": base64.StdEncoding, "rawstd": base64.RawStdEncoding,
	"url": base64.URLEncoding, "rawurl": base64.RawURLEncoding,
}

func (vu *VU) b64Enc(v goja.Value) *base64.Encoding {
	name := "std"
	if !goja.IsUndefined(v) && !goja.IsNull(v) && v.String() != "" {
		name = v.String()
	}
	enc, ok := b64Encodings[name]
	if !ok {
		panic(vu.rt.NewTypeError("unknown base64 variant %q: use std, rawstd, url or rawurl", name))
	}
	return enc
}

// b64encode(data, variant = "std") returns data in base64.
func (vu *VU) b64encode(c goja.FunctionCall) goja.Value {
	return vu.rt.ToValue(vu.b64Enc(c.Argument(1)).EncodeToString(vu.bytesArg(c.Argument(0), "b64encode(data)")))
}

// b64decode(text, variant = "std", format) returns the bytes as an
// ArrayBuffer, or as a string when format is "s".
func (vu *VU) b64decode(c goja.FunctionCall) goja.Value {
	s := c.Argument(0).String()
	b, err := vu.b64Enc(c.Argument(1)).DecodeString(s)
	if err != nil {
		panic(vu.rt.NewTypeError("b64decode: %q is not base64 of that variant: %v", short(s), err))
	}
	return vu.bytesOut(b, c.Argument(2))
}

// hexEncode(data) returns data in lowercase hex.
func (vu *VU) hexEncode(c goja.FunctionCall) goja.Value {
	return vu.rt.ToValue(hex.EncodeToString(vu.bytesArg(c.Argument(0), "hexEncode(data)")))
}

// hexDecode(text, format) returns the bytes as an ArrayBuffer, or as a
// string when format is "s".
func (vu *VU) hexDecode(c goja.FunctionCall) goja.Value {
	s := c.Argument(0).String()
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(vu.rt.NewTypeError("hexDecode: %q is not hex: %v", short(s), err))
	}
	return vu.bytesOut(b, c.Argument(1))
}

func (vu *VU) bytesOut(b []byte, format goja.Value) goja.Value {
	if !goja.IsUndefined(format) && format.String() == "s" {
		return vu.rt.ToValue(string(b))
	}
	return vu.rt.ToValue(vu.rt.NewArrayBuffer(b))
}

func short(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}

// digestOut renders a digest as out asks: "hex" (the default), "base64",
// "base64url", "base64rawurl", or "binary" (an ArrayBuffer).
func (vu *VU) digestOut(sum []byte, out goja.Value) goja.Value {
	name := "hex"
	if !goja.IsUndefined(out) && !goja.IsNull(out) {
		name = out.String()
	}
	switch name {
	case "hex":
		return vu.rt.ToValue(hex.EncodeToString(sum))
	case "base64":
		return vu.rt.ToValue(base64.StdEncoding.EncodeToString(sum))
	case "base64url":
		return vu.rt.ToValue(base64.URLEncoding.EncodeToString(sum))
	case "base64rawurl":
		return vu.rt.ToValue(base64.RawURLEncoding.EncodeToString(sum))
	case "binary":
		return vu.rt.ToValue(vu.rt.NewArrayBuffer(sum))
	}
	panic(vu.rt.NewTypeError("unknown output encoding %q: use hex, base64, base64url, base64rawurl or binary", name))
}

// hmac(algorithm, key, data, out = "hex").
func (vu *VU) hmacFn(c goja.FunctionCall) goja.Value {
	_, nh := vu.hashArg(c.Argument(0))
	m := hmac.New(nh, vu.bytesArg(c.Argument(1), "hmac(alg, key)"))
	m.Write(vu.bytesArg(c.Argument(2), "hmac(alg, key, data)"))
	return vu.digestOut(m.Sum(nil), c.Argument(3))
}

// createHash(algorithm) and createHMAC(algorithm, key) return an object
// with update(data) (chainable) and digest(out = "hex").
func (vu *VU) createHash(c goja.FunctionCall) goja.Value {
	_, nh := vu.hashArg(c.Argument(0))
	return vu.hasher(nh())
}

func (vu *VU) createHMAC(c goja.FunctionCall) goja.Value {
	_, nh := vu.hashArg(c.Argument(0))
	return vu.hasher(hmac.New(nh, vu.bytesArg(c.Argument(1), "createHMAC(alg, key)")))
}

func (vu *VU) hasher(h hash.Hash) goja.Value {
	o := vu.rt.NewObject()
	must(o.Set("update", func(c goja.FunctionCall) goja.Value {
		h.Write(vu.bytesArg(c.Argument(0), "update(data)"))
		return o
	}))
	must(o.Set("digest", func(c goja.FunctionCall) goja.Value { return vu.digestOut(h.Sum(nil), c.Argument(0)) }))
	return o
}

// randomBytes(n) returns n random bytes (crypto/rand) as an ArrayBuffer.
func (vu *VU) randomBytes(c goja.FunctionCall) goja.Value {
	n := c.Argument(0).ToInteger()
	if n < 0 || n > 1<<20 {
		panic(vu.rt.NewTypeError("randomBytes(n): n must be between 0 and 1048576, got %d", n))
	}
	b := make([]byte, n)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return vu.rt.ToValue(vu.rt.NewArrayBuffer(b))
}

// randomUUID() returns a random (version 4) UUID, as RFC 9562 writes it.
func (vu *VU) randomUUID(goja.FunctionCall) goja.Value { return vu.rt.ToValue(newUUID()) }

func newUUID() string {
	var u [16]byte
	_, _ = rand.Read(u[:])
	u[6] = u[6]&0x0f | 0x40 // version 4
	u[8] = u[8]&0x3f | 0x80 // variant 10
	return fmt.Sprintf("%x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:16])
}

// installTextCodecs defines the globals TextEncoder and TextDecoder in
// the runtimes of scripts whose code names them: each costs about 2 KB in
// every runtime (measured with BenchmarkNewVU: 29.7 KB per VU without
// them, 33.8 KB with them, also when made lazily by getters), which most
// scripts never use.
func (vu *VU) installTextCodecs(g *goja.Object) {
	for _, name := range []string{"TextEncoder", "TextDecoder"} {
		if strings.Contains(vu.s.code, name) {
			must(g.Set(name, vu.textCodec(name)))
		}
	}
}

// textCodec makes the TextEncoder or TextDecoder constructor.
func (vu *VU) textCodec(name string) goja.Value {
	rt := vu.rt
	if name == "TextEncoder" {
		return rt.ToValue(func(call goja.ConstructorCall) *goja.Object {
			o := call.This
			must(o.Set("encoding", "utf-8"))
			must(o.Set("encode", func(c goja.FunctionCall) goja.Value {
				s := ""
				if a := c.Argument(0); !goja.IsUndefined(a) {
					s = a.String()
				}
				return vu.uint8Array([]byte(toWellFormed(s)))
			}))
			return nil
		})
	}
	return rt.ToValue(func(call goja.ConstructorCall) *goja.Object {
		label := "utf-8"
		if a := call.Argument(0); !goja.IsUndefined(a) {
			label = strings.ToLower(strings.TrimSpace(a.String()))
		}
		if label != "utf-8" && label != "utf8" && label != "unicode-1-1-utf-8" {
			panic(rt.NewTypeError("TextDecoder: encoding %q is not supported: only utf-8", label)) // a RangeError in browsers
		}
		fatal, ignoreBOM := false, false
		if opts, ok := call.Argument(1).(*goja.Object); ok {
			fatal = opts.Get("fatal") != nil && opts.Get("fatal").ToBoolean()
			ignoreBOM = opts.Get("ignoreBOM") != nil && opts.Get("ignoreBOM").ToBoolean()
		}
		o := call.This
		must(o.Set("encoding", "utf-8"))
		must(o.Set("fatal", fatal))
		must(o.Set("ignoreBOM", ignoreBOM))
		must(o.Set("decode", func(c goja.FunctionCall) goja.Value {
			var b []byte
			if a := c.Argument(0); !goja.IsUndefined(a) {
				b = vu.bytesArg(a, "TextDecoder.decode(data)")
			}
			if !ignoreBOM {
				b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))
			}
			if !utf8.Valid(b) {
				if fatal {
					panic(rt.NewTypeError("TextDecoder.decode: the data is not valid UTF-8"))
				}
				return rt.ToValue(strings.ToValidUTF8(string(b), "\uFFFD"))
			}
			return rt.ToValue(string(b))
		}))
		return nil
	})
}

// toWellFormed replaces lone surrogates (which goja's String keeps as
// U+FFFD already when exporting) so that encode always writes UTF-8.
func toWellFormed(s string) string { return strings.ToValidUTF8(s, "\uFFFD") }

// uint8Array makes a Uint8Array over a copy of b.
func (vu *VU) uint8Array(b []byte) goja.Value {
	ctor, _ := goja.AssertConstructor(vu.rt.Get("Uint8Array"))
	o, err := ctor(nil, vu.rt.ToValue(vu.rt.NewArrayBuffer(b)))
	if err != nil {
		panic(err)
	}
	return o
}
