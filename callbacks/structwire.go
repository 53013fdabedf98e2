package callbacks

import (
	"errors"
	"fmt"
	"math"
	"sync"
	"unicode/utf8"

	"google.golang.org/protobuf/encoding/protowire"
)

// structWire encodes decoded JSON (what encoding/json gives for `any`: maps, slices, strings,
// float64s, bools, nils) straight into the protobuf encoding of the google.protobuf.Struct that
// structpb.NewStruct would build, without building that tree of messages: every callback's data
// is stored this way, and the tree's allocations and its encoding were a third of the handler's
// parse.
//
// A length-prefixed message needs its size before its bytes, so it runs twice over the data: the
// first pass computes every object's and list's size, in the order the second pass writes them,
// and takes each object's entries in the order it will write them (Go ranges over a map in a new
// order each time). Each pass is linear in the data, however deep it nests.
type structWire struct {
	sizes   []int // of each object and list, in the order they are written
	entries []entry
	depth   int // of the first pass, in objects and lists
	next    int // the second pass's position in sizes
	nextKV  int // and in entries
}

// maxDataDepth bounds how deep an event's data may nest objects and lists. Protobuf decoders stop
// at 10,000 levels of messages, five for each level of JSON here: data nested deeper would be
// stored, and then no client could decode the event, nor any event after it on its stream. ACS's
// events nest a few levels.
const maxDataDepth = 100

type entry struct {
	key   string
	value any
}

// Field numbers of google.protobuf.Struct, Value and ListValue.
const (
	structFields     protowire.Number = 1
	mapEntryKey      protowire.Number = 1
	mapEntryValue    protowire.Number = 2
	valueNull        protowire.Number = 1
	valueNumber      protowire.Number = 2
	valueString      protowire.Number = 3
	valueBool        protowire.Number = 4
	valueStruct      protowire.Number = 5
	valueList        protowire.Number = 6
	listValuesNumber protowire.Number = 1
)

var (
	errInvalidUTF8 = errors.New("invalid UTF-8 in string")
	errInvalidType = errors.New("invalid type in JSON value")
	errTooDeep     = fmt.Errorf("nested deeper than %d objects and lists", maxDataDepth)
)

// sizedStructField is field num holding the Struct of obj, sized: append writes it, or discard
// drops it, once.
type sizedStructField struct {
	w    *structWire
	obj  map[string]any
	num  protowire.Number
	size int // of the Struct
}

// sizeStructField runs the first pass: the field's size, or why obj has no Struct encoding.
func sizeStructField(num protowire.Number, obj map[string]any) (sizedStructField, int, error) {
	w := wires.Get().(*structWire)
	size, err := w.sizeObject(obj)
	if err != nil {
		w.release()
		return sizedStructField{}, 0, err
	}
	return sizedStructField{w: w, obj: obj, num: num, size: size}, protowire.SizeTag(num) + protowire.SizeBytes(size), nil
}

func (f sizedStructField) discard() { f.w.release() }

// append runs the second pass, appending the field to b.
func (f sizedStructField) append(b []byte) []byte {
	b = protowire.AppendTag(b, f.num, protowire.BytesType)
	b = protowire.AppendVarint(b, uint64(f.size))
	b = f.w.appendObject(b, f.obj)
	f.w.release()
	return b
}

// The passes' bookkeeping is reused from event to event.
var wires = sync.Pool{New: func() any { return new(structWire) }}

func (w *structWire) release() {
	clear(w.entries) // the data's values: not kept past the event
	*w = structWire{sizes: w.sizes[:0], entries: w.entries[:0]}
	wires.Put(w)
}

func (w *structWire) sizeObject(obj map[string]any) (int, error) {
	if w.depth++; w.depth > maxDataDepth {
		return 0, errTooDeep
	}
	defer func() { w.depth-- }()
	at := len(w.sizes)
	w.sizes = append(w.sizes, 0)
	first := len(w.entries)
	for k, v := range obj {
		w.entries = append(w.entries, entry{k, v})
	}
	n := 0
	for i := first; i < first+len(obj); i++ {
		e := w.entries[i]
		if !utf8.ValidString(e.key) {
			return 0, errInvalidUTF8
		}
		vs, err := w.sizeValue(e.value)
		if err != nil {
			return 0, err
		}
		inner := protowire.SizeTag(mapEntryKey) + protowire.SizeBytes(len(e.key)) + protowire.SizeTag(mapEntryValue) + protowire.SizeBytes(vs)
		n += protowire.SizeTag(structFields) + protowire.SizeBytes(inner)
	}
	w.sizes[at] = n
	return n, nil
}

func (w *structWire) sizeList(list []any) (int, error) {
	if w.depth++; w.depth > maxDataDepth {
		return 0, errTooDeep
	}
	defer func() { w.depth-- }()
	at := len(w.sizes)
	w.sizes = append(w.sizes, 0)
	n := 0
	for _, v := range list {
		vs, err := w.sizeValue(v)
		if err != nil {
			return 0, err
		}
		n += protowire.SizeTag(listValuesNumber) + protowire.SizeBytes(vs)
	}
	w.sizes[at] = n
	return n, nil
}

// sizeValue is the size of the Value message holding v.
func (w *structWire) sizeValue(v any) (int, error) {
	switch v := v.(type) {
	case map[string]any:
		n, err := w.sizeObject(v)
		return protowire.SizeTag(valueStruct) + protowire.SizeBytes(n), err
	case []any:
		n, err := w.sizeList(v)
		return protowire.SizeTag(valueList) + protowire.SizeBytes(n), err
	case string:
		if !utf8.ValidString(v) {
			return 0, errInvalidUTF8
		}
	}
	return scalarSize(v)
}

func scalarSize(v any) (int, error) {
	switch v := v.(type) {
	case nil:
		return protowire.SizeTag(valueNull) + protowire.SizeVarint(0), nil
	case bool:
		return protowire.SizeTag(valueBool) + protowire.SizeVarint(0), nil
	case float64:
		return protowire.SizeTag(valueNumber) + protowire.SizeFixed64(), nil
	case string:
		return protowire.SizeTag(valueString) + protowire.SizeBytes(len(v)), nil
	}
	return 0, errInvalidType
}

// The second pass writes what the first one sized: it must visit the data in the same order.

func (w *structWire) appendObject(b []byte, obj map[string]any) []byte {
	w.next++ // this object's size, which its parent wrote
	first := w.nextKV
	w.nextKV += len(obj)
	for _, e := range w.entries[first:w.nextKV] {
		vs := w.valueSize(e.value)
		inner := protowire.SizeTag(mapEntryKey) + protowire.SizeBytes(len(e.key)) + protowire.SizeTag(mapEntryValue) + protowire.SizeBytes(vs)
		b = protowire.AppendTag(b, structFields, protowire.BytesType)
		b = protowire.AppendVarint(b, uint64(inner))
		b = protowire.AppendTag(b, mapEntryKey, protowire.BytesType)
		b = protowire.AppendString(b, e.key)
		b = protowire.AppendTag(b, mapEntryValue, protowire.BytesType)
		b = protowire.AppendVarint(b, uint64(vs))
		b = w.appendValue(b, e.value)
	}
	return b
}

func (w *structWire) appendList(b []byte, list []any) []byte {
	w.next++
	for _, v := range list {
		b = protowire.AppendTag(b, listValuesNumber, protowire.BytesType)
		b = protowire.AppendVarint(b, uint64(w.valueSize(v)))
		b = w.appendValue(b, v)
	}
	return b
}

// valueSize is sizeValue again, from the sizes the first pass recorded.
func (w *structWire) valueSize(v any) int {
	switch v.(type) {
	case map[string]any:
		return protowire.SizeTag(valueStruct) + protowire.SizeBytes(w.sizes[w.next])
	case []any:
		return protowire.SizeTag(valueList) + protowire.SizeBytes(w.sizes[w.next])
	}
	n, _ := scalarSize(v)
	return n
}

// appendValue appends the fields of the Value message holding v.
func (w *structWire) appendValue(b []byte, v any) []byte {
	switch v := v.(type) {
	case nil:
		b = protowire.AppendTag(b, valueNull, protowire.VarintType)
		return protowire.AppendVarint(b, 0)
	case bool:
		b = protowire.AppendTag(b, valueBool, protowire.VarintType)
		return protowire.AppendVarint(b, protowire.EncodeBool(v))
	case float64:
		b = protowire.AppendTag(b, valueNumber, protowire.Fixed64Type)
		return protowire.AppendFixed64(b, math.Float64bits(v))
	case string:
		b = protowire.AppendTag(b, valueString, protowire.BytesType)
		return protowire.AppendString(b, v)
	case map[string]any:
		b = protowire.AppendTag(b, valueStruct, protowire.BytesType)
		b = protowire.AppendVarint(b, uint64(w.sizes[w.next]))
		return w.appendObject(b, v)
	case []any:
		b = protowire.AppendTag(b, valueList, protowire.BytesType)
		b = protowire.AppendVarint(b, uint64(w.sizes[w.next]))
		return w.appendList(b, v)
	}
	return b // not reached: the first pass refused it
}
