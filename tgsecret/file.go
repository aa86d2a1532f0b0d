package tgsecret

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/gotd/td/tg"
	"github.com/gotd/td/tg/e2e"

	"github.com/secretbench/secretbench/filecrypt"
	"github.com/secretbench/secretbench/secret"
)

// Files: encrypted with a one-time key by filecrypt, uploaded in parts,
// the key and iv in the message, the key fingerprint beside the file.
// Memory stays constant whatever the size: one part buffer each way.

// bigFileSize: files above it go up with upload.saveBigFilePart (Telegram's
// threshold).
const bigFileSize = 10 << 20

// DownloadPartSize is the limit of each upload.getFile request: divisible
// by 4096, a divisor of 1 MiB, so that every offset is divisible by it.
const DownloadPartSize = 128 << 10

// File is an encrypted file attached to an incoming message.
type File struct {
	Ref  FileRef
	Key  filecrypt.Key
	Size int64 // plaintext size, from the message
}

// FileOptions describes a file to send.
type FileOptions struct {
	Name     string
	MimeType string // application/octet-stream when empty
	Caption  string
}

// SendFile encrypts size bytes from r and uploads them in parts
// (upload.saveFilePart, or saveBigFilePart above 10 MiB), then sends the
// message with the key (decryptedMessageMediaDocument) through
// messages.sendEncryptedFile. It returns the message's random_id.
func (c *Chat) SendFile(ctx context.Context, r io.Reader, size int64, opts FileOptions) (int64, error) {
	api, _, err := c.m.running()
	if err != nil {
		return 0, err
	}
	if size <= 0 {
		return 0, fmt.Errorf("tgsecret: SendFile of %d bytes", size)
	}
	if st := c.Status(); st != StatusReady {
		return 0, fmt.Errorf("%w: %v", ErrChatState, st)
	}
	key, err := filecrypt.NewKey(c.m.rand)
	if err != nil {
		return 0, err
	}
	up, err := filecrypt.NewUpload(&key, size, c.m.rand)
	if err != nil {
		return 0, err
	}
	fileID, err := c.m.randInt64()
	if err != nil {
		return 0, err
	}
	big := size > bigFileSize
	buf := make([]byte, up.PartSize())
	for {
		part, err := up.Next(buf, r)
		if err == io.EOF {
			break
		}
		if err != nil {
			return 0, err
		}
		err = c.m.retry(ctx, func() error {
			var err error
			if big {
				_, err = api.UploadSaveBigFilePart(ctx, &tg.UploadSaveBigFilePartRequest{
					FileID: fileID, FilePart: part.Index, FileTotalParts: up.Parts(), Bytes: part.Data})
			} else {
				_, err = api.UploadSaveFilePart(ctx, &tg.UploadSaveFilePartRequest{
					FileID: fileID, FilePart: part.Index, Bytes: part.Data})
			}
			return err
		})
		if err != nil {
			return 0, fmt.Errorf("tgsecret: upload part %d: %w", part.Index, err)
		}
	}
	mime := opts.MimeType
	if mime == "" {
		mime = "application/octet-stream"
	}
	doc := &e2e.DecryptedMessageMediaDocument{Thumb: []byte{}, MimeType: mime, Size: size,
		Key: key.Key[:], Iv: key.IV[:], Caption: opts.Caption}
	if opts.Name != "" {
		doc.Attributes = []e2e.DocumentAttributeClass{&e2e.DocumentAttributeFilename{FileName: opts.Name}}
	}
	rid, err := c.m.randInt64()
	if err != nil {
		return 0, err
	}
	msg := &e2e.DecryptedMessage{RandomID: rid, Message: opts.Caption}
	msg.SetMedia(doc)
	ref := &FileRef{ID: fileID, Size: size, Fingerprint: key.Fingerprint(), Parts: up.Parts(), Big: big}
	_, err = c.send(ctx, ref, false, func(sc *secret.Chat) ([][]byte, error) { return sc.SendMessage(msg) })
	return rid, err
}

// Download fetches and decrypts an incoming file into an io.Writer,
// part by part, and can stop and resume: its state (MarshalBinary, 96
// bytes of filecrypt state and the file's location) holds the file key.
type Download struct {
	ref FileRef
	d   filecrypt.Download
	buf []byte
}

// ErrDownloadState: a download state that does not parse.
var ErrDownloadState = errors.New("tgsecret: invalid download state")

// NewDownload starts the download of f.
func NewDownload(f *File) (*Download, error) {
	d, err := filecrypt.NewDownload(&f.Key, f.Size, DownloadPartSize)
	if err != nil {
		return nil, err
	}
	if int64(d.Parts())*DownloadPartSize < f.Ref.Size-DownloadPartSize {
		return nil, fmt.Errorf("tgsecret: file of %d bytes on the server for %d in the message", f.Ref.Size, f.Size)
	}
	return &Download{ref: f.Ref, d: *d}, nil
}

// ResumeDownload restores a download from MarshalBinary's state.
func ResumeDownload(state []byte) (*Download, error) {
	if len(state) < 20 {
		return nil, ErrDownloadState
	}
	d := &Download{}
	d.ref.ID = int64(binary.LittleEndian.Uint64(state))
	d.ref.AccessHash = int64(binary.LittleEndian.Uint64(state[8:]))
	d.ref.DCID = int(binary.LittleEndian.Uint32(state[16:]))
	if err := d.d.UnmarshalBinary(state[20:]); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrDownloadState, err)
	}
	if d.d.PartSize() != DownloadPartSize && d.d.Parts() > 1 {
		return nil, ErrDownloadState
	}
	return d, nil
}

// MarshalBinary returns the state to resume from: everything written to
// the io.Writer so far is behind it.
func (d *Download) MarshalBinary() ([]byte, error) {
	b := binary.LittleEndian.AppendUint64(nil, uint64(d.ref.ID))
	b = binary.LittleEndian.AppendUint64(b, uint64(d.ref.AccessHash))
	b = binary.LittleEndian.AppendUint32(b, uint32(d.ref.DCID))
	return d.d.AppendBinary(b)
}

// Done reports whether the whole file has been written.
func (d *Download) Done() bool { return d.d.Done() }

// Written is the plaintext written so far.
func (d *Download) Written() int64 { return min(d.d.Offset(), d.d.Size()) }

// Run fetches the remaining parts (upload.getFile on an
// inputEncryptedFileLocation) and writes their plaintext to w, in order.
// On an error (ctx, the network after retries, w) it returns with the
// state at the last part written whole; save MarshalBinary to resume.
func (m *Manager) Download(ctx context.Context, d *Download, w io.Writer) error {
	api, _, err := m.running()
	if err != nil {
		return err
	}
	loc := &tg.InputEncryptedFileLocation{ID: d.ref.ID, AccessHash: d.ref.AccessHash}
	for !d.d.Done() {
		i := d.d.NextPart()
		var data []byte
		err := m.retry(ctx, func() error {
			res, err := api.UploadGetFile(ctx, &tg.UploadGetFileRequest{Location: loc, Offset: d.d.Offset(), Limit: DownloadPartSize})
			if err != nil {
				return err
			}
			f, ok := res.(*tg.UploadFile)
			if !ok {
				return fmt.Errorf("tgsecret: upload.getFile answered %T", res)
			}
			data = f.Bytes
			return nil
		})
		if err != nil {
			return err
		}
		if len(data) != d.d.PartLen(i) {
			return fmt.Errorf("tgsecret: part %d of the file is %d bytes, want %d: %w", i, len(data), d.d.PartLen(i), filecrypt.ErrPartSize)
		}
		// Decrypt a copy of the state: if w fails, the state stays before
		// this part.
		next := d.d
		plain, err := next.Decrypt(i, data, data)
		if err != nil {
			return err
		}
		if _, err := w.Write(plain); err != nil {
			return err
		}
		d.d = next
	}
	return nil
}
