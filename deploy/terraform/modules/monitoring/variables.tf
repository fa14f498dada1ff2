variable "prefix" {
  description = "Name prefix."
  type        = string
}

variable "kms_key_arn" {
  description = "Key the alarm topic is encrypted with."
  type        = string
}

variable "alarm_email" {
  description = "Address subscribed to the alarms; empty for none."
  type        = string
}

variable "alb_arn_suffix" {
  description = "LoadBalancer dimension."
  type        = string
}

variable "target_group_arn_suffix" {
  description = "TargetGroup dimension (the gateway)."
  type        = string
}

variable "table_name" {
  description = "The jobs table."
  type        = string
}

variable "alb_5xx_threshold" {
  description = "ALB-generated 5xx in 5 minutes that raise the alarm."
  type        = number
}

variable "gateway_5xx_threshold" {
  description = "Gateway 5xx in 5 minutes that raise the alarm."
  type        = number
}
