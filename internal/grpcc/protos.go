// Package grpcc is the gRPC client a VU uses: it compiles .proto files at
// run time (no generated code), turns JSON text into request messages and
// response messages into JSON text, and makes unary and streaming calls
// with metadata, deadlines and TLS. It knows nothing of JavaScript.
package grpcc

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/bufbuild/protocompile"
	"github.com/bufbuild/protocompile/reporter"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/dynamicpb"
)

// Protos are compiled .proto files: the methods of their services by full
// name ("package.Service/Method").
type Protos struct {
	methods map[string]protoreflect.MethodDescriptor
	names   []string // sorted
}

// CompileError is a .proto file that does not compile, with the position
// of the first problem. Its Error() is "file:line:column: message".
type CompileError struct {
	File         string // the path the file was read from ("" when unknown)
	Line, Column int
	Msg          string
}

func (e *CompileError) Error() string {
	if e.Line == 0 {
		return e.File + ": " + e.Msg
	}
	return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Column, e.Msg)
}

// Compile compiles files, each found in the first of importPaths that has
// it (with no import paths, files are paths as they are); their imports
// are found the same way, and google/protobuf's well-known types are
// built in. read returns a file's contents by the path it is read from
// (an import path joined with the file's name); a missing file is an
// error wrapping fs.ErrNotExist.
func Compile(ctx context.Context, files, importPaths []string, read func(path string) ([]byte, error)) (*Protos, error) {
	if len(files) == 0 {
		return nil, errors.New("no .proto file given")
	}
	var mu sync.Mutex
	found := map[string]string{} // name as imported -> path read
	var readErr error
	resolve := func(name string) (protocompile.SearchResult, error) {
		dirs := importPaths
		if len(dirs) == 0 {
			dirs = []string{""}
		}
		var first error
		for _, d := range dirs {
			p := name
			if d != "" {
				p = filepath.Join(d, name)
			}
			b, err := read(p)
			if err == nil {
				mu.Lock()
				found[name] = p
				mu.Unlock()
				return protocompile.SearchResult{Source: io.NopCloser(bytes.NewReader(b))}, nil
			}
			if !errors.Is(err, fs.ErrNotExist) {
				mu.Lock()
				readErr = err
				mu.Unlock()
				return protocompile.SearchResult{}, err
			}
			if first == nil {
				first = err
			}
		}
		return protocompile.SearchResult{}, first
	}
	c := protocompile.Compiler{
		Resolver:       protocompile.WithStandardImports(protocompile.ResolverFunc(resolve)),
		MaxParallelism: 1,
	}
	res, err := c.Compile(ctx, files...)
	if err != nil {
		var ep reporter.ErrorWithPos
		if errors.As(err, &ep) {
			pos := ep.GetPosition()
			file := pos.Filename
			mu.Lock()
			if p, ok := found[file]; ok {
				file = p
			}
			mu.Unlock()
			return nil, &CompileError{File: file, Line: pos.Line, Column: pos.Col, Msg: ep.Unwrap().Error()}
		}
		mu.Lock()
		defer mu.Unlock()
		if readErr != nil {
			return nil, readErr
		}
		return nil, fmt.Errorf("%v (import paths: %s)", err, strings.Join(orDot(importPaths), ", "))
	}
	p := &Protos{methods: map[string]protoreflect.MethodDescriptor{}}
	for _, f := range res {
		svcs := f.Services()
		for i := 0; i < svcs.Len(); i++ {
			p.addService(svcs.Get(i))
		}
	}
	sort.Strings(p.names)
	return p, nil
}

func (p *Protos) addService(s protoreflect.ServiceDescriptor) {
	ms := s.Methods()
	for j := 0; j < ms.Len(); j++ {
		m := ms.Get(j)
		name := string(s.FullName()) + "/" + string(m.Name())
		p.methods[name] = m
		p.names = append(p.names, name)
	}
}

func orDot(dirs []string) []string {
	if len(dirs) == 0 {
		return []string{"."}
	}
	return dirs
}

// Methods are the full names of the methods the files define, sorted.
func (p *Protos) Methods() []string { return p.names }

// Method finds a method by its full name: "package.Service/Method", with
// or without a leading slash. It returns false when there is none.
func (p *Protos) Method(name string) (protoreflect.MethodDescriptor, bool) {
	m, ok := p.methods[strings.TrimPrefix(name, "/")]
	return m, ok
}

// Kind is what a method streams.
type Kind int

// The kinds of methods.
const (
	Unary Kind = iota
	ServerStream
	ClientStream
	BidiStream
)

func (k Kind) String() string {
	return [...]string{"unary", "server-streaming", "client-streaming", "bidirectional-streaming"}[k]
}

// KindOf is what m streams.
func KindOf(m protoreflect.MethodDescriptor) Kind {
	switch {
	case m.IsStreamingClient() && m.IsStreamingServer():
		return BidiStream
	case m.IsStreamingClient():
		return ClientStream
	case m.IsStreamingServer():
		return ServerStream
	}
	return Unary
}

// FullMethod is the method's name on the wire: "/package.Service/Method".
func FullMethod(m protoreflect.MethodDescriptor) string {
	return "/" + string(m.Parent().FullName()) + "/" + string(m.Name())
}

// Decode makes a message of type md from JSON text (protojson's mapping:
// fields by their JSON or proto name). A field md does not have is an
// error naming the field, the message type and the fields it has.
func Decode(md protoreflect.MessageDescriptor, js []byte) (proto.Message, error) {
	m := dynamicpb.NewMessage(md)
	if len(bytes.TrimSpace(js)) == 0 {
		return m, nil
	}
	if err := protojson.Unmarshal(js, m); err != nil {
		if u := unknownField(md, js); u != nil {
			return nil, u
		}
		msg := err.Error()
		msg = strings.TrimPrefix(strings.TrimPrefix(msg, "proto:"), "\u00a0")
		return nil, fmt.Errorf("%s: %s", md.FullName(), strings.TrimSpace(msg))
	}
	return m, nil
}

// Encode is m as JSON text, with fields at their zero value included.
func Encode(m proto.Message) ([]byte, error) {
	return protojson.MarshalOptions{EmitUnpopulated: true}.Marshal(m)
}
