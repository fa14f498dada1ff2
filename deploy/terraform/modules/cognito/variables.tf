variable "prefix" {
  description = "Name prefix of every resource."
  type        = string
}

variable "deletion_protection" {
  description = "Refuse deleting the pool while on."
  type        = bool
}

variable "password_minimum_length" {
  description = "Shortest password accepted."
  type        = number
}

variable "ses_source_arn" {
  description = "Verified SES identity that sends the pool's emails; empty: Cognito's own sender (about 50 a day)."
  type        = string
}

variable "from_email_address" {
  description = "From address of the pool's emails (with ses_source_arn)."
  type        = string
}

variable "access_token_minutes" {
  description = "Lifetime of access tokens."
  type        = number
}

variable "id_token_minutes" {
  description = "Lifetime of ID tokens."
  type        = number
}

variable "refresh_token_days" {
  description = "Lifetime of refresh tokens."
  type        = number
}
