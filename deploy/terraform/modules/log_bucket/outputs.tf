# Both outputs wait for the bucket policy and the ownership setting: the ALB checks at creation
# that it may write here, and CloudFront needs ACLs enabled.

output "bucket" {
  description = "Bucket name."
  value       = aws_s3_bucket.logs.id
  depends_on  = [aws_s3_bucket_policy.logs, aws_s3_bucket_ownership_controls.logs]
}

output "bucket_domain_name" {
  description = "Bucket domain (CloudFront logging_config)."
  value       = aws_s3_bucket.logs.bucket_domain_name
  depends_on  = [aws_s3_bucket_policy.logs, aws_s3_bucket_ownership_controls.logs]
}
