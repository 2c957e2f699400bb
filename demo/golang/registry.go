package main

// The model registry over gRPC: the service of registry.proto, served with
// TLS that requires a client certificate, as the model registry of the
// Locust demo this project started from was. The server makes its
// certificates when it starts (a throwaway CA, a server certificate for
// 127.0.0.1 and localhost, a client certificate): they are for the demo
// only. The client's files go to -cert-dir: ca.pem, client.pem and
// client-key.pem.
//
// The messages are dynamic (registry.proto is compiled when the server
// starts), so the demo needs no generated code.

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	_ "embed"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/bufbuild/protocompile"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/reflection"
	rpb "google.golang.org/grpc/reflection/grpc_reflection_v1"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/dynamicpb"
)

//go:embed registry.proto
var registryProto string

// registryFlags are the gRPC registry's flags.
type registryFlags struct {
	addr, certDir *string
}

func addRegistryFlags(fs *flag.FlagSet) *registryFlags {
	return &registryFlags{
		addr:    fs.String("grpc-addr", "127.0.0.1:0", `the gRPC model registry's listen address (port 0 picks a free port; "off" serves none)`),
		certDir: fs.String("cert-dir", "", "where to write the demo's CA and client certificate for the gRPC registry (default: a new temporary folder, removed at exit)"),
	}
}

// start serves the registry and prints its second line,
//
//	example_server grpc registry on HOST:PORT (mutual TLS; client certificate in DIR)
//
// It returns a function that stops it.
func (f *registryFlags) start(scale float64, stdout io.Writer) (stop func(), err error) {
	if *f.addr == "off" {
		return func() {}, nil
	}
	dir, made := *f.certDir, false
	if dir == "" {
		if dir, err = os.MkdirTemp("", "example_server-certs"); err != nil {
			return nil, err
		}
		made = true
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	cleanup := func() {
		if made {
			os.RemoveAll(dir)
		}
	}
	serverTLS, err := makeCerts(dir)
	if err != nil {
		cleanup()
		return nil, fmt.Errorf("making the demo certificates: %w", err)
	}
	srv, err := newRegistryServer(scale, serverTLS)
	if err != nil {
		cleanup()
		return nil, err
	}
	ln, err := net.Listen("tcp", *f.addr)
	if err != nil {
		cleanup()
		return nil, fmt.Errorf("grpc registry: %w", err)
	}
	fmt.Fprintf(stdout, "example_server grpc registry on %s (mutual TLS; client certificate in %s)\n",
		strings.TrimPrefix(displayURL(ln.Addr()), "http://"), dir)
	go func() { _ = srv.Serve(ln) }()
	return func() {
		srv.Stop()
		cleanup()
	}, nil
}

// registry is the gRPC service's state: its own models, seeded as the HTTP
// registry's.
type registry struct {
	scale  float64
	mu     sync.RWMutex
	models map[string]model
	// the messages' descriptors and fields
	req, list, out protoreflect.MessageDescriptor
}

func newRegistryServer(scale float64, cfg *tls.Config) (*grpc.Server, error) {
	c := protocompile.Compiler{Resolver: &protocompile.SourceResolver{
		Accessor: protocompile.SourceAccessorFromMap(map[string]string{"registry.proto": registryProto}),
	}}
	files, err := c.Compile(context.Background(), "registry.proto")
	if err != nil {
		return nil, fmt.Errorf("compiling registry.proto: %w", err)
	}
	f := files[0]
	r := &registry{scale: scale, models: map[string]model{},
		req:  f.Messages().ByName("GetModelRequest"),
		list: f.Messages().ByName("ListModelsRequest"),
		out:  f.Messages().ByName("Model"),
	}
	for _, m := range seedModels {
		r.models[m.Name] = m
	}
	unary := func(in protoreflect.MessageDescriptor, h func(context.Context, *dynamicpb.Message) (*dynamicpb.Message, error)) grpc.MethodHandler {
		return func(_ any, ctx context.Context, dec func(any) error, _ grpc.UnaryServerInterceptor) (any, error) {
			m := dynamicpb.NewMessage(in)
			if err := dec(m); err != nil {
				return nil, err
			}
			return h(ctx, m)
		}
	}
	desc := grpc.ServiceDesc{
		ServiceName: "registry.v1.ModelRegistry",
		HandlerType: (*any)(nil),
		Methods: []grpc.MethodDesc{
			{MethodName: "GetModel", Handler: unary(r.req, r.get)},
			{MethodName: "RegisterModel", Handler: unary(r.out, r.register)},
		},
		Streams: []grpc.StreamDesc{{StreamName: "ListModels", ServerStreams: true, Handler: r.listModels}},
	}
	srv := grpc.NewServer(grpc.Creds(credentials.NewTLS(cfg)))
	srv.RegisterService(&desc, r)
	// Server reflection, for grpc.reflect and tools such as grpcurl.
	rpb.RegisterServerReflectionServer(srv, reflection.NewServerV1(reflection.ServerOptions{Services: srv, DescriptorResolver: files.AsResolver()}))
	return srv, nil
}

// delay waits the registry's latency (10-50 ms, scaled), or until ctx ends.
func (r *registry) delay(ctx context.Context) error {
	d := time.Duration(float64(registryLatency()) * r.scale)
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return status.FromContextError(ctx.Err()).Err()
	}
}

func field(m *dynamicpb.Message, name string) protoreflect.Value {
	return m.Get(m.Descriptor().Fields().ByName(protoreflect.Name(name)))
}

func (r *registry) toMsg(m model) *dynamicpb.Message {
	out := dynamicpb.NewMessage(r.out)
	fs := r.out.Fields()
	out.Set(fs.ByName("name"), protoreflect.ValueOfString(m.Name))
	out.Set(fs.ByName("version"), protoreflect.ValueOfString(m.Version))
	out.Set(fs.ByName("size"), protoreflect.ValueOfInt64(m.Size))
	return out
}

func (r *registry) get(ctx context.Context, req *dynamicpb.Message) (*dynamicpb.Message, error) {
	if err := r.delay(ctx); err != nil {
		return nil, err
	}
	name := field(req, "name").String()
	r.mu.RLock()
	m, ok := r.models[name]
	r.mu.RUnlock()
	if !ok {
		return nil, status.Errorf(codes.NotFound, "model %q not found", name)
	}
	return r.toMsg(m), nil
}

func (r *registry) register(ctx context.Context, req *dynamicpb.Message) (*dynamicpb.Message, error) {
	m := model{Name: strings.TrimSpace(field(req, "name").String()), Version: strings.TrimSpace(field(req, "version").String()), Size: field(req, "size").Int()}
	if msg := checkName(m.Name, "name"); msg != "" {
		return nil, status.Error(codes.InvalidArgument, msg)
	}
	if m.Version == "" {
		m.Version = "0.0.1"
	}
	if len(m.Version) > maxNameLen || m.Size < 0 {
		return nil, status.Error(codes.InvalidArgument, "version is too long or size is negative")
	}
	if m.Size == 0 {
		m.Size = pseudoSize(m.Name)
	}
	if err := r.delay(ctx); err != nil {
		return nil, err
	}
	r.mu.Lock()
	_, exists := r.models[m.Name]
	full := !exists && len(r.models) >= maxModels
	if !full {
		r.models[m.Name] = m
	}
	r.mu.Unlock()
	if full {
		return nil, status.Errorf(codes.ResourceExhausted, "registry is full (%d models)", maxModels)
	}
	return r.toMsg(m), nil
}

func (r *registry) listModels(_ any, ss grpc.ServerStream) error {
	if err := ss.RecvMsg(dynamicpb.NewMessage(r.list)); err != nil {
		return err
	}
	if err := r.delay(ss.Context()); err != nil {
		return err
	}
	r.mu.RLock()
	out := make([]model, 0, len(r.models))
	for _, m := range r.models {
		out = append(out, m)
	}
	r.mu.RUnlock()
	slices.SortFunc(out, func(a, b model) int { return strings.Compare(a.Name, b.Name) })
	for _, m := range out {
		if err := ss.SendMsg(r.toMsg(m)); err != nil {
			return err
		}
	}
	return nil
}

// makeCerts makes the demo's throwaway CA, server and client certificates
// (valid for a week), writes the client's files to dir and returns the
// server's TLS configuration, which requires a client certificate signed
// by the CA.
func makeCerts(dir string) (*tls.Config, error) {
	now := time.Now()
	newKey := func() (*ecdsa.PrivateKey, error) { return ecdsa.GenerateKey(elliptic.P256(), rand.Reader) }
	caKey, err := newKey()
	if err != nil {
		return nil, err
	}
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "example_server demo CA (test only)"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(7 * 24 * time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return nil, err
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		return nil, err
	}
	leaf := func(serial int64, cn string, usage x509.ExtKeyUsage) (certPEM, keyPEM []byte, err error) {
		k, err := newKey()
		if err != nil {
			return nil, nil, err
		}
		tmpl := &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: cn},
			NotBefore: now.Add(-time.Hour), NotAfter: now.Add(7 * 24 * time.Hour),
			ExtKeyUsage: []x509.ExtKeyUsage{usage}, KeyUsage: x509.KeyUsageDigitalSignature,
			DNSNames: []string{"localhost"}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback}}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &k.PublicKey, caKey)
		if err != nil {
			return nil, nil, err
		}
		kb, err := x509.MarshalECPrivateKey(k)
		if err != nil {
			return nil, nil, err
		}
		return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), nil
	}
	srvCert, srvKey, err := leaf(2, "example_server", x509.ExtKeyUsageServerAuth)
	if err != nil {
		return nil, err
	}
	cliCert, cliKey, err := leaf(3, "jsload demo client", x509.ExtKeyUsageClientAuth)
	if err != nil {
		return nil, err
	}
	caPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER})
	for name, b := range map[string][]byte{"ca.pem": caPEM, "client.pem": cliCert, "client-key.pem": cliKey} {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
			return nil, err
		}
	}
	pair, err := tls.X509KeyPair(srvCert, srvKey)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) {
		return nil, errors.New("the CA does not parse")
	}
	return &tls.Config{Certificates: []tls.Certificate{pair}, ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: pool}, nil
}
