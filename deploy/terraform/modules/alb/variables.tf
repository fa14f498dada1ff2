variable "prefix" {
  description = "Name prefix (ALB names are at most 32 characters)."
  type        = string
}

variable "vpc_id" {
  description = "The VPC."
  type        = string
}

variable "public_subnet_ids" {
  description = "Public subnets in two zones."
  type        = list(string)
}

variable "certificate_arn" {
  description = "ACM certificate (same region) for the origin name CloudFront connects to."
  type        = string
}

variable "log_bucket" {
  description = "Bucket for access logs (prefix alb/)."
  type        = string
}

variable "deletion_protection" {
  description = "Refuse deleting the ALB while on."
  type        = bool
}

variable "gateway_port" {
  description = "Port Envoy listens on in the gateway task."
  type        = number
}

variable "origin_verify_header" {
  description = "Name of the header CloudFront adds."
  type        = string
}

variable "origin_verify_value" {
  description = "Value of that header."
  type        = string
  sensitive   = true
}
