// Package report writes a closed case as a suspicious-transaction report
// for a financial intelligence unit: goAML XML (the UNODC format most FIUs
// outside the US accept; FormatGoAML) or a FinCEN SAR batch (EFilingBatchXML;
// FormatSAR).
//
// # Inputs
//
// A report is built from a Case (what the investigation found: subjects,
// transactions read from the graph, the analyst's reason and notes, the
// typologies behind it) and a Config describing the reporting institution
// (its FIU id, address, reporting officer, code lists), which LoadConfig
// reads from reporting.yaml in the data directory. Package report reads no
// files or environment of its own beyond LoadConfig's path.
//
// # Validation
//
// Nothing is written until the whole document checks out. Every required
// field is tagged in the document structs (`req:"…"` naming the config key
// or case detail it comes from), and Write walks the document and returns
// one *FieldErrors listing every missing field by its path in the XML
// (report/reporting_person/first_name) with what to set to fix it
// (institution.name in reporting.yaml). The same walk rejects text XML 1.0
// cannot carry (control characters other than tab and line breaks,
// invalid UTF-8) rather than let encoding/xml silently replace it in a
// regulatory filing. Characters XML can carry (<, &, quotes, any Unicode)
// are escaped by encoding/xml.
//
// # Code lists
//
// goAML code lists (transmode, funds, report indicators) are set per FIU,
// so they come from the config, never from this package. FinCEN SAR
// activity type ids default to the published list (3 fraud, 5 money
// laundering, subtype 999 "other" with a text) and can be overridden.
package report
