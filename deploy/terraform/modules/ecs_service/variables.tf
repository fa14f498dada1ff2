variable "context" {
  description = "What every service of the stack shares: names, network, cluster, key, logs, alarms."
  type = object({
    prefix                        = string       # name-environment
    region                        = string       # region of the stack
    account_id                    = string       # the AWS account
    partition                     = string       # aws, aws-cn, aws-us-gov
    cpu_architecture              = string       # X86_64 or ARM64, as the images
    vpc_id                        = string       # the VPC
    subnet_ids                    = list(string) # private subnets of the tasks
    cluster_arn                   = string       # ECS cluster
    cluster_name                  = string       # its name (autoscaling resource id, metrics)
    service_connect_namespace_arn = string       # Service Connect namespace
    discovery_domain              = string       # clients reach a service as <name>.<this>:<port>
    kms_key_arn                   = string       # key of the log group and the secrets
    log_retention_days            = number       # days the logs are kept
    alarm_topic_arn               = string       # SNS topic of the alarms
  })
}

variable "name" {
  description = "Service name: the container, the ECS service and its Service Connect name."
  type        = string
}

variable "image" {
  description = "Image reference (repository URL and immutable tag)."
  type        = string
}

variable "ecr_repository_arn" {
  description = "The image's repository (the only one the execution role may pull from)."
  type        = string
}

variable "port" {
  description = "Port the container listens on."
  type        = number
}

variable "port_name" {
  description = "Name of the port mapping (Service Connect refers to it)."
  type        = string
}

variable "app_protocol" {
  description = "Protocol of the port for Service Connect: grpc or http."
  type        = string
}

variable "uid" {
  description = "Numeric user (and group) the container runs as; the image's USER."
  type        = number
}

variable "cpu" {
  description = "Task CPU units (1024 = 1 vCPU), Service Connect proxy included."
  type        = number
}

variable "memory" {
  description = "Task memory in MiB, Service Connect proxy included."
  type        = number
}

variable "environment" {
  description = "Environment variables (names the service's settings read)."
  type        = map(string)
}

variable "secrets" {
  description = "Environment variable name => Secrets Manager ARN, injected at start."
  type        = map(string)
}

variable "health_check_command" {
  description = "Container health check (ECS form: [\"CMD\", ...])."
  type        = list(string)
}

variable "health_check_start_period" {
  description = "Seconds failures do not count after start."
  type        = number
}

variable "writable_paths" {
  description = "Container paths given a task-scoped writable volume; everything else is read-only."
  type        = list(string)
}

variable "stop_timeout" {
  description = "Seconds between SIGTERM and SIGKILL (at most 120 on Fargate)."
  type        = number
}

variable "task_role" {
  description = "Give the code a role of its own (task_policy_json); false: the containers get no AWS credentials at all, unless a collector needs a role for its own calls."
  type        = bool
}

variable "task_policy_json" {
  description = "IAM policy of the code's own role (with task_role)."
  type        = string
  default     = null
}

variable "publish_service_connect" {
  description = "Publish the port as <name>.<discovery_domain>:<port> (false: only call others)."
  type        = bool
}

variable "load_balanced" {
  description = "Register the tasks in target_group_arn."
  type        = bool
  default     = false
}

variable "target_group_arn" {
  description = "ALB target group to register the tasks in (with load_balanced)."
  type        = string
  default     = null
}

variable "min_count" {
  description = "Fewest tasks (also the initial count)."
  type        = number
}

variable "max_count" {
  description = "Most tasks autoscaling may run."
  type        = number
}

variable "cpu_target" {
  description = "Average CPU utilisation (%) target tracking keeps the service at."
  type        = number
}

variable "requests_per_target" {
  description = "ALB requests per task per minute for target tracking; null: CPU only."
  type        = number
  default     = null
}

variable "request_count_resource_label" {
  description = "ResourceLabel of ALBRequestCountPerTarget (with requests_per_target)."
  type        = string
  default     = null
}

variable "cpu_alarm_threshold" {
  description = "Average CPU (%) that raises the alarm after 10 minutes."
  type        = number
  default     = 85
}

variable "starts_after" {
  description = "ARNs of the ECS services this one calls: it is created after them (Service Connect)."
  type        = list(string)
  default     = []
}

variable "collector" {
  description = "An OpenTelemetry collector beside the service (../../telemetry.tf): its image, its configuration (YAML) and the log group its metrics are written to. null: none."
  type = object({
    image                 = string
    config                = string
    metrics_log_group_arn = string
  })
  default = null
}
