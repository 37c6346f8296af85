package registry

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/riskgraph/riskgraph/gnn/artefact"
)

// Evaluation is a model's recorded performance on a held-out set.
type Evaluation struct {
	// Set is the split the metrics were measured on: "test" when the
	// manifest has test_* metrics, else "val".
	Set string `json:"set"`
	// HeldOut identifies the examples: the training data fingerprint, the
	// split rule and Set. Two evaluations are comparable only when their
	// HeldOut are equal and not empty.
	HeldOut string `json:"held_out,omitempty"`
	// AUC is the ROC AUC and AP the average precision; nil when not
	// recorded.
	AUC *float64 `json:"auc,omitempty"`
	AP  *float64 `json:"ap,omitempty"`
}

// EvaluationOf reads the held-out metrics of m.Training: test_auc and
// test_ap when either is recorded, else val_auc and val_ap. ok is false
// when there are none. The held-out set is identified by
// Training.DataFingerprint, Training.Split and the set's name: models
// trained and evaluated on the same data with the same split rule were
// measured on the same examples.
func EvaluationOf(m artefact.Manifest) (ev Evaluation, ok bool) {
	for _, set := range []string{"test", "val"} {
		auc, hasAUC := m.Training.Metrics[set+"_auc"]
		ap, hasAP := m.Training.Metrics[set+"_ap"]
		if !hasAUC && !hasAP {
			continue
		}
		ev = Evaluation{Set: set}
		if hasAUC {
			ev.AUC = &auc
		}
		if hasAP {
			ev.AP = &ap
		}
		if m.Training.DataFingerprint != "" {
			ev.HeldOut = m.Training.DataFingerprint + "/" + m.Training.Split + "/" + set
		}
		return ev, true
	}
	return Evaluation{}, false
}

// Verdict is the outcome of comparing a challenger with the champion.
type Verdict struct {
	// Comparable: both have metrics on the same held-out set, and at least
	// one metric in common.
	Comparable bool
	// Worse: comparable, and the challenger's AUC or AP is lower.
	Worse bool
	// Detail says what was compared and found, or why nothing could be.
	Detail string
}

// Compare judges challenger against champion (named by their ids in
// Detail) on the metrics their manifests record. Equal metrics are not
// worse.
func Compare(championID string, champion artefact.Manifest, challengerID string, challenger artefact.Manifest) Verdict {
	ce, cok := EvaluationOf(champion)
	ne, nok := EvaluationOf(challenger)
	switch {
	case !nok:
		return Verdict{Detail: fmt.Sprintf("challenger %s records no held-out metrics (test_auc/test_ap or val_auc/val_ap)", challengerID)}
	case !cok:
		return Verdict{Detail: fmt.Sprintf("champion %s records no held-out metrics (test_auc/test_ap or val_auc/val_ap)", championID)}
	case ne.HeldOut == "" || ce.HeldOut == "":
		return Verdict{Detail: fmt.Sprintf("the held-out set is not identified (no training data fingerprint) for %s",
			orBoth(ce.HeldOut == "", championID, ne.HeldOut == "", challengerID))}
	case ne.HeldOut != ce.HeldOut:
		return Verdict{Detail: fmt.Sprintf("different held-out sets: champion %s was measured on %s, challenger %s on %s",
			championID, describeSet(champion, ce), challengerID, describeSet(challenger, ne))}
	}
	var found, worse []string
	common := 0
	for _, mt := range []struct {
		name     string
		old, new *float64
	}{{"AUC", ce.AUC, ne.AUC}, {"AP", ce.AP, ne.AP}} {
		if mt.old == nil || mt.new == nil {
			continue
		}
		common++
		op := "≥"
		if *mt.new < *mt.old {
			op = "<"
			worse = append(worse, mt.name)
		}
		found = append(found, fmt.Sprintf("%s %s %.4f %s %.4f", ne.Set, mt.name, *mt.new, op, *mt.old))
	}
	if common == 0 {
		return Verdict{Detail: fmt.Sprintf("no metric in common on %s: the champion records %s, the challenger %s",
			describeSet(challenger, ne), metricNames(ce), metricNames(ne))}
	}
	v := Verdict{Comparable: true, Worse: len(worse) > 0}
	v.Detail = fmt.Sprintf("challenger vs champion on %s: %s", describeSet(challenger, ne), strings.Join(found, ", "))
	return v
}

func orBoth(a bool, aName string, b bool, bName string) string {
	switch {
	case a && b:
		return aName + " and " + bName
	case a:
		return aName
	}
	return bName
}

func describeSet(m artefact.Manifest, ev Evaluation) string {
	fp := m.Training.DataFingerprint
	if len(fp) > 12 {
		fp = fp[:12]
	}
	split := m.Training.Split
	if split == "" {
		split = "unnamed split"
	}
	return fmt.Sprintf("the %s set of data %s (%s)", ev.Set, fp, split)
}

func metricNames(ev Evaluation) string {
	var n []string
	if ev.AUC != nil {
		n = append(n, "AUC")
	}
	if ev.AP != nil {
		n = append(n, "AP")
	}
	return strings.Join(n, "+")
}

// PromoteRequest asks for a model to become champion.
type PromoteRequest struct {
	// Model is a stored id or a unique prefix (see Resolve).
	Model string
	// Actor (who) and Reason (why) are required and logged.
	Actor, Reason string
	// Force promotes even a worse or incomparable challenger; the check's
	// finding is logged with Forced set.
	Force bool
}

// Promote makes a stored model the champion, after checking it loads and
// comparing it with the champion (see Compare): a worse challenger is
// refused with ErrWorse, one that cannot be compared with ErrIncomparable,
// unless req.Force. The displaced champion is kept for Rollback. A model
// that is the shadow stops being the shadow. The first promotion has no
// champion to compare with and always passes.
func (r *Registry) Promote(ctx context.Context, req PromoteRequest) (Event, error) {
	if strings.TrimSpace(req.Actor) == "" || strings.TrimSpace(req.Reason) == "" {
		return Event{}, fmt.Errorf("%w: promotion needs an actor and a reason", ErrInvalid)
	}
	id, err := r.Resolve(ctx, req.Model)
	if err != nil {
		return Event{}, err
	}
	a, err := r.Load(ctx, id)
	if err != nil {
		return Event{}, fmt.Errorf("refusing to promote a model that does not load: %w", err)
	}
	return r.change(ctx, func(cur State) (Event, error) {
		if cur.Champion == id {
			return Event{}, fmt.Errorf("%w: %s is already the champion", ErrNoChange, id)
		}
		ev := Event{Actor: req.Actor, Action: ActionPromote, Model: id, Replaced: cur.Champion, Reason: req.Reason}
		if cur.Champion == "" {
			ev.Check = "no champion to compare with"
		} else {
			v := r.verdict(ctx, cur.Champion, id, a.Manifest)
			ev.Check = v.Detail
			switch {
			case v.Comparable && !v.Worse:
			case req.Force:
				ev.Forced = true
			case v.Worse:
				return Event{}, fmt.Errorf("%w: %s (use --force to promote it anyway)", ErrWorse, v.Detail)
			default:
				return Event{}, fmt.Errorf("%w: %s (use --force to promote it anyway)", ErrIncomparable, v.Detail)
			}
		}
		ev.After = State{Champion: id, Shadow: cur.Shadow, Previous: pushPrevious(cur.Previous, cur.Champion)}
		if cur.Shadow == id {
			ev.After.Shadow = ""
		}
		return ev, nil
	})
}

// verdict compares challenger with the stored champion, whose manifest
// may be unreadable (then they are incomparable).
func (r *Registry) verdict(ctx context.Context, championID, challengerID string, challenger artefact.Manifest) Verdict {
	cm, err := r.manifest(ctx, championID)
	if err != nil {
		return Verdict{Detail: fmt.Sprintf("the champion's manifest cannot be read: %v", err)}
	}
	return Compare(championID, cm, challengerID, challenger)
}

func pushPrevious(prev []string, champion string) []string {
	out := append([]string(nil), prev...)
	if champion == "" {
		return out
	}
	out = append(out, champion)
	if len(out) > MaxPrevious {
		out = out[len(out)-MaxPrevious:]
	}
	return out
}

// ShadowRequest sets (Model a stored id or prefix) or clears (Model "")
// the shadow model.
type ShadowRequest struct {
	Model         string
	Actor, Reason string
}

// SetShadow sets or clears the shadow, after checking the model loads.
// The champion cannot be its own shadow (ErrInvalid).
func (r *Registry) SetShadow(ctx context.Context, req ShadowRequest) (Event, error) {
	if strings.TrimSpace(req.Actor) == "" {
		return Event{}, fmt.Errorf("%w: an actor is required", ErrInvalid)
	}
	id := ""
	if req.Model != "" {
		var err error
		if id, err = r.Resolve(ctx, req.Model); err != nil {
			return Event{}, err
		}
		if _, err := r.Load(ctx, id); err != nil {
			return Event{}, fmt.Errorf("refusing a shadow model that does not load: %w", err)
		}
	}
	return r.change(ctx, func(cur State) (Event, error) {
		switch {
		case id == cur.Shadow && id == "":
			return Event{}, fmt.Errorf("%w: there is no shadow model", ErrNoChange)
		case id == cur.Shadow:
			return Event{}, fmt.Errorf("%w: %s is already the shadow", ErrNoChange, id)
		case id != "" && id == cur.Champion:
			return Event{}, fmt.Errorf("%w: %s is the champion; a shadow must be another model", ErrInvalid, id)
		}
		after := cur
		after.Shadow = id
		return Event{Actor: req.Actor, Action: ActionShadow, Model: id, Replaced: cur.Shadow, Reason: req.Reason, After: after}, nil
	})
}

// Rollback restores the previous champion (the one the current champion
// displaced), after checking it still loads, and logs it.
func (r *Registry) Rollback(ctx context.Context, actor, reason string) (Event, error) {
	if strings.TrimSpace(actor) == "" || strings.TrimSpace(reason) == "" {
		return Event{}, fmt.Errorf("%w: rollback needs an actor and a reason", ErrInvalid)
	}
	checked := ""
	for range 5 {
		cur, err := r.Current(ctx)
		if err != nil {
			return Event{}, err
		}
		if len(cur.Previous) == 0 {
			return Event{}, fmt.Errorf("%w: %s has been the only champion", ErrNoPrevious, orNone(cur.Champion))
		}
		prev := cur.Previous[len(cur.Previous)-1]
		if prev != checked {
			if _, err := r.Load(ctx, prev); err != nil {
				return Event{}, fmt.Errorf("refusing to roll back to a model that does not load: %w", err)
			}
			checked = prev
		}
		ev, err := r.change(ctx, func(cur State) (Event, error) {
			if len(cur.Previous) == 0 || cur.Previous[len(cur.Previous)-1] != checked {
				return Event{}, errRetry
			}
			after := State{Champion: checked, Shadow: cur.Shadow, Previous: cur.Previous[:len(cur.Previous)-1]}
			if after.Shadow == checked {
				after.Shadow = ""
			}
			return Event{Actor: actor, Action: ActionRollback, Model: checked, Replaced: cur.Champion, Reason: reason, After: after}, nil
		})
		if !errors.Is(err, errRetry) {
			return ev, err
		}
	}
	return Event{}, fmt.Errorf("%w: the champion kept changing during rollback", ErrConflict)
}

// errRetry: the state moved under Rollback's check; check again.
var errRetry = errors.New("registry: state changed, retry")

func orNone(id string) string {
	if id == "" {
		return "no model"
	}
	return id
}

func (r *Registry) headErr(err error) error {
	if errors.Is(err, ErrCorrupt) {
		return fmt.Errorf("%w (run riskgraph model repair to rewrite it from the registry log)", err)
	}
	return err
}
