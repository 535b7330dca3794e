package model_test

import (
	"bytes"
	"testing"
	"time"

	"gongzhi/internal/model"
)

func TestFundRequestInput(t *testing.T) {
	now := time.Date(2027, 3, 1, 10, 0, 0, 0, model.Shanghai)
	for _, c := range []struct {
		amount string
		fen    int64
		field  string
	}{
		{"1234.56", 123456, ""},
		{"1234.5", 123450, ""},
		{"0.01", 1, ""},
		{"1234.567", 0, "amount"},
		{"0", 0, "amount"},
		{"-5", 0, "amount"},
		{"1e3", 0, "amount"},
		{"", 0, "amount"},
	} {
		in := model.FundRequestInput{CommunityID: 1, CategoryID: 1, Purpose: "活动", Amount: c.amount, Payee: "某公司"}
		err := in.Validate(now)
		field := ""
		if ve, ok := err.(*model.ValidationError); ok {
			field = ve.Fields[0].Field
		}
		if field != c.field || (c.field == "" && in.AmountFen != c.fen) {
			t.Errorf("%q: field %q fen %d, want %q %d", c.amount, field, in.AmountFen, c.field, c.fen)
		}
		if c.field == "" && in.Year != 2027 {
			t.Errorf("year %d", in.Year)
		}
	}
}

func TestCheckReceipt(t *testing.T) {
	pdf := append([]byte("%PDF-1.7\n"), bytes.Repeat([]byte{1}, 100)...)
	if rc, err := model.CheckReceipt("r", model.ReceiptFile{Name: "a.pdf", Data: pdf}); err != nil || rc.ContentType != model.PDFType || !bytes.Equal(rc.Data, pdf) {
		t.Errorf("pdf: %v", err)
	}
	big := append([]byte("%PDF-1.7\n"), make([]byte, model.ReceiptPDFMax)...)
	if _, err := model.CheckReceipt("r", model.ReceiptFile{Data: big}); err == nil {
		t.Error("a PDF over the limit passed")
	}
	_, err := model.CheckReceipt("r", model.ReceiptFile{Name: "x.pdf", Data: []byte("<script>alert(1)</script>")})
	ve, ok := err.(*model.ValidationError)
	if !ok || ve.Fields[0].Message[:9] != "票据只" {
		t.Errorf("html: %v", err)
	}
}

func TestFundDecisionAndChain(t *testing.T) {
	d := model.FundDecision{Approve: false}
	if d.Validate() == nil {
		t.Error("a rejection without a reason")
	}
	d = model.FundDecision{Approve: true, Override: true}
	if d.Validate() == nil {
		t.Error("an override without a reason")
	}
	steps := []model.FundChainStep{{Role: model.RoleCommunityAdmin}, {Role: model.RoleStreetAdmin, Label: "街道审批"}}
	if err := model.ValidateFundChain(steps); err != nil || steps[0].Label == "" || steps[1].Step != 2 {
		t.Errorf("chain: %+v %v", steps, err)
	}
	if model.ValidateFundChain([]model.FundChainStep{{Role: model.RoleResident}}) == nil {
		t.Error("a resident step")
	}
}
