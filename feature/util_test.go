package feature_test

import "math"

func logp(x float64) float64 { return math.Log1p(x) }
