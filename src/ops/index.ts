export { OpsMetrics } from "./metrics.js";
export { checkHealth, type HealthReport, type HealthSources, type ComponentHealth } from "./health.js";
export { startOpsServer, DEFAULT_HEALTH_PORT, type OpsServer, type OpsServerOptions } from "./server.js";
