package tgsecrettest

import (
	"crypto/md5"
	"encoding/hex"
	"fmt"

	"github.com/gotd/td/bin"
	"github.com/gotd/td/tg"
)

// Telegram's upload and download rules (https://core.telegram.org/api/files).
const (
	maxParts      = 4000      // file_part is in [0, 3999]
	maxPartSize   = 512 << 10 // 524288 % part_size == 0
	partAlign     = 1 << 10   // part_size % 1024 == 0
	maxSmallFile  = 10 << 20  // bigger files go through upload.saveBigFilePart
	downloadChunk = 1 << 20   // a download request stays inside one 1 MiB chunk
	downloadAlign = 4 << 10   // offset and limit are multiples of 4 KiB...
	preciseAlign  = 1 << 10   // ...or of 1 KiB with the precise flag
)

type uploadKey struct {
	user int64
	id   int64
}

// upload is a file being uploaded: its parts as they came.
type upload struct {
	big   bool
	total int // file_total_parts of a big file
	parts map[int][]byte
}

// storedFile is an encrypted file a message carried.
type storedFile struct {
	id, accessHash int64
	data           []byte
	fingerprint    int
	date           int
}

func (f *storedFile) tl() *tg.EncryptedFile {
	return &tg.EncryptedFile{ID: f.id, AccessHash: f.accessHash, Size: int64(len(f.data)), DCID: DC, KeyFingerprint: f.fingerprint}
}

func validPartSize(n int) bool { return n%partAlign == 0 && maxPartSize%n == 0 }

// savePart stores one part; the size rules that need the whole file are
// checked when the file is attached to a message.
func (s *Server) savePart(c *call, fileID int64, part int, data []byte, big bool, total int) (bin.Encoder, error) {
	switch {
	case part < 0 || part >= maxParts:
		return nil, rpcErr(tg.ErrFilePartInvalid)
	case len(data) == 0:
		return nil, rpcErr(tg.ErrFilePartEmpty)
	case len(data) > maxPartSize:
		return nil, rpcErr(tg.ErrFilePartTooBig)
	}
	k := uploadKey{user: c.acct.user.ID, id: fileID}
	u := s.uploads[k]
	if u == nil {
		u = &upload{big: big, total: total, parts: map[int][]byte{}}
		s.uploads[k] = u
	}
	if u.big != big || u.total != total {
		return nil, rpcErr(tg.ErrFilePartsInvalid)
	}
	if big && part >= total {
		return nil, rpcErr(tg.ErrFilePartInvalid)
	}
	if big && part < total-1 && !validPartSize(len(data)) {
		return nil, rpcErr(tg.ErrFilePartSizeInvalid)
	}
	u.parts[part] = append([]byte(nil), data...)
	return &tg.BoolTrue{}, nil
}

func (s *Server) saveFilePart(c *call, r *tg.UploadSaveFilePartRequest) (bin.Encoder, error) {
	return s.savePart(c, r.FileID, r.FilePart, r.Bytes, false, 0)
}

func (s *Server) saveBigFilePart(c *call, r *tg.UploadSaveBigFilePartRequest) (bin.Encoder, error) {
	if r.FileTotalParts < 1 || r.FileTotalParts > maxParts {
		return nil, rpcErr(tg.ErrFilePartsInvalid)
	}
	return s.savePart(c, r.FileID, r.FilePart, r.Bytes, true, r.FileTotalParts)
}

// assemble checks an upload of n parts against Telegram's rules and joins
// its parts.
func (s *Server) assemble(c *call, id int64, n int, big bool) ([]byte, error) {
	u := s.uploads[uploadKey{user: c.acct.user.ID, id: id}]
	if u == nil {
		return nil, rpcErr(tg.ErrFilePartsInvalid)
	}
	if n < 1 || n > maxParts || u.big != big || (big && u.total != n) {
		return nil, rpcErr(tg.ErrFilePartsInvalid)
	}
	for i := range n {
		if u.parts[i] == nil {
			return nil, rpcErr(fmt.Sprintf("FILE_PART_%d_MISSING", i))
		}
	}
	if len(u.parts) != n {
		return nil, rpcErr(tg.ErrFilePartsInvalid)
	}
	size := len(u.parts[0])
	if n > 1 && !validPartSize(size) {
		return nil, rpcErr(tg.ErrFilePartSizeInvalid)
	}
	for i := 1; i < n; i++ {
		l := len(u.parts[i])
		if (i < n-1 && l != size) || l > size {
			return nil, rpcErr(tg.ErrFilePartSizeChanged)
		}
	}
	total := size*(n-1) + len(u.parts[n-1])
	if !big && total > maxSmallFile {
		return nil, rpcErr(tg.ErrFilePartsInvalid)
	}
	data := make([]byte, 0, total)
	for i := range n {
		data = append(data, u.parts[i]...)
	}
	return data, nil
}

// attach turns the InputEncryptedFile of messages.sendEncryptedFile into the
// file the message carries.
func (s *Server) attach(c *call, in tg.InputEncryptedFileClass) (*tg.EncryptedFile, error) {
	var (
		data        []byte
		fingerprint int
		err         error
		id          int64
	)
	switch in := in.(type) {
	case *tg.InputEncryptedFileUploaded:
		id, fingerprint = in.ID, in.KeyFingerprint
		if data, err = s.assemble(c, in.ID, in.Parts, false); err != nil {
			return nil, err
		}
		if in.MD5Checksum != "" {
			sum := md5.Sum(data)
			if in.MD5Checksum != hex.EncodeToString(sum[:]) {
				return nil, rpcErr("MD5_CHECKSUM_INVALID")
			}
		}
	case *tg.InputEncryptedFileBigUploaded:
		id, fingerprint = in.ID, in.KeyFingerprint
		if data, err = s.assemble(c, in.ID, in.Parts, true); err != nil {
			return nil, err
		}
	case *tg.InputEncryptedFile:
		// A file sent before, sent again.
		f := s.files[in.ID]
		if f == nil || f.accessHash != in.AccessHash {
			return nil, rpcErr(tg.ErrFileIDInvalid)
		}
		return f.tl(), nil
	default:
		return nil, rpcErr(tg.ErrFileEmtpy)
	}
	delete(s.uploads, uploadKey{user: c.acct.user.ID, id: id})
	f := &storedFile{accessHash: s.idRand.Int64(), data: data, fingerprint: fingerprint, date: now()}
	for f.id == 0 || s.files[f.id] != nil {
		f.id = s.idRand.Int64()
	}
	s.files[f.id] = f
	return f.tl(), nil
}

func (s *Server) getFile(_ *call, r *tg.UploadGetFileRequest) (bin.Encoder, error) {
	loc, ok := r.Location.(*tg.InputEncryptedFileLocation)
	if !ok {
		return nil, rpcErr(tg.ErrLocationInvalid)
	}
	f := s.files[loc.ID]
	if f == nil || f.accessHash != loc.AccessHash {
		return nil, rpcErr(tg.ErrFileIDInvalid)
	}
	align := int64(downloadAlign)
	if r.Precise {
		align = preciseAlign
	}
	limit := int64(r.Limit)
	switch {
	case limit <= 0 || limit > downloadChunk || limit%align != 0:
		return nil, rpcErr(tg.ErrLimitInvalid)
	case !r.Precise && downloadChunk%limit != 0:
		return nil, rpcErr(tg.ErrLimitInvalid)
	case r.Offset < 0 || r.Offset%align != 0:
		return nil, rpcErr(tg.ErrOffsetInvalid)
	case r.Offset/downloadChunk != (r.Offset+limit-1)/downloadChunk:
		return nil, rpcErr(tg.ErrLimitInvalid)
	}
	size := int64(len(f.data))
	lo, hi := min(r.Offset, size), min(r.Offset+limit, size)
	return &tg.UploadFile{
		Type:  &tg.StorageFileUnknown{},
		Mtime: f.date,
		Bytes: f.data[lo:hi],
	}, nil
}
