package model

import (
	"bytes"
	"path"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// The online space (网缘) of a Party organization: notices to its members, a discussion with
// one level of replies, and shared files. Authors are shown by name only.

// Limits of the space's texts and files.
const (
	SpaceTitleMax    = 100     // runes of a notice's or a thread's title
	SpaceBodyMax     = 5000    // runes of a notice's, a thread's or a reply's body
	SpaceReasonMax   = 200     // runes of the reason a post was hidden
	SpaceFileMax     = 5 << 20 // bytes of one shared file
	SpaceFileNameMax = 100     // runes of a shared file's name
)

// OrgNotice is a notice of an org to its members.
type OrgNotice struct {
	ID         int64
	OrgID      int64
	Path       string
	Title      string
	Body       string
	AuthorName string
	CreatedAt  time.Time
}

// OrgPost is a post of an org's discussion: a thread (ParentID 0, with a title) or a reply.
// A hidden post keeps its row; its title and body are withheld from readers (HiddenReason says
// why).
type OrgPost struct {
	ID           int64
	OrgID        int64
	ParentID     int64
	Path         string
	Title        string
	Body         string
	AuthorName   string
	Replies      int
	CreatedAt    time.Time
	HiddenAt     *time.Time
	HiddenReason string
}

// Hidden reports whether the post was hidden by a moderator.
func (p *OrgPost) Hidden() bool { return p.HiddenAt != nil }

// OrgFile is a shared file of an org (the content is read apart, by OrgFileContent).
type OrgFile struct {
	ID          int64
	OrgID       int64
	Path        string
	Name        string
	ContentType string
	Size        int64
	SHA256      string
	AuthorName  string
	CreatedAt   time.Time
	Withdrawn   bool
}

// OrgNoticeInput is a notice of an org's space to publish.
type OrgNoticeInput struct {
	Title string
	Body  string
}

// Validate trims the input and names every bad field.
func (in *OrgNoticeInput) Validate() error {
	in.Title, in.Body = strings.TrimSpace(in.Title), strings.TrimSpace(in.Body)
	e := &ValidationError{}
	checkSpaceTitle(e, in.Title, "公告标题")
	checkSpaceBody(e, in.Body, "公告内容")
	return e.Err()
}

// MessageInput is a discussion post: a thread to open (Title set) or a reply (Title empty).
type MessageInput struct {
	Title string
	Body  string
}

// ValidateThread trims a thread's input and names every bad field.
func (in *MessageInput) ValidateThread() error {
	in.Title, in.Body = strings.TrimSpace(in.Title), strings.TrimSpace(in.Body)
	e := &ValidationError{}
	checkSpaceTitle(e, in.Title, "话题标题")
	checkSpaceBody(e, in.Body, "话题内容")
	return e.Err()
}

// ValidateReply trims a reply's input (a reply has no title) and names every bad field.
func (in *MessageInput) ValidateReply() error {
	in.Title, in.Body = "", strings.TrimSpace(in.Body)
	e := &ValidationError{}
	checkSpaceBody(e, in.Body, "回复内容")
	return e.Err()
}

// ValidateHideReason trims the reason a post is hidden; it must be given.
func ValidateHideReason(reason string) (string, error) {
	reason = strings.TrimSpace(reason)
	e := &ValidationError{}
	switch n := utf8.RuneCountInString(reason); {
	case n == 0:
		e.Add("reason", "请填写隐藏的理由，成员会看到它")
	case n > SpaceReasonMax:
		e.Add("reason", "隐藏理由最多 200 字")
	}
	return reason, e.Err()
}

func checkSpaceTitle(e *ValidationError, s, what string) {
	switch n := utf8.RuneCountInString(s); {
	case n == 0:
		e.Add("title", "请填写"+what)
	case n > SpaceTitleMax:
		e.Add("title", what+"最多 100 字，请精简")
	}
}

func checkSpaceBody(e *ValidationError, s, what string) {
	switch n := utf8.RuneCountInString(s); {
	case n == 0:
		e.Add("body", "请填写"+what)
	case n > SpaceBodyMax:
		e.Add("body", what+"最多 5000 字，请精简或分成几条")
	}
}

// spaceKinds are the kinds of file a space shares, by extension: the content type the
// content must be sniffed as.
var spaceKinds = map[string]string{
	".pdf":  "application/pdf",
	".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
	".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
	".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
	".png":  "image/png",
	".jpg":  "image/jpeg",
	".jpeg": "image/jpeg",
	".txt":  "text/plain; charset=utf-8",
}

// sniffSpaceFile is the kind of content by its first bytes ("" when none the space shares):
// the extension of a name is only a claim.
func sniffSpaceFile(b []byte) string {
	switch {
	case bytes.HasPrefix(b, []byte("%PDF-")):
		return "pdf"
	case bytes.HasPrefix(b, []byte("PK\x03\x04")):
		return "zip"
	case bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")):
		return "png"
	case bytes.HasPrefix(b, []byte{0xFF, 0xD8, 0xFF}):
		return "jpeg"
	case utf8.Valid(b) && !bytes.ContainsRune(b, 0):
		return "text"
	}
	return ""
}

// CheckSpaceFile checks a file to share: a name (no folders, at most SpaceFileNameMax runes)
// with an extension the space shares, 1 byte to SpaceFileMax bytes, and content whose first
// bytes match the extension (a PDF must start as a PDF, a .docx be a zip, a .txt be UTF-8
// text). It returns the cleaned name and the content type to store, or a *ValidationError on
// field "file" that says what to do.
func CheckSpaceFile(name string, content []byte) (string, string, error) {
	e := &ValidationError{}
	name = strings.TrimSpace(path.Base(strings.ReplaceAll(name, `\`, "/")))
	ext := strings.ToLower(path.Ext(name))
	ctype, ok := spaceKinds[ext]
	switch {
	case name == "" || name == "." || name == "/":
		e.Add("file", "请选择要上传的文件")
	case utf8.RuneCountInString(name) > SpaceFileNameMax || !utf8.ValidString(name) || strings.ContainsAny(name, "\x00\r\n\"<>"):
		e.Add("file", "文件名过长或含有不允许的字符，请改名后再上传")
	case !ok:
		e.Add("file", "只能上传 PDF、Word（.docx）、Excel（.xlsx）、PPT（.pptx）、图片（.png/.jpg）或文本（.txt）文件")
	case len(content) == 0:
		e.Add("file", "文件是空的，请检查后再上传")
	case len(content) > SpaceFileMax:
		e.Add("file", "文件不能超过 5 MB，请压缩后再上传")
	default:
		want := map[string]string{".pdf": "pdf", ".docx": "zip", ".xlsx": "zip", ".pptx": "zip", ".png": "png", ".jpg": "jpeg", ".jpeg": "jpeg", ".txt": "text"}[ext]
		// The sample ends on a whole rune, so a text file cut at 4 KiB still reads as text.
		got := sniffSpaceFile(content[:trimUTF8(content, 4096)])
		if got != want {
			e.Add("file", "文件内容与扩展名 "+ext+" 不符，请上传真实的文件")
		}
	}
	return name, ctype, e.Err()
}

// trimUTF8 is the length of b's first n bytes cut back to a whole rune.
func trimUTF8(b []byte, n int) int {
	if n >= len(b) {
		return len(b)
	}
	for n > 0 && !utf8.RuneStart(b[n]) {
		n--
	}
	return n
}

// SizeText is the file's size as people read it: 812 B, 12.5 KB, 1.2 MB.
func (f *OrgFile) SizeText() string {
	switch {
	case f.Size < 1024:
		return strconv.FormatInt(f.Size, 10) + " B"
	case f.Size < 1<<20:
		return strconv.FormatFloat(float64(f.Size)/1024, 'f', 1, 64) + " KB"
	}
	return strconv.FormatFloat(float64(f.Size)/(1<<20), 'f', 1, 64) + " MB"
}
