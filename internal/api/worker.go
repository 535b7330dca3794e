package api

import (
	"net/http"
	"strings"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
)

// Community workers (社区工作者, issue 12 item 3) at /api/v1/workers: the roster of the
// communities of the caller's territory (staff), a worker with its grids, trainings and
// recruitment steps, the changes, and the audited reveal of a worker's phone and ID number.
// The phone and ID number are masked in every answer but the reveal's.

type workerGridJSON struct {
	ID   ID     `json:"id"`
	Name string `json:"name"`
}

type trainingJSON struct {
	ID    ID     `json:"id"`
	Date  string `json:"date"`
	Title string `json:"title"`
	Hours string `json:"hours"`
}

type recruitmentJSON struct {
	ID          ID     `json:"id"`
	Stage       string `json:"stage"`
	StageLabel  string `json:"stage_label"`
	Date        string `json:"date"`
	Result      string `json:"result"`
	ResultLabel string `json:"result_label"`
	Score       string `json:"score,omitempty"`
	Note        string `json:"note,omitempty"`
}

type workerJSON struct {
	ID                 ID                `json:"id"`
	CommunityID        ID                `json:"community_id"`
	CommunityName      string            `json:"community_name"`
	Name               string            `json:"name"`
	Position           string            `json:"position"`
	Qualification      string            `json:"qualification"`
	QualificationLabel string            `json:"qualification_label"`
	Phone              model.Sensitive   `json:"phone"`
	IDNumber           model.Sensitive   `json:"id_number"`
	HiredOn            string            `json:"hired_on,omitempty"`
	LeftOn             string            `json:"left_on,omitempty"`
	Active             bool              `json:"active"`
	UserID             *ID               `json:"user_id,omitempty"`
	Username           string            `json:"username,omitempty"`
	TrainingHours      string            `json:"training_hours"`
	GridCount          int64             `json:"grid_count"`
	Households         int64             `json:"households"`
	Visits90           int64             `json:"visits_90d"`
	Grids              []workerGridJSON  `json:"grids,omitempty"`
	Trainings          []trainingJSON    `json:"trainings,omitempty"`
	Recruitments       []recruitmentJSON `json:"recruitments,omitempty"`
	CreatedAt          string            `json:"created_at"`
	UpdatedAt          string            `json:"updated_at"`
}

func toWorkerJSON(w *model.Worker) workerJSON {
	out := workerJSON{ID: ID(w.ID), CommunityID: ID(w.CommunityID), CommunityName: w.CommunityName, Name: w.Name, Position: w.Position,
		Qualification: string(w.Qualification), QualificationLabel: w.Qualification.Label(), Phone: w.Phone, IDNumber: w.IDNumber,
		HiredOn: w.HiredOn, LeftOn: w.LeftOn, Active: w.Active(), UserID: optID(w.UserID), Username: w.Username, TrainingHours: w.TrainingHours(),
		GridCount: w.GridCount, Households: w.Households, Visits90: w.Visits90, CreatedAt: rfc3339(w.CreatedAt), UpdatedAt: rfc3339(w.UpdatedAt)}
	for _, g := range w.Grids {
		out.Grids = append(out.Grids, workerGridJSON{ID: ID(g.ID), Name: g.Name})
	}
	for _, t := range w.Trainings {
		out.Trainings = append(out.Trainings, trainingJSON{ID: ID(t.ID), Date: t.On, Title: t.Title, Hours: t.Hours()})
	}
	for _, r := range w.Recruitments {
		out.Recruitments = append(out.Recruitments, recruitmentJSON{ID: ID(r.ID), Stage: string(r.Stage), StageLabel: r.Stage.Label(), Date: r.On,
			Result: string(r.Result), ResultLabel: r.Result.Label(), Score: r.Score, Note: r.Note})
	}
	return out
}

func (a *API) listWorkers(w http.ResponseWriter, r *http.Request) error {
	lq, err := parseList(r, "q", "position", "qualification", "status", "phone")
	if err != nil {
		return err
	}
	q := r.URL.Query()
	p, err := a.st.Workers(r.Context(), authz.ScopeFrom(r.Context()), store.WorkerFilter{Territory: lq.Territory, Q: q.Get("q"), Position: q.Get("position"),
		Qualification: model.Qualification(q.Get("qualification")), Status: q.Get("status"), Phone: q.Get("phone"), Limit: lq.Limit, Cursor: lq.Cursor})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, mapList(p, toWorkerJSON))
}

type workerWrite struct {
	CommunityID   ID     `json:"community_id"`
	Name          string `json:"name"`
	Position      string `json:"position"`
	Qualification string `json:"qualification"`
	Phone         string `json:"phone"`
	IDNumber      string `json:"id_number"`
	HiredOn       string `json:"hired_on"`
	LeftOn        string `json:"left_on"`
	UserID        ID     `json:"user_id"`
}

func (in workerWrite) input() model.WorkerInput {
	return model.WorkerInput{CommunityID: int64(in.CommunityID), Name: in.Name, Position: in.Position, Qualification: model.Qualification(in.Qualification),
		Phone: maskedIsKept(in.Phone), IDNumber: maskedIsKept(in.IDNumber), HiredOn: in.HiredOn, LeftOn: in.LeftOn, UserID: int64(in.UserID)}
}

// maskedIsKept treats a value sent back as the mask it was read as ("138****8000") like an
// absent one: the stored value stays.
func maskedIsKept(s string) string {
	if strings.Contains(s, "*") {
		return ""
	}
	return s
}

func (a *API) createWorker(w http.ResponseWriter, r *http.Request) error {
	var req workerWrite
	if err := decode(w, r, a.maxBody, &req); err != nil {
		return err
	}
	wk, err := a.st.CreateWorker(r.Context(), authz.ScopeFrom(r.Context()), req.input())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, toWorkerJSON(wk))
}

func (a *API) getWorker(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	wk, err := a.st.Worker(r.Context(), authz.ScopeFrom(r.Context()), id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toWorkerJSON(wk))
}

func (a *API) updateWorker(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var req workerWrite
	if err := decode(w, r, a.maxBody, &req); err != nil {
		return err
	}
	wk, err := a.st.UpdateWorker(r.Context(), authz.ScopeFrom(r.Context()), id, req.input())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toWorkerJSON(wk))
}

func (a *API) setWorkerGrids(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var req struct {
		GridIDs []ID `json:"grid_ids"`
	}
	if err := decode(w, r, a.maxBody, &req); err != nil {
		return err
	}
	ids := make([]int64, len(req.GridIDs))
	for i, g := range req.GridIDs {
		ids[i] = int64(g)
	}
	wk, err := a.st.SetWorkerGrids(r.Context(), authz.ScopeFrom(r.Context()), id, ids)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toWorkerJSON(wk))
}

func (a *API) addWorkerTraining(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var req struct {
		Date  string `json:"date"`
		Title string `json:"title"`
		Hours string `json:"hours"`
	}
	if err := decode(w, r, a.maxBody, &req); err != nil {
		return err
	}
	wk, err := a.st.AddWorkerTraining(r.Context(), authz.ScopeFrom(r.Context()), id, model.TrainingInput{On: req.Date, Title: req.Title, Hours: req.Hours})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, toWorkerJSON(wk))
}

func (a *API) addWorkerRecruitment(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var req struct {
		Stage  string `json:"stage"`
		Date   string `json:"date"`
		Result string `json:"result"`
		Score  string `json:"score"`
		Note   string `json:"note"`
	}
	if err := decode(w, r, a.maxBody, &req); err != nil {
		return err
	}
	wk, err := a.st.AddWorkerRecruitment(r.Context(), authz.ScopeFrom(r.Context()), id, model.RecruitmentInput{Stage: model.RecruitStage(req.Stage), On: req.Date,
		Result: model.RecruitResult(req.Result), Score: req.Score, Note: req.Note})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, toWorkerJSON(wk))
}

func (a *API) revealWorker(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var req struct {
		Reason string `json:"reason"`
	}
	if err := decode(w, r, a.maxBody, &req); err != nil {
		return err
	}
	v, err := a.st.RevealWorker(r.Context(), authz.ScopeFrom(r.Context()), id, req.Reason)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]string{"id": itoa(id), "phone": v.Phone, "id_number": v.IDNumber})
}
