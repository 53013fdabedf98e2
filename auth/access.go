package auth

import (
	"strings"
	"sync"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	callgatev1 "github.com/callgate/callgate/gen/callgate/v1"
)

// apiPackage is the proto package whose RPCs need a principal; grpc.health and
// grpc.reflection stay open to whoever reaches the (internal) port.
const apiPackage = "callgate.v1."

// AccessOf is what the RPC needs, from its `callgate.v1.access` option: fullMethod is gRPC's
// "/callgate.v1.CallService/CreateCall". protected is false for RPCs outside callgate.v1; a
// callgate.v1 RPC without the option has a nil Access, and is refused.
func AccessOf(fullMethod string) (a *callgatev1.Access, protected bool) {
	name := strings.TrimPrefix(fullMethod, "/")
	if !strings.HasPrefix(name, apiPackage) {
		return nil, false
	}
	return accessTable()[name], true
}

// accessTable maps "callgate.v1.CallService/CreateCall" to its Access; built once, from the
// descriptors, and never written after.
var accessTable = sync.OnceValue(func() map[string]*callgatev1.Access {
	m := map[string]*callgatev1.Access{}
	protoregistry.GlobalFiles.RangeFilesByPackage(protoreflect.FullName(strings.TrimSuffix(apiPackage, ".")), func(fd protoreflect.FileDescriptor) bool {
		for i := range fd.Services().Len() {
			sd := fd.Services().Get(i)
			for j := range sd.Methods().Len() {
				md := sd.Methods().Get(j)
				a, _ := proto.GetExtension(md.Options(), callgatev1.E_Access).(*callgatev1.Access)
				if a.GetPermission() != "" {
					m[string(sd.FullName())+"/"+string(md.Name())] = a
				}
			}
		}
		return true
	})
	return m
})
