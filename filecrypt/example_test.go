package filecrypt_test

import (
	"bytes"
	"fmt"
	"io"
	"log"

	"github.com/secretbench/secretbench/filecrypt"
)

func Example() {
	key, err := filecrypt.NewKey(nil) // crypto/rand
	if err != nil {
		log.Fatal(err)
	}

	// Encrypt: the key and iv go into the message, the fingerprint beside
	// the file, the size into the message's size field.
	var encrypted bytes.Buffer
	w := filecrypt.NewWriter(&encrypted, &key, nil)
	io.WriteString(w, "a file from a secret chat")
	if err := w.Close(); err != nil {
		log.Fatal(err)
	}
	size, fingerprint := w.Size(), key.Fingerprint()
	fmt.Println("plaintext", size, "bytes, ciphertext", encrypted.Len(), "bytes")

	// Decrypt: check the fingerprint first, then read exactly size bytes.
	if key.Fingerprint() != fingerprint {
		log.Fatal("the key in the message is not the file's")
	}
	r, err := filecrypt.NewReader(&encrypted, &key, size)
	if err != nil {
		log.Fatal(err)
	}
	plain, err := io.ReadAll(r)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s\n", plain)
	// Output:
	// plaintext 25 bytes, ciphertext 32 bytes
	// a file from a secret chat
}

func ExampleKey_Fingerprint() {
	var k filecrypt.Key
	for i := range 32 {
		k.Key[i], k.IV[i] = byte(i), byte(32+i)
	}
	fmt.Println(k.Fingerprint())
	// Output: -217561997
}

func ExamplePartSize() {
	for _, size := range []int64{10 << 20, 300 << 20, 1500 << 20, 3 << 30} {
		ps, err := filecrypt.PartSize(size)
		if err != nil {
			fmt.Printf("%5d MiB: %v\n", size>>20, err)
			continue
		}
		fmt.Printf("%5d MiB: parts of %d KiB, %d parts\n", size>>20, ps>>10, (size+int64(ps)-1)/int64(ps))
	}
	// Output:
	//    10 MiB: parts of 64 KiB, 160 parts
	//   300 MiB: parts of 128 KiB, 2400 parts
	//  1500 MiB: parts of 512 KiB, 3000 parts
	//  3072 MiB: filecrypt: file too large for 4000 parts of 512 KiB
}

func ExampleUpload() {
	key, _ := filecrypt.NewKey(nil)
	file := bytes.Repeat([]byte("secret "), 20000) // 140000 bytes
	u, err := filecrypt.NewUpload(&key, int64(len(file)), nil)
	if err != nil {
		log.Fatal(err)
	}
	buf := make([]byte, u.PartSize())
	src := bytes.NewReader(file)
	sent := map[int][]byte{}
	for {
		part, err := u.Next(buf, src)
		if err == io.EOF {
			break
		}
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("part %d: %d bytes\n", part.Index, len(part.Data))
		sent[part.Index] = bytes.Clone(part.Data) // upload.saveFilePart
	}

	// Part 1 failed to upload: encrypt it again on its own.
	ps := u.PartSize()
	again, err := u.Reencrypt(1, buf, file[ps:2*ps])
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("retry is the same part:", bytes.Equal(again.Data, sent[1]))
	// Output:
	// part 0: 65536 bytes
	// part 1: 65536 bytes
	// part 2: 8928 bytes
	// retry is the same part: true
}

func ExampleDownload_MarshalBinary() {
	key, _ := filecrypt.NewKey(nil)
	file := bytes.Repeat([]byte("resumable "), 10000) // 100000 bytes
	var ciphertext bytes.Buffer
	w := filecrypt.NewWriter(&ciphertext, &key, nil)
	w.Write(file)
	w.Close()
	server := ciphertext.Bytes()

	// Download in parts of 32 KiB, saving the state after each part.
	d, err := filecrypt.NewDownload(&key, int64(len(file)), 32<<10)
	if err != nil {
		log.Fatal(err)
	}
	var plain []byte
	fetch := func(d *filecrypt.Download) {
		i := d.NextPart()
		part := server[d.Offset() : d.Offset()+int64(d.PartLen(i))] // upload.getFile
		p, err := d.Decrypt(i, make([]byte, len(part)), part)
		if err != nil {
			log.Fatal(err)
		}
		plain = append(plain, p...)
	}
	fetch(d)
	fetch(d)
	saved, _ := d.MarshalBinary()
	fmt.Println("saved", len(saved), "bytes of state at offset", d.Offset())

	// After a restart: restore and go on.
	var resumed filecrypt.Download
	if err := resumed.UnmarshalBinary(saved); err != nil {
		log.Fatal(err)
	}
	for !resumed.Done() {
		fetch(&resumed)
	}
	fmt.Println("complete:", bytes.Equal(plain, file))
	// Output:
	// saved 96 bytes of state at offset 65536
	// complete: true
}

func ExampleEncryptParts() {
	// Two files uploaded side by side: one batch call per round of parts.
	files := [][]byte{bytes.Repeat([]byte{1}, 100000), bytes.Repeat([]byte{2}, 30000)}
	var jobs []filecrypt.UploadJob
	for _, f := range files {
		key, _ := filecrypt.NewKey(nil)
		u, _ := filecrypt.NewUpload(&key, int64(len(f)), nil)
		jobs = append(jobs, filecrypt.UploadJob{Upload: u, Dst: make([]byte, u.PartSize())})
	}
	for round := 0; ; round++ {
		var batch []filecrypt.UploadJob
		for i, j := range jobs {
			u := j.Upload
			if n := u.NextPart(); n < u.Parts() {
				j.Plain = files[i][n*u.PartSize() : n*u.PartSize()+u.PlainLen(n)]
				batch = append(batch, j)
			}
		}
		if len(batch) == 0 {
			break
		}
		if err := filecrypt.EncryptParts(batch); err != nil {
			log.Fatal(err)
		}
		for _, j := range batch {
			fmt.Printf("round %d: part %d of %d bytes\n", round, j.Part.Index, len(j.Part.Data))
		}
	}
	// Output:
	// round 0: part 0 of 65536 bytes
	// round 0: part 0 of 30000 bytes
	// round 1: part 1 of 34464 bytes
}
