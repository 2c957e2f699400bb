// Package grpcctest starts in-process gRPC servers for tests, from .proto
// source compiled at run time, with handlers that see messages as JSON
// values, and makes certificates for TLS and mutual TLS.
package grpcctest

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"google.golang.org/grpc/metadata"
	"io"
	"io/fs"
	"math/big"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/bufbuild/protocompile"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/reflection"
	rpb "google.golang.org/grpc/reflection/grpc_reflection_v1"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/dynamicpb"
)

// Stream is one call as a handler sees it.
type Stream struct {
	grpc.ServerStream
	Method  string // "/package.Service/Method"
	in, out protoreflect.MessageDescriptor
}

// Recv receives one request as a JSON value (io.EOF at the end).
func (s *Stream) Recv() (map[string]any, error) {
	m := dynamicpb.NewMessage(s.in)
	if err := s.RecvMsg(m); err != nil {
		return nil, err
	}
	b, err := protojson.Marshal(m)
	if err != nil {
		return nil, err
	}
	var v map[string]any
	return v, json.Unmarshal(b, &v)
}

// Send sends one reply given as a JSON value.
func (s *Stream) Send(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	m := dynamicpb.NewMessage(s.out)
	if err := protojson.Unmarshal(b, m); err != nil {
		return err
	}
	return s.SendMsg(m)
}

// Handler serves every call; a returned error is the call's status (use
// status.Error).
type Handler func(s *Stream) error

// Options configure Start.
type Options struct {
	Files   map[string]string // .proto sources by name
	Handler Handler
	TLS     *tls.Config // nil: plaintext
	// Listener, when set, is served instead of a new one on 127.0.0.1.
	Listener net.Listener
	// Reflection serves gRPC server reflection (v1) for the files.
	Reflection bool
}

// services lists the files' services for the reflection service.
type services map[string]grpc.ServiceInfo

func (s services) GetServiceInfo() map[string]grpc.ServiceInfo { return s }

// Start serves o.Handler on 127.0.0.1 until the test ends and returns the
// address.
func Start(t testing.TB, o Options) string {
	t.Helper()
	names := make([]string, 0, len(o.Files))
	for n := range o.Files {
		names = append(names, n)
	}
	c := protocompile.Compiler{Resolver: protocompile.WithStandardImports(&protocompile.SourceResolver{Accessor: protocompile.SourceAccessorFromMap(o.Files)})}
	files, err := c.Compile(context.Background(), names...)
	if err != nil {
		t.Fatal(err)
	}
	methods := map[string]protoreflect.MethodDescriptor{}
	svcs := services{}
	for _, f := range files {
		for i := 0; i < f.Services().Len(); i++ {
			s := f.Services().Get(i)
			svcs[string(s.FullName())] = grpc.ServiceInfo{}
			for j := 0; j < s.Methods().Len(); j++ {
				m := s.Methods().Get(j)
				methods["/"+string(s.FullName())+"/"+string(m.Name())] = m
			}
		}
	}
	var opts []grpc.ServerOption
	if o.TLS != nil {
		opts = append(opts, grpc.Creds(credentials.NewTLS(o.TLS)))
	}
	opts = append(opts, grpc.UnknownServiceHandler(func(_ any, ss grpc.ServerStream) error {
		name, _ := grpc.MethodFromServerStream(ss)
		m, ok := methods[name]
		if !ok {
			return status.Errorf(codes.Unimplemented, "unknown method %s", name)
		}
		return o.Handler(&Stream{ServerStream: ss, Method: name, in: m.Input(), out: m.Output()})
	}))
	srv := grpc.NewServer(opts...)
	if o.Reflection {
		rpb.RegisterServerReflectionServer(srv, reflection.NewServerV1(reflection.ServerOptions{Services: svcs, DescriptorResolver: files.AsResolver()}))
	}
	ln := o.Listener
	if ln == nil {
		if ln, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
			t.Fatal(err)
		}
	}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(srv.Stop)
	return ln.Addr().String()
}

// Certs are a CA, a server certificate for 127.0.0.1 and localhost, and a
// client certificate, all signed by the CA (PEM).
type Certs struct {
	CA, ServerCert, ServerKey, ClientCert, ClientKey string
	pool                                             *x509.CertPool
}

// NewCerts makes Certs valid for an hour around now.
func NewCerts(t testing.TB) *Certs {
	t.Helper()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "grpcctest CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	leaf := func(serial int64, cn string, usage x509.ExtKeyUsage) (string, string) {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		tmpl := &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: cn},
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
			ExtKeyUsage: []x509.ExtKeyUsage{usage}, KeyUsage: x509.KeyUsageDigitalSignature,
			DNSNames: []string{"localhost"}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &k.PublicKey, caKey)
		if err != nil {
			t.Fatal(err)
		}
		kb, err := x509.MarshalECPrivateKey(k)
		if err != nil {
			t.Fatal(err)
		}
		return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})),
			string(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}))
	}
	c := &Certs{CA: string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER})), pool: x509.NewCertPool()}
	c.pool.AddCert(ca)
	c.ServerCert, c.ServerKey = leaf(2, "server", x509.ExtKeyUsageServerAuth)
	c.ClientCert, c.ClientKey = leaf(3, "client", x509.ExtKeyUsageClientAuth)
	return c
}

// ServerTLS is the server's TLS configuration; with requireClient, a
// client certificate signed by the CA is required.
func (c *Certs) ServerTLS(t testing.TB, requireClient bool) *tls.Config {
	t.Helper()
	cert, err := tls.X509KeyPair([]byte(c.ServerCert), []byte(c.ServerKey))
	if err != nil {
		t.Fatal(err)
	}
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}}
	if requireClient {
		cfg.ClientAuth = tls.RequireAndVerifyClientCert
		cfg.ClientCAs = c.pool
	}
	return cfg
}

// MapReader reads files from a map, as grpcc.Compile's read function:
// a missing one is an error wrapping fs.ErrNotExist.
func MapReader(files map[string]string) func(string) ([]byte, error) {
	return func(p string) ([]byte, error) {
		s, ok := files[strings.TrimPrefix(p, "./")]
		if !ok {
			return nil, &fs.PathError{Op: "open", Path: p, Err: fs.ErrNotExist}
		}
		return []byte(s), nil
	}
}

// Echo is the handler of the tests' test.v1.Echo service (Say, Count,
// Collect, Chat; messages SayRequest {text, times, ...} and SayReply {text,
// n}): Say echoes the text, or for "fail" fails with NOT_FOUND, for "slow"
// waits for the deadline, for "md" answers the x-user and x-conn metadata;
// Count streams times replies (then, for "drop", fails with UNAVAILABLE);
// Collect joins the texts; Chat echoes each message.
func Echo(s *Stream) error {
	switch s.Method {
	case "/test.v1.Echo/Say":
		req, err := s.Recv()
		if err != nil {
			return err
		}
		switch req["text"] {
		case "fail":
			return status.Error(codes.NotFound, "no such text")
		case "slow":
			<-s.Context().Done()
			return s.Context().Err()
		case "md":
			md, _ := metadata.FromIncomingContext(s.Context())
			return s.Send(map[string]any{"text": strings.Join(append(md.Get("x-user"), md.Get("x-conn")...), ",")})
		}
		return s.Send(map[string]any{"text": req["text"], "n": 1})
	case "/test.v1.Echo/Count":
		req, err := s.Recv()
		if err != nil {
			return err
		}
		times, _ := req["times"].(float64)
		for i := 0; i < int(times); i++ {
			if err := s.Send(map[string]any{"text": req["text"], "n": i}); err != nil {
				return err
			}
		}
		if req["text"] == "drop" {
			return status.Error(codes.Unavailable, "the server went away mid-stream")
		}
		return nil
	case "/test.v1.Echo/Collect":
		var parts []string
		for {
			req, err := s.Recv()
			if err == io.EOF {
				return s.Send(map[string]any{"text": strings.Join(parts, "+"), "n": len(parts)})
			}
			if err != nil {
				return err
			}
			parts = append(parts, fmt.Sprint(req["text"]))
		}
	case "/test.v1.Echo/Chat":
		for i := 0; ; i++ {
			req, err := s.Recv()
			if err == io.EOF {
				return nil
			}
			if err != nil {
				return err
			}
			if err := s.Send(map[string]any{"text": req["text"], "n": i}); err != nil {
				return err
			}
		}
	}
	return status.Error(codes.Unimplemented, s.Method)
}
