package secret

import (
	"bytes"
	"testing"

	"github.com/secretbench/secretbench/internal/raceflag"
)

// AppendBinary appends exactly MarshalBinary's state, and stateSize sizes
// the buffer for every state without an exchange in flight.
func TestChatAppendBinary(t *testing.T) {
	for name, st := range chatStates(t) {
		c, err := RestoreChat(st, Config{})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		prefix := []byte("prefix")
		got, err := c.AppendBinary(bytes.Clone(prefix))
		if err != nil || !bytes.Equal(got[:len(prefix)], prefix) || !bytes.Equal(got[len(prefix):], st) {
			t.Fatalf("%s: AppendBinary differs from MarshalBinary (%v)", name, err)
		}
		if c.ex.req == nil && c.stateSize() < len(st) {
			t.Errorf("%s: stateSize %d < %d", name, c.stateSize(), len(st))
		}
	}
}

// A caller that reuses its buffer allocates nothing per state.
func TestChatAppendBinaryAllocs(t *testing.T) {
	if raceflag.Enabled {
		t.Skip("allocations differ under -race")
	}
	p := newChatPair(t, nil)
	for i := range 20 {
		p.send(p.a, int64(i+1))
	}
	buf, err := p.a.AppendBinary(nil)
	if err != nil {
		t.Fatal(err)
	}
	if n := testing.AllocsPerRun(100, func() {
		buf, err = p.a.AppendBinary(buf[:0])
	}); n != 0 || err != nil {
		t.Fatalf("%v allocations per AppendBinary (%v)", n, err)
	}
}
