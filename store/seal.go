package store

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
)

// sealer encrypts the rows that must name a chat or quote a parent — the
// outbox and the dead letters — under a key derived from the secret.
// bbolt does not wipe freed pages, so a row deleted after sending would
// otherwise leave the parent's chat id and words readable in the file.
type sealer struct{ aead cipher.AEAD }

func newSealer(secret []byte) (*sealer, error) {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("hailong store rows v1"))
	block, err := aes.NewCipher(m.Sum(nil))
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &sealer{aead: aead}, nil
}

func (s *sealer) seal(plain []byte) ([]byte, error) {
	out := make([]byte, s.aead.NonceSize(), s.aead.NonceSize()+len(plain)+s.aead.Overhead())
	if _, err := rand.Read(out); err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	return s.aead.Seal(out, out, plain, nil), nil
}

var errUnsealed = errors.New("row does not open with this secret (was HAILONG_SECRET changed?)")

func (s *sealer) open(sealed []byte) ([]byte, error) {
	n := s.aead.NonceSize()
	if len(sealed) < n {
		return nil, errUnsealed
	}
	plain, err := s.aead.Open(nil, sealed[:n], sealed[n:], nil)
	if err != nil {
		return nil, errUnsealed
	}
	return plain, nil
}
