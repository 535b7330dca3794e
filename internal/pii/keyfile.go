package pii

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// ParseKeys reads keys as GONGZHI_KEYS and the line format of key files give them:
// "kid:base64key" entries separated by commas or newlines, the current key first; blank lines
// and lines starting with # are ignored.
func ParseKeys(s string) ([]Key, error) {
	var keys []Key
	var fields []string
	for _, line := range strings.Split(s, "\n") {
		if line = strings.TrimSpace(line); line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fields = append(fields, strings.Split(line, ",")...)
	}
	for _, f := range fields {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		id, b64, ok := strings.Cut(f, ":")
		if !ok {
			return nil, errors.New("密钥应写作 kid:base64")
		}
		secret, err := decodeSecret(b64)
		if err != nil {
			return nil, fmt.Errorf("密钥 %s: %w", id, err)
		}
		keys = append(keys, Key{ID: strings.TrimSpace(id), Secret: secret})
	}
	if len(keys) == 0 {
		return nil, errors.New("没有密钥")
	}
	return keys, nil
}

func decodeSecret(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			return b, nil
		}
	}
	return nil, errors.New("不是 base64")
}

// keyFileJSON is the JSON form of a key file: {"keys": [{"id": "k1", "key": "base64"}, …]},
// current first.
type keyFileJSON struct {
	Keys []struct {
		ID  string `json:"id"`
		Key string `json:"key"`
	} `json:"keys"`
}

// LoadFile reads a key file in the line format of ParseKeys or as JSON ({"keys": [{"id",
// "key"}]}). A file that group or others may read or write is refused: the keys are the only
// thing between a copied database and its personal data.
func LoadFile(path string) ([]Key, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("密钥文件: %w", err)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("密钥文件 %s 的权限为 %v，其他用户可以访问；请执行 chmod 600 %s", path, fi.Mode().Perm(), path)
	}
	data, err := os.ReadFile(path) // #nosec G304 -- the operator names the key file
	if err != nil {
		return nil, fmt.Errorf("密钥文件: %w", err)
	}
	if t := bytes.TrimSpace(data); len(t) > 0 && t[0] == '{' {
		var kf keyFileJSON
		if err := json.Unmarshal(t, &kf); err != nil {
			return nil, fmt.Errorf("密钥文件 %s: %w", path, err)
		}
		var keys []Key
		for _, k := range kf.Keys {
			secret, err := decodeSecret(k.Key)
			if err != nil {
				return nil, fmt.Errorf("密钥文件 %s，密钥 %s: %w", path, k.ID, err)
			}
			keys = append(keys, Key{ID: k.ID, Secret: secret})
		}
		if len(keys) == 0 {
			return nil, fmt.Errorf("密钥文件 %s 中没有密钥", path)
		}
		return keys, nil
	}
	keys, err := ParseKeys(string(data))
	if err != nil {
		return nil, fmt.Errorf("密钥文件 %s: %w", path, err)
	}
	return keys, nil
}

// WriteFile writes keys to path in the line format, owner-only (0600), replacing the file
// atomically (a temporary file in the same directory, then rename).
func WriteFile(path string, keys []Key) error {
	var b strings.Builder
	b.WriteString("# gongzhi personal-data keys: kid:base64, the current key first; \"index\" is the blind-index key;\n")
	b.WriteString("# \"audit1\", \"audit2\", … key the audit log's hash chain (the first of them signs; keep every one).\n")
	b.WriteString("# Keep this file owner-only (0600), out of the database and backed up apart from it.\n")
	for _, k := range keys {
		b.WriteString(k.ID + ":" + base64.StdEncoding.EncodeToString(k.Secret) + "\n")
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".keys-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.WriteString(b.String()); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// CreateFile writes a new key file at path with a fresh current key "k1", a separate
// blind-index key and an audit key "audit1", and returns the keyring. It fails if path exists.
func CreateFile(path string) (*Keyring, error) {
	if _, err := os.Stat(path); err == nil {
		return nil, fmt.Errorf("密钥文件 %s 已存在", path)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	k1, err := NewKey("k1")
	if err != nil {
		return nil, err
	}
	idx, err := NewKey(IndexKeyID)
	if err != nil {
		return nil, err
	}
	ak, err := NewKey(AuditKeyPrefix + "1")
	if err != nil {
		return nil, err
	}
	keys := []Key{k1, idx, ak}
	if err := WriteFile(path, keys); err != nil {
		return nil, err
	}
	return New(keys)
}
