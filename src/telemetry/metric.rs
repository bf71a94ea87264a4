//! The metric types brandpulse uses, on the Prometheus project's `prometheus-client`, and
//! [`Registrar`], which creates a metric and registers it in one call, where it is defined.
//!
//! Labelled metrics are a [`Labelled`] family with fixed label names; call sites give the
//! values in the same order (`with_label_values(&[brand, kind.as_str()])`), taken from enums
//! or from the config's bounded sets. Latency histograms carry an exemplar: the id of a
//! mention that was in the measured batch (`mention_id`), shown next to the bucket in the
//! OpenMetrics exposition so a slow bucket leads to a concrete mention.

use std::sync::atomic::AtomicU64;

use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::exemplar::HistogramWithExemplars;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::metrics::TypedMetric;
use prometheus_client::registry::Metric;
use prometheus_client::registry::Registry;

/// Label names and values of one series.
pub type LabelPairs = Vec<(&'static str, String)>;

/// An `f64` gauge.
pub type FloatGauge = Gauge<f64, AtomicU64>;

/// An `f64` counter (sums of weights).
pub type FloatCounter = Counter<f64, AtomicU64>;

/// The exemplar labels of a latency observation (`mention_id`).
pub type ExemplarLabels = Vec<(&'static str, String)>;

/// A latency histogram whose buckets keep the last exemplar observed in them.
pub type Latency = HistogramWithExemplars<ExemplarLabels>;

/// OpenMetrics limits an exemplar's label set to 128 characters: ids are cut to this many.
const MAX_EXEMPLAR_ID: usize = 100;

/// Records `seconds` on `latency`, with `mention_id` as the exemplar when there is one.
pub fn observe(latency: &Latency, seconds: f64, mention_id: Option<&str>) {
    let exemplar = mention_id.map(|id| {
        let cut = id
            .char_indices()
            .nth(MAX_EXEMPLAR_ID)
            .map_or(id, |(i, _)| &id[..i]);
        vec![("mention_id", cut.to_string())]
    });
    latency.observe(seconds, exemplar, None);
}

/// A family of metrics `M` with fixed label names.
#[derive(Debug, Clone)]
pub struct Labelled<M> {
    names: &'static [&'static str],
    family: Family<LabelPairs, M, fn() -> M>,
}

impl<M: Clone> Labelled<M> {
    /// The series with these label values (in the order of the names), created at zero the
    /// first time. Missing values are empty; extra values are ignored.
    pub fn with_label_values(&self, values: &[&str]) -> M {
        self.family.get_or_create(&self.labels(values)).clone()
    }

    /// The series with these label values, if it exists (never creates one).
    pub fn get(&self, values: &[&str]) -> Option<M> {
        self.family.get(&self.labels(values)).map(|m| m.clone())
    }

    /// Removes the series with these label values; whether there was one.
    pub fn remove_label_values(&self, values: &[&str]) -> bool {
        self.family.remove(&self.labels(values))
    }

    fn labels(&self, values: &[&str]) -> LabelPairs {
        self.names
            .iter()
            .enumerate()
            .map(|(i, name)| {
                (
                    *name,
                    values.get(i).copied().unwrap_or_default().to_string(),
                )
            })
            .collect()
    }
}

/// Counters by label.
pub type CounterVec = Labelled<Counter>;
/// Integer gauges by label.
pub type GaugeVec = Labelled<Gauge>;
/// `f64` counters with labels.
pub type FloatCounterVec = Labelled<FloatCounter>;
/// Float gauges by label.
pub type FloatGaugeVec = Labelled<FloatGauge>;
/// Histograms by label.
pub type HistogramVec = Labelled<Histogram>;
/// Latency histograms (with exemplars) by label.
pub type LatencyVec = Labelled<Latency>;

/// Creates metrics and registers them on a registry in the same call.
///
/// Names are given without the `_total` suffix of counters: the OpenMetrics encoder adds it
/// (`brandpulse_dead_letters` is exported as `brandpulse_dead_letters_total`).
pub struct Registrar<'a> {
    registry: &'a mut Registry,
}

impl<'a> Registrar<'a> {
    /// Registers on `registry`.
    pub fn new(registry: &'a mut Registry) -> Self {
        Self { registry }
    }

    fn register<M: Metric + Clone>(&mut self, name: &str, help: &str, metric: M) -> M {
        self.registry
            .register(name, help_text(help), metric.clone());
        metric
    }

    fn family<M>(
        &mut self,
        name: &str,
        help: &str,
        names: &'static [&'static str],
        new: fn() -> M,
    ) -> Labelled<M>
    where
        M: Metric + TypedMetric + Clone,
    {
        let family = self.register(name, help, Family::new_with_constructor(new));
        Labelled { names, family }
    }

    /// A counter.
    pub fn counter(&mut self, name: &str, help: &str) -> Counter {
        self.register(name, help, Counter::default())
    }

    /// Counters labelled by `labels`.
    pub fn counter_vec(
        &mut self,
        name: &str,
        help: &str,
        labels: &'static [&'static str],
    ) -> CounterVec {
        self.family(name, help, labels, Counter::default)
    }

    /// `f64` counters labelled by `labels`.
    pub fn float_counter_vec(
        &mut self,
        name: &str,
        help: &str,
        labels: &'static [&'static str],
    ) -> FloatCounterVec {
        self.family(name, help, labels, FloatCounter::default)
    }

    /// An integer gauge.
    pub fn gauge(&mut self, name: &str, help: &str) -> Gauge {
        self.register(name, help, Gauge::default())
    }

    /// A float gauge.
    pub fn float_gauge(&mut self, name: &str, help: &str) -> FloatGauge {
        self.register(name, help, FloatGauge::default())
    }

    /// Integer gauges labelled by `labels`.
    pub fn gauge_vec(
        &mut self,
        name: &str,
        help: &str,
        labels: &'static [&'static str],
    ) -> GaugeVec {
        self.family(name, help, labels, Gauge::default)
    }

    /// Float gauges labelled by `labels`.
    pub fn float_gauge_vec(
        &mut self,
        name: &str,
        help: &str,
        labels: &'static [&'static str],
    ) -> FloatGaugeVec {
        self.family(name, help, labels, FloatGauge::default)
    }

    /// A histogram with the buckets `new` makes.
    pub fn histogram(&mut self, name: &str, help: &str, new: fn() -> Histogram) -> Histogram {
        self.register(name, help, new())
    }

    /// Histograms labelled by `labels`, with the buckets `new` makes.
    pub fn histogram_vec(
        &mut self,
        name: &str,
        help: &str,
        labels: &'static [&'static str],
        new: fn() -> Histogram,
    ) -> HistogramVec {
        self.family(name, help, labels, new)
    }

    /// A latency histogram with exemplars.
    pub fn latency(&mut self, name: &str, help: &str, new: fn() -> Latency) -> Latency {
        self.register(name, help, new())
    }

    /// Latency histograms with exemplars, labelled by `labels`.
    pub fn latency_vec(
        &mut self,
        name: &str,
        help: &str,
        labels: &'static [&'static str],
        new: fn() -> Latency,
    ) -> LatencyVec {
        self.family(name, help, labels, new)
    }

    /// Registers a collector that reports its metrics at each scrape.
    pub fn collector(&mut self, collector: Box<dyn prometheus_client::collector::Collector>) {
        self.registry.register_collector(collector);
    }

    /// An info metric (`<name>_info{labels} 1`).
    pub fn info(&mut self, name: &str, help: &str, labels: LabelPairs) {
        self.registry.register(
            name,
            help_text(help),
            prometheus_client::metrics::info::Info::new(labels),
        );
    }
}

/// The encoder ends every help text with a period: give it the text without one.
fn help_text(help: &str) -> &str {
    help.strip_suffix('.').unwrap_or(help)
}

/// `count` buckets from `start`, each `factor` times the one before.
pub fn exponential(start: f64, factor: f64, count: u16) -> impl Iterator<Item = f64> {
    prometheus_client::metrics::histogram::exponential_buckets(start, factor, count)
}
