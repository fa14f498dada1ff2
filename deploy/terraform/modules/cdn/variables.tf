variable "prefix" {
  description = "Name prefix of every resource."
  type        = string
}

variable "account_id" {
  description = "The AWS account id (bucket names are global)."
  type        = string
}

variable "domain_name" {
  description = "The public name of CareerVault (SPA and API)."
  type        = string
}

variable "certificate_arn" {
  description = "ACM certificate in us-east-1 for domain_name."
  type        = string
}

variable "api_origin_domain_name" {
  description = "Name CloudFront connects to for the API: resolves to the ALB, covered by the ALB's certificate."
  type        = string
}

variable "origin_verify_header" {
  description = "Header CloudFront adds to API requests."
  type        = string
}

variable "origin_verify_value" {
  description = "Its value."
  type        = string
  sensitive   = true
}

variable "log_bucket" {
  description = "Bucket for the SPA bucket's access logs."
  type        = string
}

variable "log_bucket_domain_name" {
  description = "Domain of that bucket (CloudFront logs)."
  type        = string
}

variable "price_class" {
  description = "CloudFront price class."
  type        = string
}

variable "rate_limit_per_5_minutes" {
  description = "Requests one address may make in 5 minutes before WAF blocks it."
  type        = number
}

variable "log_retention_days" {
  description = "Days WAF logs are kept."
  type        = number
}
