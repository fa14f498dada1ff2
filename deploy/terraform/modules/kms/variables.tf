variable "prefix" {
  description = "Name prefix of every resource."
  type        = string
}

variable "account_id" {
  description = "The AWS account id."
  type        = string
}

variable "region" {
  description = "The region of the deployment."
  type        = string
}

variable "partition" {
  description = "The AWS partition (aws, aws-cn, aws-us-gov)."
  type        = string
}
