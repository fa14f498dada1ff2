output "cluster_arn" {
  description = "Cluster ARN."
  value       = aws_ecs_cluster.this.arn
}

output "cluster_name" {
  description = "Cluster name."
  value       = aws_ecs_cluster.this.name
}

output "namespace_arn" {
  description = "Service Connect namespace."
  value       = aws_service_discovery_http_namespace.this.arn
}

output "namespace_name" {
  description = "Service Connect namespace name."
  value       = aws_service_discovery_http_namespace.this.name
}
