variable "prefix" {
  description = "Bucket name prefix."
  type        = string
}

variable "account_id" {
  description = "The AWS account id (bucket names are global)."
  type        = string
}

variable "expiration_days" {
  description = "Days access logs are kept."
  type        = number
}
