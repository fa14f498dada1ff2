# Alarms that are not one service's own (those are in ../ecs_service): the load balancer's 5xx
# and unhealthy gateway tasks, and DynamoDB throttling. Every alarm notifies one SNS topic
# (encrypted with the deployment's key); var.alarm_email subscribes an address to it.

resource "aws_sns_topic" "alarms" {
  name              = "${var.prefix}-alarms"
  kms_master_key_id = var.kms_key_arn
}

resource "aws_sns_topic_subscription" "email" {
  count = var.alarm_email == "" ? 0 : 1

  topic_arn = aws_sns_topic.alarms.arn
  protocol  = "email"
  endpoint  = var.alarm_email # AWS sends a confirmation link first
}

locals {
  actions = [aws_sns_topic.alarms.arn]
}

# 5xx the ALB produced itself: no healthy gateway task, the gateway unreachable or too slow.
resource "aws_cloudwatch_metric_alarm" "alb_5xx" {
  alarm_name          = "${var.prefix}-alb-5xx"
  alarm_description   = "The load balancer answered 5xx itself (no healthy gateway, timeouts)"
  namespace           = "AWS/ApplicationELB"
  metric_name         = "HTTPCode_ELB_5XX_Count"
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  threshold           = var.alb_5xx_threshold
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.actions
  ok_actions          = local.actions
  dimensions          = { LoadBalancer = var.alb_arn_suffix }
}

# 5xx from the gateway: Envoy's own (503 no healthy upstream, 504 timeout) and the services'
# INTERNAL/UNAVAILABLE, which the transcoder maps to 500/503.
resource "aws_cloudwatch_metric_alarm" "gateway_5xx" {
  alarm_name          = "${var.prefix}-gateway-5xx"
  alarm_description   = "The gateway answered 5xx (a service failing, unavailable or timing out)"
  namespace           = "AWS/ApplicationELB"
  metric_name         = "HTTPCode_Target_5XX_Count"
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  threshold           = var.gateway_5xx_threshold
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.actions
  ok_actions          = local.actions
  dimensions = {
    LoadBalancer = var.alb_arn_suffix
    TargetGroup  = var.target_group_arn_suffix
  }
}

resource "aws_cloudwatch_metric_alarm" "unhealthy_gateway" {
  alarm_name          = "${var.prefix}-gateway-unhealthy-hosts"
  alarm_description   = "A gateway task fails the ALB's /healthz check for 3 minutes"
  namespace           = "AWS/ApplicationELB"
  metric_name         = "UnHealthyHostCount"
  statistic           = "Maximum"
  period              = 60
  evaluation_periods  = 3
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.actions
  ok_actions          = local.actions
  dimensions = {
    LoadBalancer = var.alb_arn_suffix
    TargetGroup  = var.target_group_arn_suffix
  }
}

# On-demand tables throttle too (a hot partition, a sudden jump past twice the previous peak).
# The jobs service retries throttling (botocore standard mode, 8 attempts) and then answers
# UNAVAILABLE STORE_UNAVAILABLE: any throttle event is worth a look.
resource "aws_cloudwatch_metric_alarm" "dynamodb_throttles" {
  for_each = toset(["ReadThrottleEvents", "WriteThrottleEvents"])

  alarm_name          = "${var.prefix}-dynamodb-${each.key}"
  alarm_description   = "DynamoDB ${each.key} on ${var.table_name}"
  namespace           = "AWS/DynamoDB"
  metric_name         = each.key
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.actions
  ok_actions          = local.actions
  dimensions          = { TableName = var.table_name }
}

resource "aws_cloudwatch_metric_alarm" "dynamodb_system_errors" {
  alarm_name          = "${var.prefix}-dynamodb-system-errors"
  alarm_description   = "DynamoDB answered 5xx for ${var.table_name}"
  namespace           = "AWS/DynamoDB"
  metric_name         = "SystemErrors"
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.actions
  ok_actions          = local.actions
  dimensions          = { TableName = var.table_name }
}
