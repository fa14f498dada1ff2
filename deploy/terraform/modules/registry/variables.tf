variable "prefix" {
  description = "Repository name prefix (<prefix>/<image>)."
  type        = string
}

variable "repositories" {
  description = "Image names, one repository each."
  type        = list(string)
}

variable "kms_key_arn" {
  description = "Key the images are encrypted with."
  type        = string
}

variable "keep_images" {
  description = "Tagged images kept per repository."
  type        = number
  default     = 30
}
