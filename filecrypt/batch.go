package filecrypt

import (
	"fmt"
	"io"

	"github.com/secretbench/secretbench/ige"
)

// UploadJob is one upload's next part in EncryptParts.
type UploadJob struct {
	Upload *Upload
	Dst    []byte // room for PartLen(NextPart) bytes
	Plain  []byte // the plaintext of part NextPart: PlainLen(NextPart) bytes
	Part   Part   // the result, set by EncryptParts
}

// DownloadJob is one download's next part in DecryptParts.
type DownloadJob struct {
	Download *Download
	Index    int    // the part's index: the download's NextPart
	Dst      []byte // room for the whole part
	Src      []byte // the part's ciphertext
	Plain    []byte // the result, set by DecryptParts: a prefix of Dst
}

// batchChunk is how many streams go to ige in one call: enough to fill the
// widest interleave, and a stack array instead of a per-call allocation.
const batchChunk = 32 // ige interleaves up to 32 streams (vaes-avx512)

// EncryptParts encrypts the next part of several uploads at once through
// ige.EncryptBatch, as Encrypt would one after another. Every job is checked
// before any is encrypted: an error (the one Encrypt would return, or
// ErrPartOrder for an upload named twice) comes wrapped with the job's
// index, and then no upload has moved.
func EncryptParts(jobs []UploadJob) error {
	defer func() {
		for i := range jobs {
			if u := jobs[i].Upload; u != nil {
				u.inBatch = false
			}
		}
	}()
	for i := range jobs {
		j := &jobs[i]
		u := j.Upload
		if u == nil {
			return fmt.Errorf("filecrypt: job %d: nil Upload", i)
		}
		if u.inBatch {
			return fmt.Errorf("filecrypt: job %d: upload named twice: %w", i, ErrPartOrder)
		}
		u.inBatch = true
		k := u.NextPart()
		if k == u.l.parts {
			return fmt.Errorf("filecrypt: job %d: %w", i, io.EOF)
		}
		if len(j.Plain) != u.l.plainLen(k) {
			return fmt.Errorf("filecrypt: job %d: %w", i, ErrPartSize)
		}
		if len(j.Dst) < u.l.partLen(k) {
			return fmt.Errorf("filecrypt: job %d: %w", i, io.ErrShortBuffer)
		}
	}
	var buf [batchChunk]ige.Job
	for start := 0; start < len(jobs); start += batchChunk {
		chunk := jobs[start:min(start+batchChunk, len(jobs))]
		batch := buf[:len(chunk)]
		for i := range chunk {
			j := &chunk[i]
			u := j.Upload
			k := u.NextPart()
			src, _ := u.prepare(k, j.Dst, j.Plain) // checked above
			copy(u.pending[:], src[len(src)-BlockSize:])
			batch[i] = ige.Job{Cipher: &u.c, IV: u.states[k][:], Dst: j.Dst[:len(src)], Src: src}
			j.Part = Part{Index: k, Data: j.Dst[:len(src)]}
		}
		ige.EncryptBatch(batch)
		for i := range chunk {
			j := &chunk[i]
			u := j.Upload
			var st [IVSize]byte
			copy(st[:BlockSize], j.Part.Data[len(j.Part.Data)-BlockSize:])
			copy(st[BlockSize:], u.pending[:])
			u.states = append(u.states, st)
		}
		clear(batch)
	}
	return nil
}

// DecryptParts decrypts the next part of several downloads at once through
// ige.DecryptBatch, as Decrypt would one after another. Every job is checked
// before any is decrypted: an error (the one Decrypt would return, or
// ErrPartOrder for a download named twice) comes wrapped with the job's
// index, and then no download has moved.
func DecryptParts(jobs []DownloadJob) error {
	defer func() {
		for i := range jobs {
			if d := jobs[i].Download; d != nil {
				d.inBatch = false
			}
		}
	}()
	for i := range jobs {
		j := &jobs[i]
		d := j.Download
		if d == nil {
			return fmt.Errorf("filecrypt: job %d: nil Download", i)
		}
		if d.inBatch {
			return fmt.Errorf("filecrypt: job %d: download named twice: %w", i, ErrPartOrder)
		}
		d.inBatch = true
		if err := d.check(j.Index, j.Dst, j.Src); err != nil {
			return fmt.Errorf("filecrypt: job %d: %w", i, err)
		}
	}
	var buf [batchChunk]ige.Job
	for start := 0; start < len(jobs); start += batchChunk {
		chunk := jobs[start:min(start+batchChunk, len(jobs))]
		batch := buf[:len(chunk)]
		for i := range chunk {
			j := &chunk[i]
			d := j.Download
			copy(d.pending[:], j.Src[len(j.Src)-BlockSize:])
			batch[i] = ige.Job{Cipher: &d.c, IV: d.st[:], Dst: j.Dst[:len(j.Src)], Src: j.Src}
		}
		ige.DecryptBatch(batch)
		for i := range chunk {
			j := &chunk[i]
			d := j.Download
			out := j.Dst[:len(j.Src)]
			copy(d.st[:BlockSize], d.pending[:])
			copy(d.st[BlockSize:], out[len(out)-BlockSize:])
			j.Plain = j.Dst[:d.l.plainLen(d.next)]
			d.next++
		}
		clear(batch)
	}
	return nil
}
