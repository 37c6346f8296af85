package report

import (
	"encoding/xml"
	"fmt"
	"math"
	"reflect"
	"strings"
	"time"
	"unicode/utf8"
)

// FinCEN's namespace for the SAR batch.
const sarNamespace = "www.fincen.gov/base"

// FinCEN SAR party type codes.
const (
	partyTransmitter        = "35"
	partyTransmitterContact = "37"
	partyFiler              = "30"
	partyContactOffice      = "8"
	partyActivityInstitute  = "34"
	partySubject            = "33"
)

// FinCEN identification type codes.
const (
	idEIN   = "2"
	idTIN   = "4"
	idTCC   = "28"
	idOther = "999"
)

// Narrative limits: FinCEN takes up to five narrative blocks of 4,000
// characters each.
const (
	narrativeBlock  = 4000
	narrativeBlocks = 5
)

// SARBatch is a FinCEN SAR batch document (EFilingBatchXML) with one
// activity. Its elements are in FinCEN's namespace (written as the
// default namespace). req tags mark required fields.
type SARBatch struct {
	XMLName       xml.Name    `xml:"www.fincen.gov/base EFilingBatchXML"`
	ActivityCount int         `xml:"ActivityCount,attr"`
	TotalAmount   string      `xml:"TotalAmount,attr"`
	PartyCount    int         `xml:"PartyCount,attr"`
	FormTypeCode  string      `xml:"FormTypeCode"`
	Activity      SARActivity `xml:"Activity"`
}

// SARActivity is one suspicious activity report.
type SARActivity struct {
	SeqNum              int                   `xml:"SeqNum,attr"`
	FilingDateText      string                `xml:"FilingDateText" req:"case: the export time"`
	ActivityAssociation SARAssociation        `xml:"ActivityAssociation"`
	Party               []SARParty            `xml:"Party"`
	SuspiciousActivity  SARSuspiciousActivity `xml:"SuspiciousActivity"`
	Narrative           []SARNarrativeInfo    `xml:"ActivityNarrativeInformation" req:"case"`
}

// SARAssociation says what kind of filing this is.
type SARAssociation struct {
	SeqNum                 int    `xml:"SeqNum,attr"`
	InitialReportIndicator string `xml:"InitialReportIndicator"`
}

// SARParty is one party: transmitter, filer, contact, institution or
// subject.
type SARParty struct {
	SeqNum                   int                 `xml:"SeqNum,attr"`
	ActivityPartyTypeCode    string              `xml:"ActivityPartyTypeCode"`
	PrimaryRegulatorTypeCode string              `xml:"PrimaryRegulatorTypeCode,omitempty"`
	PartyName                SARPartyName        `xml:"PartyName"`
	Address                  *SARAddress         `xml:"Address,omitempty"`
	PhoneNumber              *SARPhone           `xml:"PhoneNumber,omitempty"`
	PartyIdentification      []SARIdentification `xml:"PartyIdentification,omitempty"`
}

// SARPartyName is a party's name; for subjects whose name the graph does
// not know, the unknown indicators are set.
type SARPartyName struct {
	SeqNum                         int    `xml:"SeqNum,attr"`
	EntityLastNameUnknownIndicator string `xml:"EntityLastNameUnknownIndicator,omitempty"`
	FirstNameUnknownIndicator      string `xml:"FirstNameUnknownIndicator,omitempty"`
	PartyNameTypeCode              string `xml:"PartyNameTypeCode"`
	RawPartyFullName               string `xml:"RawPartyFullName,omitempty"`
}

// SARAddress is a party's address.
type SARAddress struct {
	SeqNum                int    `xml:"SeqNum,attr"`
	RawCityText           string `xml:"RawCityText"`
	RawCountryCodeText    string `xml:"RawCountryCodeText"`
	RawStateCodeText      string `xml:"RawStateCodeText,omitempty"`
	RawStreetAddress1Text string `xml:"RawStreetAddress1Text"`
	RawZIPCode            string `xml:"RawZIPCode,omitempty"`
}

// SARPhone is a party's phone number.
type SARPhone struct {
	SeqNum          int    `xml:"SeqNum,attr"`
	PhoneNumberText string `xml:"PhoneNumberText"`
}

// SARIdentification is one of a party's identifiers.
type SARIdentification struct {
	SeqNum                           int    `xml:"SeqNum,attr"`
	OtherPartyIdentificationTypeText string `xml:"OtherPartyIdentificationTypeText,omitempty"`
	PartyIdentificationNumberText    string `xml:"PartyIdentificationNumberText"`
	PartyIdentificationTypeCode      string `xml:"PartyIdentificationTypeCode"`
}

// SARSuspiciousActivity sums the activity up.
type SARSuspiciousActivity struct {
	SeqNum                           int                 `xml:"SeqNum,attr"`
	FromDateText                     string              `xml:"SuspiciousActivityFromDateText" req:"case: attach transactions to the case"`
	ToDateText                       string              `xml:"SuspiciousActivityToDateText" req:"case: attach transactions to the case"`
	TotalSuspiciousAmountText        string              `xml:"TotalSuspiciousAmountText" req:"case"`
	SuspiciousActivityClassification []SARClassification `xml:"SuspiciousActivityClassification"`
}

// SARClassification is one suspicious-activity type.
type SARClassification struct {
	SeqNum                          int    `xml:"SeqNum,attr"`
	OtherSuspiciousActivityTypeText string `xml:"OtherSuspiciousActivityTypeText,omitempty"`
	SuspiciousActivitySubtypeID     int    `xml:"SuspiciousActivitySubtypeID" req:"sar.activity_types.<disposition>.subtype"`
	SuspiciousActivityTypeID        int    `xml:"SuspiciousActivityTypeID" req:"sar.activity_types.<disposition>.type"`
}

// SARNarrativeInfo is one block of the narrative.
type SARNarrativeInfo struct {
	SeqNum                          int    `xml:"SeqNum,attr"`
	ActivityNarrativeSequenceNumber int    `xml:"ActivityNarrativeSequenceNumber"`
	ActivityNarrativeText           string `xml:"ActivityNarrativeText"`
}

// defaultActivityTypes are FinCEN's SAR activity types for our
// dispositions: 3 fraud, 5 money laundering, subtype 999 "other" with a
// text naming the typologies.
func defaultActivityType(disposition string) (ActivityType, bool) {
	switch disposition {
	case "confirmed_fraud":
		return ActivityType{Type: 3, Subtype: 999}, true
	case "laundering_suspicion":
		return ActivityType{Type: 5, Subtype: 999}, true
	}
	return ActivityType{}, false
}

// BuildSAR builds the FinCEN SAR batch of c and checks it, as BuildGoAML
// does. Amounts are whole US dollars: currency_code_local must be USD.
func BuildSAR(cfg Config, c Case, now time.Time) (*SARBatch, error) {
	ck := &checker{cfg: &cfg}
	seq := 0
	next := func() int { seq++; return seq }
	b := &SARBatch{ActivityCount: 1, FormTypeCode: "SARX"}
	act := &b.Activity
	act.SeqNum = next()
	act.FilingDateText = now.UTC().Format("20060102")
	act.ActivityAssociation = SARAssociation{SeqNum: next(), InitialReportIndicator: "Y"}

	in, tr := cfg.Institution, cfg.SAR.Transmitter
	type req struct{ path, key string }
	var needs []req
	here := func(field string) string {
		return fmt.Sprintf("EFilingBatchXML/Activity/Party[%d]/%s", len(act.Party)-1, field)
	}
	need := func(value, field, key string) {
		if strings.TrimSpace(value) == "" {
			needs = append(needs, req{here(field), key})
		}
	}
	party := func(code, name, nameKey string) *SARParty {
		act.Party = append(act.Party, SARParty{SeqNum: next(), ActivityPartyTypeCode: code,
			PartyName: SARPartyName{SeqNum: next(), PartyNameTypeCode: "L", RawPartyFullName: name}})
		if nameKey != "" {
			need(name, "PartyName/RawPartyFullName", nameKey)
		}
		return &act.Party[len(act.Party)-1]
	}
	address := func(p *SARParty, a Address, key string) {
		p.Address = &SARAddress{SeqNum: next(), RawCityText: a.City, RawCountryCodeText: a.Country, RawStateCodeText: a.State,
			RawStreetAddress1Text: a.Street, RawZIPCode: a.Zip}
		need(a.City, "Address/RawCityText", key+".city")
		need(a.Country, "Address/RawCountryCodeText", key+".country")
		need(a.Street, "Address/RawStreetAddress1Text", key+".street")
		if strings.EqualFold(a.Country, "US") {
			need(a.State, "Address/RawStateCodeText", key+".state (required for US addresses)")
			need(a.Zip, "Address/RawZIPCode", key+".zip (required for US addresses)")
		}
	}
	ident := func(p *SARParty, typ, number, other, key string) {
		p.PartyIdentification = append(p.PartyIdentification, SARIdentification{SeqNum: next(), PartyIdentificationNumberText: number,
			PartyIdentificationTypeCode: typ, OtherPartyIdentificationTypeText: other})
		need(number, fmt.Sprintf("PartyIdentification[%d]/PartyIdentificationNumberText", len(p.PartyIdentification)-1), key)
	}
	phone := func(p *SARParty, number, key string) {
		p.PhoneNumber = &SARPhone{SeqNum: next(), PhoneNumberText: number}
		need(number, "PhoneNumber/PhoneNumberText", key)
	}

	p := party(partyTransmitter, tr.Name, "sar.transmitter.name")
	address(p, tr.Address, "sar.transmitter.address")
	phone(p, tr.Phone, "sar.transmitter.phone")
	ident(p, idTIN, tr.TIN, "", "sar.transmitter.tin")
	ident(p, idTCC, tr.TCC, "", "sar.transmitter.tcc")
	party(partyTransmitterContact, cfg.SAR.TransmitterContact, "sar.transmitter_contact")
	p = party(partyFiler, in.Name, "institution.name")
	p.PrimaryRegulatorTypeCode = in.PrimaryRegulator
	need(in.PrimaryRegulator, "PrimaryRegulatorTypeCode", "institution.primary_regulator")
	address(p, in.Address, "institution.address")
	ident(p, idEIN, in.TIN, "", "institution.tin")
	p = party(partyContactOffice, cfg.SAR.ContactOffice.Name, "sar.contact_office.name")
	phone(p, cfg.SAR.ContactOffice.Phone, "sar.contact_office.phone")
	p = party(partyActivityInstitute, in.Name, "institution.name")
	p.PrimaryRegulatorTypeCode = in.PrimaryRegulator
	need(in.PrimaryRegulator, "PrimaryRegulatorTypeCode", "institution.primary_regulator")
	address(p, in.Address, "institution.address")
	ident(p, idEIN, in.TIN, "", "institution.tin")
	for _, s := range c.Subjects {
		p := party(partySubject, "", "")
		// The graph knows subjects by internal id only.
		p.PartyName.EntityLastNameUnknownIndicator, p.PartyName.FirstNameUnknownIndicator = "Y", "Y"
		ident(p, idOther, s.ID, "internal "+strings.ToLower(s.Kind.String())+" id", "case")
	}
	if len(c.Subjects) == 0 {
		needs = append(needs, req{"EFilingBatchXML/Activity/Party[subject]", "case: attach the subject entities to the case"})
	}
	b.PartyCount = len(act.Party)

	sa := &act.SuspiciousActivity
	sa.SeqNum = next()
	if !strings.EqualFold(cfg.CurrencyCodeLocal, "USD") {
		ck.bad("EFilingBatchXML/Activity/SuspiciousActivity/TotalSuspiciousAmountText",
			fmt.Sprintf("a FinCEN SAR reports US dollars, the config's currency is %q", cfg.CurrencyCodeLocal),
			"currency_code_local: USD, with exchange_rates for other currencies")
	}
	txns := c.sortedTxns()
	total := 0.0
	for i, t := range txns {
		r, ok := cfg.rate(t.Currency)
		if !ok {
			ck.missing(fmt.Sprintf("EFilingBatchXML/Activity/SuspiciousActivity/TotalSuspiciousAmountText (transaction %s)", t.ID),
				fmt.Sprintf("exchange_rates.%s", strings.ToUpper(t.Currency)))
			continue
		}
		total += t.Amount * r
		if i == 0 {
			sa.FromDateText = t.Time.UTC().Format("20060102")
		}
		sa.ToDateText = t.Time.UTC().Format("20060102")
	}
	if len(txns) > 0 {
		sa.TotalSuspiciousAmountText = fmt.Sprint(int64(math.Round(total)))
		b.TotalAmount = sa.TotalSuspiciousAmountText
	}
	at, ok := cfg.SAR.ActivityTypes[c.Disposition]
	if !ok {
		at, ok = defaultActivityType(c.Disposition)
	}
	if !ok {
		ck.bad("EFilingBatchXML/Activity/SuspiciousActivity/SuspiciousActivityClassification",
			fmt.Sprintf("disposition %q is not reportable", c.Disposition), "case: close it as confirmed_fraud or laundering_suspicion")
	}
	other := "disposition " + c.Disposition
	if len(c.Typologies) > 0 {
		other = "typologies: " + strings.Join(c.Typologies, ", ")
	}
	sa.SuspiciousActivityClassification = []SARClassification{{SeqNum: next(), SuspiciousActivityTypeID: at.Type, SuspiciousActivitySubtypeID: at.Subtype, OtherSuspiciousActivityTypeText: other}}
	if c.Reason != "" {
		for i, block := range narrativeBlocksOf(&c, &cfg) {
			act.Narrative = append(act.Narrative, SARNarrativeInfo{SeqNum: next(), ActivityNarrativeSequenceNumber: i + 1, ActivityNarrativeText: block})
		}
	}
	for _, n := range needs {
		ck.missing(n.path, n.key)
	}
	ck.walk(reflect.ValueOf(b).Elem(), "EFilingBatchXML")
	return b, ck.result(FormatSAR)
}

// narrativeBlocksOf tells the case in at most five 4,000-character
// blocks, listing fewer transactions until it fits.
func narrativeBlocksOf(c *Case, cfg *Config) []string {
	maxTxns := len(c.Txns)
	for {
		text := c.narrative(cfg, maxTxns)
		if utf8.RuneCountInString(text) <= narrativeBlock*narrativeBlocks || maxTxns == 0 {
			return splitRunes(text, narrativeBlock, narrativeBlocks)
		}
		maxTxns /= 2
	}
}

// splitRunes cuts s into at most n pieces of at most size runes (the
// last piece ends early if s is too long).
func splitRunes(s string, size, n int) []string {
	var out []string
	for s != "" && len(out) < n {
		cut, runes := 0, 0
		for cut < len(s) && runes < size {
			_, w := utf8.DecodeRuneInString(s[cut:])
			cut += w
			runes++
		}
		out = append(out, s[:cut])
		s = s[cut:]
	}
	return out
}
