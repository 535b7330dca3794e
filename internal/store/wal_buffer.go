package store

import (
	"sync"
	"sync/atomic"
	"unsafe" // #nosec G103 -- SQLite's VFS is a table of C function pointers and C memory (walVFS)

	"modernc.org/libc"
	sqlite3 "modernc.org/sqlite/lib"
)

// SQLite writes each frame of a commit to the WAL in two calls, its 24-byte header and then
// its page: a commit of the order flow was 80–100 pwrite calls on the one writer, at 3.3 µs a
// call on this kind of VM whatever its size (docs/benchmarks.md, issue 10, tenth and fourteenth passes), a
// tenth of the process's CPU and a third of the writer's. walVFS is the default VFS with a
// WAL file's writes gathered: a write that continues the one before it is kept in memory, and
// what is kept is written in one call when the commit frame's page is complete — before
// SQLite publishes the commit in the WAL index, so a reader never looks for a frame that is
// not in the file — or before anything else touches the file (a write elsewhere, a read, a
// sync, a truncation, its size, a file control, its close), so the file sees the same writes
// in the same order as without it. What reaches the disk and when is unchanged: with
// synchronous=NORMAL a commit is not synced either way, and a sync writes what is kept first.
// The database file and every other file go through the default VFS untouched.

// walVFSName is the VFS the store's SQLite connections open their databases with (vfs=).
const walVFSName = "gongzhi-wal"

// walKeepMax bounds what a WAL file keeps: the frames a large transaction spills before its
// commit are written as this fills.
const walKeepMax = 4 << 20

// walWriteMax is the most the default VFS writes in one call: its write takes less than
// 128 KiB (seekAndWriteFd in os_unix.c masks the length to 17 bits).
const walWriteMax = 124 << 10

// walFrameHeader is the size of a WAL frame's header; its second word is the database's size
// in pages on the frame that commits a transaction, 0 on the others.
const walFrameHeader = 24

// walKept is what a WAL file keeps, in SQLite's memory right after the default VFS's own
// state of the file (it holds no Go pointer).
type walKept struct {
	data        uintptr // libc memory of size capacity
	capacity, n int64
	off         int64 // where data's first byte goes in the file
	// commitAt is the offset of the page of the commit frame whose header was written last (0:
	// none): the write that starts there completes the commit, and what is kept is written,
	// whatever was written in between (a WAL too full to keep it, a sync). A write there
	// that is not a commit's page only writes what is kept a moment early.
	commitAt int64
}

var (
	walVFS  sqlite3.Tsqlite3_vfs // the default VFS but for xOpen and the size of a file's state
	walBase *sqlite3.Tsqlite3_vfs
	// walKeptAt is where a file's walKept starts, past the default VFS's state of it.
	walKeptAt uintptr
	// walOrig are the methods the default VFS gave the first WAL file, walMethods the same
	// with a WAL file's writes gathered. A WAL file given other methods is left as it is.
	walMu      sync.Mutex
	walOrig    uintptr
	walMethods sqlite3.Tsqlite3_io_methods
	walReady   bool
	walWrites  atomic.Int64 // the writes walKept made (tests)
)

// registerWALVFS registers walVFS (configureSQLite, once) and says so in walReady; when
// SQLite has no default VFS to wrap, the store opens its databases with the default.
func registerWALVFS(tls *libc.TLS) {
	p := sqlite3.Xsqlite3_vfs_find(tls, 0)
	if p == 0 {
		return
	}
	walBase = cptr[sqlite3.Tsqlite3_vfs](p)
	walVFS = *walBase
	walKeptAt = (uintptr(walBase.FszOsFile) + 7) &^ 7              // #nosec G115 -- a file's size of state, positive
	walVFS.FszOsFile = int32(walKeptAt + unsafe.Sizeof(walKept{})) // #nosec G103 G115 -- a small struct's size
	name, err := libc.CString(walVFSName)
	if err != nil {
		return
	}
	walVFS.FzName = name
	walVFS.FpNext = 0
	*(*func(*libc.TLS, uintptr, uintptr, uintptr, int32, uintptr) int32)(unsafe.Pointer(&walVFS.FxOpen)) = walOpen // #nosec G103 -- a VFS method
	walReady = sqlite3.Xsqlite3_vfs_register(tls, uintptr(unsafe.Pointer(&walVFS)), 0) == sqlite3.SQLITE_OK        // #nosec G103 -- a global: it never moves
}

// cptr is SQLite's memory at p as a *T (memory outside the Go heap, which SQLite owns).
func cptr[T any](p uintptr) *T {
	return *(**T)(unsafe.Pointer(&p)) // #nosec G103 -- p is C memory
}

// cbytes is n bytes of SQLite's memory at p.
func cbytes(p uintptr, n int64) []byte {
	return unsafe.Slice(cptr[byte](p), n) // #nosec G103 -- p is C memory of n bytes
}

// walOpen opens a file with the default VFS and gives a WAL file walMethods.
func walOpen(tls *libc.TLS, _ uintptr, zName uintptr, pFile uintptr, flags int32, pOutFlags uintptr) int32 {
	open := *(*func(*libc.TLS, uintptr, uintptr, uintptr, int32, uintptr) int32)(unsafe.Pointer(&walBase.FxOpen)) // #nosec G103 -- a VFS method
	rc := open(tls, uintptr(unsafe.Pointer(walBase)), zName, pFile, flags, pOutFlags)                             // #nosec G103 -- the default VFS, C memory
	if rc != sqlite3.SQLITE_OK || flags&sqlite3.SQLITE_OPEN_WAL == 0 {
		return rc
	}
	f := cptr[sqlite3.Tsqlite3_file](pFile)
	if f.FpMethods == 0 {
		return rc
	}
	walMu.Lock()
	if walOrig == 0 {
		walOrig = f.FpMethods
		walMethods = *cptr[sqlite3.Tsqlite3_io_methods](walOrig)
		*(*func(*libc.TLS, uintptr) int32)(unsafe.Pointer(&walMethods.FxClose)) = walClose                             // #nosec G103 -- a file method
		*(*func(*libc.TLS, uintptr, uintptr, int32, int64) int32)(unsafe.Pointer(&walMethods.FxRead)) = walRead        // #nosec G103 -- a file method
		*(*func(*libc.TLS, uintptr, uintptr, int32, int64) int32)(unsafe.Pointer(&walMethods.FxWrite)) = walWrite      // #nosec G103 -- a file method
		*(*func(*libc.TLS, uintptr, int64) int32)(unsafe.Pointer(&walMethods.FxTruncate)) = walTruncate                // #nosec G103 -- a file method
		*(*func(*libc.TLS, uintptr, int32) int32)(unsafe.Pointer(&walMethods.FxSync)) = walSync                        // #nosec G103 -- a file method
		*(*func(*libc.TLS, uintptr, uintptr) int32)(unsafe.Pointer(&walMethods.FxFileSize)) = walFileSize              // #nosec G103 -- a file method
		*(*func(*libc.TLS, uintptr, int32, uintptr) int32)(unsafe.Pointer(&walMethods.FxFileControl)) = walFileControl // #nosec G103 -- a file method
	}
	ours := walOrig == f.FpMethods
	walMu.Unlock()
	if ours {
		*cptr[walKept](pFile + walKeptAt) = walKept{}
		f.FpMethods = uintptr(unsafe.Pointer(&walMethods)) // #nosec G103 -- a global: it never moves
	}
	return rc
}

// orig are the default VFS's methods of a WAL file.
func orig() *sqlite3.Tsqlite3_io_methods { return cptr[sqlite3.Tsqlite3_io_methods](walOrig) }

func keptOf(pFile uintptr) *walKept { return cptr[walKept](pFile + walKeptAt) }

// fileWrite is a file's xWrite: origWrite, or a test's.
type fileWrite func(tls *libc.TLS, pFile, p uintptr, n int32, off int64) int32

// origWrite is the default VFS's write of a WAL file.
func origWrite(tls *libc.TLS, pFile, p uintptr, n int32, off int64) int32 {
	return (*(*func(*libc.TLS, uintptr, uintptr, int32, int64) int32)(unsafe.Pointer(&orig().FxWrite)))(tls, pFile, p, n, off) // #nosec G103 -- a file method
}

// flush writes what k keeps with write.
func (k *walKept) flush(tls *libc.TLS, pFile uintptr, write fileWrite) int32 {
	rc := int32(sqlite3.SQLITE_OK)
	for done := int64(0); done < k.n && rc == sqlite3.SQLITE_OK; done += walWriteMax {
		rc = write(tls, pFile, k.data+uintptr(done), int32(min(walWriteMax, k.n-done)), k.off+done) // #nosec G115 -- at most walWriteMax
		walWrites.Add(1)
	}
	k.n = 0
	return rc
}

// add keeps iAmt bytes at zBuf, for offset iOfst of the file, writing with write what it
// must.
func (k *walKept) add(tls *libc.TLS, pFile, zBuf uintptr, iAmt int32, iOfst int64, write fileWrite) int32 {
	amt := int64(iAmt)
	if iOfst == 0 {
		// The WAL's header: a new WAL, begun by a write transaction's first frames. What is kept
		// is what a transaction rolled back had spilled, beyond the frames any reader reads.
		k.n, k.commitAt = 0, 0
	}
	if k.n > 0 && (iOfst != k.off+k.n || k.n+amt > walKeepMax) {
		if rc := k.flush(tls, pFile, write); rc != sqlite3.SQLITE_OK {
			return rc
		}
	}
	if amt > walKeepMax {
		return write(tls, pFile, zBuf, iAmt, iOfst)
	}
	if k.n+amt > k.capacity {
		c := min(max(64<<10, 2*k.capacity, k.n+amt), walKeepMax)
		p := libc.Xrealloc(tls, k.data, uint64(c)) // #nosec G115 -- c <= walKeepMax
		if p == 0 {
			return sqlite3.SQLITE_IOERR_NOMEM
		}
		k.data, k.capacity = p, c
	}
	if k.n == 0 {
		k.off = iOfst
	}
	copy(cbytes(k.data+uintptr(k.n), amt), cbytes(zBuf, amt)) // #nosec G115 -- 0 <= k.n <= walKeepMax
	k.n += amt
	switch {
	case k.commitAt != 0 && iOfst == k.commitAt:
		k.commitAt = 0
		return k.flush(tls, pFile, write)
	case iAmt == walFrameHeader:
		if h := cbytes(zBuf, walFrameHeader); h[4]|h[5]|h[6]|h[7] != 0 {
			k.commitAt = iOfst + walFrameHeader
		}
	}
	return sqlite3.SQLITE_OK
}

// free frees k's memory.
func (k *walKept) free(tls *libc.TLS) {
	if k.data != 0 {
		libc.Xfree(tls, k.data)
		k.data, k.capacity = 0, 0
	}
}

func walWrite(tls *libc.TLS, pFile uintptr, zBuf uintptr, iAmt int32, iOfst int64) int32 {
	return keptOf(pFile).add(tls, pFile, zBuf, iAmt, iOfst, origWrite)
}

func walRead(tls *libc.TLS, pFile uintptr, zBuf uintptr, iAmt int32, iOfst int64) int32 {
	if rc := keptOf(pFile).flush(tls, pFile, origWrite); rc != sqlite3.SQLITE_OK {
		return rc
	}
	return (*(*func(*libc.TLS, uintptr, uintptr, int32, int64) int32)(unsafe.Pointer(&orig().FxRead)))(tls, pFile, zBuf, iAmt, iOfst) // #nosec G103 -- a file method
}

func walTruncate(tls *libc.TLS, pFile uintptr, size int64) int32 {
	if rc := keptOf(pFile).flush(tls, pFile, origWrite); rc != sqlite3.SQLITE_OK {
		return rc
	}
	return (*(*func(*libc.TLS, uintptr, int64) int32)(unsafe.Pointer(&orig().FxTruncate)))(tls, pFile, size) // #nosec G103 -- a file method
}

func walSync(tls *libc.TLS, pFile uintptr, flags int32) int32 {
	if rc := keptOf(pFile).flush(tls, pFile, origWrite); rc != sqlite3.SQLITE_OK {
		return rc
	}
	return (*(*func(*libc.TLS, uintptr, int32) int32)(unsafe.Pointer(&orig().FxSync)))(tls, pFile, flags) // #nosec G103 -- a file method
}

func walFileSize(tls *libc.TLS, pFile uintptr, pSize uintptr) int32 {
	if rc := keptOf(pFile).flush(tls, pFile, origWrite); rc != sqlite3.SQLITE_OK {
		return rc
	}
	return (*(*func(*libc.TLS, uintptr, uintptr) int32)(unsafe.Pointer(&orig().FxFileSize)))(tls, pFile, pSize) // #nosec G103 -- a file method
}

func walFileControl(tls *libc.TLS, pFile uintptr, op int32, pArg uintptr) int32 {
	if rc := keptOf(pFile).flush(tls, pFile, origWrite); rc != sqlite3.SQLITE_OK {
		return rc
	}
	return (*(*func(*libc.TLS, uintptr, int32, uintptr) int32)(unsafe.Pointer(&orig().FxFileControl)))(tls, pFile, op, pArg) // #nosec G103 -- a file method
}

func walClose(tls *libc.TLS, pFile uintptr) int32 {
	k := keptOf(pFile)
	rc := k.flush(tls, pFile, origWrite)
	k.free(tls)
	if rc2 := (*(*func(*libc.TLS, uintptr) int32)(unsafe.Pointer(&orig().FxClose)))(tls, pFile); rc == sqlite3.SQLITE_OK { // #nosec G103 -- a file method
		rc = rc2
	}
	return rc
}
