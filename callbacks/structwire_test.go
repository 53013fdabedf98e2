package callbacks

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"
)

// appendStructField appends field num holding the Struct of obj to b, both passes at once.
func appendStructField(b []byte, num protowire.Number, obj map[string]any) ([]byte, error) {
	f, _, err := sizeStructField(num, obj)
	if err != nil {
		return nil, err
	}
	return f.append(b), nil
}

// checkStructWire says whether structWire's encoding of the JSON object text decodes to what
// structpb.NewStruct builds from it; false when the text is no JSON object.
func checkStructWire(t *testing.T, text string) bool {
	t.Helper()
	var data map[string]any
	if err := json.Unmarshal([]byte(text), &data); err != nil {
		return false
	}
	want, err := structpb.NewStruct(data)
	if err != nil {
		t.Fatalf("structpb refuses %q: %v", text, err)
	}
	b, err := appendStructField(nil, 1, data)
	if errors.Is(err, errTooDeep) {
		return true
	}
	if err != nil {
		t.Fatalf("structWire refuses %q: %v", text, err)
	}
	num, typ, n := protowire.ConsumeTag(b)
	inner, m := protowire.ConsumeBytes(b[max(n, 0):])
	if num != 1 || typ != protowire.BytesType || n < 0 || m != len(b)-n {
		t.Fatalf("%q: not one length-delimited field 1: % x", text, b)
	}
	got := &structpb.Struct{}
	if err := proto.Unmarshal(inner, got); err != nil {
		t.Fatalf("%q: the encoding does not decode: %v", text, err)
	}
	if !proto.Equal(got, want) {
		t.Fatalf("%q: decodes to %v, want %v", text, got, want)
	}
	if size := proto.Size(want); size != len(inner) {
		t.Errorf("%q: %d bytes, protobuf encodes it in %d", text, len(inner), size)
	}
	return true
}

func TestStructWireIsTheStruct(t *testing.T) {
	for _, text := range []string{
		`{}`,
		`{"a":null,"b":true,"c":false,"d":0,"e":-1.5e300,"f":"","g":"żółw 🐢","h":[],"i":{}}`,
		`{"participants":[{"identifier":{"kind":"phoneNumber","rawId":"4:+1","phoneNumber":{"value":"+1"}},"isMuted":false}],"sequenceNumber":3}`,
		`{"list":[1,"two",null,[true,[{}]],{"x":{"y":[0.1]}}]}`,
		`{"long":"` + strings.Repeat("x", 300) + `","` + strings.Repeat("k", 200) + `":1}`,
		"{\"bad\":\"\xff\xfe\"}", // encoding/json makes it U+FFFD
		`{"deep":` + strings.Repeat(`{"a":[`, maxDataDepth/2-1) + `1` + strings.Repeat(`]}`, maxDataDepth/2-1) + `}`,
	} {
		if !checkStructWire(t, text) {
			t.Errorf("%q is not a JSON object", text)
		}
	}
}

func TestStructWireRefusesWhatNoClientCouldDecode(t *testing.T) {
	var data map[string]any
	deep := `{"deep":` + strings.Repeat(`[`, maxDataDepth) + strings.Repeat(`]`, maxDataDepth) + `}`
	if err := json.Unmarshal([]byte(deep), &data); err != nil {
		t.Fatal(err)
	}
	if _, err := appendStructField(nil, 1, data); !errors.Is(err, errTooDeep) {
		t.Errorf("data %d lists deep: %v, want errTooDeep", maxDataDepth, err)
	}
}

func TestStructWireOfNoData(t *testing.T) {
	b, err := appendStructField(nil, 7, nil)
	if err != nil {
		t.Fatal(err)
	}
	// An empty Struct present, as structpb.NewStruct(nil) encodes.
	want := protowire.AppendVarint(protowire.AppendTag(nil, 7, protowire.BytesType), 0)
	if string(b) != string(want) {
		t.Errorf("no data: % x, want % x", b, want)
	}
}

// Callback data comes from the internet: whatever encoding/json decodes, structWire encodes as
// the Struct it is.
func FuzzStructWire(f *testing.F) {
	f.Add(`{"a":[1,{"b":null}],"c":"d"}`)
	f.Add(`{"x":{"y":{"z":[[],[[]],{}]}},"n":-0}`)
	f.Fuzz(func(t *testing.T, text string) {
		checkStructWire(t, text)
	})
}
