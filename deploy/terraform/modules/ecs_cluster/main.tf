# The ECS cluster (Fargate only) and the Cloud Map namespace of ECS Service Connect.
#
# Service discovery is Service Connect, not plain Cloud Map DNS:
# - Each service is reachable as `<service>.careervault.local:<port>` (a client alias; the
#   namespace's own name does not matter to clients): the names the production gateway image is
#   rendered with (CAREERVAULT_<SVC>_UPSTREAMS of gateway.Dockerfile's production target) and
#   that compose's aws-local profile gives the services, so the images run unchanged.
# - The Service Connect proxy in each task balances per request over HTTP/2 (appProtocol grpc).
#   The Python services open one channel per target and gRPC's default pick_first policy keeps
#   every call of a channel on one connection: with DNS records (Cloud Map's A records) all of
#   ai's extraction calls would stick to one extraction task, and a task added by autoscaling
#   would get none of them until the channel reconnects.
# - Cloud Map DNS answers at most 8 records per query, so beyond 8 tasks a caller would not see
#   them all; Service Connect discovers every task through the Cloud Map API.
# - Tasks are added to and removed from discovery by ECS as they pass and fail their health
#   checks; the proxy also ejects failing hosts (outlier detection) and publishes per-service
#   request metrics.
# The price: a proxy container in every task (ECS adds it; the default task sizes in
# ../../variables.tf leave it about 0.25 vCPU and 64 MiB), one more local hop, and for the
# gateway: its Envoy resolves each name to the local proxy, so each of its clusters has one host,
# and its active gRPC health checks and outlier detection judge the proxy (a random task behind
# it) rather than each task. Per-task health is then ECS's (the container health check removes
# a failing task from Service Connect) and the proxy's (outlier detection, no traffic to
# draining tasks). deploy/README.md, "Service discovery", weighs this against Cloud Map DNS.

resource "aws_service_discovery_http_namespace" "this" {
  name        = "${var.prefix}.internal"
  description = "Service Connect namespace of ${var.prefix}"
}

resource "aws_ecs_cluster" "this" {
  name = var.prefix

  setting {
    name  = "containerInsights"
    value = "enabled"
  }

  service_connect_defaults {
    namespace = aws_service_discovery_http_namespace.this.arn
  }
}

resource "aws_ecs_cluster_capacity_providers" "this" {
  cluster_name       = aws_ecs_cluster.this.name
  capacity_providers = ["FARGATE"]

  default_capacity_provider_strategy {
    capacity_provider = "FARGATE"
    weight            = 1
  }
}
