package grpcc

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync/atomic"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/backoff"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/dynamicpb"
)

// Options configure a Conn.
type Options struct {
	// Plaintext sends calls over h2c, without TLS; otherwise TLS (nil
	// means Go's defaults: the system's roots, no client certificate).
	Plaintext bool
	TLS       *tls.Config
	// ConnectTimeout bounds each attempt to connect; 0 means 20 s.
	ConnectTimeout time.Duration
	// UserAgent is sent before grpc-go's own user agent; "" for none.
	UserAgent string
}

// Conn is a connection to one gRPC server (grpc-go reconnects it as
// needed). It connects on the first call.
type Conn struct {
	cc     *grpc.ClientConn
	Target string
	// noCert: the server asked for a client certificate and there was
	// none to send. With TLS 1.3 the server's refusal reaches the client
	// after its handshake, as a broken connection: this says why.
	noCert atomic.Bool
}

// Dial makes a Conn to target, "host:port". It does not connect yet: an
// unreachable server is the first call's failure.
func Dial(target string, o Options) (*Conn, error) {
	if target == "" {
		return nil, errors.New("the target is empty: give host:port")
	}
	if strings.Contains(target, "://") {
		return nil, fmt.Errorf("the target %q must be host:port, without a scheme (use plaintext: true for a server without TLS)", target)
	}
	c := &Conn{Target: target}
	creds := insecure.NewCredentials()
	if !o.Plaintext {
		cfg := &tls.Config{}
		if o.TLS != nil {
			cfg = o.TLS.Clone()
		}
		if len(cfg.Certificates) == 0 && cfg.GetClientCertificate == nil {
			cfg.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
				c.noCert.Store(true)
				return &tls.Certificate{}, nil
			}
		}
		creds = credentials.NewTLS(cfg)
	}
	ct := o.ConnectTimeout
	if ct <= 0 {
		ct = 20 * time.Second
	}
	opts := []grpc.DialOption{
		grpc.WithTransportCredentials(creds),
		grpc.WithConnectParams(grpc.ConnectParams{Backoff: backoff.DefaultConfig, MinConnectTimeout: ct}),
	}
	if o.UserAgent != "" {
		opts = append(opts, grpc.WithUserAgent(o.UserAgent))
	}
	// passthrough: the address is dialed as it is, with no DNS resolver
	// goroutine per connection.
	cc, err := grpc.NewClient("passthrough:///"+target, opts...)
	if err != nil {
		return nil, fmt.Errorf("connecting to %s: %w", target, err)
	}
	c.cc = cc
	return c, nil
}

// Close closes the connection; calls in flight fail.
func (c *Conn) Close() error { return c.cc.Close() }

// Result is the outcome of a call.
type Result struct {
	Messages []proto.Message // the messages received
	Header   metadata.MD
	Trailer  metadata.MD
	Status   *status.Status // OK on success
	Size     int64          // bytes of the messages received (their encoded size)
	Duration time.Duration  // from the start of the call to its end
}

// Err is "" for an OK status, else the status as text (StatusText).
func (r *Result) Err() string {
	if r.Status.Code() == codes.OK {
		return ""
	}
	return StatusText(r.Status)
}

// codeNames are the status codes as gRPC's documentation spells them.
var codeNames = [...]string{"OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED",
	"NOT_FOUND", "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION",
	"ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED"}

// CodeName is c as gRPC's documentation spells it ("NOT_FOUND").
func CodeName(c codes.Code) string {
	if int(c) < len(codeNames) {
		return codeNames[c]
	}
	return fmt.Sprintf("CODE_%d", c)
}

// StatusText is a status as "NOT_FOUND: message".
func StatusText(s *status.Status) string {
	msg := s.Message()
	if msg == "" {
		return CodeName(s.Code())
	}
	return CodeName(s.Code()) + ": " + msg
}

// Call is what one call sends besides its messages.
type Call struct {
	Method   protoreflect.MethodDescriptor
	Metadata metadata.MD
	Timeout  time.Duration // 0: none (the call ends with ctx)
}

func (c *Conn) callCtx(ctx context.Context, call Call) (context.Context, context.CancelFunc) {
	if len(call.Metadata) > 0 {
		ctx = metadata.NewOutgoingContext(ctx, call.Metadata)
	}
	if call.Timeout > 0 {
		return context.WithTimeout(ctx, call.Timeout)
	}
	return context.WithCancel(ctx)
}

// Unary makes a unary call with req.
func (c *Conn) Unary(ctx context.Context, call Call, req proto.Message) *Result {
	ctx, cancel := c.callCtx(ctx, call)
	defer cancel()
	res := &Result{}
	out := dynamicpb.NewMessage(call.Method.Output())
	t0 := time.Now()
	err := c.cc.Invoke(ctx, FullMethod(call.Method), req, out, grpc.Header(&res.Header), grpc.Trailer(&res.Trailer))
	res.Duration = time.Since(t0)
	res.Status = c.callStatus(err)
	if err == nil {
		res.Messages = []proto.Message{out}
		res.Size = int64(proto.Size(out))
	}
	return res
}

// callStatus is err as a status; a context error is the status it stands
// for.
func (c *Conn) callStatus(err error) *status.Status {
	if err == nil {
		return status.New(codes.OK, "")
	}
	s, ok := status.FromError(err)
	if !ok {
		s = status.FromContextError(err)
	}
	if s.Code() == codes.Unavailable && c.noCert.Load() {
		return status.New(codes.Unavailable, "the server requires a client certificate and none was given (tls.cert and tls.key): "+s.Message())
	}
	return s
}

// Stream is a streaming call in progress. Its methods are for one
// goroutine at a time.
type Stream struct {
	conn    *Conn
	cs      grpc.ClientStream
	method  protoreflect.MethodDescriptor
	cancel  context.CancelFunc
	start   time.Time
	res     Result
	done    bool
	sendEnd bool
}

// Stream opens a streaming call of any kind.
func (c *Conn) Stream(ctx context.Context, call Call) (*Stream, error) {
	ctx, cancel := c.callCtx(ctx, call)
	m := call.Method
	desc := &grpc.StreamDesc{StreamName: string(m.Name()), ServerStreams: m.IsStreamingServer(), ClientStreams: m.IsStreamingClient()}
	t0 := time.Now()
	cs, err := c.cc.NewStream(ctx, desc, FullMethod(m))
	if err != nil {
		cancel()
		return nil, err
	}
	return &Stream{conn: c, cs: cs, method: m, cancel: cancel, start: t0}, nil
}

// Send sends one message. After the stream ended, or when the server
// ended it, it returns the stream's result's status as an error.
func (s *Stream) Send(m proto.Message) error {
	if s.done {
		return s.res.Status.Err()
	}
	if s.sendEnd {
		return errors.New("the stream's sending side is closed (closeSend was called)")
	}
	if err := s.cs.SendMsg(m); err != nil {
		if err == io.EOF {
			// The server ended the call: its status comes with RecvMsg.
			for {
				if _, err := s.Recv(); err != nil {
					break
				}
			}
			if s.res.Status.Code() == codes.OK {
				return errors.New("the server ended the call")
			}
			return s.res.Status.Err()
		}
		s.finish(err)
		return err
	}
	return nil
}

// CloseSend says that no more messages will be sent.
func (s *Stream) CloseSend() error {
	if s.sendEnd || s.done {
		return nil
	}
	s.sendEnd = true
	return s.cs.CloseSend()
}

// Recv receives one message; at the end of the stream it returns nil and
// io.EOF when the status is OK, or the status as an error.
func (s *Stream) Recv() (proto.Message, error) {
	if s.done {
		if s.res.Status.Code() == codes.OK {
			return nil, io.EOF
		}
		return nil, s.res.Status.Err()
	}
	m := dynamicpb.NewMessage(s.method.Output())
	err := s.cs.RecvMsg(m)
	if err == nil {
		s.res.Messages = append(s.res.Messages, m)
		s.res.Size += int64(proto.Size(m))
		if !s.method.IsStreamingServer() {
			// One reply: the call's status follows it.
			s.finish(s.cs.RecvMsg(dynamicpb.NewMessage(s.method.Output())))
		}
		return m, nil
	}
	s.finish(err)
	if err == io.EOF {
		return nil, io.EOF
	}
	return nil, s.res.Status.Err()
}

// finish ends the stream with err from the last receive (io.EOF: OK).
func (s *Stream) finish(err error) {
	if s.done {
		return
	}
	s.done = true
	s.res.Duration = time.Since(s.start)
	if err == io.EOF {
		err = nil
	}
	s.res.Status = s.conn.callStatus(err)
	s.res.Header, _ = s.cs.Header()
	s.res.Trailer = s.cs.Trailer()
	s.cancel()
}

// Done reports whether the stream has ended.
func (s *Stream) Done() bool { return s.done }

// Cancel ends the stream now, from the client's side: unless it had ended,
// its status is OK (the client chose to end it), with the messages
// received so far.
func (s *Stream) Cancel() {
	if s.done {
		return
	}
	s.cancel()
	s.finish(nil)
}

// StatusOf is err, from a call on c, as a status.
func (c *Conn) StatusOf(err error) *status.Status { return c.callStatus(err) }

// Result is the stream's outcome; its Status is nil until it has ended.
func (s *Stream) Result() *Result { return &s.res }

// Run makes a whole call of any kind: it sends reqs (one for unary and
// server-streaming methods), closes the sending side and receives until
// the end.
func (c *Conn) Run(ctx context.Context, call Call, reqs []proto.Message) *Result {
	if KindOf(call.Method) == Unary && len(reqs) == 1 {
		return c.Unary(ctx, call, reqs[0])
	}
	s, err := c.Stream(ctx, call)
	if err != nil {
		return &Result{Status: c.callStatus(err)}
	}
	for _, r := range reqs {
		if s.Send(r) != nil {
			break
		}
	}
	_ = s.CloseSend()
	for !s.done {
		if _, err := s.Recv(); err != nil {
			break
		}
	}
	return &s.res
}
