package gateway

import (
	"bytes"
	"io"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

// restJSON is the REST side's JSON: grpc-gateway's protojson marshaler, with request bodies
// decoded by protojson alone. grpc-gateway's own decoder first scans the body with encoding/json
// into a json.RawMessage and then hands that copy to protojson, parsing the body twice. The
// body is already read and bounded (rest.serve), so nothing streams.
type restJSON struct {
	runtime.JSONPb
}

func newRESTJSON() *restJSON {
	return &restJSON{JSONPb: runtime.JSONPb{
		// Answers carry what is set, as ACS's own JSON does; a misspelt request field is an error
		// rather than silently ignored.
		MarshalOptions:   protojson.MarshalOptions{EmitUnpopulated: false},
		UnmarshalOptions: protojson.UnmarshalOptions{DiscardUnknown: false},
	}}
}

// NewDecoder decodes the whole of r as one message. An empty body is io.EOF, which the
// generated handlers take as an empty message, as they do from grpc-gateway's decoder; anything
// after the message is an error, where grpc-gateway's decoder ignored it.
func (j *restJSON) NewDecoder(r io.Reader) runtime.Decoder {
	return runtime.DecoderFunc(func(v any) error {
		b, err := readAll(r)
		if err != nil {
			return err
		}
		m, ok := v.(proto.Message)
		if !ok {
			return j.JSONPb.NewDecoder(bytes.NewReader(b)).Decode(v)
		}
		if len(bytes.TrimSpace(b)) == 0 {
			return io.EOF
		}
		return j.UnmarshalOptions.Unmarshal(b, m)
	})
}

// readBody is a request body rest.serve has read: its bytes are decoded where they lie.
type readBody struct {
	*bytes.Reader
	body []byte
}

func (*readBody) Close() error { return nil }

func readAll(r io.Reader) ([]byte, error) {
	if rb, ok := r.(*readBody); ok {
		rb.Reset(nil) // read, as io.ReadAll would leave it
		return rb.body, nil
	}
	return io.ReadAll(r)
}
