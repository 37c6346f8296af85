package report

import (
	"cmp"
	"encoding/xml"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/riskgraph/riskgraph/graph"
)

// goAML date-time format (local time of the FIU, no zone; we write UTC).
const goAMLTime = "2006-01-02T15:04:05"

// GoAMLReport is a goAML report document. Element order follows the goAML
// schema; req tags mark required fields and say where they come from.
type GoAMLReport struct {
	XMLName           xml.Name         `xml:"report"`
	RentityID         string           `xml:"rentity_id" req:"institution.rentity_id"`
	RentityBranch     string           `xml:"rentity_branch,omitempty"`
	SubmissionCode    string           `xml:"submission_code" req:"goaml.submission_code"`
	ReportCode        string           `xml:"report_code" req:"goaml.report_code"`
	EntityReference   string           `xml:"entity_reference,omitempty"`
	SubmissionDate    string           `xml:"submission_date" req:"case: the export time"`
	CurrencyCodeLocal string           `xml:"currency_code_local" req:"currency_code_local"`
	ReportingPerson   *GoAMLPerson     `xml:"reporting_person" req:"reporting_person"`
	Location          *GoAMLAddress    `xml:"location" req:"institution.address"`
	Reason            string           `xml:"reason" req:"case: close the case with a reason"`
	Action            string           `xml:"action" req:"goaml.action"`
	Transactions      []GoAMLTxn       `xml:"transaction" req:"case: attach transactions to the case"`
	ReportIndicators  *GoAMLIndicators `xml:"report_indicators" req:"goaml.indicators.<disposition>"`
}

// GoAMLPerson is the reporting person.
type GoAMLPerson struct {
	Title      string       `xml:"title,omitempty"`
	FirstName  string       `xml:"first_name" req:"reporting_person.first_name"`
	LastName   string       `xml:"last_name" req:"reporting_person.last_name"`
	Phones     *GoAMLPhones `xml:"phones,omitempty"`
	Email      string       `xml:"email,omitempty"`
	Occupation string       `xml:"occupation,omitempty"`
}

// GoAMLPhones lists phone numbers.
type GoAMLPhones struct {
	Phone []GoAMLPhone `xml:"phone"`
}

// GoAMLPhone is one phone number.
type GoAMLPhone struct {
	ContactType       string `xml:"tph_contact_type"`
	CommunicationType string `xml:"tph_communication_type"`
	Number            string `xml:"tph_number"`
}

// GoAMLAddress is an address.
type GoAMLAddress struct {
	AddressType string `xml:"address_type" req:"institution.address.type"`
	Address     string `xml:"address" req:"institution.address.street"`
	City        string `xml:"city" req:"institution.address.city"`
	Zip         string `xml:"zip,omitempty"`
	CountryCode string `xml:"country_code" req:"institution.address.country"`
	State       string `xml:"state,omitempty"`
}

// GoAMLTxn is one reported transaction.
type GoAMLTxn struct {
	TransactionNumber      string     `xml:"transactionnumber" req:"case"`
	InternalRefNumber      string     `xml:"internal_ref_number,omitempty"`
	TransactionLocation    string     `xml:"transaction_location,omitempty"`
	TransactionDescription string     `xml:"transaction_description,omitempty"`
	DateTransaction        string     `xml:"date_transaction" req:"case"`
	TransmodeCode          string     `xml:"transmode_code" req:"goaml.transmode_code"`
	AmountLocal            string     `xml:"amount_local" req:"case"`
	From                   *GoAMLFrom `xml:"t_from" req:"case: the transaction names no paying account or card"`
	To                     *GoAMLTo   `xml:"t_to" req:"case: the transaction names no receiving account or merchant"`
	Comments               string     `xml:"comments,omitempty"`
}

// GoAMLForeign is the original currency of a converted amount.
type GoAMLForeign struct {
	CurrencyCode string `xml:"foreign_currency_code"`
	Amount       string `xml:"foreign_amount"`
	ExchangeRate string `xml:"foreign_exchange_rate"`
}

// GoAMLFrom is the paying side of a transaction.
type GoAMLFrom struct {
	FundsCode       string        `xml:"from_funds_code" req:"goaml.funds_code"`
	ForeignCurrency *GoAMLForeign `xml:"from_foreign_currency,omitempty"`
	Account         *GoAMLAccount `xml:"from_account,omitempty"`
	Country         string        `xml:"from_country" req:"institution.address.country"`
}

// GoAMLTo is the receiving side of a transaction.
type GoAMLTo struct {
	FundsCode       string        `xml:"to_funds_code" req:"goaml.funds_code"`
	ForeignCurrency *GoAMLForeign `xml:"to_foreign_currency,omitempty"`
	Account         *GoAMLAccount `xml:"to_account,omitempty"`
	Entity          *GoAMLEntity  `xml:"to_entity,omitempty"`
	Country         string        `xml:"to_country" req:"institution.address.country"`
}

// GoAMLAccount is an account (held, as far as the graph knows, at the
// reporting institution).
type GoAMLAccount struct {
	InstitutionName string `xml:"institution_name" req:"institution.name"`
	InstitutionCode string `xml:"institution_code,omitempty"`
	SWIFT           string `xml:"swift,omitempty"`
	Branch          string `xml:"branch,omitempty"`
	Account         string `xml:"account" req:"case"`
	CurrencyCode    string `xml:"currency_code,omitempty"`
	AccountName     string `xml:"account_name,omitempty"`
}

// GoAMLEntity is a legal entity (a merchant).
type GoAMLEntity struct {
	Name string `xml:"name" req:"case"`
}

// GoAMLIndicators are the FIU's report indicator codes.
type GoAMLIndicators struct {
	Indicator []string `xml:"indicator"`
}

// BuildGoAML builds the goAML report of c and checks it: the error is a
// *FieldErrors listing every missing field and every text XML cannot
// carry. The report is returned either way, for inspection.
func BuildGoAML(cfg Config, c Case, now time.Time) (*GoAMLReport, error) {
	ck := &checker{cfg: &cfg}
	in := cfg.Institution
	r := &GoAMLReport{
		RentityID:         in.RentityID,
		RentityBranch:     in.Branch,
		SubmissionCode:    cmp.Or(cfg.GoAML.SubmissionCode, "E"),
		ReportCode:        cmp.Or(cfg.GoAML.ReportCode, "STR"),
		EntityReference:   c.ID,
		SubmissionDate:    now.UTC().Format(goAMLTime),
		CurrencyCodeLocal: strings.ToUpper(cfg.CurrencyCodeLocal),
		Reason:            reasonText(&c),
		Action:            cfg.GoAML.Action,
	}
	// Always built, so that each missing field is listed on its own.
	p := cfg.ReportingPerson
	r.ReportingPerson = &GoAMLPerson{Title: p.Title, FirstName: p.FirstName, LastName: p.LastName, Email: p.Email, Occupation: p.Occupation}
	if g := cfg.GoAML; p.Phone != "" && g.PhoneContactType != "" && g.PhoneCommunicationType != "" {
		r.ReportingPerson.Phones = &GoAMLPhones{Phone: []GoAMLPhone{{ContactType: g.PhoneContactType, CommunicationType: g.PhoneCommunicationType, Number: p.Phone}}}
	}
	a := in.Address
	r.Location = &GoAMLAddress{AddressType: cmp.Or(a.Type, "B"), Address: a.Street, City: a.City, Zip: a.Zip, CountryCode: a.Country, State: a.State}
	if in.SWIFT == "" && in.InstitutionCode == "" {
		ck.missing("report/transaction/t_from/from_account/swift|institution_code", "institution.swift or institution.institution_code")
	}
	for i, t := range c.sortedTxns() {
		r.Transactions = append(r.Transactions, goAMLTxn(ck, &cfg, &t, fmt.Sprintf("report/transaction[%d]", i)))
	}
	r.ReportIndicators = indicators(ck, &cfg, &c)
	ck.walk(reflect.ValueOf(r).Elem(), "report")
	return r, ck.result(FormatGoAML)
}

func reasonText(c *Case) string {
	if strings.TrimSpace(c.Reason) == "" {
		return ""
	}
	s := c.Reason
	if len(c.Typologies) > 0 {
		s += " (typologies: " + strings.Join(c.Typologies, ", ") + ")"
	}
	return s
}

func goAMLTxn(ck *checker, cfg *Config, t *graph.Transaction, path string) GoAMLTxn {
	in := cfg.Institution
	out := GoAMLTxn{
		TransactionNumber:      t.ID,
		TransactionLocation:    t.Channel,
		TransactionDescription: describe(t),
		DateTransaction:        t.Time.UTC().Format(goAMLTime),
		TransmodeCode:          cfg.GoAML.TransmodeCode,
	}
	rate, ok := cfg.rate(t.Currency)
	var foreign *GoAMLForeign
	switch {
	case !ok && cfg.CurrencyCodeLocal == "":
		ck.missing(path+"/amount_local", "currency_code_local")
	case !ok:
		ck.missing(path+"/amount_local", fmt.Sprintf("exchange_rates.%s (%s per %s)", strings.ToUpper(t.Currency), cfg.CurrencyCodeLocal, strings.ToUpper(t.Currency)))
	default:
		out.AmountLocal = amount(t.Amount * rate)
		if rate != 1 {
			foreign = &GoAMLForeign{CurrencyCode: strings.ToUpper(t.Currency), Amount: amount(t.Amount), ExchangeRate: strconv.FormatFloat(rate, 'f', -1, 64)}
		}
	}
	account := func(id string) *GoAMLAccount {
		return &GoAMLAccount{InstitutionName: in.Name, InstitutionCode: in.InstitutionCode, SWIFT: in.SWIFT, Branch: in.Branch,
			Account: id, CurrencyCode: strings.ToUpper(t.Currency)}
	}
	country := cmp.Or(t.Country, in.Address.Country)
	switch {
	case t.Account != "":
		out.From = &GoAMLFrom{FundsCode: cfg.GoAML.FundsCode, ForeignCurrency: foreign, Account: account(t.Account), Country: country}
	case t.Card != "":
		a := account("card " + t.Card)
		a.AccountName = "card token"
		out.From = &GoAMLFrom{FundsCode: cfg.GoAML.FundsCode, ForeignCurrency: foreign, Account: a, Country: country}
	}
	switch {
	case t.Counterparty != "":
		out.To = &GoAMLTo{FundsCode: cfg.GoAML.FundsCode, ForeignCurrency: foreign, Account: account(t.Counterparty), Country: country}
	case t.Merchant != "":
		out.To = &GoAMLTo{FundsCode: cfg.GoAML.FundsCode, ForeignCurrency: foreign, Entity: &GoAMLEntity{Name: "merchant " + t.Merchant}, Country: country}
	}
	return out
}

func describe(t *graph.Transaction) string {
	var parts []string
	if t.Kind != "" {
		parts = append(parts, t.Kind)
	}
	if t.Merchant != "" {
		m := "at merchant " + t.Merchant
		if t.MCC != "" {
			m += " (MCC " + t.MCC + ")"
		}
		parts = append(parts, m)
	}
	if t.User != "" {
		parts = append(parts, "by user "+t.User)
	}
	return strings.Join(parts, " ")
}

func indicators(ck *checker, cfg *Config, c *Case) *GoAMLIndicators {
	var codes []string
	for _, key := range append([]string{c.Disposition}, c.Typologies...) {
		for _, code := range cfg.GoAML.Indicators[key] {
			if !slices.Contains(codes, code) {
				codes = append(codes, code)
			}
		}
	}
	if len(codes) == 0 {
		ck.missing("report/report_indicators", "goaml.indicators."+cmp.Or(c.Disposition, "<disposition>"))
		return &GoAMLIndicators{}
	}
	return &GoAMLIndicators{Indicator: codes}
}
