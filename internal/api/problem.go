// Package api is gongzhi's JSON API under /api/v1: a thin surface over the model validators
// and the store, with RFC 9457 problem details for every error.
package api

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"

	"gongzhi/internal/model"
)

// Problem is an RFC 9457 problem details object.
type Problem struct {
	Type   string             `json:"type"`
	Title  string             `json:"title"`
	Status int                `json:"status"`
	Detail string             `json:"detail,omitempty"`
	Errors []model.FieldError `json:"errors,omitempty"`
}

// problemBase is where our problem types live; each type is documented in the OpenAPI document.
const problemBase = "https://gongzhi.example/problems/"

// problemFor maps an error to the problem the client sees; internal errors get a generic text
// and are logged by the caller. The client-safe text never includes the internal cause.
func problemFor(err error) (p Problem, internal bool) {
	var ve *model.ValidationError
	var ce *model.ConflictError
	var mbe *http.MaxBytesError
	var be *badRequest
	var fe *model.ForbiddenError
	var rl *model.RateLimitError
	switch {
	case errors.As(err, &rl):
		return Problem{Type: problemBase + "rate-limited", Title: "查询过于频繁", Status: http.StatusTooManyRequests, Detail: rl.Message}, false
	case errors.As(err, &ve):
		return Problem{Type: problemBase + "validation", Title: "输入有误", Status: http.StatusUnprocessableEntity,
			Detail: "请求中有字段未通过校验，详见 errors", Errors: ve.Fields}, false
	case errors.As(err, &be):
		return Problem{Type: problemBase + "malformed", Title: "请求格式错误", Status: http.StatusBadRequest,
			Detail: be.detail, Errors: be.fields}, false
	case errors.As(err, &mbe):
		return Problem{Type: problemBase + "too-large", Title: "请求体过大", Status: http.StatusRequestEntityTooLarge,
			Detail: "请求体超过上限"}, false
	case errors.Is(err, model.ErrNotFound):
		return Problem{Type: problemBase + "not-found", Title: "未找到", Status: http.StatusNotFound,
			Detail: "对象不存在或不在您的管辖范围内"}, false
	case errors.As(err, &ce):
		return Problem{Type: problemBase + "conflict", Title: "操作冲突", Status: http.StatusConflict, Detail: ce.Message}, false
	case errors.Is(err, model.ErrConflict):
		return Problem{Type: problemBase + "conflict", Title: "操作冲突", Status: http.StatusConflict, Detail: "与已有数据冲突"}, false
	case errors.As(err, new(*authFailed)):
		return Problem{Type: problemBase + "login-failed", Title: "登录失败", Status: http.StatusUnauthorized,
			Detail: "用户名、密码或动态验证码错误，或账号已被临时锁定（连续失败5次锁定15分钟）"}, false
	case errors.As(err, new(*secondFactor)):
		sf := &secondFactor{}
		errors.As(err, &sf)
		detail := "该账号需要动态验证码：请在请求中加上 \"otp\"（身份验证器应用中的6位数字）"
		if sf.enrol {
			detail = "该账号需要动态验证码，但尚未绑定：请先在网页登录并按提示绑定身份验证器"
		}
		return Problem{Type: problemBase + "second-factor-required", Title: "需要动态验证码", Status: http.StatusUnauthorized,
			Detail: detail}, false
	case errors.Is(err, model.ErrUnauthenticated):
		return Problem{Type: problemBase + "unauthenticated", Title: "未登录", Status: http.StatusUnauthorized,
			Detail: "请先登录（POST /api/v1/auth/login），并在请求头中携带 Authorization: Bearer TOKEN"}, false
	case errors.As(err, &fe):
		return Problem{Type: problemBase + "forbidden", Title: "无权操作", Status: http.StatusForbidden, Detail: fe.Message}, false
	case errors.Is(err, model.ErrForbidden):
		return Problem{Type: problemBase + "forbidden", Title: "无权操作", Status: http.StatusForbidden,
			Detail: "您的角色不能进行此操作"}, false
	case errors.Is(err, model.ErrCrossSite):
		return Problem{Type: problemBase + "cross-site", Title: "跨站请求被拒绝", Status: http.StatusForbidden,
			Detail: "浏览器从其他网站发来的修改请求被拒绝：请在本站页面上操作；脚本请使用 Authorization: Bearer 令牌"}, false
	case errors.Is(err, model.ErrUnavailable):
		return Problem{Type: problemBase + "unavailable", Title: "服务暂时不可用", Status: http.StatusServiceUnavailable,
			Detail: "数据库暂时无法访问，请稍后重试"}, false
	}
	return Problem{Type: "about:blank", Title: "服务器内部错误", Status: http.StatusInternalServerError,
		Detail: "服务器处理请求时出错，请稍后再试"}, true
}

// writeProblem answers with the problem for err; internal errors are logged once, here.
func writeProblem(log *slog.Logger, w http.ResponseWriter, r *http.Request, err error) {
	p, internal := problemFor(err)
	if internal {
		log.ErrorContext(r.Context(), "api error", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	if p.Status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="gongzhi"`)
	}
	if rl := (*model.RateLimitError)(nil); errors.As(err, &rl) {
		w.Header().Set("Retry-After", strconv.Itoa(int(rl.RetryAfter.Seconds())))
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(p.Status)
	_ = json.NewEncoder(w).Encode(p)
}

// badRequest is malformed input: not JSON, wrong types, unknown fields, bad query parameters.
type badRequest struct {
	detail string
	fields []model.FieldError
}

func (e *badRequest) Error() string { return "bad request: " + e.detail }

func malformed(detail string, fields ...model.FieldError) error {
	return &badRequest{detail: detail, fields: fields}
}
