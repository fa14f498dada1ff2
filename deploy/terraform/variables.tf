# Inputs of the CareerVault stack. Required: region, app_domain_name, api_origin_domain_name,
# cloudfront_certificate_arn, alb_certificate_arn, image_tag. Everything else has a default that
# deploy/README.md explains. terraform.tfvars.example shows them all.

# --- Where and what --------------------------------------------------------------------------

variable "region" {
  description = "AWS region of the stack (everything but the CloudFront certificate and WAF, which live in us-east-1)."
  type        = string

  validation {
    condition     = can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]$", var.region))
    error_message = "region must be an AWS region name such as eu-west-1."
  }
}

variable "name" {
  description = "Name of the deployment; with environment it prefixes every resource name."
  type        = string
  default     = "careervault"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,15}$", var.name))
    error_message = "name: 2-16 characters, lower-case letters, digits and hyphens, starting with a letter (ALB names allow 32 characters in all)."
  }
}

variable "environment" {
  description = "Environment name (prod, staging, ...); part of every resource name."
  type        = string
  default     = "prod"

  validation {
    condition     = can(regex("^[a-z][a-z0-9]{1,7}$", var.environment))
    error_message = "environment: 2-8 lower-case letters and digits, starting with a letter."
  }
}

variable "image_tag" {
  description = "Tag of the five images (gateway, identity, jobs, extraction, ai) in this stack's ECR repositories. Tags are immutable: a new build needs a new tag (a git commit id, say)."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$", var.image_tag)) && var.image_tag != "latest"
    error_message = "image_tag must be a Docker tag (letters, digits, _ . -; at most 128) and not \"latest\": repositories are immutable, so a moving tag cannot be pushed twice."
  }
}

variable "cpu_architecture" {
  description = "CPU architecture of the images and the Fargate tasks: X86_64, or ARM64 (Graviton, about 20% cheaper) when the images were built for linux/arm64."
  type        = string
  default     = "X86_64"

  validation {
    condition     = contains(["X86_64", "ARM64"], var.cpu_architecture)
    error_message = "cpu_architecture must be X86_64 or ARM64."
  }
}

# --- Names and certificates ------------------------------------------------------------------

variable "app_domain_name" {
  description = "Public name of CareerVault (the SPA and its API, one origin), e.g. careervault.example.com. Served by CloudFront."
  type        = string

  validation {
    condition     = can(regex("^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z]{2,63}$", var.app_domain_name))
    error_message = "app_domain_name must be a lower-case DNS name such as careervault.example.com."
  }
}

variable "api_origin_domain_name" {
  description = "Name CloudFront connects to for /v1 and /.well-known: it must resolve to the ALB (output alb_dns_name) and be covered by alb_certificate_arn, e.g. origin.careervault.example.com. Browsers never use it."
  type        = string

  validation {
    condition     = can(regex("^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z]{2,63}$", var.api_origin_domain_name))
    error_message = "api_origin_domain_name must be a lower-case DNS name such as origin.careervault.example.com."
  }
}

variable "cloudfront_certificate_arn" {
  description = "ACM certificate for app_domain_name. CloudFront only takes certificates from us-east-1."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:acm:us-east-1:[0-9]{12}:certificate/[0-9a-f-]+$", var.cloudfront_certificate_arn))
    error_message = "cloudfront_certificate_arn must be an ACM certificate ARN in us-east-1."
  }
}

variable "alb_certificate_arn" {
  description = "ACM certificate for api_origin_domain_name, in the stack's region (the ALB's HTTPS listener)."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:acm:[a-z0-9-]+:[0-9]{12}:certificate/[0-9a-f-]+$", var.alb_certificate_arn))
    error_message = "alb_certificate_arn must be an ACM certificate ARN."
  }
}

variable "route53_zone_id" {
  description = "Route 53 hosted zone holding both names; when set, the alias records are created here. Empty: create the two CNAMEs yourself (outputs cloudfront_domain_name and alb_dns_name)."
  type        = string
  default     = ""

  validation {
    condition     = var.route53_zone_id == "" || can(regex("^Z[A-Z0-9]{1,31}$", var.route53_zone_id))
    error_message = "route53_zone_id must be empty or a hosted zone id such as Z0123456789ABCDEFGHIJ."
  }
}

variable "cloudfront_price_class" {
  description = "CloudFront price class: PriceClass_100 (North America, Europe), PriceClass_200, PriceClass_All."
  type        = string
  default     = "PriceClass_100"

  validation {
    condition     = contains(["PriceClass_100", "PriceClass_200", "PriceClass_All"], var.cloudfront_price_class)
    error_message = "cloudfront_price_class must be PriceClass_100, PriceClass_200 or PriceClass_All."
  }
}

variable "waf_rate_limit_per_5_minutes" {
  description = "Requests one client address may make in any 5 minutes before the edge WAF blocks it (a page of the SPA makes a handful)."
  type        = number
  default     = 2000

  validation {
    condition     = var.waf_rate_limit_per_5_minutes >= 100 && var.waf_rate_limit_per_5_minutes <= 2000000000
    error_message = "waf_rate_limit_per_5_minutes must be between 100 and 2,000,000,000."
  }
}

# --- Network ---------------------------------------------------------------------------------

variable "vpc_cidr" {
  description = "IPv4 range of the VPC (/16 to /20): two /24 public subnets at its start, two /20 private ones after."
  type        = string
  default     = "10.40.0.0/16"

  validation {
    condition     = can(cidrhost(var.vpc_cidr, 0)) && tonumber(split("/", var.vpc_cidr)[1]) >= 16 && tonumber(split("/", var.vpc_cidr)[1]) <= 20
    error_message = "vpc_cidr must be an IPv4 CIDR block from /16 to /20."
  }
}

variable "availability_zones" {
  description = "The two availability zones of the VPC, by name; empty: <region>a and <region>b."
  type        = list(string)
  default     = []

  validation {
    condition     = length(var.availability_zones) == 0 || (length(var.availability_zones) == 2 && length(distinct(var.availability_zones)) == 2)
    error_message = "availability_zones must be empty or name two different zones."
  }
}

variable "single_nat_gateway" {
  description = "One NAT gateway for both zones (saves about $33 a month; egress then fails with that zone) instead of one per zone."
  type        = bool
  default     = false
}

variable "enable_interface_endpoints" {
  description = "Interface endpoints for ECR (api, dkr), CloudWatch Logs and Secrets Manager (about $58 a month for two zones): image pulls, logs and secrets never cross NAT or the internet. Off: they go through NAT."
  type        = bool
  default     = true
}

variable "flow_log_traffic_type" {
  description = "VPC flow logs: REJECT (refused connections only; cheap), ACCEPT or ALL."
  type        = string
  default     = "REJECT"

  validation {
    condition     = contains(["ACCEPT", "REJECT", "ALL"], var.flow_log_traffic_type)
    error_message = "flow_log_traffic_type must be ACCEPT, REJECT or ALL."
  }
}

# --- Capacity --------------------------------------------------------------------------------

variable "capacity" {
  description = <<-EOT
    Task size and autoscaling per service; give only what differs from the defaults, e.g.
    { jobs = { max_count = 20 } }. cpu in CPU units (1024 = 1 vCPU) and memory in MiB, each a
    valid Fargate combination, both including ~256 units and 64 MiB for the Service Connect
    proxy ECS adds to every task. min_count 2 keeps one task per zone. cpu_target is the average
    CPU (%) target tracking holds. Defaults and their reasons: deploy/README.md, "Autoscaling".
  EOT
  type = object({
    gateway = optional(object({
      cpu        = optional(number, 512)
      memory     = optional(number, 1024)
      min_count  = optional(number, 2)
      max_count  = optional(number, 10)
      cpu_target = optional(number, 60)
    }), {})
    identity = optional(object({
      cpu        = optional(number, 512)
      memory     = optional(number, 1024)
      min_count  = optional(number, 2)
      max_count  = optional(number, 6)
      cpu_target = optional(number, 60)
    }), {})
    jobs = optional(object({
      cpu        = optional(number, 512)
      memory     = optional(number, 1024)
      min_count  = optional(number, 2)
      max_count  = optional(number, 10)
      cpu_target = optional(number, 60)
    }), {})
    extraction = optional(object({
      cpu        = optional(number, 1024)
      memory     = optional(number, 2048)
      min_count  = optional(number, 2)
      max_count  = optional(number, 10)
      cpu_target = optional(number, 50)
    }), {})
    ai = optional(object({
      cpu        = optional(number, 1024)
      memory     = optional(number, 2048)
      min_count  = optional(number, 2)
      max_count  = optional(number, 6)
      cpu_target = optional(number, 60)
    }), {})
  })
  default = {}

  validation {
    condition = alltrue([
      for name, c in var.capacity : (
        c.cpu == 256 ? contains([512, 1024, 2048], c.memory) :
        c.cpu == 512 ? c.memory >= 1024 && c.memory <= 4096 && c.memory % 1024 == 0 :
        c.cpu == 1024 ? c.memory >= 2048 && c.memory <= 8192 && c.memory % 1024 == 0 :
        c.cpu == 2048 ? c.memory >= 4096 && c.memory <= 16384 && c.memory % 1024 == 0 :
        c.cpu == 4096 ? c.memory >= 8192 && c.memory <= 30720 && c.memory % 1024 == 0 :
        false
      )
    ])
    error_message = "Each cpu/memory pair must be a Fargate size: 256 with 512-2048, 512 with 1024-4096, 1024 with 2048-8192, 2048 with 4096-16384, 4096 with 8192-30720 (MiB, steps of 1024)."
  }

  validation {
    condition     = alltrue([for name, c in var.capacity : c.min_count >= 1 && c.min_count <= c.max_count && c.max_count <= 100])
    error_message = "Each service needs 1 <= min_count <= max_count <= 100."
  }

  validation {
    condition     = alltrue([for name, c in var.capacity : c.cpu_target >= 20 && c.cpu_target <= 90])
    error_message = "cpu_target must be between 20 and 90 (%)."
  }
}

variable "gateway_requests_per_target" {
  description = "ALB requests per gateway task per minute that target tracking holds (with the gateway's CPU target; whichever asks for more tasks wins). Reasoning in deploy/README.md, \"Autoscaling\"."
  type        = number
  default     = 18000

  validation {
    condition     = var.gateway_requests_per_target >= 600 && var.gateway_requests_per_target <= 600000
    error_message = "gateway_requests_per_target must be between 600 and 600,000 requests a minute."
  }
}

# --- Application settings (environment variables of the services) ---------------------------

variable "log_level" {
  description = "CAREERVAULT_LOG_LEVEL of every service."
  type        = string
  default     = "INFO"

  validation {
    condition     = contains(["DEBUG", "INFO", "WARNING", "ERROR"], var.log_level)
    error_message = "log_level must be DEBUG, INFO, WARNING or ERROR."
  }
}

variable "ai_provider" {
  description = "CAREERVAULT_AI_PROVIDER: gemini (needs the Gemini key in Secrets Manager before the ai service starts; falls back to local on errors) or local (offline, deterministic)."
  type        = string
  default     = "gemini"

  validation {
    condition     = contains(["gemini", "local"], var.ai_provider)
    error_message = "ai_provider must be gemini or local."
  }
}

variable "gemini_model" {
  description = "CAREERVAULT_GEMINI_MODEL."
  type        = string
  default     = "gemini-2.5-flash"

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,62}$", var.gemini_model))
    error_message = "gemini_model must be a model name such as gemini-2.5-flash."
  }
}

variable "extraction_ocr_languages" {
  description = "CAREERVAULT_EXTRACTION_OCR_LANGUAGES: tesseract languages joined by +; each must be installed in the extraction image."
  type        = string
  default     = "eng"

  validation {
    condition     = can(regex("^[A-Za-z0-9_]+(\\+[A-Za-z0-9_]+)*$", var.extraction_ocr_languages))
    error_message = "extraction_ocr_languages must be tesseract languages joined by +, e.g. eng+deu."
  }
}

variable "jobs_retention_days" {
  description = "CAREERVAULT_RETENTION_DAYS: closed applications unchanged this many days are deleted by DynamoDB's TTL; 0 keeps everything."
  type        = number
  default     = 0

  validation {
    condition     = var.jobs_retention_days >= 0 && var.jobs_retention_days <= 36500 && floor(var.jobs_retention_days) == var.jobs_retention_days
    error_message = "jobs_retention_days must be a whole number from 0 to 36500."
  }
}

variable "request_id_ttl_days" {
  description = "CAREERVAULT_REQUEST_ID_TTL_DAYS: days a create's requestId is remembered (DynamoDB TTL removes it after)."
  type        = number
  default     = 7

  validation {
    condition     = var.request_id_ttl_days >= 1 && var.request_id_ttl_days <= 365 && floor(var.request_id_ttl_days) == var.request_id_ttl_days
    error_message = "request_id_ttl_days must be a whole number from 1 to 365."
  }
}

# --- Cognito ---------------------------------------------------------------------------------

variable "password_minimum_length" {
  description = "Shortest password the user pool accepts (the local issuer enforces 8)."
  type        = number
  default     = 8

  validation {
    condition     = var.password_minimum_length >= 8 && var.password_minimum_length <= 99
    error_message = "password_minimum_length must be between 8 and 99."
  }
}

variable "access_token_minutes" {
  description = "Lifetime of access tokens (the local issuer's CAREERVAULT_ACCESS_TOKEN_TTL is 15 minutes). A signed-out access token stays valid until then."
  type        = number
  default     = 15

  validation {
    condition     = var.access_token_minutes >= 5 && var.access_token_minutes <= 1440
    error_message = "access_token_minutes must be between 5 and 1440."
  }
}

variable "id_token_minutes" {
  description = "Lifetime of ID tokens (local issuer: 60 minutes)."
  type        = number
  default     = 60

  validation {
    condition     = var.id_token_minutes >= 5 && var.id_token_minutes <= 1440
    error_message = "id_token_minutes must be between 5 and 1440."
  }
}

variable "refresh_token_days" {
  description = "Lifetime of refresh tokens, i.e. of a session (local issuer: 30 days)."
  type        = number
  default     = 30

  validation {
    condition     = var.refresh_token_days >= 1 && var.refresh_token_days <= 3650
    error_message = "refresh_token_days must be between 1 and 3650."
  }
}

variable "ses_source_arn" {
  description = "ARN of a verified SES identity that sends the user pool's emails (confirmation and reset codes). Empty: Cognito's own sender, limited to about 50 emails a day."
  type        = string
  default     = ""

  validation {
    condition     = var.ses_source_arn == "" || can(regex("^arn:aws[a-z-]*:ses:[a-z0-9-]+:[0-9]{12}:identity/.+$", var.ses_source_arn))
    error_message = "ses_source_arn must be empty or an SES identity ARN."
  }
}

variable "from_email_address" {
  description = "From address of the pool's emails, e.g. \"CareerVault <no-reply@example.com>\" (needs ses_source_arn)."
  type        = string
  default     = ""

  validation {
    condition     = var.from_email_address == "" || (var.ses_source_arn != "" && can(regex("@", var.from_email_address)))
    error_message = "from_email_address must be empty, or an address used together with ses_source_arn."
  }
}

# --- Operations ------------------------------------------------------------------------------

variable "deletion_protection" {
  description = "Deletion protection of the DynamoDB table, the user pool and the ALB. Turn off (and apply) before terraform destroy."
  type        = bool
  default     = true
}

variable "log_retention_days" {
  description = "Days CloudWatch keeps the services', VPC flow and WAF logs."
  type        = number
  default     = 365

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a value CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653)."
  }
}

variable "access_log_days" {
  description = "Days the ALB, CloudFront and S3 access logs are kept in the log bucket."
  type        = number
  default     = 90

  validation {
    condition     = var.access_log_days >= 1 && var.access_log_days <= 3650
    error_message = "access_log_days must be between 1 and 3650."
  }
}

variable "alarm_email" {
  description = "Email address subscribed to the alarm topic (AWS asks it to confirm); empty for none."
  type        = string
  default     = ""

  validation {
    condition     = var.alarm_email == "" || can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", var.alarm_email))
    error_message = "alarm_email must be empty or an email address."
  }
}

variable "alb_5xx_threshold" {
  description = "5xx answered by the ALB itself in 5 minutes that raise an alarm."
  type        = number
  default     = 10
}

variable "gateway_5xx_threshold" {
  description = "5xx answered by the gateway in 5 minutes that raise an alarm."
  type        = number
  default     = 25
}

# --- Telemetry (telemetry.tf) ------------------------------------------------------------------

variable "telemetry" {
  description = "Run an AWS Distro for OpenTelemetry collector beside every task: the services' and Envoy's traces (OTLP on loopback) to X-Ray, each service's /metrics and Envoy's stats to CloudWatch metrics (namespace CareerVault). Off: no sidecar, no OTEL_* settings, no metrics endpoints. The gateway image must be built with the gateway_build_args of the same setting."
  type        = bool
  default     = false
}

variable "trace_sample_ratio" {
  description = "With telemetry: the share of requests traced where they start (Envoy; the services follow the caller's decision). OTEL_TRACES_SAMPLER_ARG of parentbased_traceidratio."
  type        = number
  default     = 0.05

  validation {
    condition     = var.trace_sample_ratio >= 0 && var.trace_sample_ratio <= 1
    error_message = "trace_sample_ratio must be between 0 and 1."
  }
}

variable "otel_collector_image" {
  description = "With telemetry: the collector sidecar's image, pinned to a release of the AWS Distro for OpenTelemetry collector."
  type        = string
  default     = "public.ecr.aws/aws-observability/aws-otel-collector:v0.49.0"

  validation {
    condition     = can(regex("^[a-z0-9.-]+(/[a-z0-9._-]+)+:v?[0-9]+\\.[0-9]+\\.[0-9]+$", var.otel_collector_image))
    error_message = "otel_collector_image must be an image with a release tag, e.g. public.ecr.aws/aws-observability/aws-otel-collector:v0.49.0."
  }
}
