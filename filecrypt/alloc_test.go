package filecrypt_test

import (
	"io"
	"testing"

	"github.com/secretbench/secretbench/filecrypt"
	"github.com/secretbench/secretbench/internal/raceflag"
)

// TestAllocs: in steady state, nothing allocates per call.
func TestAllocs(t *testing.T) {
	if raceflag.Enabled {
		t.Skip("the race detector perturbs allocation counts")
	}
	k := testKey(t, 1)
	data := randBytes(2, 64*kib)
	runs := 50
	if slow {
		runs = 10
	}
	check := func(name string, f func()) {
		t.Helper()
		if n := testing.AllocsPerRun(runs, f); n != 0 {
			t.Errorf("%s: %v allocations per call, want 0", name, n)
		}
	}

	w := filecrypt.NewWriter(io.Discard, &k, nil)
	check("Writer.Write(16 KiB)", func() { w.Write(data[:16*kib]) })
	check("Writer.Write(1000 B)", func() { w.Write(data[:1000]) })
	check("Writer.Write(64 KiB - 9)", func() { w.Write(data[:64*kib-9]) })

	r, _ := filecrypt.NewReader(&repeatReader{data: data[:48*kib]}, &k, 1<<50)
	buf := make([]byte, 64*kib)
	check("Reader.Read(16 KiB)", func() { io.ReadFull(r, buf[:16*kib]) })
	check("Reader.Read(1000 B)", func() { io.ReadFull(r, buf[:1000]) })
	check("Reader.Read(64 KiB)", func() { io.ReadFull(r, buf) })

	u, _ := filecrypt.NewUpload(&k, 4000*64*kib, nil)
	check("Upload.Encrypt", func() { u.Encrypt(buf, data) })
	d, _ := filecrypt.NewDownload(&k, 4000*64*kib, 0)
	check("Download.Decrypt", func() { d.Decrypt(d.NextPart(), buf, data) })

	u2, _ := filecrypt.NewUpload(&k, 4000*64*kib, nil)
	d2, _ := filecrypt.NewDownload(&k, 4000*64*kib, 0)
	ujobs := []filecrypt.UploadJob{{Upload: u, Dst: buf, Plain: data}, {Upload: u2, Dst: make([]byte, 64*kib), Plain: data}}
	check("EncryptParts", func() { filecrypt.EncryptParts(ujobs) })
	djobs := []filecrypt.DownloadJob{{Download: d, Dst: buf, Src: data}, {Download: d2, Dst: make([]byte, 64*kib), Src: data}}
	check("DecryptParts", func() {
		djobs[0].Index, djobs[1].Index = d.NextPart(), d2.NextPart()
		filecrypt.DecryptParts(djobs)
	})
	if u.NextPart() < runs || d2.NextPart() < runs {
		t.Fatal("the calls under test did not run")
	}
}
