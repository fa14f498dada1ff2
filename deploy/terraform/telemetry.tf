# Telemetry on ECS (var.telemetry, off by default): an AWS Distro for OpenTelemetry collector
# beside every task (modules/ecs_service, var.collector), configured by
# templates/otel-collector.yaml.tftpl.
#
# - Traces: the services export OTLP/HTTP to the collector on the task's loopback
#   (OTEL_EXPORTER_OTLP_ENDPOINT, read by careervault.runtime.telemetry); Envoy does the same
#   from the gateway image, rendered with the gateway_build_args output. Envoy decides per
#   request (trace_sample_ratio) and the services follow its decision (parentbased_*). The
#   collector sends them to X-Ray, which takes W3C trace ids.
# - Metrics: each service serves Prometheus text on loopback (CAREERVAULT_METRICS_PORT and
#   _HOST) and Envoy on its admin listener (127.0.0.1:9901/stats/prometheus); the collector
#   scrapes them every minute and writes the ones docs/operations.md uses to CloudWatch
#   (embedded metric format, in the log group below; namespace CareerVault).
#
# tests/deploy/test_terraform.py renders the collector configuration for every task and checks
# it against these settings, the services' settings classes and the gateway's admin address.

locals {
  otlp_endpoint     = "127.0.0.1:4318"
  metrics_port      = 9464
  envoy_admin       = "127.0.0.1:9901"
  metrics_namespace = "CareerVault"

  # Every careervault_* metric of the services, and the Envoy stats docs/operations.md names
  # (regular expressions, joined into one filter in the collector's configuration).
  collected_metrics = [
    "careervault_.*",
    "envoy_http_downstream_rq_xx",
    "envoy_http_downstream_rq_time",
    "envoy_cluster_upstream_rq_xx",
    "envoy_cluster_upstream_rq_time",
    "envoy_cluster_upstream_rq_retry",
    "envoy_cluster_upstream_rq_retry_success",
    "envoy_cluster_upstream_rq_timeout",
    "envoy_cluster_upstream_cx_connect_fail",
    "envoy_cluster_membership_healthy",
    "envoy_cluster_membership_total",
    "envoy_cluster_health_check_failure",
    "envoy_cluster_outlier_detection_ejections_active",
    # the collector's Prometheus receiver may drop a counter's _total when it normalises names
    "envoy_cluster_outlier_detection_ejections_enforced(_total)?",
    "envoy_http_local_rate_limit_rate_limited",
    "envoy_http_jwt_authn_denied",
  ]

  # What every gRPC service task adds to its environment (services.tf): nothing when off.
  telemetry_environment = var.telemetry ? local.telemetry_settings : {}
  telemetry_settings = {
    OTEL_EXPORTER_OTLP_ENDPOINT = "http://${local.otlp_endpoint}"
    OTEL_TRACES_SAMPLER         = "parentbased_traceidratio"
    OTEL_TRACES_SAMPLER_ARG     = tostring(var.trace_sample_ratio)
    CAREERVAULT_METRICS_PORT    = tostring(local.metrics_port)
    CAREERVAULT_METRICS_HOST    = "127.0.0.1" # the collector only: same task, same loopback
  }

  # The collector of each task: null when telemetry is off.
  collectors = {
    for name in concat(keys(local.grpc_services), ["gateway"]) : name => var.telemetry ? {
      image                 = var.otel_collector_image
      metrics_log_group_arn = one(aws_cloudwatch_log_group.metrics[*].arn)
      config = templatefile("${path.module}/templates/otel-collector.yaml.tftpl", {
        service        = name
        otlp_endpoint  = local.otlp_endpoint
        metrics_target = name == "gateway" ? local.envoy_admin : "127.0.0.1:${local.metrics_port}"
        metrics_path   = name == "gateway" ? "/stats/prometheus" : "/metrics"
        metric_pattern = "^(${join("|", local.collected_metrics)})$"
        region         = var.region
        namespace      = local.metrics_namespace
        log_group      = one(aws_cloudwatch_log_group.metrics[*].name)
      })
    } : null
  }
}

# The collectors' metrics, as embedded metric format log events: CloudWatch turns them into
# metrics; the events themselves are kept only briefly.
resource "aws_cloudwatch_log_group" "metrics" {
  count = var.telemetry ? 1 : 0

  name              = "/careervault/${local.prefix}/metrics"
  retention_in_days = var.log_retention_days
  kms_key_id        = module.kms.key_arn
}
