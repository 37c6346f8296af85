package signal

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"math"
	"slices"
	"sync"
)

// views builds the full (compliance) signal and the filtered
// (non-compliance) signal of one decision. See the package documentation,
// "Tipping off", for the rule implemented here.
func (r *Router) views(d *Decision) (full, public Signal, err error) {
	if d.Txn == nil || d.Txn.ID == "" {
		return full, public, fmt.Errorf("%w: no transaction id", ErrInvalidDecision)
	}
	if math.IsNaN(d.Score) || d.Score < 0 || d.Score > 1 {
		return full, public, fmt.Errorf("%w: txn %s: score %v not in [0, 1]", ErrInvalidDecision, d.Txn.ID, d.Score)
	}
	subject, err := r.subject(d)
	if err != nil {
		return full, public, err
	}

	var (
		weight  [numClasses]float64 // summed reason weight per class
		present [numClasses]bool
		amlW    float64 // positive log-odds attributed to AML reasons
		otherW  float64 // positive log-odds of non-AML reasons
		aml     = len(d.Typologies) > 0
		// unattributed: AML evidence whose log-odds we cannot remove
		// (typologies carry no weight; an AML reason may carry none).
		unattributed = aml
	)
	for _, rs := range d.Reasons {
		id := classify(rs.Code)
		present[id] = true
		w := rs.Weight
		if math.IsNaN(w) {
			w = 0
		}
		weight[id] += w
		if id == idAML {
			aml = true
			if w > 0 {
				amlW += w
			} else {
				unattributed = true
			}
		} else if w > 0 {
			otherW += w
		}
	}

	pubScore := d.Score
	if aml {
		pubScore = sigmoid(logit(d.Score) - amlW)
		if unattributed {
			pubScore = min(pubScore, sigmoid(r.priorLogOdds+otherW))
		}
	}
	pubScore = coarsen(pubScore, r.cfg.ScoreStep)
	pubBand := r.cfg.Cuts.Band(pubScore)

	t := d.Time
	if t.IsZero() {
		t = r.cfg.Now()
	}
	model := d.Model
	pubModel := model
	if classify(model) == idAML {
		pubModel = ""
	}

	classes := orderClasses(&weight, &present)
	pubClasses := make([]Class, 0, len(classes))
	for _, c := range classes {
		if c != ClassAML {
			pubClasses = append(pubClasses, c)
		}
	}

	public = Signal{
		Version: Version, Subject: subject, Band: pubBand, Score: pubScore,
		Reasons: pubClasses, Txn: d.Txn.ID, Time: t, Model: pubModel,
	}
	full = Signal{
		Version: Version, Subject: subject, Band: r.cfg.Cuts.Band(d.Score), Score: d.Score,
		Reasons: classes, Txn: d.Txn.ID, Time: t, Model: model,
		Compliance: &Compliance{
			AML:         aml,
			Decision:    d.Decision,
			Reasons:     d.Reasons,
			Typologies:  d.Typologies,
			PublicBand:  pubBand,
			PublicScore: pubScore,
		},
	}
	return full, public, nil
}

// orderClasses lists the present classes by summed weight, strongest
// first, ties in classOrder.
func orderClasses(weight *[numClasses]float64, present *[numClasses]bool) []Class {
	ids := make([]classID, 0, numClasses)
	for id := range numClasses {
		if present[id] {
			ids = append(ids, id)
		}
	}
	slices.SortStableFunc(ids, func(a, b classID) int {
		switch {
		case weight[a] > weight[b]:
			return -1
		case weight[a] < weight[b]:
			return 1
		}
		return 0
	})
	out := make([]Class, len(ids))
	for i, id := range ids {
		out[i] = classOrder[id]
	}
	return out
}

// subjectBytes is how many bytes of the HMAC the subject keeps (128 bits).
const subjectBytes = 16

// subject pseudonymises the decision's user (else account, else card) id.
func (r *Router) subject(d *Decision) (string, error) {
	kind, id := "user", d.Txn.User
	if id == "" {
		kind, id = "account", d.Txn.Account
	}
	if id == "" {
		kind, id = "card", d.Txn.Card
	}
	if id == "" {
		return "", fmt.Errorf("%w: txn %s has no user, account or card", ErrInvalidDecision, d.Txn.ID)
	}
	return r.pseudo.of(kind, id), nil
}

// pseudonymiser computes HMAC-SHA-256 subjects with pooled hashes.
type pseudonymiser struct{ pool sync.Pool }

func newPseudonymiser(key []byte) *pseudonymiser {
	k := append([]byte(nil), key...)
	p := &pseudonymiser{}
	p.pool.New = func() any { return hmac.New(sha256.New, k) }
	return p
}

func (p *pseudonymiser) of(kind, id string) string {
	h := p.pool.Get().(hash.Hash)
	h.Reset()
	h.Write([]byte(kind))
	h.Write([]byte{0})
	h.Write([]byte(id))
	var sum [sha256.Size]byte
	out := h.Sum(sum[:0])
	p.pool.Put(h)
	return hex.EncodeToString(out[:subjectBytes])
}

// Scores are clamped away from 0 and 1 before taking log-odds. A score
// saturated at the clamp (or at float32 resolution, ~1-6e-8) loses the
// log-odds above it, so the filtered score of such a decision errs low:
// the safe direction for tipping off.
const scoreEps = 1e-9

func logit(p float64) float64 {
	p = min(max(p, scoreEps), 1-scoreEps)
	return math.Log(p / (1 - p))
}

func sigmoid(x float64) float64 { return 1 / (1 + math.Exp(-x)) }
