package report

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"gopkg.in/yaml.v3"
)

// Sentinel errors of package report; test with errors.Is.
var (
	// ErrMissing: required fields are missing (a *FieldErrors lists them).
	ErrMissing = errors.New("report: required fields missing")
	// ErrText: a field holds text an XML document cannot carry.
	ErrText = errors.New("report: text XML cannot carry")
	// ErrConfig: the reporting config file is unreadable or malformed.
	ErrConfig = errors.New("report: bad reporting config")
	// ErrFormat: an unknown report format.
	ErrFormat = errors.New("report: unknown format")
)

// ConfigFile is the reporting config's file name in a data directory.
const ConfigFile = "reporting.yaml"

// Config describes the reporting institution. Every field is optional to
// load; what a report needs and lacks is listed when it is written.
type Config struct {
	Institution     Institution `yaml:"institution" json:"institution"`
	ReportingPerson Person      `yaml:"reporting_person" json:"reporting_person"`
	// CurrencyCodeLocal is the ISO 4217 currency amounts are reported in.
	CurrencyCodeLocal string `yaml:"currency_code_local" json:"currency_code_local"`
	// ExchangeRates converts other currencies: units of CurrencyCodeLocal
	// per unit of the keyed currency (USD: 0.92).
	ExchangeRates map[string]float64 `yaml:"exchange_rates" json:"exchange_rates"`
	GoAML         GoAMLConfig        `yaml:"goaml" json:"goaml"`
	SAR           SARConfig          `yaml:"sar" json:"sar"`

	// Source names where the config came from in error messages (set by
	// LoadConfig; default "the reporting config").
	Source string `yaml:"-" json:"-"`
}

// Institution is the reporting entity.
type Institution struct {
	Name string `yaml:"name" json:"name"`
	// RentityID is the id the FIU gave the institution (goAML).
	RentityID string `yaml:"rentity_id" json:"rentity_id"`
	Branch    string `yaml:"branch" json:"branch"`
	// SWIFT (BIC) or InstitutionCode identifies it in account records.
	SWIFT           string `yaml:"swift" json:"swift"`
	InstitutionCode string `yaml:"institution_code" json:"institution_code"`
	// TIN is its taxpayer id (SAR filer, EIN).
	TIN string `yaml:"tin" json:"tin"`
	// PrimaryRegulator is the FinCEN primary federal regulator code.
	PrimaryRegulator string  `yaml:"primary_regulator" json:"primary_regulator"`
	Address          Address `yaml:"address" json:"address"`
	Phone            string  `yaml:"phone" json:"phone"`
}

// Address is a postal address.
type Address struct {
	// Type is the goAML address type code (default "B", business).
	Type    string `yaml:"type" json:"type"`
	Street  string `yaml:"street" json:"street"`
	City    string `yaml:"city" json:"city"`
	State   string `yaml:"state" json:"state"`
	Zip     string `yaml:"zip" json:"zip"`
	Country string `yaml:"country" json:"country"`
}

// Person is the reporting officer (MLRO).
type Person struct {
	Title      string `yaml:"title" json:"title"`
	FirstName  string `yaml:"first_name" json:"first_name"`
	LastName   string `yaml:"last_name" json:"last_name"`
	Email      string `yaml:"email" json:"email"`
	Phone      string `yaml:"phone" json:"phone"`
	Occupation string `yaml:"occupation" json:"occupation"`
}

// GoAMLConfig holds goAML submission settings and the FIU's code lists.
type GoAMLConfig struct {
	// SubmissionCode: E electronic (default), M manual.
	SubmissionCode string `yaml:"submission_code" json:"submission_code"`
	// ReportCode: STR (default) or SAR, as the FIU names them.
	ReportCode string `yaml:"report_code" json:"report_code"`
	// TransmodeCode and FundsCode are the FIU's codes for how the
	// transactions were conducted and the type of funds.
	TransmodeCode string `yaml:"transmode_code" json:"transmode_code"`
	FundsCode     string `yaml:"funds_code" json:"funds_code"`
	// PhoneContactType and PhoneCommunicationType are the FIU's codes
	// for the reporting person's phone (listed only when both are set).
	PhoneContactType       string `yaml:"phone_contact_type" json:"phone_contact_type"`
	PhoneCommunicationType string `yaml:"phone_communication_type" json:"phone_communication_type"`
	// Action says what the institution did about it.
	Action string `yaml:"action" json:"action"`
	// Indicators maps a disposition (laundering_suspicion,
	// confirmed_fraud) or a typology name (fan_in, cycle, …) to the FIU's
	// report indicator codes.
	Indicators map[string][]string `yaml:"indicators" json:"indicators"`
}

// SARConfig holds FinCEN SAR settings.
type SARConfig struct {
	Transmitter        Transmitter `yaml:"transmitter" json:"transmitter"`
	TransmitterContact string      `yaml:"transmitter_contact" json:"transmitter_contact"`
	ContactOffice      Contact     `yaml:"contact_office" json:"contact_office"`
	// ActivityTypes maps a disposition to its SAR classification.
	// Defaults: confirmed_fraud 3/999, laundering_suspicion 5/999.
	ActivityTypes map[string]ActivityType `yaml:"activity_types" json:"activity_types"`
}

// Transmitter is who sends the batch to FinCEN.
type Transmitter struct {
	Name    string  `yaml:"name" json:"name"`
	TCC     string  `yaml:"tcc" json:"tcc"`
	TIN     string  `yaml:"tin" json:"tin"`
	Phone   string  `yaml:"phone" json:"phone"`
	Address Address `yaml:"address" json:"address"`
}

// Contact is an office to contact about the filing.
type Contact struct {
	Name  string `yaml:"name" json:"name"`
	Phone string `yaml:"phone" json:"phone"`
}

// ActivityType is a SAR suspicious-activity classification.
type ActivityType struct {
	Type    int `yaml:"type" json:"type"`
	Subtype int `yaml:"subtype" json:"subtype"`
}

// LoadConfig reads a reporting config (YAML, or JSON, which is YAML).
// Unknown keys are errors naming the line, so a misspelt key is not a
// silently missing field. Errors wrap ErrConfig; a missing file wraps
// fs.ErrNotExist too.
func LoadConfig(path string) (Config, error) {
	var c Config
	f, err := os.Open(path)
	if err != nil {
		return c, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	defer f.Close()
	dec := yaml.NewDecoder(f)
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil && !errors.Is(err, io.EOF) /* an empty file */ {
		return c, fmt.Errorf("%w: %s: %v", ErrConfig, path, err)
	}
	for cur, r := range c.ExchangeRates {
		if !(r > 0) {
			return c, fmt.Errorf("%w: %s: exchange_rates.%s: %v is not a positive rate", ErrConfig, path, cur, r)
		}
	}
	c.Source = path
	return c, nil
}

func (c *Config) source() string {
	if c.Source == "" {
		return "the reporting config"
	}
	return c.Source
}

// rate returns the factor converting currency cur to the local currency.
func (c *Config) rate(cur string) (float64, bool) {
	if cur == "" || strings.EqualFold(cur, c.CurrencyCodeLocal) {
		return 1, true
	}
	r, ok := c.ExchangeRates[strings.ToUpper(cur)]
	return r, ok && r > 0
}
