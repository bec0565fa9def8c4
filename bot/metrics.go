package bot

import (
	"github.com/prometheus/client_golang/prometheus"
)

// Metrics holds the Prometheus collectors of the bot package. Build one with
// NewMetrics and share it between the Dispatcher, the transports, the Deduper
// and every outbound Transport. A nil *Metrics records nothing, so tests may
// leave it out.
type Metrics struct {
	// APICalls counts Web API attempts by method and outcome: ok,
	// ratelimited, http_error, server_error, network_error, and the final
	// outcomes ambiguous, refused and canceled.
	APICalls *prometheus.CounterVec
	// APILatency observes the duration of each Web API attempt by method.
	APILatency *prometheus.HistogramVec
	// APIPaceWait observes how long a call waited for its rate-limit slot.
	APIPaceWait *prometheus.HistogramVec
	// RateLimited counts HTTP 429 answers by method.
	RateLimited *prometheus.CounterVec
	// DedupeHits counts inbound deliveries dropped as duplicates, by where
	// the duplicate was found (redis or local).
	DedupeHits *prometheus.CounterVec
	// Inbound observes how long a request took until its ack, by kind.
	Inbound *prometheus.HistogramVec
	// InboundTotal counts inbound requests by kind and outcome (ok, error,
	// no_route, duplicate, ignored, timeout).
	InboundTotal *prometheus.CounterVec
	// SubscriberFailures counts the failures (errors and panics) of an
	// event's subscribers, when several features subscribe to it, by event
	// type and owner.
	SubscriberFailures *prometheus.CounterVec
	// SignatureFailures counts rejected HTTP requests by reason.
	SignatureFailures *prometheus.CounterVec
	// RedisFallbacks counts operations served by the in-process fallback
	// because Redis failed, by component (dedupe, ratelimit).
	RedisFallbacks *prometheus.CounterVec
	// RedisUp is 1 while the last Redis call the bot made succeeded.
	RedisUp prometheus.Gauge
}

// NewMetrics creates the collectors and registers them with reg. A nil reg
// creates them unregistered, which suits tests.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		APICalls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "slack_api_calls_total",
			Help: "Slack Web API call attempts by method and outcome.",
		}, []string{"method", "outcome"}),
		APILatency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "slack_api_request_duration_seconds",
			Help:    "Duration of one Slack Web API HTTP attempt.",
			Buckets: []float64{.025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"method"}),
		APIPaceWait: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "slack_api_pace_wait_seconds",
			Help:    "Time a Slack Web API call waited for its rate-limit slot.",
			Buckets: []float64{0, .1, .5, 1, 2, 5, 10, 30, 60, 120},
		}, []string{"method"}),
		RateLimited: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "slack_ratelimited_total",
			Help: "HTTP 429 answers from the Slack Web API by method.",
		}, []string{"method"}),
		DedupeHits: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "trellis_dedupe_hits_total",
			Help: "Inbound Slack deliveries dropped as duplicates.",
		}, []string{"source"}),
		Inbound: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "trellis_inbound_request_duration_seconds",
			Help:    "Time from receiving a Slack request to its ack.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2, 2.5, 3},
		}, []string{"kind"}),
		InboundTotal: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "trellis_inbound_requests_total",
			Help: "Inbound Slack requests by kind and outcome.",
		}, []string{"kind", "outcome"}),
		SubscriberFailures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "trellis_event_subscriber_failures_total",
			Help: "Failures of one subscriber of an event several features subscribe to.",
		}, []string{"event", "owner"}),
		SignatureFailures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "trellis_signature_failures_total",
			Help: "Inbound HTTP requests rejected by signature verification.",
		}, []string{"reason"}),
		RedisFallbacks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "trellis_redis_fallbacks_total",
			Help: "Operations served in-process because Redis failed.",
		}, []string{"component"}),
		RedisUp: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "trellis_redis_up",
			Help: "1 while the last Redis call made by the bot succeeded.",
		}),
	}
	if reg != nil {
		reg.MustRegister(m.APICalls, m.APILatency, m.APIPaceWait, m.RateLimited,
			m.DedupeHits, m.Inbound, m.InboundTotal, m.SubscriberFailures, m.SignatureFailures,
			m.RedisFallbacks, m.RedisUp)
	}
	return m
}

// SetRedisUp records whether Redis answered the last call.
func (m *Metrics) SetRedisUp(up bool) {
	if m == nil {
		return
	}
	if up {
		m.RedisUp.Set(1)
	} else {
		m.RedisUp.Set(0)
	}
}

func (m *Metrics) apiCall(method, outcome string) {
	if m != nil {
		m.APICalls.WithLabelValues(method, outcome).Inc()
	}
}

func (m *Metrics) apiLatency(method string, seconds float64) {
	if m != nil {
		m.APILatency.WithLabelValues(method).Observe(seconds)
	}
}

func (m *Metrics) paceWait(method string, seconds float64) {
	if m != nil {
		m.APIPaceWait.WithLabelValues(method).Observe(seconds)
	}
}

func (m *Metrics) rateLimited(method string) {
	if m != nil {
		m.RateLimited.WithLabelValues(method).Inc()
	}
}

func (m *Metrics) dedupeHit(source string) {
	if m != nil {
		m.DedupeHits.WithLabelValues(source).Inc()
	}
}

func (m *Metrics) inbound(kind Kind, outcome string, seconds float64) {
	if m != nil {
		m.Inbound.WithLabelValues(kind.String()).Observe(seconds)
		m.InboundTotal.WithLabelValues(kind.String(), outcome).Inc()
	}
}

func (m *Metrics) signatureFailure(reason string) {
	if m != nil {
		m.SignatureFailures.WithLabelValues(reason).Inc()
	}
}

func (m *Metrics) redisFallback(component string) {
	if m != nil {
		m.RedisFallbacks.WithLabelValues(component).Inc()
	}
}

func (m *Metrics) subscriberFailure(eventType, owner string) {
	if m != nil {
		m.SubscriberFailures.WithLabelValues(eventType, owner).Inc()
	}
}
