package scoring

import (
	"fmt"
	"math"
	"strings"

	"github.com/riskgraph/riskgraph/gnn"
	"github.com/riskgraph/riskgraph/gnn/artefact"
	"github.com/riskgraph/riskgraph/graph"
	"github.com/riskgraph/riskgraph/sampling"
)

// Reason is one reason for a score: a stable machine code, a sentence for
// an analyst, and its weight: the change in log-odds it accounts for
// (occlusion: the log-odds minus the log-odds without it; +0.7 roughly
// doubles the odds).
type Reason struct {
	Code   string  `json:"code"`
	Detail string  `json:"detail"`
	Weight float64 `json:"weight"`
}

// minWeight is the smallest change in log-odds worth a reason.
const minWeight = 0.05

// Reasons returns up to n neighbour reasons and n feature reasons that
// raised row's score, strongest first. b must be the batch e was computed
// on and spec the model's feature schema (for raw values).
func Reasons(e gnn.Explanation, b *sampling.Batch, row int, spec artefact.FeatureSpec, n int) []Reason {
	var out []Reason
	for _, c := range e.Neighbours {
		if len(out) >= n {
			break
		}
		if c.Delta < minWeight || c.Hop != 1 {
			continue
		}
		out = append(out, Reason{
			Code:   linkCode(c.Relation, c.Node.Kind),
			Detail: fmt.Sprintf("linked %s %s (%s) raised the risk by %+.2f log-odds", strings.ToLower(c.Node.Kind.String()), c.Node.ID, c.Relation, c.Delta),
			Weight: round(float64(c.Delta)),
		})
	}
	nf := 0
	for _, c := range e.Features {
		if nf >= n {
			break
		}
		if c.Delta < minWeight {
			continue
		}
		nf++
		out = append(out, featureReason(c, b, row, spec))
	}
	return out
}

// linkCode names a neighbour reason by what the neighbour is.
func linkCode(relation string, k graph.Kind) string {
	switch relation {
	case "TO":
		return "LINKED_COUNTERPARTY"
	case "FROM":
		if k == graph.KindTransaction {
			return "RECENT_OUTGOING_TRANSFER"
		}
	}
	if k == graph.KindTransaction {
		return "RECENT_TRANSACTION"
	}
	return "LINKED_" + strings.ToUpper(k.String())
}

func featureReason(c gnn.FeatureContribution, b *sampling.Batch, row int, spec artefact.FeatureSpec) Reason {
	name := c.Name
	r := Reason{Weight: round(float64(c.Delta))}
	switch c.Group {
	case gnn.FeatureTarget:
		r.Code = "TXN_" + strings.ToUpper(name)
		if v, ok := rawValue(b.X0, row*b.F0+c.Index, spec.Target, c.Index); ok {
			r.Detail = fmt.Sprintf("%s is %s (training mean %s); it raised the risk by %+.2f log-odds", name, show(name, v), show(name, spec.Target[c.Index].Mean), c.Delta)
		}
	case gnn.FeatureHop1:
		r.Code = "LINKED_" + strings.ToUpper(name)
		r.Detail = fmt.Sprintf("%s of the linked entities raised the risk by %+.2f log-odds", name, c.Delta)
	case gnn.FeatureHop2:
		r.Code = "HISTORY_" + strings.ToUpper(name)
		r.Detail = fmt.Sprintf("%s of the linked entities' recent transactions raised the risk by %+.2f log-odds", name, c.Delta)
	}
	if r.Detail == "" {
		r.Detail = fmt.Sprintf("%s raised the risk by %+.2f log-odds", name, c.Delta)
	}
	return r
}

// rawValue undoes the normalisation of x[i] with stats[j].
func rawValue(x []float32, i int, stats []artefact.FeatureStat, j int) (float64, bool) {
	if i < 0 || i >= len(x) || j < 0 || j >= len(stats) {
		return 0, false
	}
	return float64(x[i])*stats[j].Std + stats[j].Mean, true
}

// show formats a raw feature value, undoing log1p for *_log features.
func show(name string, v float64) string {
	if strings.HasSuffix(name, "_log") {
		return fmt.Sprintf("%.4g", math.Expm1(v))
	}
	return fmt.Sprintf("%.3g", v)
}

func round(v float64) float64 { return math.Round(v*1e4) / 1e4 }
