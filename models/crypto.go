package models

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// KeySize is the length of an encryption key: AES-256.
const KeySize = 32

// keyVersion prefixes every sealed value. A later key rotation gives the
// new key another version so that values sealed under the old one can still
// be told apart and opened.
const keyVersion byte = 1

// ErrDecrypt means a sealed value could not be opened: the key is wrong, or
// the value was altered or belongs to another row.
var ErrDecrypt = errors.New("cannot decrypt: wrong key or altered data")

// Cipher seals secrets (bot tokens) for storage with AES-256-GCM. Each
// sealed value is a version byte, a random nonce, and the ciphertext.
type Cipher struct {
	aead cipher.AEAD
}

// NewCipher returns a Cipher for a 32-byte key.
func NewCipher(key []byte) (*Cipher, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("encryption key must be %d bytes, got %d", KeySize, len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("new cipher: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("new cipher: %w", err)
	}
	return &Cipher{aead: aead}, nil
}

// Seal encrypts plaintext. additionalData (a row's key, say) is
// authenticated but not stored: Open needs the same value, so a sealed
// value copied to another row does not open there.
func (c *Cipher) Seal(plaintext, additionalData []byte) ([]byte, error) {
	n := c.aead.NonceSize()
	out := make([]byte, 1+n, 1+n+len(plaintext)+c.aead.Overhead())
	out[0] = keyVersion
	if _, err := rand.Read(out[1 : 1+n]); err != nil {
		return nil, fmt.Errorf("seal: nonce: %w", err)
	}
	return c.aead.Seal(out, out[1:1+n], plaintext, aad(out[0], additionalData)), nil
}

// Open decrypts a value made by Seal with the same additionalData.
func (c *Cipher) Open(sealed, additionalData []byte) ([]byte, error) {
	n := c.aead.NonceSize()
	if len(sealed) < 1+n+c.aead.Overhead() {
		return nil, fmt.Errorf("%w: too short", ErrDecrypt)
	}
	if sealed[0] != keyVersion {
		return nil, fmt.Errorf("%w: unknown key version %d", ErrDecrypt, sealed[0])
	}
	p, err := c.aead.Open(nil, sealed[1:1+n], sealed[1+n:], aad(sealed[0], additionalData))
	if err != nil {
		return nil, ErrDecrypt
	}
	return p, nil
}

func aad(version byte, data []byte) []byte {
	return append([]byte{version}, data...)
}

// ParseKey reads a 32-byte key written as base64 (standard or URL alphabet,
// padded or not) or as 64 hex characters. The key never appears in errors.
func ParseKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if len(s) == 2*KeySize {
		if k, err := hex.DecodeString(s); err == nil {
			return k, nil
		}
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.RawURLEncoding} {
		if k, err := enc.DecodeString(s); err == nil {
			if len(k) != KeySize {
				return nil, fmt.Errorf("encryption key is %d bytes, want %d (generate one with: openssl rand -base64 32)", len(k), KeySize)
			}
			return k, nil
		}
	}
	return nil, fmt.Errorf("encryption key is neither base64 nor 64 hex characters (generate one with: openssl rand -base64 32)")
}

// LoadOrCreateKeyFile returns the key stored at path, creating the file with
// a new random key (mode 0600, base64) if there is none. The sandbox uses it
// so that tokens stay readable across restarts without any setup. Two
// processes racing to create the file end up with the same key.
func LoadOrCreateKeyFile(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err == nil {
		k, err := ParseKey(string(b))
		if err != nil {
			return nil, fmt.Errorf("key file %s: %w", path, err)
		}
		return k, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("read key file: %w", err)
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create key file: %w", err)
	}
	key := make([]byte, KeySize)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("create key file: %w", err)
	}
	// Write a temporary file, then link it into place: the link fails if
	// another process got there first, and no reader sees a partial file.
	tmp, err := os.CreateTemp(dir, ".key-*")
	if err != nil {
		return nil, fmt.Errorf("create key file: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return nil, fmt.Errorf("create key file: %w", err)
	}
	if _, err := tmp.WriteString(base64.StdEncoding.EncodeToString(key) + "\n"); err != nil {
		tmp.Close()
		return nil, fmt.Errorf("create key file: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return nil, fmt.Errorf("create key file: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return nil, fmt.Errorf("create key file: %w", err)
	}
	if err := os.Link(tmp.Name(), path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return LoadOrCreateKeyFile(path)
		}
		return nil, fmt.Errorf("create key file: %w", err)
	}
	return key, nil
}
