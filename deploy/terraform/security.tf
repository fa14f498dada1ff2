# Who may open a connection to whom. Each task has its own security group (modules/ecs_service:
# egress HTTPS only); this file adds the calls: the ALB to the gateway, the gateway to every
# gRPC service, and each service to the services it calls (local.grpc_services[*].calls). With
# Service Connect the caller's proxy connects to the callee task's port from the caller's task.

locals {
  grpc_service_security_groups = { for name, m in local.grpc_service_modules : name => m.security_group_id }

  grpc_calls = merge(
    { for name, s in local.grpc_services : "gateway-${name}" => { from = "gateway", to = name } },
    merge([
      for name, s in local.grpc_services : {
        for callee in s.calls : "${name}-${callee}" => { from = name, to = callee }
      }
    ]...),
  )

  all_security_groups = merge(local.grpc_service_security_groups, { gateway = module.gateway.security_group_id })
}

resource "aws_vpc_security_group_ingress_rule" "gateway_from_alb" {
  security_group_id            = module.gateway.security_group_id
  description                  = "HTTP from the ALB (requests and /healthz)"
  referenced_security_group_id = module.alb.security_group_id
  ip_protocol                  = "tcp"
  from_port                    = local.gateway_port
  to_port                      = local.gateway_port
}

resource "aws_vpc_security_group_egress_rule" "alb_to_gateway" {
  security_group_id            = module.alb.security_group_id
  description                  = "HTTP to the gateway tasks"
  referenced_security_group_id = module.gateway.security_group_id
  ip_protocol                  = "tcp"
  from_port                    = local.gateway_port
  to_port                      = local.gateway_port
}

resource "aws_vpc_security_group_ingress_rule" "grpc_calls" {
  for_each = local.grpc_calls

  security_group_id            = local.all_security_groups[each.value.to]
  description                  = "gRPC from ${each.value.from}"
  referenced_security_group_id = local.all_security_groups[each.value.from]
  ip_protocol                  = "tcp"
  from_port                    = local.grpc_services[each.value.to].port
  to_port                      = local.grpc_services[each.value.to].port
}

resource "aws_vpc_security_group_egress_rule" "grpc_calls" {
  for_each = local.grpc_calls

  security_group_id            = local.all_security_groups[each.value.from]
  description                  = "gRPC to ${each.value.to}"
  referenced_security_group_id = local.all_security_groups[each.value.to]
  ip_protocol                  = "tcp"
  from_port                    = local.grpc_services[each.value.to].port
  to_port                      = local.grpc_services[each.value.to].port
}
