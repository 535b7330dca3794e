package web

import (
	"net/http"
	"net/url"
	"strconv"
	"time"

	"gongzhi/internal/model"
	"gongzhi/internal/store"
)

// The development pipeline (发展党员): a board per stage with the reminders of stages due, a
// candidate's page (dates, documents each stage needs, history) with the forms that record a
// document and move the candidate on by model.CheckAdvance, and the form of a new application.

type stageColumn struct {
	Stage model.Stage
	Count int
	Cards []stageCard
}

type stageCard struct {
	C   *model.Candidate
	Due *model.StageDue
}

type developmentPage struct {
	Page
	Columns []stageColumn
	Due     int
}

func (wb *Web) development(w http.ResponseWriter, r *http.Request) error {
	sc := scope(r)
	counts, err := wb.st.StageCounts(r.Context(), sc)
	if err != nil {
		return err
	}
	today := time.Now().In(model.Shanghai)
	p := &developmentPage{Page: wb.base(r, wb.t("development.title"), "party-development")}
	for _, s := range model.Stages {
		col := stageColumn{Stage: s, Count: counts[s]}
		pg, err := wb.st.Candidates(r.Context(), sc, store.CandidateFilter{Stage: s, Limit: 30})
		if err != nil {
			return err
		}
		for _, c := range pg.Items {
			card := stageCard{C: c}
			if d, ok := model.DueOf(c, today); ok {
				card.Due = &d
				if d.Overdue || d.Soon {
					p.Due++
				}
			}
			col.Cards = append(col.Cards, card)
		}
		p.Columns = append(p.Columns, col)
	}
	p.Crumbs = []Crumb{{Name: p.Title}}
	return wb.render(w, r, http.StatusOK, "party/development_board", p)
}

type candidatePage struct {
	Page
	C        *model.Candidate
	Events   []model.CandidateEvent
	Next     model.Stage
	Due      *model.StageDue
	Required []model.DocKind // documents of the next stage
	AllDocs  []model.DocKind
	Sponsors []*model.Member
	Doc      *Form
	Advance  *Form
}

// SponsorFields are the two sponsor selects of the advance form.
func (p *candidatePage) SponsorFields() []Field {
	return []Field{p.Advance.Field("sponsor1_id"), p.Advance.Field("sponsor2_id")}
}

func candidateForms() (doc, advance *Form) {
	today := time.Now().In(model.Shanghai).Format(time.DateOnly)
	return newForm("doc", url.Values{"recorded_on": {today}}, "doc", "recorded_on", "note"),
		newForm("advance", url.Values{"on": {today}}, "on", "sponsor1_id", "sponsor2_id", "documents", "to", "note")
}

func (wb *Web) candidate(w http.ResponseWriter, r *http.Request) error {
	d, a := candidateForms()
	return wb.candidatePage(w, r, http.StatusOK, d, a)
}

func (wb *Web) candidatePage(w http.ResponseWriter, r *http.Request, status int, doc, advance *Form) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	sc := scope(r)
	c, err := wb.st.Candidate(r.Context(), sc, id)
	if err != nil {
		return err
	}
	ev, err := wb.st.CandidateEvents(r.Context(), sc, id)
	if err != nil {
		return err
	}
	p := &candidatePage{Page: wb.base(r, c.Name, "party-development"), C: c, Events: ev, Next: c.Stage.Next(), Doc: doc, Advance: advance}
	if d, ok := model.DueOf(c, time.Now().In(model.Shanghai)); ok {
		p.Due = &d
	}
	p.Required = model.StageDocuments[p.Next]
	for _, s := range model.Stages {
		p.AllDocs = append(p.AllDocs, model.StageDocuments[s]...)
	}
	if p.Next == model.StageProbationary {
		ms, err := wb.st.Members(r.Context(), sc, store.MemberFilter{Status: model.MemberStatus("full"), Limit: 200})
		if err != nil {
			return err
		}
		p.Sponsors = ms.Items
	}
	p.Crumbs = []Crumb{{Name: wb.t("development.title"), URL: "/party/development"}, {Name: c.Name}}
	if doc.Invalid() {
		p.Failed = doc
	} else if advance.Invalid() {
		p.Failed = advance
	}
	return wb.render(w, r, status, "party/development_show", p)
}

func (wb *Web) recordCandidateDoc(w http.ResponseWriter, r *http.Request) error {
	return wb.candidateWrite(w, r, false)
}

func (wb *Web) advanceCandidate(w http.ResponseWriter, r *http.Request) error {
	return wb.candidateWrite(w, r, true)
}

func (wb *Web) candidateWrite(w http.ResponseWriter, r *http.Request, advance bool) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	df, af := candidateForms()
	f, done := df, "document_recorded"
	if advance {
		f, done = af, "candidate_advanced"
	}
	f.Values = r.PostForm
	if advance {
		in := model.AdvanceInput{To: model.Stage(f.Values.Get("to")), On: f.Values.Get("on"), Note: f.Values.Get("note"),
			Sponsor1ID: idField(f, "sponsor1_id", wb.t("development.sponsor.bad")), Sponsor2ID: idField(f, "sponsor2_id", wb.t("development.sponsor.bad"))}
		if !f.Invalid() {
			_, err = wb.st.Advance(r.Context(), scope(r), id, in)
		}
	} else {
		_, err = wb.st.RecordDocument(r.Context(), scope(r), id, model.DocumentInput{Doc: model.DocKind(f.Values.Get("doc")), RecordedOn: f.Values.Get("recorded_on"), Note: f.Values.Get("note")})
	}
	if f.Invalid() || err != nil && f.fail(err) {
		return wb.candidatePage(w, r, http.StatusUnprocessableEntity, df, af)
	}
	if err != nil {
		return err
	}
	redirect(w, r, "/party/development/"+strconv.FormatInt(id, 10), done)
	return nil
}

type candidateNewPage struct {
	Page
	Form *Form
	Orgs []*model.Org
}

func candidateNewForm(v url.Values) *Form {
	return newForm("candidate", v, "resident_id", "org_id", "applied_on", "note")
}

func (wb *Web) newCandidateForm(w http.ResponseWriter, r *http.Request) error {
	return wb.candidateNew(w, r, http.StatusOK, candidateNewForm(url.Values{"applied_on": {time.Now().In(model.Shanghai).Format(time.DateOnly)}}))
}

func (wb *Web) candidateNew(w http.ResponseWriter, r *http.Request, status int, f *Form) error {
	op, err := wb.st.Orgs(r.Context(), scope(r), store.OrgFilter{Limit: 200})
	if err != nil {
		return err
	}
	p := &candidateNewPage{Page: wb.base(r, wb.t("development.new.title"), "party-development"), Form: f, Orgs: op.Items}
	p.Crumbs = []Crumb{{Name: wb.t("development.title"), URL: "/party/development"}, {Name: p.Title}}
	if f.Invalid() {
		p.Failed = f
	}
	return wb.render(w, r, status, "party/development_new", p)
}

func (wb *Web) createCandidate(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	f := candidateNewForm(r.PostForm)
	in := model.CandidateInput{ResidentID: idField(f, "resident_id", wb.t("development.resident.bad")), OrgID: idField(f, "org_id", wb.t("course.org.bad")),
		AppliedOn: f.Values.Get("applied_on"), Note: f.Values.Get("note")}
	if f.Invalid() {
		return wb.candidateNew(w, r, http.StatusUnprocessableEntity, f)
	}
	c, err := wb.st.CreateCandidate(r.Context(), scope(r), in)
	if err != nil {
		if f.fail(err) {
			return wb.candidateNew(w, r, http.StatusUnprocessableEntity, f)
		}
		return err
	}
	redirect(w, r, "/party/development/"+strconv.FormatInt(c.ID, 10), "candidate_created")
	return nil
}
