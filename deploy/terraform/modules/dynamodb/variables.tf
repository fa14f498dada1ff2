variable "name" {
  description = "Table name (CAREERVAULT_DYNAMODB_TABLE of the jobs service)."
  type        = string
}

variable "kms_key_arn" {
  description = "Customer managed key for encryption at rest."
  type        = string
}

variable "deletion_protection" {
  description = "Refuse DeleteTable while on."
  type        = bool
}
