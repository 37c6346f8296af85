package scoring

import "errors"

// Decision is the v1 authorization reply (DESIGN: "Authorization").
type Decision struct {
	Txn        string   `json:"txn"`
	Score      float64  `json:"score"`    // 0..1; 0 when degraded without a model score
	Decision   string   `json:"decision"` // approve, review or decline
	Reasons    []Reason `json:"reasons"`
	Typologies []string `json:"typologies"`
	Model      string   `json:"model"` // id@sha256 prefix; "" when degraded
	Rules      string   `json:"rules"` // rule set version
	// Degraded is true when the model could not answer within the deadline
	// and the decision came from rules alone.
	Degraded  bool  `json:"degraded"`
	LatencyUS int64 `json:"latency_us"`
}

// ErrInvalid: the transaction is malformed (the caller's fault: a 400).
// Errors wrapping it name the field (graph.FieldError).
var ErrInvalid = errors.New("scoring: invalid transaction")
