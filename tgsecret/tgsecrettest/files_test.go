package tgsecrettest

import (
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"testing"

	"github.com/gotd/td/tg"
)

// pattern returns n bytes that differ from part to part.
func pattern(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7 + i>>12)
	}
	return b
}

// TestFiles: uploads, encrypted files in messages and downloads, on one
// pair of clients (a key exchange costs more than the tests).
func TestFiles(t *testing.T) {
	t.Parallel()
	s := New(t, Options{})
	alice, bob := s.AddUser("Alice"), s.AddUser("Bob")
	a, b := start(t, s, alice, false), start(t, s, bob, false)
	ac, _ := chatPair(t, a, b)
	t.Run("RoundTrip", func(t *testing.T) { testFileRoundTrip(t, s, a, b, ac) })
	t.Run("Big", func(t *testing.T) { testBigFile(t, a, b, ac) })
	t.Run("UploadErrors", func(t *testing.T) { testUploadErrors(t, s, a, ac) })
}

func testFileRoundTrip(t *testing.T, s *Server, a, b *client, ac *tg.EncryptedChat) {
	ctx := testCtx(t)

	const part = 128 << 10
	data := pattern(2*part + 5000)
	for i := 0; i*part < len(data); i++ {
		if _, err := a.api.UploadSaveFilePart(ctx, &tg.UploadSaveFilePartRequest{
			FileID: 77, FilePart: i, Bytes: data[i*part : min((i+1)*part, len(data))],
		}); err != nil {
			t.Fatal(err)
		}
	}
	sum := md5.Sum(data)
	res, err := a.api.MessagesSendEncryptedFile(ctx, &tg.MessagesSendEncryptedFileRequest{
		Peer: input(ac), RandomID: randomID(), Data: message(1, 2),
		File: &tg.InputEncryptedFileUploaded{ID: 77, Parts: 3, MD5Checksum: hex.EncodeToString(sum[:]), KeyFingerprint: 1234},
	})
	if err != nil {
		t.Fatal(err)
	}
	sent := res.(*tg.MessagesSentEncryptedFile).File.(*tg.EncryptedFile)
	if sent.Size != int64(len(data)) || sent.KeyFingerprint != 1234 || sent.DCID != DC {
		t.Fatalf("sent file %+v", sent)
	}
	msg := next[*tg.UpdateNewEncryptedMessage](t, b).Message.(*tg.EncryptedMessage)
	f := msg.File.(*tg.EncryptedFile)
	if *f != *sent {
		t.Fatalf("delivered %+v, sent %+v", f, sent)
	}

	// Both sides download it in 64 KiB requests.
	loc := &tg.InputEncryptedFileLocation{ID: f.ID, AccessHash: f.AccessHash}
	for _, cl := range []*client{a, b} {
		var got []byte
		for off := int64(0); ; off += 64 << 10 {
			r, err := cl.api.UploadGetFile(ctx, &tg.UploadGetFileRequest{Location: loc, Offset: off, Limit: 64 << 10})
			if err != nil {
				t.Fatal(err)
			}
			chunk := r.(*tg.UploadFile).Bytes
			got = append(got, chunk...)
			if len(chunk) < 64<<10 {
				break
			}
		}
		if !bytes.Equal(got, data) {
			t.Fatalf("%s downloaded %d bytes, not the %d uploaded", cl.u.FirstName, len(got), len(data))
		}
	}

	get := func(off int64, limit int, precise bool) ([]byte, error) {
		r, err := b.api.UploadGetFile(ctx, &tg.UploadGetFileRequest{Location: loc, Offset: off, Limit: limit, Precise: precise})
		if err != nil {
			return nil, err
		}
		return r.(*tg.UploadFile).Bytes, nil
	}
	// The limits Telegram allows: 1 MiB, 4 KiB steps, 1 KiB steps when precise.
	for _, c := range []struct {
		off     int64
		limit   int
		precise bool
	}{{0, 1 << 20, false}, {4096, 4096, false}, {1024, 3072, true}, {8192, 1 << 19, false}} {
		got, err := get(c.off, c.limit, c.precise)
		if err != nil {
			t.Fatalf("offset %d limit %d precise %v: %v", c.off, c.limit, c.precise, err)
		}
		if want := data[c.off:min(int(c.off)+c.limit, len(data))]; !bytes.Equal(got, want) {
			t.Fatalf("offset %d limit %d: wrong bytes", c.off, c.limit)
		}
	}
	// Past the end: no bytes.
	if got, err := get(1<<20, 4096, false); err != nil || len(got) != 0 {
		t.Fatalf("past the end: %d bytes, %v", len(got), err)
	}
	for _, c := range []struct {
		off     int64
		limit   int
		precise bool
		want    string
	}{
		{0, 0, false, tg.ErrLimitInvalid},
		{0, -4096, false, tg.ErrLimitInvalid},
		{0, 1000, false, tg.ErrLimitInvalid},
		{0, 3072, false, tg.ErrLimitInvalid},            // 4 KiB steps
		{0, 12288, false, tg.ErrLimitInvalid},           // 1 MiB is not a multiple
		{0, 2 << 20, false, tg.ErrLimitInvalid},         // over 1 MiB
		{0, 1000, true, tg.ErrLimitInvalid},             // 1 KiB steps even when precise
		{0, 2 << 20, true, tg.ErrLimitInvalid},          // over 1 MiB even when precise
		{1024, 4096, false, tg.ErrOffsetInvalid},        // 4 KiB steps
		{-4096, 4096, false, tg.ErrOffsetInvalid},       // negative
		{100, 1024, true, tg.ErrOffsetInvalid},          // 1 KiB steps when precise
		{1<<20 - 4096, 8192, false, tg.ErrLimitInvalid}, // crosses a 1 MiB boundary
	} {
		_, err := get(c.off, c.limit, c.precise)
		if name := fmt.Sprintf("offset %d limit %d precise %v", c.off, c.limit, c.precise); err == nil {
			t.Fatalf("%s: no error", name)
		}
		wantErr(t, err, c.want)
	}
	_, err = b.api.UploadGetFile(ctx, &tg.UploadGetFileRequest{Location: &tg.InputEncryptedFileLocation{ID: f.ID, AccessHash: f.AccessHash + 1}, Limit: 4096})
	wantErr(t, err, tg.ErrFileIDInvalid)
	_, err = b.api.UploadGetFile(ctx, &tg.UploadGetFileRequest{Location: &tg.InputEncryptedFileLocation{ID: f.ID + 1, AccessHash: f.AccessHash}, Limit: 4096})
	wantErr(t, err, tg.ErrFileIDInvalid)
	_, err = b.api.UploadGetFile(ctx, &tg.UploadGetFileRequest{Location: &tg.InputDocumentFileLocation{ID: f.ID}, Limit: 4096})
	wantErr(t, err, tg.ErrLocationInvalid)

}

func testBigFile(t *testing.T, a, b *client, ac *tg.EncryptedChat) {
	ctx := testCtx(t)

	const part = 512 << 10
	data := pattern(3*part + 100)
	for i := 3; i >= 0; i-- { // any order
		if _, err := a.api.UploadSaveBigFilePart(ctx, &tg.UploadSaveBigFilePartRequest{
			FileID: 500, FilePart: i, FileTotalParts: 4, Bytes: data[i*part : min((i+1)*part, len(data))],
		}); err != nil {
			t.Fatal(err)
		}
	}
	res, err := a.api.MessagesSendEncryptedFile(ctx, &tg.MessagesSendEncryptedFileRequest{
		Peer: input(ac), RandomID: randomID(), Data: message(1, 2),
		File: &tg.InputEncryptedFileBigUploaded{ID: 500, Parts: 4, KeyFingerprint: 9},
	})
	if err != nil {
		t.Fatal(err)
	}
	f := res.(*tg.MessagesSentEncryptedFile).File.(*tg.EncryptedFile)
	var got []byte
	for off := int64(0); off < int64(len(data)); off += 1 << 20 {
		r, err := b.api.UploadGetFile(ctx, &tg.UploadGetFileRequest{
			Location: &tg.InputEncryptedFileLocation{ID: f.ID, AccessHash: f.AccessHash}, Offset: off, Limit: 1 << 20,
		})
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, r.(*tg.UploadFile).Bytes...)
	}
	if !bytes.Equal(got, data) {
		t.Fatal("big file changed on the way")
	}
	// The upload is used up; the stored file can be sent again by id.
	_, err = a.api.MessagesSendEncryptedFile(ctx, &tg.MessagesSendEncryptedFileRequest{
		Peer: input(ac), RandomID: randomID(), Data: message(1, 2), File: &tg.InputEncryptedFileBigUploaded{ID: 500, Parts: 4},
	})
	wantErr(t, err, tg.ErrFilePartsInvalid)
	res, err = a.api.MessagesSendEncryptedFile(ctx, &tg.MessagesSendEncryptedFileRequest{
		Peer: input(ac), RandomID: randomID(), Data: message(1, 2), File: &tg.InputEncryptedFile{ID: f.ID, AccessHash: f.AccessHash},
	})
	if err != nil {
		t.Fatal(err)
	}
	if again := res.(*tg.MessagesSentEncryptedFile).File.(*tg.EncryptedFile); *again != *f {
		t.Fatalf("resent file %+v, first %+v", again, f)
	}
}

func testUploadErrors(t *testing.T, s *Server, a *client, ac *tg.EncryptedChat) {
	ctx := testCtx(t)
	sentBefore := s.Stats(a.u).Sent

	save := func(id int64, part int, n int) error {
		_, err := a.api.UploadSaveFilePart(ctx, &tg.UploadSaveFilePartRequest{FileID: id, FilePart: part, Bytes: pattern(n)})
		return err
	}
	saveBig := func(id int64, part, total, n int) error {
		_, err := a.api.UploadSaveBigFilePart(ctx, &tg.UploadSaveBigFilePartRequest{FileID: id, FilePart: part, FileTotalParts: total, Bytes: pattern(n)})
		return err
	}
	sendFile := func(f tg.InputEncryptedFileClass) error {
		_, err := a.api.MessagesSendEncryptedFile(ctx, &tg.MessagesSendEncryptedFileRequest{Peer: input(ac), RandomID: randomID(), Data: message(0, 1), File: f})
		return err
	}

	wantErr(t, save(1, -1, 1024), tg.ErrFilePartInvalid)
	wantErr(t, save(1, 4000, 1024), tg.ErrFilePartInvalid)
	wantErr(t, save(1, 0, 0), tg.ErrFilePartEmpty)
	wantErr(t, save(1, 0, 512<<10+1024), tg.ErrFilePartTooBig)
	wantErr(t, saveBig(2, 0, 0, 1024), tg.ErrFilePartsInvalid)
	wantErr(t, saveBig(2, 0, 4001, 1024), tg.ErrFilePartsInvalid)
	wantErr(t, saveBig(2, 2, 2, 1024), tg.ErrFilePartInvalid)
	wantErr(t, saveBig(2, 0, 2, 1000), tg.ErrFilePartSizeInvalid) // not the last part
	if err := saveBig(2, 0, 2, 1024); err != nil {
		t.Fatal(err)
	}
	wantErr(t, saveBig(2, 1, 3, 1024), tg.ErrFilePartsInvalid) // total changed

	// A missing part, too few or too many parts, sizes that change.
	for _, p := range []int{0, 2} {
		if err := save(10, p, 4096); err != nil {
			t.Fatal(err)
		}
	}
	wantErr(t, sendFile(&tg.InputEncryptedFileUploaded{ID: 10, Parts: 3}), "FILE_PART_1_MISSING")
	wantErr(t, sendFile(&tg.InputEncryptedFileUploaded{ID: 10, Parts: 1}), tg.ErrFilePartsInvalid)
	if err := save(10, 1, 8192); err != nil {
		t.Fatal(err)
	}
	wantErr(t, sendFile(&tg.InputEncryptedFileUploaded{ID: 10, Parts: 3}), tg.ErrFilePartSizeChanged)
	if err := save(10, 1, 4096); err != nil { // a part may be sent again
		t.Fatal(err)
	}
	wantErr(t, sendFile(&tg.InputEncryptedFileUploaded{ID: 10, Parts: 3, MD5Checksum: "00"}), "MD5_CHECKSUM_INVALID")
	wantErr(t, sendFile(&tg.InputEncryptedFileBigUploaded{ID: 10, Parts: 3}), tg.ErrFilePartsInvalid) // saved as a small file
	if err := save(11, 0, 1000); err != nil {
		t.Fatal(err)
	}
	if err := save(11, 1, 1000); err != nil {
		t.Fatal(err)
	}
	wantErr(t, sendFile(&tg.InputEncryptedFileUploaded{ID: 11, Parts: 2}), tg.ErrFilePartSizeInvalid)
	wantErr(t, sendFile(&tg.InputEncryptedFileUploaded{ID: 12, Parts: 1}), tg.ErrFilePartsInvalid) // never uploaded
	wantErr(t, sendFile(&tg.InputEncryptedFileEmpty{}), tg.ErrFileEmtpy)
	wantErr(t, sendFile(&tg.InputEncryptedFile{ID: 1, AccessHash: 2}), tg.ErrFileIDInvalid)
	if st := s.Stats(a.u); st.Sent != sentBefore {
		t.Fatalf("refused sends counted: %+v", st)
	}
	// After the errors the upload is still whole and can be sent.
	if err := sendFile(&tg.InputEncryptedFileUploaded{ID: 10, Parts: 3}); err != nil {
		t.Fatal(err)
	}
}
