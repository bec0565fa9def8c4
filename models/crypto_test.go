package models_test

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/trellis-bot/trellis/models"
)

func newKey(t *testing.T) []byte {
	t.Helper()
	k := make([]byte, models.KeySize)
	if _, err := rand.Read(k); err != nil {
		t.Fatal(err)
	}
	return k
}

func TestCipherRoundTrip(t *testing.T) {
	c, err := models.NewCipher(newKey(t))
	if err != nil {
		t.Fatal(err)
	}
	secret := []byte("xoxb-123-456-abcdef")
	a, err := c.Seal(secret, []byte("T1"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := c.Seal(secret, []byte("T1"))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(a, b) {
		t.Error("two Seals of one value are equal; want a fresh nonce each time")
	}
	if bytes.Contains(a, secret) {
		t.Error("sealed value contains the plaintext")
	}
	if got, want := a[0], byte(1); got != want {
		t.Errorf("key version byte = %d, want %d", got, want)
	}
	got, err := c.Open(a, []byte("T1"))
	if err != nil || !bytes.Equal(got, secret) {
		t.Errorf("Open = %q, %v; want %q", got, err, secret)
	}

	other, _ := models.NewCipher(newKey(t))
	tampered := bytes.Clone(a)
	tampered[len(tampered)-1] ^= 1
	bad := []struct {
		name   string
		c      *models.Cipher
		sealed []byte
		aad    string
	}{
		{"other row", c, a, "T2"},
		{"other key", other, a, "T1"},
		{"tampered", c, tampered, "T1"},
		{"truncated", c, a[:10], "T1"},
		{"unknown version", c, append([]byte{9}, a[1:]...), "T1"},
	}
	for _, tt := range bad {
		if _, err := tt.c.Open(tt.sealed, []byte(tt.aad)); !errors.Is(err, models.ErrDecrypt) {
			t.Errorf("%s: Open = %v, want ErrDecrypt", tt.name, err)
		}
	}
}

func TestNewCipherKeyLength(t *testing.T) {
	for _, n := range []int{0, 16, 31, 33, 64} {
		if _, err := models.NewCipher(make([]byte, n)); err == nil {
			t.Errorf("NewCipher(%d bytes) = nil error, want one", n)
		}
	}
}

func TestParseKey(t *testing.T) {
	key := bytes.Repeat([]byte{0xfb, 0xff, 0x3e}, 11)[:32]
	tests := []struct {
		name    string
		in      string
		wantErr bool
	}{
		{"hex", hex.EncodeToString(key), false},
		{"hex upper with newline", strings.ToUpper(hex.EncodeToString(key)) + "\n", false},
		{"base64 std", base64.StdEncoding.EncodeToString(key), false},
		{"base64 url", base64.URLEncoding.EncodeToString(key), false},
		{"base64 raw std", base64.RawStdEncoding.EncodeToString(key), false},
		{"base64 raw url", base64.RawURLEncoding.EncodeToString(key), false},
		{"short base64", base64.StdEncoding.EncodeToString(key[:16]), true},
		{"short hex", hex.EncodeToString(key[:16]), true},
		{"garbage", "not a key!", true},
		{"empty", "", true},
	}
	for _, tt := range tests {
		got, err := models.ParseKey(tt.in)
		switch {
		case tt.wantErr && err == nil:
			t.Errorf("%s: ParseKey = %x, want an error", tt.name, got)
		case !tt.wantErr && err != nil:
			t.Errorf("%s: ParseKey: %v", tt.name, err)
		case !tt.wantErr && !bytes.Equal(got, key):
			t.Errorf("%s: ParseKey = %x, want %x", tt.name, got, key)
		case tt.wantErr && strings.Contains(err.Error(), tt.in) && tt.in != "":
			t.Errorf("%s: error %q repeats the input", tt.name, err)
		}
	}
}

func TestLoadOrCreateKeyFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "data", "key")
	k1, err := models.LoadOrCreateKeyFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(k1), models.KeySize; got != want {
		t.Errorf("key length = %d, want %d", got, want)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := fi.Mode().Perm(), os.FileMode(0o600); got != want {
		t.Errorf("key file mode = %v, want %v", got, want)
	}
	k2, err := models.LoadOrCreateKeyFile(path)
	if err != nil || !bytes.Equal(k1, k2) {
		t.Errorf("second load = %x, %v; want the same key %x", k2, err, k1)
	}
	if entries, _ := os.ReadDir(filepath.Dir(path)); len(entries) != 1 {
		t.Errorf("data dir holds %d files, want only the key", len(entries))
	}
}

func TestLoadOrCreateKeyFileRace(t *testing.T) {
	path := filepath.Join(t.TempDir(), "key")
	const n = 8
	keys := make([][]byte, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			keys[i], errs[i] = models.LoadOrCreateKeyFile(path)
		}()
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("caller %d: %v", i, errs[i])
		}
		if !bytes.Equal(keys[i], keys[0]) {
			t.Errorf("caller %d got a different key", i)
		}
	}
}

func TestLoadOrCreateKeyFileRejectsBadFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "key")
	if err := os.WriteFile(path, []byte("too short"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := models.LoadOrCreateKeyFile(path); err == nil {
		t.Error("LoadOrCreateKeyFile(bad file) = nil error, want one")
	}
}
