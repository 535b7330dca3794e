package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"

	"gongzhi/internal/config"
	"gongzhi/internal/pii"
	"gongzhi/internal/store"
)

// loadKeys returns the personal-data keyring cfg names: GONGZHI_KEYS, else the key file
// (--keys, GONGZHI_KEY_FILE), else the default key file beside a SQLite database if it exists.
// An in-memory database gets a key that lives as long as the process. nil, nil means no keys
// are configured.
func loadKeys(cfg config.Config) (*pii.Keyring, error) {
	switch {
	case cfg.Keys != "":
		keys, err := pii.ParseKeys(cfg.Keys)
		if err != nil {
			return nil, fmt.Errorf("GONGZHI_KEYS: %w", err)
		}
		return pii.New(keys)
	case cfg.KeyFile != "":
		keys, err := loadKeyFile(cfg.KeyFile)
		if err != nil {
			return nil, err
		}
		return pii.New(keys)
	case cfg.DB == "sqlite::memory:":
		k, err := pii.NewKey("mem")
		if err != nil {
			return nil, err
		}
		ak, err := pii.NewKey(pii.AuditKeyPrefix + "-mem")
		if err != nil {
			return nil, err
		}
		return pii.New([]pii.Key{k, ak})
	}
	path := cfg.DefaultKeyFile()
	if path == "" {
		return nil, nil
	}
	keys, err := pii.LoadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	return pii.New(keys)
}

// keysHelp says how to give a command its keys; every error about missing keys ends with it.
const keysHelp = "用 --keys FILE（或 GONGZHI_KEY_FILE）指定密钥文件，或用 GONGZHI_KEYS 给出密钥；还没有密钥文件时，用 gongzhi keys new FILE 生成"

// loadKeyFile reads the key file at path; a missing file is an error that names the flag and
// how to make one.
func loadKeyFile(path string) ([]pii.Key, error) {
	keys, err := pii.LoadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("密钥文件 %s 不存在：请检查 --keys（或 GONGZHI_KEY_FILE）给出的路径；新部署先用 gongzhi keys new %s 生成", path, path)
	}
	return keys, err
}

// demoKeyFile is the demo's key file for a PostgreSQL database, which has no file to put one
// beside: in the working directory, created by the first demo and used by the next.
const demoKeyFile = "gongzhi-demo.keys"

// ensureKeys is loadKeys for serve and migrate: a SQLite database with no keys configured gets a
// new key file beside it (owner-only), and says so; PostgreSQL without keys is refused, since a
// key file on one app server would not serve the others.
func ensureKeys(ctx context.Context, e *env, cfg config.Config) (*pii.Keyring, error) {
	return ensureKeysAt(ctx, e, cfg, cfg.DefaultKeyFile())
}

// ensureDemoKeys is ensureKeys for demo, which needs no setup on PostgreSQL either: with no
// keys configured it uses demoKeyFile in the working directory, creating it the first time.
func ensureDemoKeys(ctx context.Context, e *env, cfg config.Config) (*pii.Keyring, error) {
	return ensureKeysAt(ctx, e, cfg, demoKeyPath(cfg))
}

// demoKeyPath is the key file demo uses when none is configured.
func demoKeyPath(cfg config.Config) string {
	path := cfg.DefaultKeyFile()
	if path == "" && cfg.DB != "sqlite::memory:" {
		path = demoKeyFile
	}
	return path
}

// ensureKeysAt returns the keys cfg names; with none configured, those of the key file at path,
// which is created (owner-only, announced on stdout) when it does not exist yet — unless the
// database already holds values sealed under some other key. path "" means the database has no
// default key file (PostgreSQL): an error that says how to give one.
func ensureKeysAt(ctx context.Context, e *env, cfg config.Config, path string) (*pii.Keyring, error) {
	kr, err := loadKeys(cfg)
	if err != nil || kr != nil {
		return kr, err
	}
	if path == "" {
		return nil, errors.New("PostgreSQL 需要个人信息加密密钥：" + keysHelp)
	}
	if _, err := os.Stat(path); err == nil {
		keys, err := loadKeyFile(path)
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(e.stdout, "使用个人信息加密密钥文件 %s\n", absPath(path))
		return pii.New(keys)
	}
	// A database that already holds sealed values lost its key file: a new key would open none
	// of them, so refuse rather than start over silently. (A SQLite file that does not exist yet
	// holds nothing, and opening it would create it.)
	if p := cfg.SQLitePath(); p == "" || fileExists(p) {
		if st, err := store.Open(ctx, cfg.DB); err == nil {
			use, err := st.KeyUsage(ctx) // fails on a database older than 0003: nothing sealed then
			st.Close()
			if err == nil && len(use) > 0 {
				return nil, fmt.Errorf("数据库中已有加密的身份证号和电话，但找不到密钥文件 %s：请从备份恢复密钥文件，或用 --keys / GONGZHI_KEYS 指定密钥", absPath(path))
			}
		}
	}
	kr, err = pii.CreateFile(path)
	if err != nil {
		return nil, fmt.Errorf("创建密钥文件: %w", err)
	}
	fmt.Fprintf(e.stdout, "已生成个人信息加密密钥文件 %s（仅所有者可读写）：请与数据库分开备份，丢失后身份证号和电话将无法解密。\n", absPath(path))
	if cfg.SQLitePath() == "" {
		fmt.Fprintf(e.stdout, "以后在这个数据库上运行 gongzhi serve、import、keys 等命令时，请加上 --keys %s\n", absPath(path))
	}
	return kr, nil
}

// ensureAuditKey returns kr with an audit key. A ring that has one is returned as it is; else,
// when the keys come from a key file (cfg's, or path, the default one), a new audit key is
// added to that file and announced; keys given in GONGZHI_KEYS cannot be amended, which is an
// error saying what to add. migrate, demo and the keys commands call it: an existing key file
// gets its audit key there, once, and is then copied to every instance like the other keys.
func ensureAuditKey(e *env, cfg config.Config, kr *pii.Keyring, path string) (*pii.Keyring, error) {
	if kr == nil || kr.AuditKeyID() != "" {
		return kr, nil
	}
	if cfg.Keys != "" {
		return nil, errors.New("GONGZHI_KEYS 中没有审计密钥：审计日志的哈希链需要一把（id 以 audit 开头，如 audit1:BASE64，32 字节）。可用 gongzhi keys new FILE 生成一个密钥文件，把其中的 audit1 一行加到 GONGZHI_KEYS 末尾，再在每个实例上使用")
	}
	if cfg.KeyFile != "" {
		path = cfg.KeyFile
	}
	if path == "" {
		return kr, nil // an in-memory database: its ring comes with an audit key
	}
	keys := kr.Keys()
	ak, err := pii.NewKey(pii.NextAuditKeyID(keys))
	if err != nil {
		return nil, err
	}
	keys = append(keys, ak)
	next, err := pii.New(keys)
	if err != nil {
		return nil, err
	}
	if err := pii.WriteFile(path, keys); err != nil {
		return nil, fmt.Errorf("在密钥文件中加入审计密钥: %w", err)
	}
	fmt.Fprintf(e.stdout, "已在密钥文件 %s 中加入审计密钥 %s：审计日志的哈希链从此以它签名（HMAC-SHA256），没有它的人改动记录后无法重算。请把更新后的密钥文件复制到每个实例，并与数据库分开备份。\n", absPath(path), ak.ID)
	return next, nil
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// absPath is path made absolute for messages, so the operator finds the file whatever the
// working directory; path itself when that fails.
func absPath(path string) string {
	if a, err := filepath.Abs(path); err == nil {
		return a
	}
	return path
}

// open opens the store named by cfg with the keys cfg names (none configured: the store opens
// without keys, and anything touching personal data fails with pii.ErrNoKeys).
func open(ctx context.Context, cfg config.Config) (*store.Store, error) {
	kr, err := loadKeys(cfg)
	if err != nil {
		return nil, err
	}
	return openWith(ctx, cfg, kr)
}

func openWith(ctx context.Context, cfg config.Config, kr *pii.Keyring) (*store.Store, error) {
	if kr == nil {
		return store.Open(ctx, cfg.DB, store.WithLookupLimit(cfg.LookupLimit))
	}
	return store.Open(ctx, cfg.DB, store.WithKeys(kr), store.WithLookupLimit(cfg.LookupLimit))
}

// cmdKeys manages the personal-data keys: list, rotate, new.
func cmdKeys(ctx context.Context, e *env) error {
	if len(e.args) == 0 {
		return errors.New("usage: gongzhi keys list|rotate|new [--db DSN] [--keys FILE]")
	}
	sub := e.args[0]
	e.args = e.args[1:]
	switch sub {
	case "list":
		return keysList(ctx, e)
	case "rotate":
		return keysRotate(ctx, e)
	case "new":
		return keysNew(e)
	}
	return fmt.Errorf("unknown keys subcommand %q: use list, rotate or new", sub)
}

// keysNew writes a new key file (for PostgreSQL deployments, before the first migrate).
func keysNew(e *env) error {
	_, pos, err := e.parse("keys new", false, nil)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return errors.New("usage: gongzhi keys new FILE")
	}
	if _, err := pii.CreateFile(pos[0]); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "已生成密钥文件 %s（仅所有者可读写）\n", pos[0])
	return nil
}

func keysList(ctx context.Context, e *env) error {
	cfg, _, err := e.parse("keys list", false, nil)
	if err != nil {
		return err
	}
	kr, err := loadKeys(cfg)
	if err != nil {
		return err
	}
	if kr == nil {
		return errors.New("没有配置个人信息加密密钥：" + keysHelp + "（SQLite 数据库旁的 .keys 文件由 serve、demo 或 migrate 生成）")
	}
	if kr, err = ensureAuditKey(e, cfg, kr, cfg.DefaultKeyFile()); err != nil {
		return err
	}
	st, err := openWith(ctx, cfg, kr)
	if err != nil {
		return err
	}
	defer st.Close()
	use, err := st.KeyUsage(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintln(e.stdout, "密钥 id     用途                 密文数（审计密钥：签名的审计记录数）")
	signed, err := st.AuditKeyUsage(ctx)
	if err != nil {
		return err
	}
	for kid, n := range signed {
		use[kid] += n
	}
	for _, k := range kr.Keys() {
		role := "解密"
		switch {
		case k.ID == pii.IndexKeyID:
			role = "盲索引"
		case k.ID == kr.Current():
			role = "当前（加密）"
		case k.ID == kr.AuditKeyID():
			role = "当前（审计签名）"
		case pii.IsAuditKey(k.ID):
			role = "审计校验"
		}
		if k.ID != pii.IndexKeyID && kr.IndexRoot().ID == k.ID {
			role += "，盲索引"
		}
		fmt.Fprintf(e.stdout, "  %-10s %-20s %d\n", k.ID, role, use[k.ID])
		delete(use, k.ID)
	}
	var unknown []string
	for kid, n := range use {
		unknown = append(unknown, fmt.Sprintf("%s（%d 个密文）", kid, n))
	}
	sort.Strings(unknown)
	if len(unknown) > 0 {
		return fmt.Errorf("数据库中有密钥环中没有的密钥加密的数据：%s", strings.Join(unknown, "，"))
	}
	return nil
}

// keysRotate adds a new current key to the key file, re-seals every value under it in batches
// with progress, and with --retire removes the keys nothing is sealed under any more. The
// blind-index key stays (a key file without an "index" entry gets one holding the index root it
// had, so indexes never need recomputing).
func keysRotate(ctx context.Context, e *env) error {
	var retire, audit bool
	var batch int
	cfg, _, err := e.parse("keys rotate", false, func(fs *flag.FlagSet) {
		fs.BoolVar(&retire, "retire", false, "after re-encrypting, remove the old keys from the key file")
		fs.BoolVar(&audit, "audit", false, "rotate the audit key instead: a new audit key signs from the next start on; the old ones stay to verify what they signed")
		fs.IntVar(&batch, "batch", 1000, "residents per transaction")
	})
	if err != nil {
		return err
	}
	if cfg.Keys != "" {
		return errors.New("密钥来自 GONGZHI_KEYS 时无法自动轮换：请改用密钥文件（gongzhi keys new FILE），或手工把新密钥加到 GONGZHI_KEYS 最前面后重启并运行 gongzhi keys rotate --keys FILE")
	}
	path := cfg.KeyFile
	if path == "" {
		path = cfg.DefaultKeyFile()
	}
	if path == "" {
		return errors.New("没有可轮换的密钥文件：" + keysHelp)
	}
	keys, err := loadKeyFile(path)
	if err != nil {
		return err
	}
	old, err := pii.New(keys)
	if err != nil {
		return err
	}
	if audit {
		return rotateAuditKey(e, path, old)
	}
	if old.AuditKeyID() == "" {
		if old, err = ensureAuditKey(e, cfg, old, path); err != nil {
			return err
		}
		keys = old.Keys()
	}
	// The new key's id: k<N+1> after the highest kN in the file.
	next := 1
	for _, k := range keys {
		if n, err := strconv.Atoi(strings.TrimPrefix(k.ID, "k")); err == nil && strings.HasPrefix(k.ID, "k") && n >= next {
			next = n + 1
		}
	}
	nk, err := pii.NewKey("k" + strconv.Itoa(next))
	if err != nil {
		return err
	}
	newKeys := []pii.Key{nk}
	hasIndex := false
	for _, k := range keys {
		hasIndex = hasIndex || k.ID == pii.IndexKeyID
		newKeys = append(newKeys, k)
	}
	if !hasIndex {
		root := old.IndexRoot()
		newKeys = append(newKeys, pii.Key{ID: pii.IndexKeyID, Secret: root.Secret})
	}
	kr, err := pii.New(newKeys)
	if err != nil {
		return err
	}
	// The file first: a crash after this leaves values under old keys, which the file still
	// holds, and rotate can simply run again.
	if err := pii.WriteFile(path, newKeys); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "新的当前密钥 %s 已写入 %s\n", nk.ID, path)
	st, err := openWith(ctx, cfg, kr)
	if err != nil {
		return err
	}
	defer st.Close()
	n, err := st.Reencrypt(ctx, batch, func(done, total int64) {
		fmt.Fprintf(e.stderr, "\r重新加密 %d / %d 位居民", done, total)
	})
	fmt.Fprintln(e.stderr)
	if err != nil {
		return fmt.Errorf("重新加密（已完成 %d 位，可再次运行 gongzhi keys rotate 继续）: %w", n, err)
	}
	fmt.Fprintf(e.stdout, "已用 %s 重新加密 %d 位居民的身份证号和电话\n", nk.ID, n)
	use, err := st.KeyUsage(ctx)
	if err != nil {
		return err
	}
	var keep, retired []pii.Key
	for _, k := range newKeys {
		// Audit keys are never retired: each verifies the records it signed, as long as they are kept.
		if k.ID == nk.ID || k.ID == pii.IndexKeyID || pii.IsAuditKey(k.ID) || use[k.ID] > 0 {
			keep = append(keep, k)
		} else {
			retired = append(retired, k)
		}
	}
	if !retire {
		if len(retired) > 0 {
			fmt.Fprintf(e.stdout, "旧密钥已不再使用，运行服务的实例重启后，可用 gongzhi keys rotate --retire 或手工从 %s 删除\n", path)
		}
		return nil
	}
	if err := pii.WriteFile(path, keep); err != nil {
		return err
	}
	for _, k := range retired {
		fmt.Fprintf(e.stdout, "已从 %s 删除旧密钥 %s\n", path, k.ID)
	}
	return nil
}

// rotateAuditKey puts a new audit key in front of the audit keys of the key file at path: the
// instances sign with it after their restart; the old audit keys stay, since every record keeps
// naming the key that signed it and is verified under that key.
func rotateAuditKey(e *env, path string, kr *pii.Keyring) error {
	keys := kr.Keys()
	ak, err := pii.NewKey(pii.NextAuditKeyID(keys))
	if err != nil {
		return err
	}
	i := slices.IndexFunc(keys, func(k pii.Key) bool { return pii.IsAuditKey(k.ID) })
	if i < 0 {
		i = len(keys)
	}
	out := slices.Insert(keys, i, ak)
	if _, err := pii.New(out); err != nil {
		return err
	}
	if err := pii.WriteFile(path, out); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "新的审计密钥 %s 已写入 %s：把密钥文件复制到每个实例并重启，之后的审计记录以它签名；旧的审计密钥保留，用来校验它们签过的记录。\n", ak.ID, path)
	return nil
}
