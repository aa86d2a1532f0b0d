package secret

import (
	"github.com/secretbench/secretbench/ige"
	"github.com/secretbench/secretbench/kdf"
)

// Result is the outcome of one message of DecryptBatch.
type Result struct {
	Header
	// Body is the DecryptedMessage TL, a sub-slice of the buffer
	// DecryptBatch returns; nil when Err is set.
	Body []byte
	// Err is nil or one of the errors Decrypt returns.
	Err error
}

// batchState holds the per-message AES schedules and IGE jobs of a batch,
// kept between calls so that a steady stream of batches allocates nothing.
type batchState struct {
	ciphers []ige.Cipher
	ivs     [][32]byte
	jobs    []ige.Job
	index   []int      // wire index of each job
	msgKeys [][16]byte // v2 msg_key of each job's plaintext
}

func (b *batchState) wipe() {
	var zero [32]byte
	for i := range b.ciphers {
		_ = b.ciphers[i].SetKey(zero[:])
	}
	clear(b.ivs)
	clear(b.jobs)
}

// DecryptBatch decrypts many wire messages (a client's backlog after a
// reconnect) at once: the v2 AES-IGE work of all of them runs interleaved
// through ige.DecryptBatch, which is bounded by AES throughput instead of
// the latency of one serial chain, and the msg_key hashes, which then
// dominate, run two messages at a time. Messages that are not v2 fall back
// to v1 one by one.
//
// dst grows by the total ciphertext length and holds every plaintext; one
// Result per wire is appended to results, in order, with Body pointing into
// the returned buffer. Each Result is exactly what Decrypt would return for
// that wire alone. With enough capacity in dst and results, and a batch no
// larger than earlier ones, DecryptBatch does not allocate. No wire may
// overlap the spare capacity of dst (DecryptBatch panics if one does).
func (c *Codec) DecryptBatch(dst []byte, wires [][]byte, results []Result) ([]byte, []Result) {
	total := 0
	for _, w := range wires {
		if len(w) > Overhead {
			total += len(w) - Overhead
		}
	}
	out, off := grow(dst, total)
	for _, w := range wires {
		if overlaps(out[off:], w) {
			panic("secret: DecryptBatch: a wire message overlaps the output buffer")
		}
	}

	b := &c.batch
	if cap(b.ciphers) < len(wires) {
		b.ciphers = make([]ige.Cipher, len(wires))
		b.ivs = make([][32]byte, len(wires))
		b.jobs = make([]ige.Job, 0, len(wires))
		b.index = make([]int, 0, len(wires))
		b.msgKeys = make([][16]byte, len(wires))
	}
	b.jobs, b.index = b.jobs[:0], b.index[:0]
	first := len(results)
	x := c.role.recvX()
	p := off
	for i, w := range wires {
		var r Result
		if r.Err = c.checkWire(w); r.Err == nil {
			n := len(w) - Overhead
			j := len(b.jobs)
			c.aesKey, b.ivs[j] = kdf.Derive(kdf.V2, &c.key.k, (*[16]byte)(w[8:24]), x)
			if err := b.ciphers[j].SetKey(c.aesKey[:]); err != nil {
				panic("secret: internal error: " + err.Error())
			}
			b.jobs = append(b.jobs, ige.Job{Cipher: &b.ciphers[j], IV: b.ivs[j][:], Dst: out[p : p+n], Src: w[Overhead:]})
			b.index = append(b.index, i)
			p += n
		}
		results = append(results, r)
	}
	ige.DecryptBatch(b.jobs)

	// The msg_key hashes dominate a batch: run them two by two.
	jobs := b.jobs
	for j := 0; j+1 < len(jobs); j += 2 {
		b.msgKeys[j], b.msgKeys[j+1] = kdf.MsgKeysV2(&c.key.k, x, jobs[j].Dst, jobs[j+1].Dst)
	}
	if len(jobs)%2 == 1 {
		j := len(jobs) - 1
		b.msgKeys[j] = kdf.MsgKeyV2(&c.key.k, x, jobs[j].Dst)
	}

	for j := range jobs {
		i := b.index[j]
		data := jobs[j].Dst
		h, start, end, err := c.open(data, wires[i], &b.msgKeys[j])
		r := &results[first+i]
		if err != nil {
			r.Err = err
			continue
		}
		r.Header = h
		r.Body = data[start:end:end]
	}
	clear(b.jobs) // keep no reference to the caller's buffers
	return out[:p], results
}
