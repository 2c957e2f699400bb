package grpcc

import (
	"context"
	"fmt"
	"sort"
	"strings"

	rpb "google.golang.org/grpc/reflection/grpc_reflection_v1"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/descriptorpb"
)

// Reflect asks the server for its services by gRPC server reflection (v1)
// and returns their methods, as Compile does for .proto files. The
// reflection service itself is left out.
func (c *Conn) Reflect(ctx context.Context) (*Protos, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	st, err := rpb.NewServerReflectionClient(c.cc).ServerReflectionInfo(ctx)
	if err != nil {
		return nil, fmt.Errorf("server reflection: %s", StatusText(c.callStatus(err)))
	}
	ask := func(req *rpb.ServerReflectionRequest) (*rpb.ServerReflectionResponse, error) {
		if err := st.Send(req); err != nil {
			_, err = st.Recv() // the status is in the receive
			return nil, fmt.Errorf("server reflection: %s", StatusText(c.callStatus(err)))
		}
		res, err := st.Recv()
		if err != nil {
			return nil, fmt.Errorf("server reflection: %s", StatusText(c.callStatus(err)))
		}
		if e := res.GetErrorResponse(); e != nil {
			return nil, fmt.Errorf("server reflection: %s", e.GetErrorMessage())
		}
		return res, nil
	}
	res, err := ask(&rpb.ServerReflectionRequest{MessageRequest: &rpb.ServerReflectionRequest_ListServices{ListServices: "*"}})
	if err != nil {
		return nil, err
	}
	var services []string
	for _, s := range res.GetListServicesResponse().GetService() {
		if !strings.HasPrefix(s.GetName(), "grpc.reflection.") {
			services = append(services, s.GetName())
		}
	}
	if len(services) == 0 {
		return nil, fmt.Errorf("server reflection: %s lists no service", c.Target)
	}
	files := map[string]*descriptorpb.FileDescriptorProto{}
	add := func(res *rpb.ServerReflectionResponse) error {
		for _, b := range res.GetFileDescriptorResponse().GetFileDescriptorProto() {
			fd := &descriptorpb.FileDescriptorProto{}
			if err := proto.Unmarshal(b, fd); err != nil {
				return fmt.Errorf("server reflection: a file descriptor does not decode: %v", err)
			}
			files[fd.GetName()] = fd
		}
		return nil
	}
	for _, s := range services {
		res, err := ask(&rpb.ServerReflectionRequest{MessageRequest: &rpb.ServerReflectionRequest_FileContainingSymbol{FileContainingSymbol: s}})
		if err != nil {
			return nil, err
		}
		if err := add(res); err != nil {
			return nil, err
		}
	}
	// Dependencies the server did not send with the files.
	for more := true; more; {
		more = false
		for _, fd := range files {
			for _, dep := range fd.GetDependency() {
				if _, ok := files[dep]; ok {
					continue
				}
				res, err := ask(&rpb.ServerReflectionRequest{MessageRequest: &rpb.ServerReflectionRequest_FileByFilename{FileByFilename: dep}})
				if err != nil {
					return nil, err
				}
				if err := add(res); err != nil {
					return nil, err
				}
				if _, ok := files[dep]; !ok {
					return nil, fmt.Errorf("server reflection: the server did not send %s", dep)
				}
				more = true
			}
		}
	}
	set := &descriptorpb.FileDescriptorSet{}
	for _, fd := range files {
		set.File = append(set.File, fd)
	}
	reg, err := protodesc.NewFiles(set)
	if err != nil {
		return nil, fmt.Errorf("server reflection: %v", err)
	}
	p := &Protos{methods: map[string]protoreflect.MethodDescriptor{}}
	for _, s := range services {
		d, err := reg.FindDescriptorByName(protoreflect.FullName(s))
		if err != nil {
			return nil, fmt.Errorf("server reflection: service %s: %v", s, err)
		}
		sd, ok := d.(protoreflect.ServiceDescriptor)
		if !ok {
			continue
		}
		p.addService(sd)
	}
	sort.Strings(p.names)
	return p, nil
}
