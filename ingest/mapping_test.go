package ingest_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/riskgraph/riskgraph/ingest"
)

func TestParseMapping(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    ingest.Mapping
		wantErr string
	}{
		{name: "empty", in: "", want: ingest.Mapping{}},
		{name: "blank", in: "  ", want: ingest.Mapping{}},
		{name: "one", in: "user=Source", want: ingest.Mapping{"user": "Source"}},
		{name: "spaces trimmed", in: " user = Source , merchant= Target ", want: ingest.Mapping{"user": "Source", "merchant": "Target"}},
		{name: "two fields from one column", in: "user=Source,account=Source", want: ingest.Mapping{"user": "Source", "account": "Source"}},
		{name: "label fields", in: "txn=TransactionID,entity=Who,source=From,label=Verdict,time=At",
			want: ingest.Mapping{"txn": "TransactionID", "entity": "Who", "source": "From", "label": "Verdict", "time": "At"}},
		{name: "column name with an equals sign", in: "amount=amt=eur", want: ingest.Mapping{"amount": "amt=eur"}},
		{name: "unknown field", in: "user=Source,sender=Target",
			wantErr: `ingest: mapping: unknown field "sender": want one of id, time, amount, currency, kind, user, account, card, device, ip, email, phone, merchant, mcc, counterparty, country, channel, label, txn, entity, source`},
		{name: "attrs is not a field", in: "attrs=Extra", wantErr: `ingest: mapping: unknown field "attrs": want one of id, time, amount, currency, kind, user, account, card, device, ip, email, phone, merchant, mcc, counterparty, country, channel, label, txn, entity, source`},
		{name: "field twice", in: "user=Source,user=Target", wantErr: `ingest: mapping gives field "user" twice ("Source" and "Target")`},
		{name: "no column", in: "user=", wantErr: `ingest: mapping entry "user=": no column name after =`},
		{name: "no field", in: "=Source", wantErr: `ingest: mapping entry "=Source": no field name before =`},
		{name: "no equals sign", in: "user", wantErr: `ingest: mapping entry "user": want field=column`},
		{name: "empty entry", in: "user=Source,,amount=Amt", wantErr: "ingest: mapping entry 2 is empty"},
		{name: "trailing comma", in: "user=Source,", wantErr: "ingest: mapping entry 2 is empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ingest.ParseMapping(tt.in)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("ParseMapping(%q) error = %v, want %q", tt.in, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ParseMapping(%q) (-want +got):\n%s", tt.in, diff)
			}
			again, err := ingest.ParseMapping(got.String())
			if err != nil {
				t.Fatalf("ParseMapping(String()) = %v", err)
			}
			if diff := cmp.Diff(got, again); diff != "" {
				t.Errorf("String round trip (-want +got):\n%s", diff)
			}
		})
	}
}

func TestMappingValidate(t *testing.T) {
	tests := []struct {
		name    string
		m       ingest.Mapping
		wantErr bool
	}{
		{"nil", nil, false},
		{"valid", ingest.Mapping{"amount": "Amt"}, false},
		{"unknown field", ingest.Mapping{"Amount": "Amt"}, true},
		{"empty column", ingest.Mapping{"amount": ""}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.m.Validate(); (err != nil) != tt.wantErr {
				t.Errorf("Validate() = %v, want error %v", err, tt.wantErr)
			}
		})
	}
}
