# The SPA (web/dist) from a private S3 bucket through CloudFront (origin access control), and the
# API on the same origin: /v1/* and /.well-known/* go to the ALB in front of the gateway. The SPA
# calls relative paths (/v1/...), so one origin means no CORS, and the browser's requests and
# the page come from the same certificate and name (var.domain_name).
#
#   viewer --HTTPS--> CloudFront (+ WAF) --/v1/*, /.well-known/*--> ALB (origin-verify header) --> Envoy
#                                        '-- everything else -----> S3 (OAC, SigV4)

locals {
  spa_origin = "spa"
  api_origin = "api"
  api_paths  = ["/v1/*", "/.well-known/*"]
}

# --- The SPA bucket --------------------------------------------------------------------------

resource "aws_s3_bucket" "spa" {
  #checkov:skip=CKV_AWS_144:The bucket holds a build of web/ that CI can upload again at any time; a second region's copy buys nothing.
  #checkov:skip=CKV2_AWS_62:Nothing reacts to uploads of the SPA build.
  #checkov:skip=CKV_AWS_145:The objects are the public SPA build (HTML, JS, CSS) that every visitor downloads; SSE-KMS would need CloudFront in the key policy for no confidentiality gained. SSE-S3 below.
  bucket        = "${var.prefix}-web-${var.account_id}"
  force_destroy = false
}

resource "aws_s3_bucket_ownership_controls" "spa" {
  bucket = aws_s3_bucket.spa.id
  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "spa" {
  bucket                  = aws_s3_bucket.spa.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_server_side_encryption_configuration" "spa" {
  bucket = aws_s3_bucket.spa.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

resource "aws_s3_bucket_versioning" "spa" {
  bucket = aws_s3_bucket.spa.id
  versioning_configuration {
    status = "Enabled" # a bad upload can be rolled back to the previous objects
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "spa" {
  bucket = aws_s3_bucket.spa.id

  rule {
    id     = "old-builds"
    status = "Enabled"
    filter {}
    noncurrent_version_expiration {
      noncurrent_days = 30
    }
    abort_incomplete_multipart_upload {
      days_after_initiation = 1
    }
  }

  depends_on = [aws_s3_bucket_versioning.spa]
}

resource "aws_s3_bucket_logging" "spa" {
  bucket        = aws_s3_bucket.spa.id
  target_bucket = var.log_bucket
  target_prefix = "s3/spa/"
}

resource "aws_cloudfront_origin_access_control" "spa" {
  name                              = "${var.prefix}-spa"
  description                       = "CloudFront reads the SPA bucket with SigV4"
  origin_access_control_origin_type = "s3"
  signing_behavior                  = "always"
  signing_protocol                  = "sigv4"
}

data "aws_iam_policy_document" "spa" {
  statement {
    sid       = "CloudFrontReadsTheSpa"
    actions   = ["s3:GetObject"]
    resources = ["${aws_s3_bucket.spa.arn}/*"]
    principals {
      type        = "Service"
      identifiers = ["cloudfront.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "AWS:SourceArn"
      values   = [aws_cloudfront_distribution.this.arn]
    }
  }

  statement {
    sid     = "DenyInsecureTransport"
    effect  = "Deny"
    actions = ["s3:*"]
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    resources = [aws_s3_bucket.spa.arn, "${aws_s3_bucket.spa.arn}/*"]
    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_s3_bucket_policy" "spa" {
  bucket = aws_s3_bucket.spa.id
  policy = data.aws_iam_policy_document.spa.json

  depends_on = [aws_s3_bucket_public_access_block.spa]
}

# --- CloudFront ------------------------------------------------------------------------------

data "aws_cloudfront_cache_policy" "optimized" {
  name = "Managed-CachingOptimized"
}

data "aws_cloudfront_cache_policy" "disabled" {
  name = "Managed-CachingDisabled"
}

# Every viewer header (Authorization included: with caching disabled the managed AllViewer
# policies forward it), cookies and query strings, but Host: the ALB's certificate and Envoy see
# the origin's name.
data "aws_cloudfront_origin_request_policy" "all_viewer_except_host" {
  name = "Managed-AllViewerExceptHostHeader"
}

resource "aws_cloudfront_function" "spa_routes" {
  name    = "${var.prefix}-spa-routes"
  runtime = "cloudfront-js-2.0"
  comment = "Deep links of the SPA get index.html"
  publish = true
  code    = file("${path.module}/spa-routes.js")
}

# The headers the gateway adds to the SPA's files (gateway/render.py SECURITY_HEADERS), plus
# HSTS, which only makes sense on the public HTTPS name.
resource "aws_cloudfront_response_headers_policy" "security" {
  name    = "${var.prefix}-security-headers"
  comment = "HSTS, nosniff, frame DENY, referrer policy"

  security_headers_config {
    strict_transport_security {
      access_control_max_age_sec = 63072000
      include_subdomains         = true
      preload                    = true
      override                   = true
    }
    content_type_options {
      override = true
    }
    frame_options {
      frame_option = "DENY"
      override     = true
    }
    referrer_policy {
      referrer_policy = "strict-origin-when-cross-origin"
      override        = true
    }
  }
}

resource "aws_cloudfront_distribution" "this" {
  #checkov:skip=CKV_AWS_310:A second origin for failover would need the whole stack in a second region; the SPA bucket and the ALB are regional by design (deploy/README.md, "What this does not cover").
  #checkov:skip=CKV_AWS_374:CareerVault is offered worldwide; there is no country to block.
  #checkov:skip=CKV2_AWS_47:The web ACL has the Log4j rules (AWSManagedRulesKnownBadInputsRuleSet); this check also demands AWSManagedRulesAnonymousIpList, which blocks VPN, Tor and privacy-relay users, who are legitimate job seekers.
  enabled             = true
  comment             = "${var.prefix}: SPA and API"
  aliases             = [var.domain_name]
  default_root_object = "index.html"
  is_ipv6_enabled     = true
  http_version        = "http2and3"
  price_class         = var.price_class
  web_acl_id          = aws_wafv2_web_acl.this.arn

  origin {
    origin_id                = local.spa_origin
    domain_name              = aws_s3_bucket.spa.bucket_regional_domain_name
    origin_access_control_id = aws_cloudfront_origin_access_control.spa.id
  }

  origin {
    origin_id   = local.api_origin
    domain_name = var.api_origin_domain_name

    custom_origin_config {
      http_port                = 80
      https_port               = 443
      origin_protocol_policy   = "https-only"
      origin_ssl_protocols     = ["TLSv1.2"]
      origin_read_timeout      = 60 # the gateway's longest unary route (OCR uploads); the most CloudFront allows without a quota raise
      origin_keepalive_timeout = 60
    }

    custom_header {
      name  = var.origin_verify_header
      value = var.origin_verify_value
    }
  }

  default_cache_behavior {
    target_origin_id           = local.spa_origin
    viewer_protocol_policy     = "redirect-to-https"
    allowed_methods            = ["GET", "HEAD", "OPTIONS"]
    cached_methods             = ["GET", "HEAD"]
    compress                   = true
    cache_policy_id            = data.aws_cloudfront_cache_policy.optimized.id
    response_headers_policy_id = aws_cloudfront_response_headers_policy.security.id

    function_association {
      event_type   = "viewer-request"
      function_arn = aws_cloudfront_function.spa_routes.arn
    }
  }

  # The API: never cached, every method, every header but Host, not compressed here (the chat
  # stream must reach the browser as it is produced).
  dynamic "ordered_cache_behavior" {
    for_each = local.api_paths
    content {
      path_pattern               = ordered_cache_behavior.value
      target_origin_id           = local.api_origin
      viewer_protocol_policy     = "https-only"
      allowed_methods            = ["DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"]
      cached_methods             = ["GET", "HEAD"]
      compress                   = false
      cache_policy_id            = data.aws_cloudfront_cache_policy.disabled.id
      origin_request_policy_id   = data.aws_cloudfront_origin_request_policy.all_viewer_except_host.id
      response_headers_policy_id = aws_cloudfront_response_headers_policy.security.id
    }
  }

  restrictions {
    geo_restriction {
      restriction_type = "none"
    }
  }

  viewer_certificate {
    acm_certificate_arn      = var.certificate_arn
    ssl_support_method       = "sni-only"
    minimum_protocol_version = "TLSv1.2_2021"
  }

  logging_config {
    bucket          = var.log_bucket_domain_name
    prefix          = "cloudfront/"
    include_cookies = false
  }
}

# --- WAF (CLOUDFRONT scope: lives in us-east-1) ----------------------------------------------

resource "aws_wafv2_web_acl" "this" {
  provider = aws.us_east_1

  name        = "${var.prefix}-edge"
  description = "CareerVault edge: per-address rate limit, IP reputation, known bad inputs"
  scope       = "CLOUDFRONT"

  default_action {
    allow {}
  }

  # Requests per address in any 5 minutes. The services keep their own, finer limits (the
  # gateway's auth rate limit, identity's failure throttle).
  rule {
    name     = "rate-per-address"
    priority = 0
    action {
      block {}
    }
    statement {
      rate_based_statement {
        limit              = var.rate_limit_per_5_minutes
        aggregate_key_type = "IP"
      }
    }
    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name                = "${var.prefix}-rate-per-address"
      sampled_requests_enabled   = true
    }
  }

  rule {
    name     = "aws-ip-reputation"
    priority = 1
    override_action {
      none {}
    }
    statement {
      managed_rule_group_statement {
        vendor_name = "AWS"
        name        = "AWSManagedRulesAmazonIpReputationList"
      }
    }
    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name                = "${var.prefix}-ip-reputation"
      sampled_requests_enabled   = true
    }
  }

  # Log4j, Java deserialisation, exploitable paths. The common rule set is left out on purpose:
  # its 8 KB body limit and its XSS body rule would block resume uploads (up to 14 MB of base64
  # JSON), CSV imports and job descriptions pasted with HTML; every service validates its input.
  rule {
    name     = "aws-known-bad-inputs"
    priority = 2
    override_action {
      none {}
    }
    statement {
      managed_rule_group_statement {
        vendor_name = "AWS"
        name        = "AWSManagedRulesKnownBadInputsRuleSet"
      }
    }
    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name                = "${var.prefix}-known-bad-inputs"
      sampled_requests_enabled   = true
    }
  }

  visibility_config {
    cloudwatch_metrics_enabled = true
    metric_name                = "${var.prefix}-edge"
    sampled_requests_enabled   = true
  }
}

# WAF logs must go to a log group named aws-waf-logs-* in the web ACL's region.
resource "aws_cloudwatch_log_group" "waf" {
  #checkov:skip=CKV_AWS_158:The key of this deployment lives in its own region and WAF logs must be in us-east-1; a second customer managed key only for them is not worth it: CloudWatch Logs encrypts them at rest anyway, and the Authorization header is redacted below.
  provider = aws.us_east_1

  name              = "aws-waf-logs-${var.prefix}"
  retention_in_days = var.log_retention_days
}

# WAF delivers its logs through CloudWatch Logs' log delivery service, which the log group's
# resource policy must admit.
data "aws_partition" "current" {}

data "aws_iam_policy_document" "waf_logs" {
  statement {
    sid       = "WafLogDelivery"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.waf.arn}:*"]
    principals {
      type        = "Service"
      identifiers = ["delivery.logs.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [var.account_id]
    }
    condition {
      test     = "ArnLike"
      variable = "aws:SourceArn"
      values   = ["arn:${data.aws_partition.current.partition}:logs:us-east-1:${var.account_id}:*"]
    }
  }
}

resource "aws_cloudwatch_log_resource_policy" "waf" {
  provider = aws.us_east_1

  policy_name     = "${var.prefix}-waf-logs"
  policy_document = data.aws_iam_policy_document.waf_logs.json
}

resource "aws_wafv2_web_acl_logging_configuration" "this" {
  provider = aws.us_east_1

  resource_arn            = aws_wafv2_web_acl.this.arn
  log_destination_configs = [aws_cloudwatch_log_group.waf.arn]

  redacted_fields {
    single_header {
      name = "authorization"
    }
  }

  depends_on = [aws_cloudwatch_log_resource_policy.waf]
}
