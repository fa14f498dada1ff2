# One CareerVault container as an autoscaled Fargate service: its log group, security group,
# execution role (pull its own image, write its own logs, read its own secrets), optional task
# role (what the code itself calls in AWS, and an optional collector sidecar's calls), task
# definition, ECS service on Service Connect, target-tracking scaling and a CPU alarm. Used once per gRPC service and once for the gateway
# (../../main.tf).

locals {
  family = "${var.context.prefix}-${var.name}"

  container = merge(local.app_container, local.after_collector)

  # Started after the collector, so the first spans have somewhere to go.
  after_collector = var.collector == null ? {} : {
    dependsOn = [{ containerName = local.collector_name, condition = "START" }]
  }

  app_container = {
    name      = var.name
    image     = var.image
    essential = true
    user      = "${var.uid}:${var.uid}"

    portMappings = [
      {
        name          = var.port_name
        containerPort = var.port
        protocol      = "tcp"
        appProtocol   = var.app_protocol
      },
    ]

    environment = [for name in sort(keys(var.environment)) : { name = name, value = var.environment[name] }]
    secrets     = [for name in sort(keys(var.secrets)) : { name = name, valueFrom = var.secrets[name] }]

    # The image's own HEALTHCHECK, repeated: ECS does not read it from the image.
    healthCheck = {
      command     = var.health_check_command
      interval    = 10
      timeout     = 5
      retries     = 3
      startPeriod = var.health_check_start_period
    }

    readonlyRootFilesystem = true
    mountPoints            = [for path in var.writable_paths : { sourceVolume = local.volume_names[path], containerPath = path, readOnly = false }]
    linuxParameters = {
      initProcessEnabled = true # signals forwarded, zombies reaped (compose: init: true)
      capabilities       = { drop = ["ALL"] }
    }
    ulimits = [{ name = "nofile", softLimit = 65535, hardLimit = 65535 }]

    # SIGTERM, then this long before SIGKILL: the services drain for
    # CAREERVAULT_SHUTDOWN_DELAY + CAREERVAULT_SHUTDOWN_GRACE (5 + 15 s).
    stopTimeout = var.stop_timeout

    logConfiguration = {
      logDriver = "awslogs"
      options   = merge(local.log_options, { awslogs-stream-prefix = var.name, max-buffer-size = "25m" })
    }
  }

  # The OpenTelemetry collector (../../telemetry.tf): it receives and scrapes on the task's
  # loopback only (no port mappings). Not essential: if it fails, ECS restarts it and the
  # service goes on serving, with traces and metrics lost meanwhile.
  collector_name = "otel-collector"
  collector_container = var.collector == null ? [] : [{
    name      = local.collector_name
    image     = var.collector.image
    essential = false
    restartPolicy = {
      enabled              = true
      restartAttemptPeriod = 60
    }
    environment = [{ name = "AOT_CONFIG_CONTENT", value = var.collector.config }]
    # The image's own health checker, against the health_check extension (127.0.0.1:13133).
    healthCheck = {
      command     = ["/healthcheck"]
      interval    = 10
      timeout     = 5
      retries     = 3
      startPeriod = 10
    }
    # The memory_limiter processor keeps it below 150 MiB; this is the hard stop.
    memory                 = 256
    readonlyRootFilesystem = true
    linuxParameters = {
      initProcessEnabled = true
      capabilities       = { drop = ["ALL"] }
    }
    logConfiguration = {
      logDriver = "awslogs"
      options   = merge(local.log_options, { awslogs-stream-prefix = local.collector_name, max-buffer-size = "4m" })
    }
  }]

  # The task role exists for the code's own calls (var.task_role) and for the collector's.
  task_role = var.task_role || var.collector != null

  # Every container logs to the service's group, under its own stream prefix.
  log_options = {
    awslogs-group  = aws_cloudwatch_log_group.this.name
    awslogs-region = var.context.region
    mode           = "non-blocking" # a slow CloudWatch never stalls a request
  }

  # Task-scoped scratch volumes (Fargate ephemeral storage) for the paths the container may write:
  # the root filesystem is read-only. An image path declared VOLUME (/data) is copied into the
  # volume with its owner, so the non-root user can write it.
  volume_names = { for path in var.writable_paths : path => trim(replace(path, "/", "-"), "-") }
}

resource "aws_cloudwatch_log_group" "this" {
  name              = "/careervault/${var.context.prefix}/${var.name}"
  retention_in_days = var.context.log_retention_days
  kms_key_id        = var.context.kms_key_arn
}

# --- Network ---------------------------------------------------------------------------------

# Ingress and the calls between services are added by the root module (it knows who calls whom).
resource "aws_security_group" "this" {
  name        = local.family
  description = "${var.name} tasks"
  vpc_id      = var.context.vpc_id

  tags = { Name = local.family }
}

# HTTPS out: AWS APIs (through the VPC endpoints or NAT), Cognito, Gemini, image pulls.
resource "aws_vpc_security_group_egress_rule" "https" {
  security_group_id = aws_security_group.this.id
  description       = "HTTPS to AWS APIs, Cognito and external APIs"
  cidr_ipv4         = "0.0.0.0/0"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
}

# --- IAM -------------------------------------------------------------------------------------

data "aws_iam_policy_document" "assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ecs-tasks.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [var.context.account_id]
    }
    condition {
      test     = "ArnLike"
      variable = "aws:SourceArn"
      values   = ["arn:${var.context.partition}:ecs:${var.context.region}:${var.context.account_id}:*"]
    }
  }
}

# The execution role is ECS's, at task start: pull this service's image, create its log streams,
# read the secrets this service gets, nothing else.
data "aws_iam_policy_document" "execution" {
  statement {
    sid       = "RegistryLogin"
    actions   = ["ecr:GetAuthorizationToken"] # has no resource-level permissions
    resources = ["*"]
  }

  statement {
    sid = "PullThisServicesImage"
    actions = [
      "ecr:BatchCheckLayerAvailability",
      "ecr:BatchGetImage",
      "ecr:GetDownloadUrlForLayer",
    ]
    resources = [var.ecr_repository_arn]
  }

  statement {
    sid       = "WriteThisServicesLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.this.arn}:*"]
  }

  dynamic "statement" {
    for_each = length(var.secrets) > 0 ? [1] : []
    content {
      sid       = "ReadThisServicesSecrets"
      actions   = ["secretsmanager:GetSecretValue"]
      resources = sort(distinct(values(var.secrets)))
    }
  }

  dynamic "statement" {
    for_each = length(var.secrets) > 0 ? [1] : []
    content {
      sid       = "DecryptThoseSecrets"
      actions   = ["kms:Decrypt"]
      resources = [var.context.kms_key_arn]
      condition {
        test     = "StringEquals"
        variable = "kms:ViaService"
        values   = ["secretsmanager.${var.context.region}.amazonaws.com"]
      }
    }
  }
}

resource "aws_iam_role" "execution" {
  name               = "${local.family}-execution"
  description        = "ECS starts ${var.name} tasks with this role"
  assume_role_policy = data.aws_iam_policy_document.assume.json
}

resource "aws_iam_role_policy" "execution" {
  name   = "start-${var.name}"
  role   = aws_iam_role.execution.id
  policy = data.aws_iam_policy_document.execution.json
}

# The task role is the code's own identity. A service whose code calls no AWS API gets none at
# all (its containers then have no AWS credentials).
resource "aws_iam_role" "task" {
  count = local.task_role ? 1 : 0

  name               = "${local.family}-task"
  description        = "What the ${var.name} service's code and its collector may call in AWS"
  assume_role_policy = data.aws_iam_policy_document.assume.json
}

resource "aws_iam_role_policy" "task" {
  count = var.task_role ? 1 : 0

  name   = "${var.name}-code"
  role   = aws_iam_role.task[0].id
  policy = var.task_policy_json
}

# The collector's calls: traces to X-Ray (which has no resource-level permissions), metrics as
# embedded metric format events into the one log group made for them.
data "aws_iam_policy_document" "collector" {
  count = var.collector == null ? 0 : 1

  statement {
    sid       = "SendTraces"
    actions   = ["xray:PutTelemetryRecords", "xray:PutTraceSegments"]
    resources = ["*"]
  }

  statement {
    sid       = "WriteMetrics"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${var.collector.metrics_log_group_arn}:*"]
  }
}

resource "aws_iam_role_policy" "collector" {
  count = var.collector == null ? 0 : 1

  name   = "${var.name}-collector"
  role   = aws_iam_role.task[0].id
  policy = data.aws_iam_policy_document.collector[0].json
}

# --- Task definition and service -------------------------------------------------------------

resource "aws_ecs_task_definition" "this" {
  family                   = local.family
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = var.cpu
  memory                   = var.memory
  execution_role_arn       = aws_iam_role.execution.arn
  task_role_arn            = local.task_role ? aws_iam_role.task[0].arn : null

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = var.context.cpu_architecture
  }

  dynamic "volume" {
    for_each = local.volume_names
    content {
      name = volume.value
    }
  }

  container_definitions = jsonencode(concat([local.container], local.collector_container))
}

# Service Connect resolves a name only in tasks started after the service behind it exists: this
# service is created after the services it calls (var.starts_after, their ARNs). A dependency
# through this resource rather than depends_on on the module keeps the module's data sources
# readable at plan time.
resource "terraform_data" "starts_after" {
  input = var.starts_after
}

resource "aws_ecs_service" "this" {
  name                    = var.name
  cluster                 = var.context.cluster_arn
  task_definition         = aws_ecs_task_definition.this.arn
  desired_count           = var.min_count
  launch_type             = "FARGATE"
  platform_version        = "LATEST"
  enable_ecs_managed_tags = true
  propagate_tags          = "SERVICE"
  enable_execute_command  = false

  # Rolling deploys keep full capacity, and a deploy whose tasks do not get healthy rolls back.
  deployment_minimum_healthy_percent = 100
  deployment_maximum_percent         = 200
  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }

  health_check_grace_period_seconds = var.load_balanced ? 30 : null

  network_configuration {
    subnets          = var.context.subnet_ids
    security_groups  = [aws_security_group.this.id]
    assign_public_ip = false
  }

  dynamic "load_balancer" {
    for_each = var.load_balanced ? [var.target_group_arn] : []
    content {
      target_group_arn = load_balancer.value
      container_name   = var.name
      container_port   = var.port
    }
  }

  service_connect_configuration {
    enabled   = true
    namespace = var.context.service_connect_namespace_arn

    log_configuration {
      log_driver = "awslogs"
      options = {
        awslogs-group         = aws_cloudwatch_log_group.this.name
        awslogs-region        = var.context.region
        awslogs-stream-prefix = "service-connect"
      }
    }

    # A gRPC service is published as <name>.<discovery_domain>:<port>; the gateway only calls
    # (no service block).
    dynamic "service" {
      for_each = var.publish_service_connect ? [1] : []
      content {
        port_name      = var.port_name
        discovery_name = var.name
        client_alias {
          dns_name = "${var.name}.${var.context.discovery_domain}"
          port     = var.port
        }
        timeout {
          # Deadlines come from the callers (the gateway's route timeouts, grpc-timeout), and
          # the chat stream may last minutes: the proxy adds no per-request limit of its own.
          per_request_timeout_seconds = 0
          idle_timeout_seconds        = 300
        }
      }
    }
  }

  lifecycle {
    ignore_changes = [desired_count] # autoscaling owns it after creation
  }

  depends_on = [terraform_data.starts_after]
}

# --- Autoscaling -----------------------------------------------------------------------------

resource "aws_appautoscaling_target" "this" {
  service_namespace  = "ecs"
  scalable_dimension = "ecs:service:DesiredCount"
  resource_id        = "service/${var.context.cluster_name}/${aws_ecs_service.this.name}"
  min_capacity       = var.min_count
  max_capacity       = var.max_count
}

# Scale out fast (60 s), scale in slowly (5 min), so a burst does not flap the task count.
resource "aws_appautoscaling_policy" "cpu" {
  name               = "${local.family}-cpu"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = aws_appautoscaling_target.this.service_namespace
  scalable_dimension = aws_appautoscaling_target.this.scalable_dimension
  resource_id        = aws_appautoscaling_target.this.resource_id

  target_tracking_scaling_policy_configuration {
    target_value       = var.cpu_target
    scale_out_cooldown = 60
    scale_in_cooldown  = 300
    predefined_metric_specification {
      predefined_metric_type = "ECSServiceAverageCPUUtilization"
    }
  }
}

resource "aws_appautoscaling_policy" "requests" {
  count = var.requests_per_target == null ? 0 : 1

  name               = "${local.family}-requests"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = aws_appautoscaling_target.this.service_namespace
  scalable_dimension = aws_appautoscaling_target.this.scalable_dimension
  resource_id        = aws_appautoscaling_target.this.resource_id

  target_tracking_scaling_policy_configuration {
    target_value       = var.requests_per_target
    scale_out_cooldown = 60
    scale_in_cooldown  = 300
    predefined_metric_specification {
      predefined_metric_type = "ALBRequestCountPerTarget"
      resource_label         = var.request_count_resource_label
    }
  }
}

# --- Alarm -----------------------------------------------------------------------------------

# CPU still high after scaling had 10 minutes to act: the service is at max_count, or scaling
# is broken.
resource "aws_cloudwatch_metric_alarm" "cpu_high" {
  alarm_name          = "${local.family}-cpu-high"
  alarm_description   = "${var.name}: average CPU above ${var.cpu_alarm_threshold}% for 10 minutes (at max_count ${var.max_count}?)"
  namespace           = "AWS/ECS"
  metric_name         = "CPUUtilization"
  statistic           = "Average"
  period              = 300
  evaluation_periods  = 2
  threshold           = var.cpu_alarm_threshold
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [var.context.alarm_topic_arn]
  ok_actions          = [var.context.alarm_topic_arn]

  dimensions = {
    ClusterName = var.context.cluster_name
    ServiceName = aws_ecs_service.this.name
  }
}
