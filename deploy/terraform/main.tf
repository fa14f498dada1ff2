# CareerVault on AWS: the four gRPC services and the Envoy gateway as autoscaled Fargate
# services in a two-zone VPC, DynamoDB and Cognito as managed backends, the SPA on S3 behind
# CloudFront, which also fronts the API (the ALB in front of the gateway). deploy/README.md has
# the picture, the apply order from an empty account, and the costs.
#
#   viewer -> CloudFront (WAF) --/v1/*, /.well-known/*--> ALB -> gateway (Envoy) --Service Connect--> identity, jobs, extraction, ai
#                              '-- SPA files ---------> S3                                             |          |                  |
#                                                                                                   Cognito   DynamoDB          Gemini

data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

# The two zones, by name: a fixed set (var.availability_zones, default <region>a and <region>b),
# so that the subnets never move when AWS adds a zone. The lookup fails the plan if one of them
# is not available.
data "aws_availability_zones" "selected" {
  state = "available"

  filter {
    name   = "zone-name"
    values = local.zone_names
  }

  lifecycle {
    postcondition {
      condition     = length(self.names) == 2
      error_message = "Both availability zones (${join(", ", local.zone_names)}) must exist and be available in ${var.region}; set availability_zones."
    }
  }
}

locals {
  prefix     = "${var.name}-${var.environment}"
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  zone_names = length(var.availability_zones) > 0 ? var.availability_zones : ["${var.region}a", "${var.region}b"]
  azs        = sort(data.aws_availability_zones.selected.names)

  tags = {
    Application = "careervault"
    Deployment  = var.name
    Environment = var.environment
    ManagedBy   = "terraform"
  }

  # One repository per image; the gRPC services' names are also their Service Connect names.
  images = ["gateway", "identity", "jobs", "extraction", "ai"]

  origin_verify_header = "X-CareerVault-Origin-Verify"
}

module "kms" {
  source = "./modules/kms"

  prefix     = local.prefix
  account_id = local.account_id
  region     = var.region
  partition  = local.partition
}

module "network" {
  source = "./modules/network"

  prefix                        = local.prefix
  account_id                    = local.account_id
  cidr                          = var.vpc_cidr
  availability_zones            = local.azs
  single_nat_gateway            = var.single_nat_gateway
  enable_interface_endpoints    = var.enable_interface_endpoints
  dynamodb_endpoint_policy_json = data.aws_iam_policy_document.dynamodb_endpoint.json
  kms_key_arn                   = module.kms.key_arn
  log_retention_days            = var.log_retention_days
  flow_log_traffic_type         = var.flow_log_traffic_type
}

module "jobs_table" {
  source = "./modules/dynamodb"

  name                = "${local.prefix}-jobs"
  kms_key_arn         = module.kms.key_arn
  deletion_protection = var.deletion_protection
}

module "cognito" {
  source = "./modules/cognito"

  prefix                  = local.prefix
  deletion_protection     = var.deletion_protection
  password_minimum_length = var.password_minimum_length
  ses_source_arn          = var.ses_source_arn
  from_email_address      = var.from_email_address
  access_token_minutes    = var.access_token_minutes
  id_token_minutes        = var.id_token_minutes
  refresh_token_days      = var.refresh_token_days
}

module "secrets" {
  source = "./modules/secrets"

  prefix                = local.prefix
  kms_key_arn           = module.kms.key_arn
  cognito_client_secret = module.cognito.client_secret
}

module "registry" {
  source = "./modules/registry"

  prefix       = local.prefix
  repositories = local.images
  kms_key_arn  = module.kms.key_arn
}

module "log_bucket" {
  source = "./modules/log_bucket"

  prefix          = local.prefix
  account_id      = local.account_id
  expiration_days = var.access_log_days
}

module "cluster" {
  source = "./modules/ecs_cluster"

  prefix = local.prefix
}

module "alb" {
  source = "./modules/alb"

  prefix               = local.prefix
  vpc_id               = module.network.vpc_id
  public_subnet_ids    = module.network.public_subnet_ids
  certificate_arn      = var.alb_certificate_arn
  log_bucket           = module.log_bucket.bucket
  deletion_protection  = var.deletion_protection
  gateway_port         = local.gateway_port
  origin_verify_header = local.origin_verify_header
  origin_verify_value  = module.secrets.origin_verify
}

module "cdn" {
  source = "./modules/cdn"
  providers = {
    aws           = aws
    aws.us_east_1 = aws.us_east_1
  }

  prefix                   = local.prefix
  account_id               = local.account_id
  domain_name              = var.app_domain_name
  certificate_arn          = var.cloudfront_certificate_arn
  api_origin_domain_name   = var.api_origin_domain_name
  origin_verify_header     = local.origin_verify_header
  origin_verify_value      = module.secrets.origin_verify
  log_bucket               = module.log_bucket.bucket
  log_bucket_domain_name   = module.log_bucket.bucket_domain_name
  price_class              = var.cloudfront_price_class
  rate_limit_per_5_minutes = var.waf_rate_limit_per_5_minutes
  log_retention_days       = var.log_retention_days
}

module "monitoring" {
  source = "./modules/monitoring"

  prefix                  = local.prefix
  kms_key_arn             = module.kms.key_arn
  alarm_email             = var.alarm_email
  alb_arn_suffix          = module.alb.arn_suffix
  target_group_arn_suffix = module.alb.target_group_arn_suffix
  table_name              = module.jobs_table.name
  alb_5xx_threshold       = var.alb_5xx_threshold
  gateway_5xx_threshold   = var.gateway_5xx_threshold
}
