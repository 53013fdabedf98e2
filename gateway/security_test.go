package gateway_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/api/annotations"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	reflectionpb "google.golang.org/grpc/reflection/grpc_reflection_v1"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	"github.com/golang-jwt/jwt/v5"

	"github.com/callgate/callgate/auth"
	"github.com/callgate/callgate/auth/authtest"
	"github.com/callgate/callgate/gateway"
	callgatev1 "github.com/callgate/callgate/gen/callgate/v1"
	"github.com/callgate/callgate/service"
)

// apiMethods are every RPC of callgate.v1, whatever service it is in: a new one is in the tables
// below without anyone adding it.
func apiMethods(t *testing.T) []protoreflect.MethodDescriptor {
	t.Helper()
	var out []protoreflect.MethodDescriptor
	protoregistry.GlobalFiles.RangeFilesByPackage("callgate.v1", func(fd protoreflect.FileDescriptor) bool {
		for i := range fd.Services().Len() {
			sd := fd.Services().Get(i)
			for j := range sd.Methods().Len() {
				out = append(out, sd.Methods().Get(j))
			}
		}
		return true
	})
	if len(out) < 16 {
		t.Fatalf("only %d RPCs found", len(out))
	}
	return out
}

func fullMethod(md protoreflect.MethodDescriptor) string {
	return "/" + string(md.Parent().FullName()) + "/" + string(md.Name())
}

// invoke calls an RPC with an empty request: what matters is whether the caller gets past the
// authorization, not what the RPC then makes of the request.
func invoke(ctx context.Context, conn *grpc.ClientConn, md protoreflect.MethodDescriptor) error {
	mt, err := protoregistry.GlobalTypes.FindMessageByName(md.Input().FullName())
	if err != nil {
		return err
	}
	req := mt.New().Interface()
	out, err := protoregistry.GlobalTypes.FindMessageByName(md.Output().FullName())
	if err != nil {
		return err
	}
	if !md.IsStreamingServer() {
		return conn.Invoke(ctx, fullMethod(md), req, out.New().Interface())
	}
	stream, err := conn.NewStream(ctx, &grpc.StreamDesc{ServerStreams: true}, fullMethod(md))
	if err != nil {
		return err
	}
	if err := stream.SendMsg(req); err != nil {
		return err
	}
	_ = stream.CloseSend()
	return stream.RecvMsg(out.New().Interface())
}

// restRoute is an RPC's REST method and path, with its path variables filled.
func restRoute(t *testing.T, md protoreflect.MethodDescriptor) (string, string) {
	rule, _ := proto.GetExtension(md.Options(), annotations.E_Http).(*annotations.HttpRule)
	var method, path string
	switch p := rule.GetPattern().(type) {
	case *annotations.HttpRule_Get:
		method, path = http.MethodGet, p.Get
	case *annotations.HttpRule_Post:
		method, path = http.MethodPost, p.Post
	default:
		t.Fatalf("%s has no REST route", md.FullName())
	}
	for strings.Contains(path, "{") {
		i, j := strings.Index(path, "{"), strings.Index(path, "}")
		path = path[:i] + "x" + path[j+1:]
	}
	return method, path
}

func writeFile(t *testing.T, lines ...string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// keysFor is an authenticator with one API key per permission: "key-<permission>" for principal
// "<permission>-caller".
func keysFor(t *testing.T) *auth.Authenticator {
	t.Helper()
	var lines []string
	for _, p := range auth.Permissions() {
		line, err := auth.KeyLine("key-"+p, p+"-caller", []string{p})
		if err != nil {
			t.Fatal(err)
		}
		lines = append(lines, line)
	}
	a, err := auth.New(auth.Config{APIKeysFile: writeFile(t, lines...)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.Close)
	return a
}

func bearer(ctx context.Context, token string) context.Context {
	return metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+token)
}

// Without credentials every RPC is refused, over gRPC and over REST; health and reflection stay
// open.
func TestEveryRPCNeedsCredentials(t *testing.T) {
	s, _ := start(t, withConfig(func(c *gateway.Config) { c.Auth = keysFor(t) }))
	conn := dial(t, s)
	for _, md := range apiMethods(t) {
		if err := invoke(testContext(t), conn, md); status.Code(err) != codes.Unauthenticated {
			t.Errorf("gRPC %s without credentials: %v, want UNAUTHENTICATED", md.Name(), err)
		}
		method, path := restRoute(t, md)
		var body []byte
		if method == http.MethodPost {
			body = []byte("{}")
		}
		if resp, out := do(t, method, s.base+path, "application/json", body); resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("REST %s %s without credentials: %d %s, want 401", method, path, resp.StatusCode, out)
		}
		if err := invoke(bearer(testContext(t), "not-a-key"), conn, md); status.Code(err) != codes.Unauthenticated {
			t.Errorf("gRPC %s with an unknown key: %v, want UNAUTHENTICATED", md.Name(), err)
		}
	}
	if _, err := callgatev1.NewCallServiceClient(conn).GetCall(testContext(t), &callgatev1.GetCallRequest{}); !strings.Contains(status.Convert(err).Message(), "no credentials") {
		t.Errorf("the refusal says %q, want what the client can do", status.Convert(err).Message())
	}
	TestHealthServing(t)
}

// Each permission admits exactly the RPCs that declare it; an RPC that declares none (or an
// unknown permission) fails here.
func TestEachPermissionAdmitsExactlyItsRPCs(t *testing.T) {
	s, _ := start(t, withConfig(func(c *gateway.Config) { c.Auth = keysFor(t) }))
	conn := dial(t, s)
	for _, md := range apiMethods(t) {
		access, _ := proto.GetExtension(md.Options(), callgatev1.E_Access).(*callgatev1.Access)
		if !strings.Contains(","+strings.Join(auth.Permissions(), ",")+",", ","+access.GetPermission()+",") || access.GetPermission() == "" {
			t.Errorf("%s declares permission %q: declare one of %v", md.FullName(), access.GetPermission(), auth.Permissions())
			continue
		}
		for _, perm := range auth.Permissions() {
			err := invoke(bearer(testContext(t), "key-"+perm), conn, md)
			code := status.Code(err)
			switch {
			case perm == access.GetPermission() && (code == codes.Unauthenticated || code == codes.PermissionDenied):
				t.Errorf("%s with %s: %v, want it admitted", md.Name(), perm, err)
			case perm != access.GetPermission() && code != codes.PermissionDenied:
				t.Errorf("%s with %s: %v, want PERMISSION_DENIED (it needs %s)", md.Name(), perm, err, access.GetPermission())
			}
		}
	}
}

// The callbacks listener serves /callbacks/ and nothing else; the API listener no callbacks.
func TestListenersServeOnlyTheirPaths(t *testing.T) {
	s, _ := start(t)
	for _, path := range []string{"/v1/calls/x", "/openapi.json", "/healthz", "/readyz", "/"} {
		if resp, _ := do(t, http.MethodGet, s.callbacks+path, "", nil); resp.StatusCode != http.StatusNotFound {
			t.Errorf("callbacks listener GET %s = %d, want 404", path, resp.StatusCode)
		}
	}
	if resp, _ := do(t, http.MethodPost, s.callbacks+"/v1/calls", "application/json", []byte("{}")); resp.StatusCode != http.StatusNotFound {
		t.Errorf("callbacks listener POST /v1/calls = %d, want 404", resp.StatusCode)
	}
	if resp, _ := do(t, http.MethodPost, s.callbacks+"/callbacks/calls", "application/json", []byte("[]")); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("callbacks listener POST /callbacks/calls without the secret = %d, want 401", resp.StatusCode)
	}
	for _, path := range []string{"/callbacks/calls", "/healthz"} {
		if resp, _ := do(t, http.MethodGet, s.base+path, "", nil); resp.StatusCode != http.StatusNotFound {
			t.Errorf("API listener GET %s = %d, want 404", path, resp.StatusCode)
		}
	}
}

// A principal places at most its rate of calls; another principal has its own bucket; the
// refusal says when to retry.
func TestRateLimitOfPlacedCalls(t *testing.T) {
	line1, _ := auth.KeyLine("key-a", "a", []string{auth.PermCallsCreate, auth.PermCallsRead})
	line2, _ := auth.KeyLine("key-b", "b", []string{auth.PermCallsCreate})
	a, err := auth.New(auth.Config{APIKeysFile: writeFile(t, line1, line2)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.Close)
	s, _ := start(t, withConfig(func(c *gateway.Config) {
		c.Auth = a
		c.RateLimit = gateway.RateLimit{Count: 2, Per: time.Hour}
	}))
	calls := callgatev1.NewCallServiceClient(dial(t, s))
	target := &callgatev1.CommunicationIdentifier{RawId: "8:acs:" + s.Emulator.ResourceID() + "_callee"}
	create := func(key string) error {
		_, err := calls.CreateCall(bearer(testContext(t), key), &callgatev1.CreateCallRequest{Targets: []*callgatev1.CommunicationIdentifier{target}})
		return err
	}
	for i := range 2 {
		if err := create("key-a"); err != nil {
			t.Fatalf("call %d of a: %v", i+1, err)
		}
	}
	err = create("key-a")
	if status.Code(err) != codes.ResourceExhausted {
		t.Fatalf("third call of a: %v, want RESOURCE_EXHAUSTED", err)
	}
	var retry *errdetails.RetryInfo
	for _, d := range status.Convert(err).Details() {
		if r, ok := d.(*errdetails.RetryInfo); ok {
			retry = r
		}
	}
	if retry == nil || retry.GetRetryDelay().AsDuration() <= 0 {
		t.Errorf("details %v, want a RetryInfo with a delay", status.Convert(err).Details())
	}
	if err := create("key-b"); err != nil {
		t.Errorf("b's first call: %v", err)
	}
	// Reads are not placed calls.
	if _, err := calls.GetCall(bearer(testContext(t), "key-a"), &callgatev1.GetCallRequest{CallConnectionId: "x"}); status.Code(err) == codes.ResourceExhausted {
		t.Errorf("GetCall counted against the calls' rate: %v", err)
	}
}

// A caller ID the resource does not own, or a destination the gateway does not ring, is refused
// before anything reaches ACS.
func TestTollFraudGuards(t *testing.T) {
	s, _ := start(t, withPolicy(&service.Policy{
		AllowedCallerIDs:    []string{ownNumber},
		AllowedDestinations: []string{"+1", "+44"},
		DeniedDestinations:  []string{"+1900"},
	}))
	calls := callgatev1.NewCallServiceClient(dial(t, s))
	phone := func(n string) []*callgatev1.CommunicationIdentifier {
		return []*callgatev1.CommunicationIdentifier{{RawId: "4:" + n}}
	}
	before := len(emulatorCalls(t, s))
	for _, c := range []struct {
		name, target, callerID, reason string
	}{
		{"caller ID not owned", "+16471234567", "+16470000000", "CALLER_ID_NOT_ALLOWED"},
		{"denied premium number", "+19005550123", ownNumber, "DESTINATION_DENIED"},
		{"country not allowed", "+33142685300", ownNumber, "DESTINATION_NOT_ALLOWED"},
	} {
		_, err := calls.CreateCall(testContext(t), &callgatev1.CreateCallRequest{Targets: phone(c.target), SourceCallerIdNumber: &callgatev1.PhoneNumber{Value: c.callerID}})
		if status.Code(err) != codes.PermissionDenied {
			t.Errorf("%s: %v, want PERMISSION_DENIED", c.name, err)
			continue
		}
		var info *errdetails.ErrorInfo
		for _, d := range status.Convert(err).Details() {
			if i, ok := d.(*errdetails.ErrorInfo); ok {
				info = i
			}
		}
		if info.GetReason() != c.reason || strings.Contains(status.Convert(err).Message(), c.target) {
			t.Errorf("%s: %v (%v), want reason %s and no number in the message", c.name, err, info, c.reason)
		}
	}
	if n := len(emulatorCalls(t, s)); n != before {
		t.Errorf("%d refused calls reached ACS", n-before)
	}
	if _, err := calls.CreateCall(testContext(t), &callgatev1.CreateCallRequest{Targets: phone("+16471234567"), SourceCallerIdNumber: &callgatev1.PhoneNumber{Value: ownNumber}}); err != nil {
		t.Errorf("an allowed call: %v", err)
	}
}

func emulatorCalls(t *testing.T, s *served) []any {
	t.Helper()
	resp, body := do(t, http.MethodGet, s.emulatorURL+"/emulator/v1/calls", "", nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("emulator calls: %d", resp.StatusCode)
	}
	var calls []any
	if err := jsonUnmarshal(body, &calls); err != nil {
		t.Fatal(err)
	}
	return calls
}

func TestReflectionCanBeTurnedOff(t *testing.T) {
	s, _ := start(t, withConfig(func(c *gateway.Config) { c.DisableReflection = true }))
	stream, err := newReflectionStream(t, s)
	if err == nil {
		_, err = stream()
	}
	if status.Code(err) != codes.Unimplemented {
		t.Errorf("reflection with --reflection=false: %v, want UNIMPLEMENTED", err)
	}
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

// newReflectionStream lists the services by reflection; the returned func reads the answer.
func newReflectionStream(t *testing.T, s *served) (func() (*reflectionpb.ServerReflectionResponse, error), error) {
	stream, err := reflectionpb.NewServerReflectionClient(dial(t, s)).ServerReflectionInfo(testContext(t))
	if err != nil {
		return nil, err
	}
	// io.EOF: the server already ended the stream (reflection off); Recv says with what.
	if err := stream.Send(&reflectionpb.ServerReflectionRequest{
		MessageRequest: &reflectionpb.ServerReflectionRequest_ListServices{ListServices: "*"},
	}); err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	return stream.Recv, nil
}

// Each mutating RPC writes one audit line: the principal, the method, the call, the targets
// masked, the outcome; a read writes none.
func TestAuditLine(t *testing.T) {
	s, _ := start(t, withConfig(func(c *gateway.Config) { c.Auth = keysFor(t) }))
	calls := callgatev1.NewCallServiceClient(dial(t, s))
	created, err := calls.CreateCall(bearer(testContext(t), "key-calls.create"), &callgatev1.CreateCallRequest{
		Targets: []*callgatev1.CommunicationIdentifier{{RawId: "4:+16471234567"}}, SourceCallerIdNumber: &callgatev1.PhoneNumber{Value: ownNumber},
	})
	if err != nil {
		t.Fatal(err)
	}
	_, _ = calls.GetCall(bearer(testContext(t), "key-calls.read"), &callgatev1.GetCallRequest{CallConnectionId: created.GetCall().GetCallConnectionId()})
	lines := s.logs.FilterMessage("audit").All()
	if len(lines) != 1 {
		t.Fatalf("%d audit lines, want one (CreateCall; GetCall is a read)", len(lines))
	}
	f := lines[0].ContextMap()
	targets, _ := f["targets"].([]any)
	if f["principal"] != "calls.create-caller" || f["method"] != "/callgate.v1.CallService/CreateCall" || f["code"] != "OK" ||
		f["call_connection_id"] != created.GetCall().GetCallConnectionId() || len(targets) != 1 || targets[0] != "4:+1647*****67" {
		t.Errorf("audit line %v", f)
	}
}

// Bearer tokens over gRPC and REST: a valid token with the permission is admitted; expired,
// wrong-audience, wrong-issuer, `alg: none` and wrongly-signed ones are refused the same way.
func TestTokensOverTheWire(t *testing.T) {
	iss := authtest.NewIssuer(t)
	a, err := auth.New(auth.Config{JWT: &auth.JWTConfig{Issuer: authtest.IssuerName, Audience: authtest.Audience, JWKSURL: iss.JWKSURL}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.Close)
	s, _ := start(t, withConfig(func(c *gateway.Config) { c.Auth = a }), withReady(a.Ready))
	calls := callgatev1.NewCallServiceClient(dial(t, s))
	withRead := func(c jwt.MapClaims) { c["roles"] = []any{auth.PermCallsRead} }
	none, _ := jwt.NewWithClaims(jwt.SigningMethodNone, jwt.MapClaims{"iss": authtest.IssuerName, "aud": authtest.Audience, "sub": "x",
		"roles": []any{auth.PermCallsRead}, "exp": time.Now().Add(time.Minute).Unix()}).SignedString(jwt.UnsafeAllowNoneSignatureType)
	hmac, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"iss": authtest.IssuerName, "aud": authtest.Audience, "sub": "x",
		"roles": []any{auth.PermCallsRead}, "exp": time.Now().Add(time.Minute).Unix()}).SignedString([]byte("guess"))
	for _, c := range []struct {
		name    string
		token   string
		grpc    codes.Code
		restOut int
	}{
		{"valid", iss.Token(t, jwt.SigningMethodRS256, withRead), codes.NotFound, http.StatusNotFound},
		{"without the permission", iss.Token(t, jwt.SigningMethodRS256, nil), codes.PermissionDenied, http.StatusForbidden},
		{"expired", iss.Token(t, jwt.SigningMethodRS256, func(c jwt.MapClaims) { withRead(c); c["exp"] = time.Now().Add(-time.Hour).Unix() }), codes.Unauthenticated, http.StatusUnauthorized},
		{"wrong audience", iss.Token(t, jwt.SigningMethodRS256, func(c jwt.MapClaims) { withRead(c); c["aud"] = "api://other" }), codes.Unauthenticated, http.StatusUnauthorized},
		{"wrong issuer", iss.Token(t, jwt.SigningMethodRS256, func(c jwt.MapClaims) { withRead(c); c["iss"] = "https://evil.example" }), codes.Unauthenticated, http.StatusUnauthorized},
		{"alg none", none, codes.Unauthenticated, http.StatusUnauthorized},
		{"wrongly signed", hmac, codes.Unauthenticated, http.StatusUnauthorized},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := calls.GetCall(bearer(testContext(t), c.token), &callgatev1.GetCallRequest{CallConnectionId: "no-such-call"})
			if status.Code(err) != c.grpc {
				t.Errorf("gRPC: %v, want %v", err, c.grpc)
			}
			req, _ := http.NewRequestWithContext(testContext(t), http.MethodGet, s.base+"/v1/calls/no-such-call", nil)
			req.Header.Set("Authorization", "Bearer "+c.token)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			_ = resp.Body.Close()
			if resp.StatusCode != c.restOut {
				t.Errorf("REST: %d, want %d", resp.StatusCode, c.restOut)
			}
		})
	}
}
