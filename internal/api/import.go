package api

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"gongzhi/internal/authz"
	"gongzhi/internal/importer"
	"gongzhi/internal/jobs"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
)

// uploadMemory is how much of a multipart upload stays in memory; the rest spills to a file.
const uploadMemory = 8 << 20

// importHouseholds takes a multipart upload (file, skip_invalid) and queues its import: 202 with
// the job. A file that is too large (413), not CSV/XLSX or has wrong columns (422, errors
// naming "file") is refused at once, before any job exists.
func (a *API) importHouseholds(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, a.maxUpload())
	// #nosec G120 -- the body is bounded by the MaxBytesReader just above
	if err := r.ParseMultipartForm(uploadMemory); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return err
		}
		return malformed("请求应为 multipart/form-data，文件放在字段 file 中", model.FieldError{Field: "file", Message: "请上传 .csv 或 .xlsx 文件"})
	}
	defer r.MultipartForm.RemoveAll()
	skip, err := formBool(r, "skip_invalid")
	if err != nil {
		return err
	}
	file, header, err := r.FormFile("file")
	if err != nil {
		return &model.ValidationError{Fields: []model.FieldError{{Field: "file", Message: "请选择要导入的 .csv 或 .xlsx 文件"}}}
	}
	defer file.Close()
	q, err := a.queue()
	if err != nil {
		return err
	}
	j, err := q.SubmitHouseholdImport(r.Context(), authz.ScopeFrom(r.Context()), header.Filename, file, skip)
	var fe *importer.FileError
	if errors.As(err, &fe) {
		return &model.ValidationError{Fields: []model.FieldError{{Field: "file", Message: fe.Message}}}
	}
	if err != nil {
		return err
	}
	return accepted(w, j)
}

// importMembers takes a multipart upload (file) and queues the member import: 202 with the job.
// A file that is too large (413), not CSV/XLSX or lacks a required column (422, errors naming
// "file") is refused at once, before any job exists; the import itself is all or nothing.
func (a *API) importMembers(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, a.maxUpload())
	// #nosec G120 -- the body is bounded by the MaxBytesReader just above
	if err := r.ParseMultipartForm(uploadMemory); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return err
		}
		return malformed("请求应为 multipart/form-data，文件放在字段 file 中", model.FieldError{Field: "file", Message: "请上传 .csv 或 .xlsx 文件"})
	}
	defer r.MultipartForm.RemoveAll()
	file, header, err := r.FormFile("file")
	if err != nil {
		return &model.ValidationError{Fields: []model.FieldError{{Field: "file", Message: "请选择要导入的 .csv 或 .xlsx 文件"}}}
	}
	defer file.Close()
	q, err := a.queue()
	if err != nil {
		return err
	}
	j, err := q.SubmitMemberImport(r.Context(), authz.ScopeFrom(r.Context()), header.Filename, file)
	var fe *importer.FileError
	if errors.As(err, &fe) {
		return &model.ValidationError{Fields: []model.FieldError{{Field: "file", Message: fe.Message}}}
	}
	if err != nil {
		return err
	}
	return accepted(w, j)
}

// formBool reads an optional true/false form field.
func formBool(r *http.Request, name string) (bool, error) {
	v := strings.TrimSpace(r.FormValue(name))
	if v == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, malformed("表单字段有误", model.FieldError{Field: name, Message: name + " 应为 true 或 false"})
	}
	return b, nil
}

// exportHouseholds queues an export of the households under a node (with the list's filters)
// to an .xlsx workbook, personal fields masked: 202 with the job; the workbook is its output.
func (a *API) exportHouseholds(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Territory ID     `json:"territory_id"`
		Flag      string `json:"flag"`
		Q         string `json:"q"`
		MovedOut  bool   `json:"moved_out"`
	}
	if err := decode(w, r, a.maxBody, &in); err != nil {
		return err
	}
	if in.Flag != "" && !store.ValidHouseholdFlag(in.Flag) {
		return &model.ValidationError{Fields: []model.FieldError{{Field: "flag", Message: "flag 应为 elderly_alone、hardship、disability 或 mobile"}}}
	}
	q, err := a.queue()
	if err != nil {
		return err
	}
	j, err := q.SubmitHouseholdExport(r.Context(), authz.ScopeFrom(r.Context()), jobs.ExportParams{
		Territory: int64(in.Territory), Flag: in.Flag, Q: strings.TrimSpace(in.Q), MovedOut: in.MovedOut, FileName: "households.xlsx"})
	if err != nil {
		return err
	}
	return accepted(w, j)
}

// importDivisions queues the import of the official divisions of a county (6 digits) or a
// province (2 digits): 202 with the job. Only a system administrator (unlimited scope) may.
func (a *API) importDivisions(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Code     string `json:"code"`
		Villages bool   `json:"villages"`
	}
	if err := decode(w, r, a.maxBody, &in); err != nil {
		return err
	}
	q, err := a.queue()
	if err != nil {
		return err
	}
	j, err := q.SubmitDivisionImport(r.Context(), authz.ScopeFrom(r.Context()), jobs.DivisionParams{Code: strings.TrimSpace(in.Code), Villages: in.Villages})
	if err != nil {
		return err
	}
	return accepted(w, j)
}
