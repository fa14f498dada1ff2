variable "prefix" {
  description = "Name prefix of every secret."
  type        = string
}

variable "kms_key_arn" {
  description = "Key the secrets are encrypted with."
  type        = string
}

variable "cognito_client_secret" {
  description = "The app client's secret."
  type        = string
  sensitive   = true
}
