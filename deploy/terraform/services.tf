# The five ECS services: identity, jobs, extraction, ai (one gRPC service each, published with
# Service Connect as <name>.careervault.local:<port>) and the gateway (Envoy behind the ALB).
#
# Order: Service Connect gives a name only to tasks that start after the service behind it exists
# ("Existing tasks can't resolve and connect to the new endpoint", AWS ECS guide), so a caller is
# created after what it calls: tier 1 (jobs, extraction: call nobody), tier 2 (identity: calls
# jobs), tier 3 (ai: calls identity, jobs, extraction), then the gateway (calls all four). `calls`
# also opens the security groups (security.tf), nothing else.
#
# Every environment variable below is a name the service's settings class reads
# (services/*/src/*/settings.py, libs/src/careervault/runtime/settings.py; identity's Cognito
# backend also reads CognitoSettings in cognito.py); AWS_REGION is boto3's, TMPDIR Python's and
# the OTEL_* ones (telemetry.tf) OpenTelemetry's, as careervault.runtime.telemetry reads them.
# tests/deploy/test_terraform.py checks the names, the ports against SERVICE_PORTS, and that
# every *_ADDRESS points at a Service Connect name and port. Ports, uids and health checks are the
# images' (each target of deploy/docker/service.Dockerfile; the test compares).
#
# Autoscaling numbers (var.capacity, var.gateway_requests_per_target) and why: deploy/README.md,
# "Autoscaling", from docs/benchmarks.md.

locals {
  gateway_port = 8080

  # The services call each other, and the gateway calls them, as <service>.careervault.local:<port>
  # (Service Connect client aliases): the names the production gateway image is rendered with
  # (deploy/docker/gateway.Dockerfile, target production) and the compose profile aws-local uses.
  discovery_domain = "careervault.local"

  # What every ECS service shares (modules/ecs_service var.context).
  service_context = {
    prefix                        = local.prefix
    region                        = var.region
    account_id                    = local.account_id
    partition                     = local.partition
    cpu_architecture              = var.cpu_architecture
    vpc_id                        = module.network.vpc_id
    subnet_ids                    = module.network.private_subnet_ids
    cluster_arn                   = module.cluster.cluster_arn
    cluster_name                  = module.cluster.cluster_name
    service_connect_namespace_arn = module.cluster.namespace_arn
    discovery_domain              = local.discovery_domain
    kms_key_arn                   = module.kms.key_arn
    log_retention_days            = var.log_retention_days
    alarm_topic_arn               = module.monitoring.topic_arn
  }

  # Every gRPC service: in Cognito mode, the same token verification settings everywhere
  # (CommonSettings), the listen address, the drain timing, and where to write.
  python_environment = {
    CAREERVAULT_HOST             = "0.0.0.0"
    CAREERVAULT_DATA_DIR         = "/data"
    CAREERVAULT_LOG_LEVEL        = var.log_level
    CAREERVAULT_IDENTITY_BACKEND = "cognito"
    COGNITO_REGION               = var.region
    COGNITO_USER_POOL_ID         = module.cognito.user_pool_id
    COGNITO_CLIENT_ID            = module.cognito.client_id
    # On SIGTERM: answer NOT_SERVING for 5 s (callers' proxies and health checks move away),
    # then finish in-flight calls for up to 15 s; ECS waits stop_timeout (30 s) before SIGKILL.
    CAREERVAULT_SHUTDOWN_DELAY = "5"
    CAREERVAULT_SHUTDOWN_GRACE = "15"
    # boto3's region (DynamoDB, Cognito); ECS sets it too on Fargate, this makes it certain.
    AWS_REGION = var.region
    # The root filesystem is read-only and /data is the task's writable volume: temporary files
    # (tesseract's images, SQLite's spill files) go there.
    TMPDIR = "/data"
  }

  grpc_services = {
    identity = {
      port  = 50051
      uid   = 10001
      tier  = 2
      calls = ["jobs"]
      environment = {
        CAREERVAULT_JOBS_ADDRESS = "jobs.careervault.local:50052" # account export and erasure
        COGNITO_ADMIN_GET_USER   = "true"       # profile create/update times (AdminGetUser)
      }
      secrets = {
        COGNITO_CLIENT_SECRET = module.secrets.cognito_client_secret_arn
      }
      task_role        = true
      task_policy_json = data.aws_iam_policy_document.identity_task.json
    }

    jobs = {
      port  = 50052
      uid   = 10002
      tier  = 1
      calls = []
      environment = {
        CAREERVAULT_JOBS_STORE            = "dynamodb"
        CAREERVAULT_DYNAMODB_TABLE        = module.jobs_table.name
        CAREERVAULT_DYNAMODB_CREATE_TABLE = "false" # the table is Terraform's (modules/dynamodb)
        CAREERVAULT_RETENTION_DAYS        = tostring(var.jobs_retention_days)
        CAREERVAULT_REQUEST_ID_TTL_DAYS   = tostring(var.request_id_ttl_days)
      }
      secrets = {
        CAREERVAULT_PAGE_TOKEN_SECRET = module.secrets.page_token_secret_arn
      }
      task_role        = true
      task_policy_json = data.aws_iam_policy_document.jobs_task.json
    }

    extraction = {
      port  = 50053
      uid   = 10003
      tier  = 1
      calls = []
      environment = {
        # One worker process per vCPU of the task: os.cpu_count() inside a task may report the
        # host's cores, not the task's share.
        CAREERVAULT_EXTRACTION_WORKERS       = tostring(max(1, floor(var.capacity.extraction.cpu / 1024)))
        CAREERVAULT_EXTRACTION_OCR_LANGUAGES = var.extraction_ocr_languages
      }
      secrets          = {}
      task_role        = false # calls no AWS API: no role, no credentials
      task_policy_json = null
    }

    ai = {
      port  = 50054
      uid   = 10004
      tier  = 3
      calls = ["identity", "jobs", "extraction"]
      environment = {
        CAREERVAULT_AI_PROVIDER        = var.ai_provider
        CAREERVAULT_GEMINI_MODEL       = var.gemini_model
        CAREERVAULT_IDENTITY_ADDRESS   = "identity.careervault.local:50051" # the caller's consent
        CAREERVAULT_JOBS_ADDRESS       = "jobs.careervault.local:50052"     # a job's description, saving analyses
        CAREERVAULT_EXTRACTION_ADDRESS = "extraction.careervault.local:50053"
      }
      # Only with the Gemini provider: the secret is created empty, and ECS cannot start a task
      # whose secret has no value yet.
      secrets = {
        for name, arn in { GEMINI_API_KEY = module.secrets.gemini_secret_arn } : name => arn
        if var.ai_provider == "gemini"
      }
      # The key arrives as an environment variable, read by ECS with the execution role (which
      # may read this one secret only); the code itself calls no AWS API.
      task_role        = false
      task_policy_json = null
    }
  }
}


locals {
  # deploy/docker/healthcheck.py: the gRPC health protocol on CAREERVAULT_PORT, exit 0 only on
  # SERVING (NOT_SERVING as soon as the service drains).
  grpc_health_check = ["CMD", "python", "/app/healthcheck.py"]

  # The gRPC service modules, whatever their tier.
  grpc_service_modules = merge(module.service_tier1, module.service_tier2, module.service_tier3)
}

module "service_tier1" {
  source   = "./modules/ecs_service"
  for_each = { for name, s in local.grpc_services : name => s if s.tier == 1 }

  context = local.service_context
  name    = each.key

  image              = "${module.registry.repository_urls[each.key]}:${var.image_tag}"
  ecr_repository_arn = module.registry.repository_arns[each.key]
  cpu                = var.capacity[each.key].cpu
  memory             = var.capacity[each.key].memory
  min_count          = var.capacity[each.key].min_count
  max_count          = var.capacity[each.key].max_count
  cpu_target         = var.capacity[each.key].cpu_target

  port                    = each.value.port
  port_name               = "grpc"
  app_protocol            = "grpc"
  publish_service_connect = true
  uid                     = each.value.uid

  environment      = merge(local.python_environment, local.telemetry_environment, { CAREERVAULT_PORT = tostring(each.value.port) }, each.value.environment)
  collector        = local.collectors[each.key]
  secrets          = each.value.secrets
  task_role        = each.value.task_role
  task_policy_json = each.value.task_policy_json

  health_check_command      = local.grpc_health_check
  health_check_start_period = 30
  writable_paths            = ["/data"]
  stop_timeout              = 30
}

module "service_tier2" {
  source   = "./modules/ecs_service"
  for_each = { for name, s in local.grpc_services : name => s if s.tier == 2 }

  context = local.service_context
  name    = each.key

  image              = "${module.registry.repository_urls[each.key]}:${var.image_tag}"
  ecr_repository_arn = module.registry.repository_arns[each.key]
  cpu                = var.capacity[each.key].cpu
  memory             = var.capacity[each.key].memory
  min_count          = var.capacity[each.key].min_count
  max_count          = var.capacity[each.key].max_count
  cpu_target         = var.capacity[each.key].cpu_target

  port                    = each.value.port
  port_name               = "grpc"
  app_protocol            = "grpc"
  publish_service_connect = true
  uid                     = each.value.uid

  environment      = merge(local.python_environment, local.telemetry_environment, { CAREERVAULT_PORT = tostring(each.value.port) }, each.value.environment)
  collector        = local.collectors[each.key]
  secrets          = each.value.secrets
  task_role        = each.value.task_role
  task_policy_json = each.value.task_policy_json

  health_check_command      = local.grpc_health_check
  health_check_start_period = 30
  writable_paths            = ["/data"]
  stop_timeout              = 30

  starts_after = [for m in module.service_tier1 : m.service_arn]
}

module "service_tier3" {
  source   = "./modules/ecs_service"
  for_each = { for name, s in local.grpc_services : name => s if s.tier == 3 }

  context = local.service_context
  name    = each.key

  image              = "${module.registry.repository_urls[each.key]}:${var.image_tag}"
  ecr_repository_arn = module.registry.repository_arns[each.key]
  cpu                = var.capacity[each.key].cpu
  memory             = var.capacity[each.key].memory
  min_count          = var.capacity[each.key].min_count
  max_count          = var.capacity[each.key].max_count
  cpu_target         = var.capacity[each.key].cpu_target

  port                    = each.value.port
  port_name               = "grpc"
  app_protocol            = "grpc"
  publish_service_connect = true
  uid                     = each.value.uid

  environment      = merge(local.python_environment, local.telemetry_environment, { CAREERVAULT_PORT = tostring(each.value.port) }, each.value.environment)
  collector        = local.collectors[each.key]
  secrets          = each.value.secrets
  task_role        = each.value.task_role
  task_policy_json = each.value.task_policy_json

  health_check_command      = local.grpc_health_check
  health_check_start_period = 30
  writable_paths            = ["/data"]
  stop_timeout              = 30

  starts_after = [for m in merge(module.service_tier1, module.service_tier2) : m.service_arn]
}

# The gateway image (deploy/docker/gateway.Dockerfile, target production) has its configuration
# rendered in at build time (build args: output gateway_build_args), so its container gets no
# environment at all. Its upstreams are the Service Connect names above
# (identity.careervault.local:50051, ...), the production target's defaults.
module "gateway" {
  source = "./modules/ecs_service"

  context = local.service_context
  name    = "gateway"

  image              = "${module.registry.repository_urls["gateway"]}:${var.image_tag}"
  ecr_repository_arn = module.registry.repository_arns["gateway"]
  cpu                = var.capacity.gateway.cpu
  memory             = var.capacity.gateway.memory

  port         = local.gateway_port
  port_name    = "http"
  app_protocol = "http"
  uid          = 10100

  environment = {}
  secrets     = {}
  task_role   = false # Envoy calls no AWS API (Cognito's JWKS is a public URL)
  collector   = local.collectors.gateway

  # The image's HEALTHCHECK (gateway.Dockerfile): GET /healthz with bash's /dev/tcp.
  health_check_command = [
    "CMD", "bash", "-c",
    "exec 3<>/dev/tcp/127.0.0.1/8080 && printf 'GET /healthz HTTP/1.1\\r\\nHost: localhost\\r\\nConnection: close\\r\\n\\r\\n' >&3 && read -r -t 4 status <&3 && [[ $status == 'HTTP/1.1 200 '* ]]",
  ]
  health_check_start_period = 10
  writable_paths            = []
  # The ALB drains the task (deregistration delay 65 s) before ECS sends SIGTERM.
  stop_timeout = 10

  publish_service_connect = false

  load_balanced                = true
  target_group_arn             = module.alb.target_group_arn
  min_count                    = var.capacity.gateway.min_count
  max_count                    = var.capacity.gateway.max_count
  cpu_target                   = var.capacity.gateway.cpu_target
  requests_per_target          = var.gateway_requests_per_target
  request_count_resource_label = module.alb.request_count_resource_label

  # Service Connect: created after every service it calls (see the top of this file).
  starts_after = [for m in local.grpc_service_modules : m.service_arn]
}
