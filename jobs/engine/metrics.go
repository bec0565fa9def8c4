package engine

import (
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics holds the engine's Prometheus collectors. A nil *Metrics records
// nothing.
type Metrics struct {
	// Occurrences counts occurrences reaching a final status (delivered,
	// skipped, superseded, missed), and deferrals, by status and reason
	// (a short code: quiet_hours, away, holiday, status, budget, paused,
	// next_due, downtime, replica_stopped, handed_back, removed,
	// slack_error, none, other).
	Occurrences *prometheus.CounterVec
	// Lateness observes delivery minus planned delivery, in seconds.
	Lateness prometheus.Histogram
	// ClaimConflicts counts completions, releases and renewals refused
	// because another claimer holds the occurrence.
	ClaimConflicts prometheus.Counter
	// LeaseExpiries counts occurrences taken over from a claimer whose
	// lease ran out.
	LeaseExpiries prometheus.Counter
	// Reconciled counts occurrences found already delivered when checked
	// against Slack, by cause (ambiguous, takeover).
	Reconciled *prometheus.CounterVec
	// TickDuration observes how long each tick took.
	TickDuration prometheus.Histogram
	// Steps counts steppers' runs by stepper and outcome: ok, error,
	// panic, overran (still running at its budget's end) or skipped
	// (not started, a run from an earlier tick still going).
	Steps *prometheus.CounterVec
}

// NewMetrics creates the collectors and registers them with reg; a nil reg
// leaves them unregistered.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		Occurrences: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "trellis_occurrences_total",
			Help: "Occurrences settled (delivered, skipped, superseded, missed) or deferred, by status and reason.",
		}, []string{"status", "reason"}),
		Lateness: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "trellis_delivery_lateness_seconds",
			Help:    "Delivery time minus planned delivery time.",
			Buckets: []float64{1, 5, 15, 30, 60, 120, 300, 900, 3600, 4 * 3600},
		}),
		ClaimConflicts: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "trellis_claim_conflicts_total",
			Help: "Completions, releases and renewals refused because another claimer holds the occurrence.",
		}),
		LeaseExpiries: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "trellis_lease_expiries_total",
			Help: "Occurrences taken over from a claimer whose lease ran out.",
		}),
		Reconciled: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "trellis_reconciled_total",
			Help: "Occurrences found already delivered when checked against Slack, by cause.",
		}, []string{"cause"}),
		TickDuration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "trellis_engine_tick_seconds",
			Help:    "How long each engine tick took.",
			Buckets: prometheus.ExponentialBuckets(0.001, 4, 9),
		}),
		Steps: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "trellis_stepper_runs_total",
			Help: "Steppers' runs by stepper and outcome (ok, error, panic, overran, skipped).",
		}, []string{"stepper", "outcome"}),
	}
	if reg != nil {
		reg.MustRegister(m.Occurrences, m.Lateness, m.ClaimConflicts, m.LeaseExpiries, m.Reconciled, m.TickDuration, m.Steps)
	}
	return m
}

func (m *Metrics) settled(status, reason string) {
	if m != nil {
		m.Occurrences.WithLabelValues(status, reason).Inc()
	}
}

func (m *Metrics) late(d time.Duration) {
	if m != nil {
		m.Lateness.Observe(max(d, 0).Seconds())
	}
}

func (m *Metrics) conflict() {
	if m != nil {
		m.ClaimConflicts.Inc()
	}
}

func (m *Metrics) expired() {
	if m != nil {
		m.LeaseExpiries.Inc()
	}
}

func (m *Metrics) reconciled(cause string, n int) {
	if m != nil && n > 0 {
		m.Reconciled.WithLabelValues(cause).Add(float64(n))
	}
}

func (m *Metrics) tick(d time.Duration) {
	if m != nil {
		m.TickDuration.Observe(d.Seconds())
	}
}

func (m *Metrics) step(stepper, outcome string) {
	if m != nil {
		m.Steps.WithLabelValues(stepper, outcome).Inc()
	}
}

// reasonCode sorts a reason into a short label for metrics.
func reasonCode(status, reason string) string {
	r := strings.ToLower(reason)
	switch {
	case reason == "":
		return "none"
	case strings.HasPrefix(r, "paused"):
		return "paused"
	case strings.Contains(r, "no longer a recipient") || strings.Contains(r, "removed"):
		return "removed"
	case strings.Contains(r, "slack refused"):
		return "slack_error"
	case strings.Contains(r, "replica stopped"):
		return "replica_stopped"
	case strings.Contains(r, "newer trellis"):
		return "newer_build"
	case strings.Contains(r, "handed back unsent"):
		return "handed_back"
	case strings.Contains(r, "reached it late"):
		return "backlog"
	case strings.Contains(r, "not running") || status == "missed":
		return "downtime"
	case strings.Contains(r, "budget"):
		return "budget"
	case strings.Contains(r, "slack status"):
		return "status"
	case strings.Contains(r, "away"):
		return "away"
	case strings.Contains(r, "holiday"):
		return "holiday"
	case status == "superseded":
		return "next_due"
	case strings.Contains(r, "working day") || strings.Contains(r, "working hours") || strings.Contains(r, "working window"):
		return "quiet_hours"
	}
	return "other"
}
