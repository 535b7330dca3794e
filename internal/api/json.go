package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strconv"
	"strings"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
)

// ID is an object id: a string in JSON (API.md), accepted as a number too.
type ID int64

// MarshalJSON writes the id as a string.
func (id ID) MarshalJSON() ([]byte, error) {
	return []byte(`"` + strconv.FormatInt(int64(id), 10) + `"`), nil
}

// UnmarshalJSON accepts "123" or 123.
func (id *ID) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	if s == "" || s == "null" {
		*id = 0
		return nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		// A type error, so that the decoder names the field it belongs to.
		return &json.UnmarshalTypeError{Value: string(b), Type: reflect.TypeFor[ID]()}
	}
	*id = ID(n)
	return nil
}

// saveEntry makes the handler of a catalogue entry's POST (create) or PATCH …/{id}: the path's
// id (0 when creating), the body decoded into a Req, save, and what it returns as JSON — 201
// when created, 200 when changed.
func saveEntry[Req any](a *API, create bool, save func(ctx context.Context, sc authz.Scope, id int64, req Req) (any, error)) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		var id int64
		if !create {
			var err error
			if id, err = pathID(r); err != nil {
				return err
			}
		}
		var req Req
		if err := decode(w, r, a.maxBody, &req); err != nil {
			return err
		}
		out, err := save(r.Context(), authz.ScopeFrom(r.Context()), id, req)
		if err != nil {
			return err
		}
		status := http.StatusOK
		if create {
			status = http.StatusCreated
		}
		return writeJSON(w, status, out)
	}
}

// decode reads one JSON object from the body into dst: unknown fields, wrong types, trailing
// data and oversized bodies are errors naming the field.
func decode(w http.ResponseWriter, r *http.Request, limit int64, dst any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		if mt, _, err := mime.ParseMediaType(ct); err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
			return malformed("Content-Type 应为 application/json")
		}
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		var te *json.UnmarshalTypeError
		var se *json.SyntaxError
		switch {
		case errors.As(err, &te) && te.Field == "":
			return malformed("请求体应为一个 JSON 对象")
		case errors.As(err, &te) && te.Type == reflect.TypeFor[ID]():
			return malformed("字段类型错误", model.FieldError{Field: te.Field, Message: `应为对象 ID，例如 "123"`})
		case errors.As(err, &te):
			return malformed("字段类型错误", model.FieldError{Field: te.Field, Message: "类型应为 " + jsonType(te.Type.Kind().String())})
		case errors.As(err, &se), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
			return malformed("请求体不是有效的 JSON")
		case strings.HasPrefix(err.Error(), "json: unknown field "):
			f := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
			return malformed("包含未知字段", model.FieldError{Field: f, Message: "未知字段"})
		default:
			return malformed("请求体无法解析：" + err.Error())
		}
	}
	if dec.More() {
		return malformed("请求体只能包含一个 JSON 对象")
	}
	return nil
}

func jsonType(kind string) string {
	switch kind {
	case "string":
		return "字符串"
	case "bool":
		return "布尔值"
	case "int", "int64", "uint", "float64":
		return "数字"
	}
	return kind
}

// writeJSON answers status with v as JSON.
func writeJSON(w http.ResponseWriter, status int, v any) error {
	var buf bytes.Buffer
	if err := json.NewEncoder(&buf).Encode(v); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, err := w.Write(buf.Bytes())
	return err
}

// list is the envelope of every list: items and the cursor of the next page.
type list[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor,omitempty"`
	Total      *int64 `json:"total,omitempty"`
}

// listQuery parses the common list parameters limit, cursor and territory.
type listQuery struct {
	Limit     int
	Cursor    string
	Territory int64
}

func parseList(r *http.Request, allowed ...string) (listQuery, error) {
	q := r.URL.Query()
	var lq listQuery
	var fields []model.FieldError
	known := map[string]bool{"limit": true, "cursor": true, "territory": true}
	for _, a := range allowed {
		known[a] = true
	}
	for k := range q {
		switch {
		case k == "":
			// "?=x" or "?&&": a parameter without a name (found by FuzzParseList).
			fields = append(fields, model.FieldError{Field: "query", Message: "查询参数缺少名称"})
		case !known[k]:
			fields = append(fields, model.FieldError{Field: k, Message: "未知的查询参数"})
		}
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 500 {
			fields = append(fields, model.FieldError{Field: "limit", Message: "limit 应为 1–500 的整数"})
		}
		lq.Limit = n
	}
	if v := q.Get("territory"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			fields = append(fields, model.FieldError{Field: "territory", Message: "territory 应为节点 ID"})
		}
		lq.Territory = n
	}
	lq.Cursor = q.Get("cursor")
	if len(fields) > 0 {
		return lq, malformed("查询参数有误", fields...)
	}
	return lq, nil
}

// queryFields returns the bad fields of a parseList error (nil for nil), so that a handler can
// add those of its own filters and report them all in one problem.
func queryFields(err error) []model.FieldError {
	var be *badRequest
	if errors.As(err, &be) {
		return be.fields
	}
	return nil
}

// pathID reads the {id} path value.
func pathID(r *http.Request) (int64, error) {
	n, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || n <= 0 {
		return 0, model.ErrNotFound
	}
	return n, nil
}

// pathIDAndIndex reads the {id} and the 1-based {n} of a route such as
// /orders/{id}/photos/{n}: a path that names no such thing is 404.
func pathIDAndIndex(r *http.Request) (int64, int, error) {
	id, err := pathID(r)
	if err != nil {
		return 0, 0, err
	}
	n, err := strconv.Atoi(r.PathValue("n"))
	if err != nil || n < 1 {
		return 0, 0, model.ErrNotFound
	}
	return id, n, nil
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
