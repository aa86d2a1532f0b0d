package secret

// Stub of the core/sent-log API until its implementation is merged: the
// core is the whole state and no sent message is logged apart.

// AppendCore appends the chat's state without the kept sent wires.
func (c *Chat) AppendCore(dst []byte) ([]byte, error) { return c.AppendBinary(dst) }

// SentRange returns the indices [base, end) of the kept sent messages.
func (c *Chat) SentRange() (base, end uint32) { return 0, 0 }

// SentWire returns the wire of kept sent message i, nil outside the range.
func (c *Chat) SentWire(i uint32) []byte { return nil }

// RestoreChatCore restores a chat from a core state and its kept sent wires.
func RestoreChatCore(core []byte, sent func(i uint32) (wire []byte, ok bool), cfg Config) (*Chat, error) {
	return RestoreChat(core, cfg)
}
