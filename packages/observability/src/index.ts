// Public surface of @emuedit/observability: the dashboard, recording rules and alerts of emuedit
// as data, the files made of them, and the loopback Prometheus that proves them.
export { dashboard, dashboardJson, DASHBOARD_UID } from "./dashboard-json.js";
export { DOC_BEGIN, DOC_END, panelsAndAlertsMarkdown, withGeneratedSection } from "./docs.js";
export { GENERATED_FILES } from "./generated-files.js";
export type { GeneratedFile } from "./generated-files.js";
export { driveTraffic, SERVICES, startObservedSystem } from "./live-stack.js";
export type { ObservedSystem, Service, TrafficReport } from "./live-stack.js";
export { findBinary, loopbackConfig, OBSERVABILITY_DIR, PROMETHEUS_CONFIG, RULE_FILE, startLocalPrometheus } from "./local-prometheus.js";
export type { LocalPrometheus } from "./local-prometheus.js";
export { plotPanel } from "./panel-plots.js";
export type { PanelPlot } from "./panel-plots.js";
export { PANELS, ROWS } from "./panels.js";
export type { Panel, PanelQuery, PanelUnit, Row } from "./panels.js";
export { PrometheusApi } from "./prometheus-api.js";
export type { InstantSample, RangeSeries, TargetHealth } from "./prometheus-api.js";
export { exposedNames, metricNames, substituteGrafanaVariables } from "./promql.js";
export { prometheusRuleYaml, ruleFileYaml, ruleGroups, ruleTestsYaml } from "./rule-files.js";
export { ALERT_RULES, RECORDING_RULES, runbookAnchor } from "./rules.js";
export type { AlertRule, RecordingRule, TestSeries } from "./rules.js";
export { EDIT_SERVER_ERROR_CODES, RULE_WINDOW, RUNBOOK_BASE, Slo } from "./slo.js";
export { formatValue, legendOf, svgPlot } from "./svg-plot.js";
export type { PlotSeries } from "./svg-plot.js";
