output "bucket" {
  description = "The SPA bucket (upload web/dist here)."
  value       = aws_s3_bucket.spa.id
}

output "distribution_id" {
  description = "CloudFront distribution id (invalidations)."
  value       = aws_cloudfront_distribution.this.id
}

output "distribution_domain_name" {
  description = "CloudFront's name (the app domain's CNAME or alias target)."
  value       = aws_cloudfront_distribution.this.domain_name
}

output "distribution_hosted_zone_id" {
  description = "CloudFront's hosted zone (Route 53 alias records)."
  value       = aws_cloudfront_distribution.this.hosted_zone_id
}

output "web_acl_arn" {
  description = "The WAF web ACL."
  value       = aws_wafv2_web_acl.this.arn
}
