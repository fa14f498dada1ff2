# The Application Load Balancer in front of the gateway (Envoy, port 8080).
#
# Clients reach it only through CloudFront (../cdn): its security group admits HTTPS from
# CloudFront's origin-facing address ranges alone, and the listener forwards only requests that
# carry the origin-verify header CloudFront adds. So every request passed CloudFront's WAF, and
# the gateway can trust exactly two X-Forwarded-For hops (CloudFront's, then the ALB's):
# CAREERVAULT_GATEWAY_TRUSTED_HOPS=2 (output gateway_build_args). TLS terminates here with the
# ACM certificate of var.certificate_arn; plain HTTP on port 80 is answered with a redirect to
# HTTPS (viewers never see it: CloudFront redirects them before that).

data "aws_ec2_managed_prefix_list" "cloudfront" {
  name = "com.amazonaws.global.cloudfront.origin-facing"
}

resource "aws_security_group" "alb" {
  name        = "${var.prefix}-alb"
  description = "ALB: HTTPS from CloudFront only; to the gateway tasks"
  vpc_id      = var.vpc_id

  tags = { Name = "${var.prefix}-alb" }
}

resource "aws_vpc_security_group_ingress_rule" "https_from_cloudfront" {
  security_group_id = aws_security_group.alb.id
  description       = "HTTPS from CloudFront origin-facing servers"
  prefix_list_id    = data.aws_ec2_managed_prefix_list.cloudfront.id
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
}

resource "aws_lb" "this" {
  #checkov:skip=CKV2_AWS_28:The WAF web ACL is on the CloudFront distribution (../cdn), and this ALB accepts only CloudFront's origin-facing ranges carrying the origin-verify header, so every request has passed it.
  name                       = var.prefix
  internal                   = false
  load_balancer_type         = "application"
  security_groups            = [aws_security_group.alb.id]
  subnets                    = var.public_subnet_ids
  drop_invalid_header_fields = true
  enable_deletion_protection = var.deletion_protection
  # Longer than the gateway's 60 s route timeout and its 120 s stream idle timeout for the chat
  # stream, so the ALB never cuts a call the gateway still allows.
  idle_timeout = 130

  access_logs {
    bucket  = var.log_bucket
    prefix  = "alb"
    enabled = true
  }
}

resource "aws_lb_target_group" "gateway" {
  #checkov:skip=CKV_AWS_378:TLS ends at this ALB; the hop to Envoy is inside the VPC's private subnets, between two security groups that admit only each other, and Envoy serves plain HTTP on 8080 (no certificate in the image).
  name                 = "${var.prefix}-gw"
  port                 = var.gateway_port
  protocol             = "HTTP"
  protocol_version     = "HTTP1"
  target_type          = "ip"
  vpc_id               = var.vpc_id
  deregistration_delay = 65 # in-flight calls finish first: the slowest unary route (OCR uploads) allows 60 s

  # Envoy's own /healthz: 200 while it serves, 503 once it drains.
  health_check {
    protocol            = "HTTP"
    path                = "/healthz"
    matcher             = "200"
    interval            = 10
    timeout             = 5
    healthy_threshold   = 2
    unhealthy_threshold = 2
  }
}

resource "aws_lb_listener" "https" {
  load_balancer_arn = aws_lb.this.arn
  port              = 443
  protocol          = "HTTPS"
  ssl_policy        = "ELBSecurityPolicy-TLS13-1-2-2021-06"
  certificate_arn   = var.certificate_arn

  # Without the origin-verify header: 403, in the gateway's JSON error shape.
  default_action {
    type = "fixed-response"
    fixed_response {
      content_type = "application/json"
      status_code  = "403"
      message_body = jsonencode({ code = 7, message = "Use the CareerVault address, not the load balancer.", details = [] })
    }
  }
}

resource "aws_lb_listener_rule" "from_cloudfront" {
  listener_arn = aws_lb_listener.https.arn
  priority     = 10

  action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.gateway.arn
  }

  condition {
    http_header {
      http_header_name = var.origin_verify_header
      values           = [var.origin_verify_value]
    }
  }
}

resource "aws_lb_listener" "http" {
  load_balancer_arn = aws_lb.this.arn
  port              = 80
  protocol          = "HTTP"

  default_action {
    type = "redirect"
    redirect {
      port        = "443"
      protocol    = "HTTPS"
      status_code = "HTTP_301"
    }
  }
}
