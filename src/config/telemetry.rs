//! `[telemetry]`: the address of the metrics and health endpoints.

use std::net::SocketAddr;

use serde::Deserialize;

/// Metrics and health endpoints.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TelemetryConfig {
    /// Address of `/metrics`, `/healthz` and `/readyz`.
    #[serde(default = "default_listen")]
    pub listen: SocketAddr,
}

impl Default for TelemetryConfig {
    fn default() -> Self {
        Self {
            listen: default_listen(),
        }
    }
}

fn default_listen() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 9898))
}
