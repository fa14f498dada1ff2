variable "prefix" {
  description = "Name prefix of every resource (name-environment)."
  type        = string
}

variable "account_id" {
  description = "The AWS account id (confused-deputy conditions)."
  type        = string
}

variable "cidr" {
  description = "The VPC's IPv4 range; /16 to /20."
  type        = string
}

variable "availability_zones" {
  description = "The zones to spread the subnets over (two)."
  type        = list(string)
}

variable "single_nat_gateway" {
  description = "One NAT gateway for both zones (cheaper; egress fails with its zone) instead of one per zone."
  type        = bool
}

variable "enable_interface_endpoints" {
  description = "Interface endpoints for ECR, CloudWatch Logs and Secrets Manager."
  type        = bool
}

variable "dynamodb_endpoint_policy_json" {
  description = "Policy of the DynamoDB gateway endpoint: what the VPC may do in DynamoDB."
  type        = string
}

variable "kms_key_arn" {
  description = "Key that encrypts the flow log group."
  type        = string
}

variable "log_retention_days" {
  description = "Days the flow logs are kept."
  type        = number
}

variable "flow_log_traffic_type" {
  description = "ACCEPT, REJECT or ALL."
  type        = string
}
