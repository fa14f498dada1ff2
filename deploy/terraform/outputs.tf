output "app_url" {
  description = "Where CareerVault answers (the SPA; the API under /v1)."
  value       = "https://${var.app_domain_name}"
}

output "cloudfront_domain_name" {
  description = "CloudFront's name: without route53_zone_id, point app_domain_name at it (CNAME)."
  value       = module.cdn.distribution_domain_name
}

output "cloudfront_distribution_id" {
  description = "For cache invalidations after uploading the SPA."
  value       = module.cdn.distribution_id
}

output "alb_dns_name" {
  description = "The ALB's name: without route53_zone_id, point api_origin_domain_name at it (CNAME)."
  value       = module.alb.dns_name
}

output "spa_bucket" {
  description = "Bucket to upload web/dist to."
  value       = module.cdn.bucket
}

output "ecr_repository_urls" {
  description = "Image name => repository URL to push <url>:<image_tag> to."
  value       = module.registry.repository_urls
}

output "ecs_cluster_name" {
  description = "The ECS cluster."
  value       = module.cluster.cluster_name
}

output "ecs_services" {
  description = "Image name => ECS service name."
  value       = merge({ for name, m in local.grpc_service_modules : name => m.service_name }, { gateway = module.gateway.service_name })
}

output "log_groups" {
  description = "Image name => CloudWatch log group."
  value       = merge({ for name, m in local.grpc_service_modules : name => m.log_group_name }, { gateway = module.gateway.log_group_name })
}

output "service_connect_namespace" {
  description = "Cloud Map namespace of Service Connect."
  value       = module.cluster.namespace_name
}

output "dynamodb_table_name" {
  description = "CAREERVAULT_DYNAMODB_TABLE."
  value       = module.jobs_table.name
}

output "cognito_user_pool_id" {
  description = "COGNITO_USER_POOL_ID."
  value       = module.cognito.user_pool_id
}

output "cognito_client_id" {
  description = "COGNITO_CLIENT_ID."
  value       = module.cognito.client_id
}

output "cognito_issuer" {
  description = "Issuer of the pool's tokens."
  value       = module.cognito.issuer
}

output "gemini_secret_name" {
  description = "Secret to put the Gemini API key in (aws secretsmanager put-secret-value --secret-id <this>)."
  value       = module.secrets.gemini_secret_name
}

output "alarm_topic_arn" {
  description = "SNS topic of every alarm (subscribe more endpoints to it)."
  value       = module.monitoring.topic_arn
}

output "nat_public_ips" {
  description = "Addresses the services reach the internet from."
  value       = module.network.nat_public_ips
}

# The gateway's configuration is rendered when its image is built (deploy/docker/gateway.Dockerfile,
# target production; names read by gateway/render.py). Build it with these args: this stack's
# pool (its own JWKS over HTTPS), all four services on their Service Connect names, two trusted
# proxy hops (CloudFront, then the ALB: the target's default of 1 assumes the ALB alone), no CORS
# (the SPA is on the same origin).
output "gateway_build_args" {
  description = "Build args of the gateway image for this stack: docker build --build-arg NAME=VALUE for each."
  value = {
    CAREERVAULT_GATEWAY_SERVICES     = join(",", keys(local.grpc_services))
    CAREERVAULT_IDENTITY_UPSTREAMS   = "identity.${local.discovery_domain}:${local.grpc_services.identity.port}"
    CAREERVAULT_JOBS_UPSTREAMS       = "jobs.${local.discovery_domain}:${local.grpc_services.jobs.port}"
    CAREERVAULT_EXTRACTION_UPSTREAMS = "extraction.${local.discovery_domain}:${local.grpc_services.extraction.port}"
    CAREERVAULT_AI_UPSTREAMS         = "ai.${local.discovery_domain}:${local.grpc_services.ai.port}"
    CAREERVAULT_IDENTITY_BACKEND     = "cognito"
    COGNITO_REGION                   = var.region
    COGNITO_USER_POOL_ID             = module.cognito.user_pool_id
    COGNITO_CLIENT_ID                = module.cognito.client_id
    CAREERVAULT_GATEWAY_TRUSTED_HOPS = "2"
    CAREERVAULT_CORS_ORIGINS         = ""
    # With var.telemetry, Envoy's tracer exports to the collector beside it (telemetry.tf) and
    # decides which requests are traced; empty, no tracer is rendered.
    OTEL_EXPORTER_OTLP_ENDPOINT = var.telemetry ? "http://${local.otlp_endpoint}" : ""
    OTEL_TRACES_SAMPLER         = var.telemetry ? "parentbased_traceidratio" : ""
    OTEL_TRACES_SAMPLER_ARG     = var.telemetry ? tostring(var.trace_sample_ratio) : ""
  }
}
